import { CommanderError } from '@commander-js/extra-typings';
import { createProgram } from './program.js';
import { reportError } from './report-error.js';

const ROOT_HELP_ARGS = new Set(['--help', '-h', 'help']);

/**
 * Runs one berth command line. Resolves to the exit code, or `undefined` when the command wants
 * the process to stay up (run-local: the target serves until interrupted).
 */
export async function runCli(argv: string[]): Promise<number | undefined> {
  const args = argv.slice(2);
  const rootHelp = args.length === 0 || (args.length === 1 && ROOT_HELP_ARGS.has(args[0] ?? ''));
  const program = createProgram({ installedTargets: rootHelp ? await installedTargetNames() : undefined });
  if (args.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv);
    return args[0] === 'run-local' ? undefined : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // commander printed it
    return reportError(error, { json: args.includes('--json') });
  }
}

/** Names only: reading package.json files, never target code. A broken registry must not break --help. */
async function installedTargetNames(): Promise<string[] | undefined> {
  try {
    const { listTargets } = await import('@berth/core');
    const { targets } = await listTargets();
    return targets.map((target) => target.name);
  } catch {
    return undefined;
  }
}
