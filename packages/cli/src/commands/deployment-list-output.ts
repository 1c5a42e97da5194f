import type { Deployment } from '@berth/core';
import { type JsonOption, printJson, printLine } from '../cli-output.js';
import { formatTable, summaryColumns } from '../text-table.js';

const DEPLOYMENT_COLUMNS = ['name', 'flavor', 'state', 'version', 'url', 'endpoint', 'modelUri'];

/**
 * What `berth list` prints: the deployments as JSON, or a table of the summary columns. Kept free
 * of the registry: both the full command (`deployment-commands.ts`) and the lean path of
 * `bin/berth.cjs` (`list-fast-path.ts`) print through it.
 */
export function printDeployments(deployments: Deployment[], options: JsonOption, targetUri: string): Promise<void> {
  if (options.json) return printJson(deployments);
  if (deployments.length === 0) return printLine('No deployments.');
  const { columns, hidden } = summaryColumns(deployments, DEPLOYMENT_COLUMNS);
  const more = hidden ? `\n(more fields: 'berth get -t ${targetUri} --name <name>', or --json)` : '';
  return printLine(`List of all deployments:\n${formatTable(deployments, columns)}${more}`);
}
