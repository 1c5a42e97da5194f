import type { Deployment } from '@berth/core';
import { type JsonOption, printJson, printLine } from '../cli-output.js';
import { withProgress } from '../progress.js';
import { deploymentConfig, openClient, resolveTargetUri, type TargetOptions } from '../target-context.js';
import { formatKeyValues } from '../text-table.js';
import { printDeployments } from './deployment-list-output.js';

interface CreateOptions extends TargetOptions, JsonOption {
  name: string;
  modelUri: string;
  flavor?: string | undefined;
  config: string[];
  endpoint?: string | undefined;
}

export async function createDeployment(options: CreateOptions): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const config = await deploymentConfig(targetUri, options.config);
  const client = await openClient(targetUri);
  const deployment = await withProgress(
    `Creating deployment ${options.name} on ${targetUri}`,
    (onProgress, signal) =>
      client.createDeployment(options.name, options.modelUri, {
        ...(options.flavor !== undefined && { flavor: options.flavor }),
        ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
        config,
        onProgress,
        signal,
      }),
    options,
  );
  if (options.json) return printJson(deployment);
  const name = deployment?.name ?? options.name;
  const flavor = deployment?.flavor;
  await printLine(flavor ? `${flavor} deployment ${name} is created` : `Deployment ${name} is created`);
}

interface UpdateOptions extends TargetOptions, JsonOption {
  name: string;
  modelUri?: string | undefined;
  flavor?: string | undefined;
  config: string[];
  endpoint?: string | undefined;
}

export async function updateDeployment(options: UpdateOptions): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const config = await deploymentConfig(targetUri, options.config);
  const client = await openClient(targetUri);
  const deployment = await withProgress(
    `Updating deployment ${options.name} on ${targetUri}`,
    (onProgress, signal) =>
      client.updateDeployment(options.name, {
        ...(options.modelUri !== undefined && { modelUri: options.modelUri }),
        ...(options.flavor !== undefined && { flavor: options.flavor }),
        ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
        config,
        onProgress,
        signal,
      }),
    options,
  );
  if (options.json) return printJson(deployment ?? { name: options.name });
  const flavor = deployment?.flavor;
  await printLine(`Deployment ${options.name} is updated${flavor ? ` (with flavor ${flavor})` : ''}`);
}

interface DeleteOptions extends TargetOptions, JsonOption {
  name: string;
  config: string[];
  endpoint?: string | undefined;
}

export async function deleteDeployment(options: DeleteOptions): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const config = await deploymentConfig(targetUri, options.config);
  const client = await openClient(targetUri);
  await withProgress(
    `Deleting deployment ${options.name} on ${targetUri}`,
    (onProgress, signal) =>
      client.deleteDeployment(options.name, {
        ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
        config,
        onProgress,
        signal,
      }),
    options,
  );
  if (options.json) return printJson({ name: options.name, deleted: true });
  await printLine(`Deployment ${options.name} is deleted`);
}

interface ListOptions extends TargetOptions, JsonOption {
  endpoint?: string | undefined;
}

export async function listDeployments(options: ListOptions): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const client = await openClient(targetUri);
  const deployments: Deployment[] = await client.listDeployments(
    options.endpoint !== undefined ? { endpoint: options.endpoint } : undefined,
  );
  await printDeployments(deployments, options, targetUri);
}

interface GetOptions extends TargetOptions, JsonOption {
  name: string;
  endpoint?: string | undefined;
}

export async function getDeployment(options: GetOptions): Promise<void> {
  const client = await openClient(await resolveTargetUri(options));
  const deployment = await client.getDeployment(
    options.name,
    options.endpoint !== undefined ? { endpoint: options.endpoint } : undefined,
  );
  if (options.json) return printJson(deployment);
  await printLine(`${formatKeyValues(deployment)}\n`);
}
