import { listTargets as discoverTargets } from '@berth/core/registry';
import { type JsonOption, printJson, printLine } from '../cli-output.js';
import { formatTable } from '../text-table.js';

const TARGET_COLUMNS = ['name', 'package', 'version', 'source', 'uri', 'summary'];

/** `berth targets`: what is installed and where it was found. Reads package.json files only. */
export async function listTargets(options: JsonOption): Promise<void> {
  const { targets, warnings } = await discoverTargets();
  if (options.json) return printJson({ targets, warnings });
  for (const warning of warnings) process.stderr.write(`Warning: ${warning}\n`);
  if (targets.length === 0) {
    return printLine('No deployment targets are installed. Add one with: berth targets add <package>');
  }
  const rows = targets.map((target) => ({ ...target, package: target.packageName }));
  await printLine(formatTable(rows, TARGET_COLUMNS));
}
