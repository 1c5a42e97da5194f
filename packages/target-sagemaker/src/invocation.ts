import { randomUUID } from 'node:crypto';
import { BerthError, type ErrorCode, type PredictionInput, PredictionsResponse } from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import { awsError, errorName, isNotFound } from './aws-errors.js';
import { parseS3Url } from './model-upload.js';
import { pollIntervalMs } from './operation-waiter.js';
import { describeEndpoint, describeEndpointConfig } from './sagemaker-resources.js';

/**
 * Calling a deployed model: InvokeEndpoint (predict), InvokeEndpointWithResponseStream
 * (predictStream), InvokeEndpoint with EnableExplanations (explain, where the endpoint has a Clarify
 * explainer), and InvokeEndpointAsync plus polling the output in S3 (predict on an
 * asynchronous-inference endpoint).
 */

export interface InvocationTarget {
  endpointName: string;
  /** A production variant of the endpoint (`predict --name variant --endpoint endpoint`). */
  targetVariant?: string;
}

export interface InvocationOptions {
  params?: Record<string, unknown>;
  /** Async-inference endpoints: how long to wait for the answer in S3 (default 600 s). */
  asyncTimeoutSeconds?: number;
  /** Streaming: rows per streamed answer line (Berth's image reads it from the custom attributes). */
  chunkRows?: number;
  signal?: AbortSignal;
}

const PROTOCOL_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs', 'messages', 'prompt', 'input'];
const DEFAULT_ASYNC_TIMEOUT_SECONDS = 600;
const MAX_ASYNC_POLL_MS = 2000;

/**
 * MLflow's `dump_input_data` for every Berth input shape: a scoring-protocol body is sent as is,
 * `{csv}` as text/csv, a list or typed array as `{"instances": …}`, any other object (a dict of
 * columns, MLflow's broken dict path) as `{"instances": {…}}`, a string verbatim; `params` go in as
 * a top-level `"params"` key.
 */
export function encodeInput(
  inputs: PredictionInput | unknown,
  params: Record<string, unknown> | undefined,
): { body: string; contentType: string } {
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    throw BerthError.invalidParameterValue(`Params must be a dictionary. Got type '${describeType(params)}'.`);
  }
  if (isCsv(inputs)) {
    if (params !== undefined) {
      throw BerthError.invalidParameterValue('params cannot be sent with CSV input; send JSON to pass params.');
    }
    return { body: inputs.csv, contentType: 'text/csv' };
  }
  let body: Record<string, unknown>;
  if (typeof inputs === 'string') {
    if (params === undefined) return { body: inputs, contentType: 'application/json' };
    body = parseJsonObject(inputs);
  } else if (Array.isArray(inputs) || ArrayBuffer.isView(inputs)) {
    body = { instances: inputs };
  } else if (typeof inputs === 'object' && inputs !== null) {
    const object = inputs as Record<string, unknown>;
    body = PROTOCOL_KEYS.some((key) => Object.hasOwn(object, key)) ? object : { instances: object };
  } else {
    throw BerthError.invalidParameterValue(
      `Prediction input must be a scoring-protocol object, a list, a dict of columns, {csv} or a JSON string; got ${describeType(inputs)}.`,
    );
  }
  if (params !== undefined) body = { ...body, params: { ...(body.params as object | undefined), ...params } };
  return { body: JSON.stringify(body, typedArraysAsLists), contentType: 'application/json' };
}

function isCsv(inputs: unknown): inputs is { csv: string } {
  return typeof inputs === 'object' && inputs !== null && typeof (inputs as { csv?: unknown }).csv === 'string';
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value;
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
    return { instances: parsed };
  } catch (cause) {
    throw BerthError.invalidParameterValue(
      'The prediction input string is not JSON, so params cannot be added to it.',
      {
        cause,
      },
    );
  }
}

function typedArraysAsLists(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView)
    ? Array.from(value as unknown as ArrayLike<number>)
    : value;
}

