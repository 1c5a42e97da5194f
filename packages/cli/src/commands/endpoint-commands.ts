import type { Endpoint } from '@berth/core';
import { type JsonOption, printJson, printLine } from '../cli-output.js';
import { withProgress } from '../progress.js';
import { openClient, parseConfigOption, resolveTargetUri, type TargetOptions } from '../target-context.js';
import { formatKeyValues, formatTable, summaryColumns } from '../text-table.js';

const ENDPOINT_COLUMNS = ['name', 'state', 'url', 'traffic'];

/*
 * Endpoint config is passed to the target as `-C` strings: a target's `configSchema` describes
 * deployment config, and endpoint keys (traffic splits, …) are the target's to parse.
 */

interface EndpointOptions extends TargetOptions, JsonOption {
  endpoint: string;
}

interface EndpointConfigOptions extends EndpointOptions {
  config: string[];
}

export async function createEndpoint(options: EndpointConfigOptions): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const config = parseConfigOption(options.config);
  const client = await openClient(targetUri);
  const endpoint = await withProgress(
    `Creating endpoint ${options.endpoint} on ${targetUri}`,
    (onProgress, signal) => client.createEndpoint(options.endpoint, config, { onProgress, signal }),
    options,
  );
  if (options.json) return printJson(endpoint ?? { name: options.endpoint });
  await printLine(`Endpoint ${endpoint?.name ?? options.endpoint} is created`);
}

export async function updateEndpoint(options: EndpointConfigOptions): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const config = parseConfigOption(options.config);
  const client = await openClient(targetUri);
  const endpoint = await withProgress(
    `Updating endpoint ${options.endpoint} on ${targetUri}`,
    (onProgress, signal) => client.updateEndpoint(options.endpoint, config, { onProgress, signal }),
    options,
  );
  if (options.json) return printJson(endpoint ?? { name: options.endpoint });
  await printLine(`Endpoint ${options.endpoint} is updated`);
}

export async function deleteEndpoint(options: EndpointOptions): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const client = await openClient(targetUri);
  await withProgress(
    `Deleting endpoint ${options.endpoint} on ${targetUri}`,
    (onProgress, signal) => client.deleteEndpoint(options.endpoint, { onProgress, signal }),
    options,
  );
  if (options.json) return printJson({ name: options.endpoint, deleted: true });
  await printLine(`Endpoint ${options.endpoint} is deleted`);
}

export async function listEndpoints(options: TargetOptions & JsonOption): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const client = await openClient(targetUri);
  const endpoints: Endpoint[] = await client.listEndpoints();
  if (options.json) return printJson(endpoints);
  if (endpoints.length === 0) return printLine('No endpoints.');
  const { columns, hidden } = summaryColumns(endpoints, ENDPOINT_COLUMNS);
  const more = hidden ? `\n(more fields: 'berth get-endpoint -t ${targetUri} --endpoint <name>', or --json)` : '';
  await printLine(`List of all endpoints:\n${formatTable(endpoints, columns)}${more}`);
}

export async function getEndpoint(options: EndpointOptions): Promise<void> {
  const client = await openClient(await resolveTargetUri(options));
  const endpoint = await client.getEndpoint(options.endpoint);
  if (options.json) return printJson(endpoint);
  await printLine(`${formatKeyValues(endpoint)}\n`);
}
