import type { LocalConfig } from './local-config.js';

/**
 * The bearer token of a deployment or endpoint with `auth_token_file`: read (and checked: 16+
 * characters, one word) by the scoring server's own rules, light to import. The token is re-read
 * on every use, so replacing the file rotates it for this side at once (a server reads it at start).
 */
export async function authHeaders(config: Pick<LocalConfig, 'auth_token_file'>): Promise<Record<string, string>> {
  if (config.auth_token_file === undefined) return {};
  const { readTokenFile } = await import('@berth/scoring-server/auth');
  return { authorization: `Bearer ${await readTokenFile(config.auth_token_file)}` };
}
