import { type DiscoveryOptions, listTargets as discoverTargets } from '@berth/core/registry';
import { type JsonOption, printJson, printLine } from '../cli-output.js';
import { formatTable } from '../text-table.js';

const TARGET_COLUMNS = ['name', 'package', 'version', 'source', 'uri', 'summary'];

/**
 * `berth targets`: what is installed and where it was found. Reads package.json files only.
 * `discovery` is for `bin/berth.cjs`, whose bundled copy of discovery names where core is installed.
 */
export async function listTargets(options: JsonOption, discovery: DiscoveryOptions = {}): Promise<void> {
  const { targets, warnings } = await discoverTargets(discovery);
  if (options.json) return printJson({ targets, warnings });
  for (const warning of warnings) process.stderr.write(`Warning: ${warning}\n`);
  if (targets.length === 0) {
    return printLine('No deployment targets are installed. Add one with: berth targets add <package>');
  }
  const rows = targets.map((target) => ({ ...target, package: target.packageName }));
  await printLine(formatTable(rows, TARGET_COLUMNS));
}
