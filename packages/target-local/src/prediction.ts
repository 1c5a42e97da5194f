import { BerthError, type PredictionInput, PredictionsResponse, type PredictOptions } from '@berth/core';
import { authHeaders } from './auth-token.js';
import { type DeploymentContext, deploymentMissing, endpointMissing } from './deployment-context.js';
import type { TabularExplanation } from './explain.js';
import { errorFromBody, loopbackRequest, predictionPolicy } from './loopback-http.js';
import { encodePrediction, splitPrediction } from './prediction-input.js';
import { ensureDeploymentRunning, ensureEndpointRunning } from './recovery.js';

/**
 * Predictions through a deployment's or an endpoint's `/invocations`: one request, a batch split
 * into consecutive requests, or Shapley attributions computed through it (`explain.ts`). A
 * deployment or endpoint without its supervisor is recovered first.
 */

/** Extra predict options of the local target. */
export interface LocalPredictOptions extends PredictOptions {
  /** `predictStream`: rows per request (default 1000). */
  chunkSize?: number;
  /** `explain`: background rows (scoring-protocol input); default: the explained rows themselves. */
  background?: PredictionInput;
}

/** Where a prediction goes, with the token the deployment or endpoint asks for. */
interface Invocations {
  url: string;
  headers: Record<string, string>;
}

async function invocationsOf(
  context: DeploymentContext,
  deploymentName: string | undefined,
  endpoint: string | undefined,
): Promise<Invocations> {
  if ((deploymentName === undefined) === (endpoint === undefined)) {
    throw BerthError.invalidParameterValue('Give exactly one of a deployment name or an endpoint.');
  }
  const store = await context.store();
  if (endpoint !== undefined) {
    const record = store.endpoints.get(endpoint);
    if (!record) throw endpointMissing(endpoint);
    const running = await ensureEndpointRunning(context, store, record);
    if (!running.url)
      throw new BerthError(`Endpoint '${endpoint}' has no address.`, { code: 'TEMPORARILY_UNAVAILABLE' });
    return { url: `${running.url}/invocations`, headers: await authHeaders(running.config) };
  }
  const record = store.deployments.get(deploymentName as string);
  if (!record) throw deploymentMissing(deploymentName as string);
  const running = await ensureDeploymentRunning(context, store, record, true);
  if (!running.url) {
    throw new BerthError(`Deployment '${running.name}' is ${running.state} and has no address.`, {
      code: 'TEMPORARILY_UNAVAILABLE',
    });
  }
  return { url: `${running.url}/invocations`, headers: await authHeaders(running.config) };
}

/** One `/invocations` request; the server's MLflow error becomes a BerthError with its code. */
async function invoke(
  { url, headers }: Invocations,
  inputs: PredictionInput,
  params?: Record<string, unknown>,
): Promise<PredictionsResponse> {
  const { body, contentType } = encodePrediction(inputs, params);
  let answer: Awaited<ReturnType<typeof loopbackRequest>>;
  try {
    answer = await loopbackRequest(
      url,
      { method: 'POST', headers: { ...headers, 'content-type': contentType }, body },
      predictionPolicy(),
    );
  } catch (cause) {
    throw new BerthError(`Could not reach ${url}: ${(cause as Error).message}`, {
      code: BerthError.isInstance(cause) ? cause.code : 'TEMPORARILY_UNAVAILABLE',
      cause,
    });
  }
  if (answer.status !== 200) {
    const { code, message } = errorFromBody(answer.text);
    throw new BerthError(message, { code: code ?? (answer.status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST') });
  }
  return PredictionsResponse.fromJSON(answer.text);
}

export async function predict(
  context: DeploymentContext,
  deploymentName: string | undefined,
  inputs: PredictionInput,
  options: PredictOptions,
): Promise<PredictionsResponse> {
  const url = await invocationsOf(context, deploymentName, options.endpoint);
  return invoke(url, inputs, options.params);
}

/** A large batch sent as consecutive requests of `chunkSize` rows; one `{predictions}` chunk per request. */
export async function* predictStream(
  context: DeploymentContext,
  deploymentName: string | undefined,
  inputs: PredictionInput,
  options: LocalPredictOptions,
): AsyncIterable<Record<string, unknown>> {
  const size = options.chunkSize ?? 1000;
  if (!Number.isInteger(size) || size < 1)
    throw BerthError.invalidParameterValue('chunkSize must be a positive integer.');
  const url = await invocationsOf(context, deploymentName, options.endpoint);
  for (const part of splitPrediction(inputs, size)) {
    const response = await invoke(url, part, options.params);
    yield { predictions: response.predictions };
  }
}

/**
 * Model-agnostic Shapley attributions for tabular input: for each row, the contribution of each
 * feature to the predicted class's score, against a background sample.
 */
export async function explain(
  context: DeploymentContext,
  deploymentName: string | undefined,
  inputs: PredictionInput,
  options: LocalPredictOptions,
): Promise<TabularExplanation> {
  const url = await invocationsOf(context, deploymentName, options.endpoint);
  const { explainTabular, toTable } = await import('./explain.js');
  let background = options.background;
  if (background === undefined && toTable(inputs).rows.length < 2) {
    // One row is its own background (all attributions 0): compare it with the model's input example
    // instead — through an endpoint, the example of its most weighted member.
    const store = await context.store();
    const traffic = deploymentName === undefined ? store.endpoints.get(options.endpoint ?? '')?.traffic : undefined;
    const member =
      deploymentName ?? (traffic ? Object.entries(traffic).sort(([, a], [, b]) => b - a)[0]?.[0] : undefined);
    const record = member === undefined ? undefined : store.deployments.get(member);
    const example = record ? (await context.inspect(record.modelDirectory, record.flavor)).example : undefined;
    if (example !== undefined) background = JSON.parse(example) as PredictionInput;
  }
  return explainTabular(inputs, background, (body) => invoke(url, body, options.params));
}
