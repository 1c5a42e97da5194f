import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { berthHome } from '@berth/core/internal';

/**
 * The state directory named by a target URI: `local` → `BERTH_HOME` (core's `berthHome()`),
 * `local:/path` (or `local:///path`) → `/path`. A leading `~/` expands to the home directory.
 */
export function stateDirectoryFor(targetUri: string): string {
  const colon = targetUri.indexOf(':');
  let suffix = colon === -1 ? '' : targetUri.slice(colon + 1);
  if (suffix.startsWith('//')) suffix = suffix.slice(2);
  if (suffix === '' || suffix === '/') return berthHome();
  if (suffix.startsWith('~/')) return join(homedir(), suffix.slice(2));
  return resolve(suffix);
}
