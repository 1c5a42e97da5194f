import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { OperationStore } from './operation-store.js';

function deferred() {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

const store = (options: Partial<ConstructorParameters<typeof OperationStore>[0]> = {}) =>
  new OperationStore({ retentionMs: 60_000, maxFinished: 100, ...options });

describe('OperationStore', () => {
  it('runs an operation to its result, counting revisions and keeping progress events', async () => {
    const operations = store();
    const gate = deferred();
    const { operation } = operations.start({
      kind: 'createDeployment',
      resource: { type: 'deployment', name: 'a' },
      run: async ({ onProgress }) => {
        onProgress({ message: 'one', state: 'starting', interruptHint: 'it goes on' });
        await gate.promise;
        onProgress({ message: 'two' });
        return { name: 'a' };
      },
    });
    expect(operations.inFlight).toBe(1);
    await expect.poll(() => operation.revision).toBe(1);
    expect(operation.toJSON()).toMatchObject({ state: 'running', progress: { message: 'one', state: 'starting' } });
    expect(operation.interruptHint).toBe('it goes on');
    gate.resolve(undefined);
    await operation.done;
    expect(operation.toJSON()).toMatchObject({ state: 'succeeded', revision: 3, result: { name: 'a' }, error: null });
    expect(operation.toJSON().events.map((event) => event.seq)).toEqual([1, 2]);
    expect(operations.inFlight).toBe(0);
  });

  it('refuses a second operation on a busy resource, and frees it when the first ends', async () => {
    const operations = store();
    const gate = deferred();
    const first = operations.start({
      kind: 'createDeployment',
      resource: { type: 'deployment', name: 'a' },
      run: () => gate.promise,
    });
    expect(() =>
      operations.start({
        kind: 'createDeployment',
        resource: { type: 'deployment', name: 'a' },
        run: async () => null,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'RESOURCE_ALREADY_EXISTS',
        details: { operationId: first.operation.id, operationKind: 'createDeployment' },
      }),
    );
    expect(() =>
      operations.start({
        kind: 'deleteDeployment',
        resource: { type: 'deployment', name: 'a' },
        run: async () => null,
      }),
    ).toThrow(expect.objectContaining({ code: 'RESOURCE_CONFLICT' }));
    // Another resource, or an endpoint of the same name, is free.
    operations.start({ kind: 'createEndpoint', resource: { type: 'endpoint', name: 'a' }, run: async () => null });
    gate.reject(new BerthError('nope', { code: 'INVALID_PARAMETER_VALUE', suggestions: ['fix it'] }));
    await first.operation.done;
    expect(first.operation.toJSON().error).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'nope',
      suggestions: ['fix it'],
    });
    expect(() =>
      operations.start({
        kind: 'createDeployment',
        resource: { type: 'deployment', name: 'a' },
        run: async () => null,
      }),
    ).not.toThrow();
  });

  it('wait resolves on finish, on a revision change, on timeout and on abort', async () => {
    const operations = store();
    const gate = deferred();
    const { operation } = operations.start({
      kind: 'updateDeployment',
      resource: { type: 'deployment', name: 'w' },
      run: async ({ onProgress }) => {
        await gate.promise;
        onProgress({ message: 'moved' });
        await new Promise(() => undefined); // never ends by itself
      },
    });
    const started = Date.now();
    await operation.wait(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    const controller = new AbortController();
    const aborted = operation.wait(30_000, undefined, controller.signal);
    controller.abort();
    await aborted;
    const changed = operation.wait(30_000, operation.revision);
    gate.resolve(undefined);
    await changed;
    expect(operation.toJSON().progress?.message).toBe('moved');
    // An old revision answers at once.
    await operation.wait(30_000, 0);
  });

  it('cancel aborts the signal once', async () => {
    const operations = store();
    const { operation } = operations.start({
      kind: 'createDeployment',
      resource: { type: 'deployment', name: 'c' },
      run: ({ signal }) =>
        new Promise((_resolve, reject) => {
          // Run starts on a later tick, after the cancel below: a target checks `aborted` first.
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    });
    operation.requestCancel();
    operation.requestCancel();
    await operation.done;
    expect(operation.toJSON()).toMatchObject({
      state: 'failed',
      cancelRequested: true,
      error: { error_code: 'CANCELLED' },
    });
  });

  it('replays an idempotency key, and forgets finished operations after the retention or beyond the cap', async () => {
    const operations = store({ maxFinished: 2 });
    const first = operations.start({
      kind: 'createDeployment',
      resource: { type: 'deployment', name: 'i' },
      idempotencyKey: 'k',
      run: async () => 1,
    });
    const again = operations.start({
      kind: 'createDeployment',
      resource: { type: 'deployment', name: 'i' },
      idempotencyKey: 'k',
      run: async () => 2,
    });
    expect(again).toEqual({ operation: first.operation, replayed: true });
    await first.operation.done;
    for (const name of ['x', 'y', 'z']) {
      await operations.start({
        kind: 'deleteDeployment',
        resource: { type: 'deployment', name },
        run: async () => null,
      }).operation.done;
    }
    expect(operations.list().map((operation) => operation.resource.name)).toEqual(['z', 'y']);
    expect(operations.get(first.operation.id)).toBeUndefined();
    const fresh = operations.start({
      kind: 'createDeployment',
      resource: { type: 'deployment', name: 'i' },
      idempotencyKey: 'k',
      run: async () => 3,
    });
    expect(fresh.replayed).toBe(false);

    const short = store({ retentionMs: 0 });
    const gone = short.start({
      kind: 'createDeployment',
      resource: { type: 'deployment', name: 'r' },
      run: async () => null,
    });
    await gone.operation.done;
    await expect.poll(() => short.get(gone.operation.id)).toBeUndefined();
  });
});
