import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Berth's own folder: `BERTH_HOME`, or `~/.berth`. Holds state, the plugin folder and logs. */
export function berthHome(): string {
  const fromEnvironment = process.env.BERTH_HOME;
  return fromEnvironment ? resolve(fromEnvironment) : join(homedir(), '.berth');
}

/** Where `berth targets add <package>` installs targets (a package.json + node_modules, kept by npm). */
export function pluginsDirectory(home: string = berthHome()): string {
  return join(home, 'plugins');
}
