import type { ModelInput } from '@berth/model';
import type { Logger } from 'pino';
import { deadlineQueue } from './deadline-queue.js';
import type { ServerMetrics } from './metrics.js';
import { Cancellation, type RunOutcome, type ScoreOutcome } from './model-runner.js';
import { DeadlineExceeded } from './scoring-errors.js';
import type { ServingModel } from './serving-model.js';

export interface SwapResult {
  modelUri: string;
  flavor: string;
  loadedAt: string;
}

/** What the routes share: the current model, settings, metrics, and the swap operation. */
export interface ServerContext {
  readonly version: string;
  readonly modelName: string;
  readonly modelVersion: string | undefined;
  readonly timeoutSeconds: number;
  /** Error answers carry `stack_trace` (the `debug` option). */
  readonly stackTraces: boolean;
  readonly controlToken: string | undefined;
  /** Checks an Authorization header when the server requires a token (authToken), else undefined. */
  readonly authorized: ((header: string | undefined) => boolean) | undefined;
  readonly startedAt: Date;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly modelModule: typeof import('@berth/model');
  current(): ServingModel;
  isReady(): boolean;
  /** Requests answered since the start (for /-/berth/status). */
  requestsServed(): number;
  swap(modelUri: string, flavor?: string): Promise<SwapResult>;
}

/**
 * Runs one prediction on the current model under the request deadline. The model's lease lasts
 * until the run settles (even after a 504), so a swap never closes a pool under a running task.
 * No AbortController per request (measurable on the hot path): the runner creates one only for
 * work it sends to a worker, from this cheap cancellation.
 */
export function predictWithDeadline(
  context: ServerContext,
  slot: ServingModel,
  input: ModelInput,
  params: Record<string, unknown> | undefined,
): Promise<RunOutcome> {
  const cancellation = new Cancellation();
  slot.acquire();
  const run = slot.predict(input, params, cancellation);
  return new Promise<RunOutcome>((resolve, reject) => {
    const deadline = deadlineQueue(context.timeoutSeconds * 1000).add(() => {
      cancellation.cancel();
      reject(new DeadlineExceeded(context.timeoutSeconds));
    });
    run.then(
      (outcome) => {
        deadline.settle();
        slot.release();
        context.metrics.observeInference(outcome.mode, outcome.ms / 1000);
        resolve(outcome);
      },
      (error: unknown) => {
        deadline.settle();
        slot.release();
        reject(error);
      },
    );
  });
}

/** A whole request scored in a worker (large bodies), under the deadline and the model lease. */
export function scoreWithDeadline(
  context: ServerContext,
  slot: ServingModel,
  body: Uint8Array,
  format: 'json' | 'csv',
): Promise<ScoreOutcome> {
  const cancellation = new Cancellation();
  slot.acquire();
  const run = slot.runner.scoreInWorker(body, format, cancellation);
  return new Promise<ScoreOutcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      cancellation.cancel();
      reject(new DeadlineExceeded(context.timeoutSeconds));
    }, context.timeoutSeconds * 1000);
    run.then(
      (outcome) => {
        clearTimeout(timer);
        slot.release();
        if (outcome.ok) context.metrics.observeInference('worker', outcome.ms / 1000);
        resolve(outcome);
      },
      (error: unknown) => {
        clearTimeout(timer);
        slot.release();
        reject(error);
      },
    );
  });
}