export async function predict(
  clients: AwsClients,
  target: InvocationTarget,
  inputs: PredictionInput,
  options: InvocationOptions = {},
): Promise<PredictionsResponse> {
  const { body, contentType } = encodeInput(inputs, options.params);
  const { client, sdk } = await clients.runtime();
  let answer: { Body?: Uint8Array; ContentType?: string };
  try {
    answer = await client.send(
      new sdk.InvokeEndpointCommand({
        EndpointName: target.endpointName,
        Body: new TextEncoder().encode(body),
        ContentType: contentType,
        Accept: 'application/json',
        ...(target.targetVariant ? { TargetVariant: target.targetVariant } : {}),
      }),
      options.signal ? { abortSignal: options.signal } : {},
    );
  } catch (error) {
    const name = errorName(error);
    if ((name === 'ValidationError' || name === 'ValidationException') && !isNotFound(error)) {
      const asyncConfig = await asyncInferenceConfigOf(clients, target.endpointName).catch(() => undefined);
      if (asyncConfig !== undefined) return predictAsync(clients, target, body, contentType, asyncConfig, options);
    }
    throw invocationError(error, target);
  }
  const text = new TextDecoder().decode(answer.Body ?? new Uint8Array());
  return predictionsFrom(text, answer.ContentType, target);
}

function predictionsFrom(text: string, contentType: string | undefined, target: InvocationTarget): PredictionsResponse {
  try {
    return PredictionsResponse.fromJSON(text);
  } catch (cause) {
    throw new BerthError(
      `The endpoint '${target.endpointName}' answered with something other than {"predictions": …} (content type ${contentType ?? 'unknown'}): ${text.slice(0, 200)}`,
      { code: 'INTERNAL_ERROR', cause },
    );
  }
}

/** The container's own error (ModelError carries its status and body) as the scoring server meant it. */
export function invocationError(error: unknown, target: InvocationTarget): BerthError {
  const what = `There was an error while getting model prediction from the SageMaker endpoint '${target.endpointName}'${
    target.targetVariant ? ` (variant ${target.targetVariant})` : ''
  }`;
  if (errorName(error) === 'ModelError') {
    const model = error as {
      OriginalStatusCode?: number;
      OriginalMessage?: string;
      LogStreamArn?: string;
      message?: string;
    };
    const scoring = scoringError(model.OriginalMessage);
    const status = model.OriginalStatusCode;
    return new BerthError(`${what}: ${scoring?.message ?? model.OriginalMessage ?? model.message}`, {
      code: scoring?.code ?? (status !== undefined && status < 500 ? 'BAD_REQUEST' : 'INTERNAL_ERROR'),
      cause: error,
      details: {
        ...(status === undefined ? {} : { modelStatusCode: status }),
        ...(model.LogStreamArn ? { logStreamArn: model.LogStreamArn } : {}),
      },
      suggestions: model.LogStreamArn ? [`The container's log: ${model.LogStreamArn}`] : [],
    });
  }
  return awsError(error, what);
}

function scoringError(body: string | undefined): { code: ErrorCode; message: string } | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { error_code?: unknown; message?: unknown };
    if (typeof parsed.error_code === 'string' && typeof parsed.message === 'string') {
      return { code: parsed.error_code as ErrorCode, message: parsed.message };
    }
  } catch {
    // Not MLflow's error JSON: the raw body is the message.
  }
  return undefined;
}

async function asyncInferenceConfigOf(
  clients: AwsClients,
  endpointName: string,
): Promise<{ outputPath: string } | undefined> {
  const endpoint = await describeEndpoint(clients, endpointName);
  if (!endpoint?.EndpointConfigName) return undefined;
  const config = await describeEndpointConfig(clients, endpoint.EndpointConfigName);
  const output = config?.AsyncInferenceConfig?.OutputConfig;
  if (!config?.AsyncInferenceConfig) return undefined;
  const outputPath = output?.S3OutputPath ?? output?.S3FailurePath;
  if (!outputPath) {
    throw new BerthError(`The asynchronous endpoint '${endpointName}' has no S3OutputPath to read answers from.`, {
      code: 'INVALID_STATE',
    });
  }
  return { outputPath };
}

/**
 * Asynchronous inference: the input goes to S3 beside the endpoint's outputs, InvokeEndpointAsync
 * queues it, and the answer (or the failure) appears at the locations SageMaker names. The input
 * object is removed afterwards; the output stays where SageMaker wrote it.
 */
