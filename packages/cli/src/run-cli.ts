import { CommanderError } from '@commander-js/extra-typings';
import { closeOpenClients } from './open-clients.js';
import { createProgram } from './program.js';
import { reportError } from './report-error.js';

/**
 * Runs one berth command line. Resolves to the exit code, or `undefined` when the command wants
 * the process to stay up (run-local: the target serves until interrupted).
 */
export async function runCli(argv: string[]): Promise<number | undefined> {
  const args = argv.slice(2);
  const json = args.includes('--json');
  const program = createProgram({ jsonErrors: json });
  if (args.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv);
    if (args[0] === 'run-local') return undefined;
    await closeOpenClients();
    return 0;
  } catch (error) {
    await closeOpenClients();
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      if (!json) return 2; // commander printed it
      // Loaded on this error path only: nothing of core is on the start path of every command.
      const { UsageError } = await import('@berth/core/internal');
      return reportError(new UsageError(error.message.replace(/^error: /i, '')), { json });
    }
    return reportError(error, { json });
  }
}
