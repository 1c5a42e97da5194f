import { join } from 'node:path';
import { BerthError, type OperationOptions } from '@berth/core';
import type { InspectedModel } from './model-inspection.js';
import type { StateStore } from './state/state-store.js';

/**
 * What the job modules of the local target share: the state directory and its store, model
 * inspection, background work a client must finish before it closes, the notice hook, the timing
 * constants and the errors every job raises the same way.
 */

/** How long a stopped process may drain in-flight requests before SIGKILL. */
export const DRAIN_MS = 10_000;
/** One update at a time per deployment: the lease outlives a killed CLI by at most this. */
export const UPDATE_LEASE_MS = 10 * 60_000;

/** Something worth telling the user that is not an error (a remote bind, traffic that moved). */
export type Notify = (message: string) => void;

/** The `onProgress` hook of an operation's options, as a notice sink. */
export function noticesFrom(options: OperationOptions): Notify {
  const { onProgress } = options;
  return onProgress ? (message) => onProgress({ message }) : () => undefined;
}

export class DeploymentContext {
  private storePromise: Promise<StateStore> | undefined;
  /** Recoveries started without waiting (by list/get); `close` lets them finish first. */
  private readonly background = new Set<Promise<unknown>>();

  constructor(readonly stateDirectory: string) {}

  store(): Promise<StateStore> {
    this.storePromise ??= import('./state/state-store.js').then(({ openStateStore }) =>
      openStateStore(this.stateDirectory),
    );
    return this.storePromise;
  }

  /** Resolves and validates a model (lazily loads @berth/model); remote models land in `<state>/models`. */
  async inspect(
    modelUri: string,
    flavor: string | undefined,
    onProgress?: OperationOptions['onProgress'],
  ): Promise<InspectedModel> {
    const { inspectModel } = await import('./model-inspection.js');
    return inspectModel(modelUri, flavor, join(this.stateDirectory, 'models'), onProgress);
  }

  /** Keeps `work` (started without waiting) from being cut off by `close`. */
  track(work: Promise<unknown>): void {
    this.background.add(work);
    void work.finally(() => this.background.delete(work)).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.background]);
    if (this.storePromise) (await this.storePromise.catch(() => undefined))?.close();
    this.storePromise = undefined;
  }
}

export function seconds(value: number | undefined, fallback: number): number {
  return Math.round((value ?? fallback) * 1000);
}

export function deploymentMissing(name: string): BerthError {
  return new BerthError(`Deployment '${name}' does not exist.`, {
    code: 'RESOURCE_DOES_NOT_EXIST',
    suggestions: ["List deployments with 'berth list -t local'."],
  });
}

export function endpointMissing(name: string): BerthError {
  return new BerthError(`Endpoint '${name}' does not exist.`, {
    code: 'RESOURCE_DOES_NOT_EXIST',
    suggestions: ["List endpoints with 'berth list-endpoints -t local'."],
  });
}

/** The js flavor runs the model directory's own code: only with `-C allow_code=true`. */
export function requireCodeAllowed(name: string, flavor: string, allowCode: boolean | undefined): void {
  if (flavor !== 'js' || allowCode === true) return;
  throw new BerthError(
    `Deployment '${name}' would run model code: the 'js' flavor executes the model's own JavaScript, which is off unless allowed.`,
    { code: 'PERMISSION_DENIED', suggestions: ['Pass -C allow_code=true if you trust this model.'] },
  );
}