async function predictAsync(
  clients: AwsClients,
  target: InvocationTarget,
  body: string,
  contentType: string,
  config: { outputPath: string },
  options: InvocationOptions,
): Promise<PredictionsResponse> {
  const output = parseS3Url(config.outputPath);
  if (output === undefined) {
    throw new BerthError(`Cannot read the S3OutputPath ${config.outputPath} of '${target.endpointName}'.`, {
      code: 'INVALID_STATE',
    });
  }
  const inferenceId = randomUUID();
  const inputKey = `${output.key.replace(/\/+$/, '')}/berth-async-inputs/${inferenceId}.json`.replace(/^\/+/, '');
  const s3 = await clients.s3();
  try {
    await s3.client.send(
      new s3.sdk.PutObjectCommand({ Bucket: output.bucket, Key: inputKey, Body: body, ContentType: contentType }),
    );
  } catch (error) {
    throw awsError(error, `Could not upload the async-inference input to s3://${output.bucket}/${inputKey}`);
  }
  try {
    const { client, sdk } = await clients.runtime();
    let queued: { OutputLocation?: string; FailureLocation?: string };
    try {
      queued = await client.send(
        new sdk.InvokeEndpointAsyncCommand({
          EndpointName: target.endpointName,
          InputLocation: `s3://${output.bucket}/${inputKey}`,
          ContentType: contentType,
          Accept: 'application/json',
          InferenceId: inferenceId,
        }),
      );
    } catch (error) {
      throw invocationError(error, target);
    }
    if (!queued.OutputLocation) {
      throw new BerthError(`InvokeEndpointAsync on '${target.endpointName}' answered without an OutputLocation.`, {
        code: 'INTERNAL_ERROR',
      });
    }
    const text = await awaitAsyncAnswer(clients, target, queued.OutputLocation, queued.FailureLocation, options);
    return predictionsFrom(text, 'application/json', target);
  } finally {
    try {
      await s3.client.send(new s3.sdk.DeleteObjectCommand({ Bucket: output.bucket, Key: inputKey }));
    } catch {
      // The answer is what matters; a left-over input object is harmless.
    }
  }
}

