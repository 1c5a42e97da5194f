/**
 * Piscina worker: loads the model once (through @berth/model, the same code as the main thread)
 * and runs predictions. onnxruntime-node's `run` blocks its thread, so it blocks this one instead
 * of the HTTP event loop. Errors travel back as data, because structured cloning an Error drops the
 * `code` that decides the HTTP status.
 */
import { workerData } from 'node:worker_threads';
import {
  describeInput,
  type LoadedModel,
  loadModel,
  ModelEvaluationError,
  type ModelInput,
  parseScoringRequest,
  predictionsToJSON,
} from '@berth/model';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { SerializedError, WorkerData, WorkerResult, WorkerTask } from './worker-protocol.js';

const data = workerData as WorkerData;
let modelPromise: Promise<LoadedModel> | undefined;

function model(): Promise<LoadedModel> {
  modelPromise ??= loadModel(data.directory, { flavor: data.flavor, allowCode: data.allowCode });
  return modelPromise;
}

export default async function runTask(task: WorkerTask): Promise<WorkerResult> {
  // piscina delivers a moved result as its value; the type stays WorkerResult for the caller.
  if (task.kind === 'score') return score(task.body, task.format);
  try {
    const loaded = await model();
    if (task.kind === 'ready' && task.input === undefined) return { ok: true, ms: 0 };
    const start = performance.now();
    const output = await loaded.predict(task.input as ModelInput, task.params);
    return { ok: true, output, ms: performance.now() - start };
  } catch (error) {
    return { ok: false, error: serialize(error) };
  }
}

async function score(bytes: Uint8Array, format: 'json' | 'csv'): Promise<WorkerResult> {
  let loaded: LoadedModel;
  let request: ReturnType<typeof parseScoringRequest>;
  try {
    loaded = await model();
    request = parseScoringRequest(bytes, format, loaded.signature);
  } catch (error) {
    return { ok: false, error: serialize(error), phase: 'parse' };
  }
  try {
    const start = performance.now();
    const output = await loaded.predict(request.input, request.params);
    const ms = performance.now() - start;
    // UTF-8 bytes in a buffer of their own, moved (not copied) to the main thread, which writes
    // them to the socket as they are.
    const json = Buffer.from(predictionsToJSON(output), 'utf8');
    const result: WorkerResult = { ok: true, json, ms };
    if (json.byteOffset !== 0 || json.byteLength !== json.buffer.byteLength) return result;
    return move({ [transferableSymbol]: json.buffer, [valueSymbol]: result }) as unknown as WorkerResult;
  } catch (error) {
    return { ok: false, error: serialize(error), phase: 'predict', inputDescription: describeInput(request.input) };
  }
}

function serialize(error: unknown): SerializedError {
  const record = error as { code?: unknown; message?: unknown; stack?: unknown; name?: unknown };
  const berth =
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[Symbol.for('berth.error')] === true;
  return {
    berth,
    evaluation: ModelEvaluationError.isInstance(error),
    code: typeof record?.code === 'string' ? record.code : undefined,
    message: typeof record?.message === 'string' ? record.message : String(error),
    stack: typeof record?.stack === 'string' ? record.stack : undefined,
    details: berth ? ((error as { details?: Record<string, unknown> }).details ?? undefined) : undefined,
  };
}
