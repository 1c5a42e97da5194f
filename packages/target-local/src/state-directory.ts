import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** `BERTH_HOME`, else `~/.berth` — the same rule as core's `berthHome()`, kept here so listing stays light. */
export function defaultBerthHome(): string {
  const fromEnv = process.env.BERTH_HOME;
  return fromEnv && fromEnv.length > 0 ? resolve(fromEnv) : join(homedir(), '.berth');
}

/**
 * The state directory named by a target URI: `local` → `<BERTH_HOME>`, `local:/path` (or
 * `local:///path`) → `/path`. A leading `~/` expands to the home directory.
 */
export function stateDirectoryFor(targetUri: string): string {
  const colon = targetUri.indexOf(':');
  let suffix = colon === -1 ? '' : targetUri.slice(colon + 1);
  if (suffix.startsWith('//')) suffix = suffix.slice(2);
  if (suffix === '' || suffix === '/') return defaultBerthHome();
  if (suffix.startsWith('~/')) return join(homedir(), suffix.slice(2));
  return resolve(suffix);
}
