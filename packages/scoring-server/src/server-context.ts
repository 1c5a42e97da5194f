import type { ModelInput } from '@berth/model';
import type { Logger } from 'pino';
import type { ServerMetrics } from './metrics.js';
import type { RunOutcome } from './model-runner.js';
import { DeadlineExceeded } from './scoring-errors.js';
import type { ServingModel } from './serving-model.js';

export interface SwapResult {
  modelUri: string;
  flavor: string;
  loadedAt: string;
}

/** What the route modules share: the current model, settings, metrics, and the swap operation. */
export interface ServerContext {
  readonly version: string;
  readonly modelName: string;
  readonly modelVersion: string | undefined;
  readonly timeoutSeconds: number;
  readonly controlToken: string | undefined;
  readonly startedAt: Date;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly modelModule: typeof import('@berth/model');
  current(): ServingModel;
  isReady(): boolean;
  requestsServed(): number;
  /** Counts one answered request (for /-/berth/status). */
  countRequest(): void;
  swap(modelUri: string, flavor?: string): Promise<SwapResult>;
}

/**
 * Runs one prediction on the current model under the request deadline. The model's lease lasts
 * until the run settles (even after a 504), so a swap never closes a pool under a running task.
 */
export function predictWithDeadline(
  context: ServerContext,
  slot: ServingModel,
  input: ModelInput,
  params: Record<string, unknown> | undefined,
): Promise<RunOutcome> {
  const controller = new AbortController();
  slot.acquire();
  const run = slot.predict(input, params, controller.signal);
  run.then(
    (outcome) => {
      slot.release();
      context.metrics.inferenceDuration.observe({ mode: outcome.mode }, outcome.ms / 1000);
    },
    () => slot.release(),
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DeadlineExceeded(context.timeoutSeconds));
    }, context.timeoutSeconds * 1000);
  });
  return Promise.race([run, deadline]).finally(() => clearTimeout(timer));
}
