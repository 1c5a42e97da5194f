import { BerthError, type OperationOptions } from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import { deleteEndpointAndWait } from './delete-flow.js';
import { deleteArtifact, deleteEndpointConfig, deleteModelAndArtifact } from './sagemaker-resources.js';

/**
 * Berth's contract for a create or update that fails part-way (not MLflow's, which keeps
 * everything): what this operation made — the endpoint of a create that ended `Failed`, the new
 * endpoint config, the new model and its model.tar.gz — is removed, unless `archive=true`, which
 * keeps it and says how to remove it. A time-out or Ctrl-C removes nothing: the operation goes on
 * in AWS.
 */

export interface MadeResources {
  /** An endpoint this create made (never an updated one). */
  endpoint?: string;
  config?: string;
  model?: string;
  /** The s3:// URL of the uploaded model.tar.gz. */
  artifact?: string;
}

export async function undoFailed(
  clients: AwsClients,
  failure: unknown,
  made: MadeResources,
  archive: boolean,
  options: OperationOptions,
): Promise<BerthError> {
  const error = BerthError.isInstance(failure)
    ? failure
    : new BerthError(failure instanceof Error ? failure.message : String(failure), { cause: failure });
  const kept = describeMade(made);
  if (kept.length === 0) return error;
  if (archive) {
    return withNote(error, `Kept, as archive=true asks: ${kept.join(', ')}.`, removeCommands(made), {
      kept,
    });
  }
  const removed: string[] = [];
  try {
    if (made.endpoint) removed.push(...(await deleteEndpointAndWait(clients, made.endpoint, options)));
    if (made.config) removed.push(...(await deleteEndpointConfig(clients, made.config)));
    if (made.model) removed.push(...(await deleteModelAndArtifact(clients, made.model)));
    // The model names its artifact; without a model (or one naming another URL) the upload is removed here.
    if (made.artifact && !removed.includes(made.artifact)) {
      removed.push(...(await deleteArtifact(clients, made.artifact)));
    }
  } catch (cleanup) {
    return withNote(
      error,
      `Removing what it made failed (${(cleanup as Error).message}); removed: ${removed.join(', ') || 'nothing'}.`,
      removeCommands(made),
      { removed },
    );
  }
  return withNote(error, `Nothing is kept: removed ${removed.join(', ') || 'nothing (already gone)'}.`, [], {
    removed,
  });
}

function describeMade(made: MadeResources): string[] {
  return [
    ...(made.endpoint ? [`endpoint ${made.endpoint}`] : []),
    ...(made.config ? [`endpoint config ${made.config}`] : []),
    ...(made.model ? [`model ${made.model}`] : []),
    ...(made.artifact ? [made.artifact] : []),
  ];
}

/** How to remove what is left: berth delete when there is an endpoint to find it by, else the AWS CLI. */
function removeCommands(made: MadeResources): string[] {
  if (made.endpoint) {
    return [
      `\`berth delete -t sagemaker --name ${made.endpoint}\` removes the endpoint, its config, model and model.tar.gz.`,
    ];
  }
  return [
    [
      made.config ? `aws sagemaker delete-endpoint-config --endpoint-config-name ${made.config}` : undefined,
      made.model ? `aws sagemaker delete-model --model-name ${made.model}` : undefined,
      made.artifact ? `aws s3 rm ${made.artifact}` : undefined,
    ]
      .filter((command) => command !== undefined)
      .join('; '),
  ].map((commands) => `Remove them with: ${commands}`);
}

function withNote(
  error: BerthError,
  note: string,
  suggestions: string[],
  details: Record<string, unknown>,
): BerthError {
  return new BerthError(`${error.message} ${note}`, {
    code: error.code,
    suggestions: [...error.suggestions, ...suggestions],
    details: { ...(error.details ?? {}), ...details },
    cause: error,
  });
}