async function awaitAsyncAnswer(
  clients: AwsClients,
  target: InvocationTarget,
  outputLocation: string,
  failureLocation: string | undefined,
  options: InvocationOptions,
): Promise<string> {
  const timeoutSeconds =
    options.asyncTimeoutSeconds ??
    (Number(process.env.BERTH_SAGEMAKER_ASYNC_TIMEOUT_SECONDS) || DEFAULT_ASYNC_TIMEOUT_SECONDS);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const interval = Math.min(pollIntervalMs(), MAX_ASYNC_POLL_MS);
  for (;;) {
    const answer = await readObject(clients, outputLocation);
    if (answer !== undefined) return answer;
    const failure = failureLocation === undefined ? undefined : await readObject(clients, failureLocation);
    if (failure !== undefined) {
      const scoring = scoringError(failure);
      throw new BerthError(
        `The asynchronous inference on '${target.endpointName}' failed: ${scoring?.message ?? failure.slice(0, 500)}`,
        { code: scoring?.code ?? 'INTERNAL_ERROR', details: { failureLocation } },
      );
    }
    if (options.signal?.aborted) {
      throw new BerthError(`Stopped waiting for the asynchronous answer; SageMaker writes it to ${outputLocation}.`, {
        code: 'CANCELLED',
      });
    }
    if (Date.now() + interval > deadline) {
      throw new BerthError(
        `No asynchronous answer from '${target.endpointName}' after ${timeoutSeconds} s; SageMaker will write it to ${outputLocation}.`,
        {
          code: 'DEADLINE_EXCEEDED',
          suggestions: ['Set BERTH_SAGEMAKER_ASYNC_TIMEOUT_SECONDS to wait longer, or read the output location later.'],
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

async function readObject(clients: AwsClients, url: string): Promise<string | undefined> {
  const location = parseS3Url(url);
  if (location === undefined)
    throw new BerthError(`Cannot read ${url}: not an S3 location.`, { code: 'INTERNAL_ERROR' });
  const { client, sdk } = await clients.s3();
  try {
    const object = await client.send(new sdk.GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (isNotFound(error) || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
      return undefined;
    }
    throw awsError(error, `Could not read ${url}`);
  }
}

/**
 * InvokeEndpointWithResponseStream: chunks are yielded as their PayloadParts arrive. Berth's image
 * streams JSON Lines (`{"predictions": […]}` per slice of rows, `{"error_code", "message"}` when the
 * model fails mid-stream); a part may end mid-line, so lines are reassembled before parsing.
 */
export async function* predictStream(
  clients: AwsClients,
  target: InvocationTarget,
  inputs: PredictionInput,
  options: InvocationOptions = {},
): AsyncGenerator<Record<string, unknown>> {
  const { body, contentType } = encodeInput(inputs, options.params);
  const { client, sdk } = await clients.runtime();
  let answer: { Body?: AsyncIterable<Record<string, unknown>> };
  try {
    answer = (await client.send(
      new sdk.InvokeEndpointWithResponseStreamCommand({
        EndpointName: target.endpointName,
        Body: new TextEncoder().encode(body),
        ContentType: contentType,
        Accept: 'application/jsonlines',
        ...(target.targetVariant ? { TargetVariant: target.targetVariant } : {}),
        ...(options.chunkRows ? { CustomAttributes: `chunk_rows=${options.chunkRows}` } : {}),
      }),
      options.signal ? { abortSignal: options.signal } : {},
    )) as never;
  } catch (error) {
    throw invocationError(error, target);
  }
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for await (const event of answer.Body ?? []) {
      const failure = (event.ModelStreamError ?? event.InternalStreamFailure) as
        | { Message?: string; ErrorCode?: string }
        | undefined;
      if (failure) throw streamError(target, failure.Message, failure.ErrorCode);
      const part = event.PayloadPart as { Bytes?: Uint8Array } | undefined;
      if (!part?.Bytes) continue;
      pending += decoder.decode(part.Bytes, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const chunk = parseLine(line, target);
        if (chunk !== undefined) yield chunk;
        newline = pending.indexOf('\n');
      }
    }
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    const name = errorName(error);
    if (name === 'ModelStreamError' || name === 'InternalStreamFailure') {
      throw streamError(target, (error as Error).message, (error as { ErrorCode?: string }).ErrorCode);
    }
    throw invocationError(error, target);
  }
  const last = parseLine(pending + decoder.decode(), target);
  if (last !== undefined) yield last;
}

function parseLine(line: string, target: InvocationTarget): Record<string, unknown> | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { data: text };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { data: parsed };
  const record = parsed as Record<string, unknown>;
  if (typeof record.error_code === 'string' && typeof record.message === 'string' && !('predictions' in record)) {
    throw new BerthError(`The model's stream from '${target.endpointName}' failed: ${record.message}`, {
      code: record.error_code,
    });
  }
  return record;
}

function streamError(target: InvocationTarget, message: string | undefined, code: string | undefined): BerthError {
  return new BerthError(
    `The response stream from the SageMaker endpoint '${target.endpointName}' failed: ${message ?? 'no message'}${
      code ? ` (${code})` : ''
    }`,
    { code: 'INTERNAL_ERROR', details: code ? { modelErrorCode: code } : {} },
  );
}

/**
 * SageMaker Clarify's online explainability: InvokeEndpoint with EnableExplanations, on an endpoint
 * whose config has an ExplainerConfig. Without one SageMaker cannot explain, and the error says how
 * to add it.
 */
export async function explain(
  clients: AwsClients,
  target: InvocationTarget,
  inputs: PredictionInput,
  options: InvocationOptions = {},
): Promise<unknown> {
  const endpoint = await describeEndpoint(clients, target.endpointName);
  if (endpoint === undefined) {
    throw new BerthError(`There is no SageMaker endpoint '${target.endpointName}' in ${clients.region}.`, {
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  }
  const config = endpoint.EndpointConfigName
    ? await describeEndpointConfig(clients, endpoint.EndpointConfigName)
    : undefined;
  if (!config?.ExplainerConfig?.ClarifyExplainerConfig) {
    throw new BerthError(
      `The endpoint '${target.endpointName}' has no SageMaker Clarify explainer config (ExplainerConfig on its endpoint config), so SageMaker cannot explain its predictions.`,
      {
        code: 'NOT_IMPLEMENTED',
        suggestions: [
          `Update it with one: berth update -t sagemaker --name ${target.endpointName} -m <model> -C explainer_config='{"ClarifyExplainerConfig":{"ShapConfig":{"ShapBaselineConfig":{"ShapBaseline":"…"}}}}'.`,
        ],
      },
    );
  }
  const { body, contentType } = encodeInput(inputs, options.params);
  const { client, sdk } = await clients.runtime();
  try {
    const answer = await client.send(
      new sdk.InvokeEndpointCommand({
        EndpointName: target.endpointName,
        Body: new TextEncoder().encode(body),
        ContentType: contentType,
        Accept: 'application/json',
        EnableExplanations: '`true`',
        ...(target.targetVariant ? { TargetVariant: target.targetVariant } : {}),
      }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    const text = new TextDecoder().decode(answer.Body ?? new Uint8Array());
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  } catch (error) {
    throw invocationError(error, target);
  }
}
