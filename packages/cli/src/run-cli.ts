import { CommanderError } from '@commander-js/extra-typings';
import { createProgram } from './program.js';
import { reportError } from './report-error.js';

/**
 * Runs one berth command line. Resolves to the exit code, or `undefined` when the command wants
 * the process to stay up (run-local: the target serves until interrupted).
 */
export async function runCli(argv: string[]): Promise<number | undefined> {
  const args = argv.slice(2);
  const program = createProgram();
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
