import { BerthError, type OperationOptions } from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import { awsError, isNotFound } from './aws-errors.js';
import { awaitCompletion, operationError } from './operation-waiter.js';
import { DEFAULT_TIMEOUT_SECONDS, type SageMakerConfig } from './sagemaker-config.js';
import {
  deleteEndpointConfig,
  deleteModelAndArtifact,
  describeEndpoint,
  describeEndpointConfig,
} from './sagemaker-resources.js';

/**
 * Delete (MLflow's `_delete`, reference §3.5): DeleteEndpoint, wait until it is gone, then —
 * synchronous, not archived — its endpoint config and every variant's model with its S3 artifact.
 * Unlike MLflow, a missing endpoint is success (the contract's idempotent delete).
 */

export interface DeleteResult {
  /** False when there was nothing to delete. */
  deleted: boolean;
  removed: string[];
}

export async function deleteDeploymentFlow(
  clients: AwsClients,
  name: string,
  config: SageMakerConfig,
  options: OperationOptions,
): Promise<DeleteResult> {
  if (!config.archive && !config.synchronous) {
    throw BerthError.invalidParameterValue(
      'Resources must be archived when `delete()` is executed in non-synchronous mode. Either set `synchronous=True` or `archive=True`.',
    );
  }
  const endpoint = await describeEndpoint(clients, name);
  if (endpoint === undefined) return { deleted: false, removed: [] };
  // Read before the endpoint goes: afterwards nothing points at the config and its models.
  const endpointConfig = endpoint.EndpointConfigName
    ? await describeEndpointConfig(clients, endpoint.EndpointConfigName)
    : undefined;
  if (endpoint.EndpointStatus !== 'Deleting' && !(await sendDeleteEndpoint(clients, name))) {
    return { deleted: false, removed: [] };
  }
  const removed = [`endpoint ${name}`];
  if (!config.synchronous) return { deleted: true, removed };

  await awaitEndpointGone(clients, name, config.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS.delete, options);
  if (config.archive || endpointConfig === undefined) return { deleted: true, removed };

  removed.push(...(await deleteEndpointConfig(clients, endpointConfig.EndpointConfigName as string)));
  for (const variant of endpointConfig.ProductionVariants ?? []) {
    if (variant.ModelName) removed.push(...(await deleteModelAndArtifact(clients, variant.ModelName)));
  }
  return { deleted: true, removed };
}

/** DeleteEndpoint; false when there was no such endpoint. */
async function sendDeleteEndpoint(clients: AwsClients, name: string): Promise<boolean> {
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(new sdk.DeleteEndpointCommand({ EndpointName: name }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw awsError(error, `Could not delete the SageMaker endpoint '${name}'`);
  }
}

async function awaitEndpointGone(
  clients: AwsClients,
  name: string,
  timeoutSeconds: number,
  options: OperationOptions,
): Promise<void> {
  const status = await awaitCompletion(
    async () => {
      const current = await describeEndpoint(clients, name);
      if (current === undefined)
        return { state: 'succeeded', message: 'The SageMaker endpoint was deleted successfully.' };
      const state = current.EndpointStatus ?? 'unknown';
      return {
        state: 'in progress',
        message: `Still waiting for deletion; the endpoint is ${state}`,
        backendState: state,
      };
    },
    {
      timeoutSeconds,
      label: `Deleting endpoint '${name}'`,
      interruptHint: `SageMaker goes on deleting '${name}'; its config, model and model.tar.gz stay (run the delete again to remove them).`,
      ...options,
    },
  );
  if (status.state !== 'succeeded') throw operationError('deletion', status);
}

/** DeleteEndpoint (when there is one), waiting until it is gone (what a failed create removes first). */
export async function deleteEndpointAndWait(
  clients: AwsClients,
  name: string,
  options: OperationOptions,
): Promise<string[]> {
  const endpoint = await describeEndpoint(clients, name);
  if (endpoint === undefined) return [];
  if (endpoint.EndpointStatus !== 'Deleting' && !(await sendDeleteEndpoint(clients, name))) return [];
  await awaitEndpointGone(clients, name, DEFAULT_TIMEOUT_SECONDS.delete, options);
  return [`endpoint ${name}`];
}
