import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { runCli } from './run-cli.js';

export { topLevelHelp } from './program.js';

declare const __BERTH_CLI_VERSION__: string;
export const version: string = __BERTH_CLI_VERSION__;

/**
 * Runs one berth command line (`process.argv` shape) and exits with its code. The `berth` bin
 * (`bin/berth.cjs`) answers --help, --version and `targets` itself and calls this for the rest.
 */
export async function main(argv: string[] = process.argv): Promise<void> {
  const exitCode = await runCli(argv);
  // run-local keeps serving until a signal; every other command ends here, even if a target left a
  // keep-alive socket or timer open.
  if (exitCode !== undefined) process.exit(exitCode);
}

// `node dist/index.js …`, as scripts written before the bin moved to bin/berth.cjs run it.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(safeRealpath(entry)).href) await main();

function safeRealpath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
