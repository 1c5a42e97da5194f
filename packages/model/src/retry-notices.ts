import { AsyncLocalStorage } from 'node:async_hooks';
import type { ProgressEvent } from '@berth/core';

/**
 * Where a model download says what it waits for: the `onProgress` a caller gave
 * `resolveModelUri`, held for the download's async calls so that the HTTP layer several calls
 * down reaches it without every function in between passing it on.
 */
const sinks = new AsyncLocalStorage<(event: ProgressEvent) => void>();

export function withProgressSink<T>(
  onProgress: ((event: ProgressEvent) => void) | undefined,
  work: () => Promise<T>,
): Promise<T> {
  return onProgress ? sinks.run(onProgress, work) : work();
}

/** The current download's `onProgress`, if its caller gave one. */
export function progressSink(): ((event: ProgressEvent) => void) | undefined {
  return sinks.getStore();
}
