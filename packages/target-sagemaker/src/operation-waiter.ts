import { BerthError, type OperationOptions } from '@berth/core';

/**
 * Waiting for SageMaker, as MLflow's `_SageMakerOperation.await_completion` does: poll a status
 * function every 5 s until it is no longer in progress or the time is up. Berth reports every poll
 * through `onProgress` (spec 1.1: the message says what SageMaker says, `elapsedMs` how long it has
 * been; hosts throttle and show the elapsed time), and stops waiting when the caller's signal aborts,
 * saying what goes on in AWS.
 */

export type OperationState = 'in progress' | 'succeeded' | 'failed' | 'timed out';

export interface OperationStatus {
  state: OperationState;
  message: string;
  /** SageMaker's own status (`Creating`, `InService`, `Failed`…), when known. */
  backendState?: string;
}

export interface WaitOptions extends OperationOptions {
  timeoutSeconds: number;
  /** Shown before the state: "Creating endpoint 'iris'". */
  label: string;
  interruptHint: string;
  pollIntervalMs?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 5000;

/** `BERTH_SAGEMAKER_POLL_SECONDS` shortens the 5 s poll (loopback test servers answer at once). */
export function pollIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.BERTH_SAGEMAKER_POLL_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : DEFAULT_POLL_INTERVAL_MS;
}

export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

export async function awaitCompletion(
  check: () => Promise<OperationStatus>,
  options: WaitOptions,
): Promise<OperationStatus> {
  const interval = options.pollIntervalMs ?? pollIntervalMs();
  const started = Date.now();
  const deadline = started + options.timeoutSeconds * 1000;
  for (;;) {
    throwIfAborted(options);
    const status = await check();
    const elapsedMs = Date.now() - started;
    if (status.state !== 'in progress') return status;
    options.onProgress?.({
      message: `${options.label}: ${status.message}`,
      ...(status.backendState === undefined ? {} : { state: status.backendState }),
      elapsedMs,
      interruptHint: options.interruptHint,
    });
    if (Date.now() + interval > deadline) {
      return {
        state: 'timed out',
        message: `Timed out after waiting ${options.timeoutSeconds} seconds for the operation to complete. This operation may still be in progress. Please check the AWS console for more information.`,
        ...(status.backendState === undefined ? {} : { backendState: status.backendState }),
      };
    }
    await sleep(interval, options.signal);
  }
}

function throwIfAborted(options: WaitOptions): void {
  if (!options.signal?.aborted) return;
  throw new BerthError(`Stopped waiting: ${options.label}. ${options.interruptHint}`, { code: 'CANCELLED' });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * MLflow raises for every end state but success when synchronous: "The deployment operation
 * failed with the following error message: …". A time-out keeps the message and gets
 * DEADLINE_EXCEEDED, so a script can tell it from a failure (the operation may still finish).
 */
export function operationError(
  operation: 'deployment' | 'deletion' | 'endpoint',
  status: OperationStatus,
  suggestions: string[] = [],
): BerthError {
  return new BerthError(`The ${operation} operation failed with the following error message: "${status.message}"`, {
    code: status.state === 'timed out' ? 'DEADLINE_EXCEEDED' : 'INTERNAL_ERROR',
    suggestions,
    details: { state: status.state, ...(status.backendState ? { sagemakerStatus: status.backendState } : {}) },
  });
}
