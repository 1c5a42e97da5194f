import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeState, registerFakeTarget, unregisterFakeTarget } from './fake-target.js';
import { startTestServer } from './helpers.js';

let state: FakeState;

beforeAll(() => {
  state = registerFakeTarget('fake-shutdown');
});

afterAll(() => {
  unregisterFakeTarget('fake-shutdown');
});

const V1 = '/api/berth/v1';

describe('closing the server', () => {
  it('waits for a running operation that finishes within the grace period', async () => {
    const test = await startTestServer({ target: 'fake-shutdown' });
    const started = await test.api('POST', `${V1}/deployments`, {
      body: { name: 'finishes', modelUri: 'm', config: { delay_ms: 60_000 } },
    });
    expect(started.status).toBe(202);
    await expect.poll(() => state.parked.has('finishes')).toBe(true);
    const closing = test.server.close({ operationTimeoutMs: 20_000 });
    // The operation finishes only once the server stopped listening: close has to wait for it.
    await expect
      .poll(() =>
        fetch(`${test.url}/health`).then(
          () => 'answered',
          () => 'refused',
        ),
      )
      .toBe('refused');
    state.parked.get('finishes')?.();
    expect(await closing).toEqual([]);
    expect(state.deployments.has('finishes')).toBe(true);
    await expect(fetch(`${test.url}/health`)).rejects.toThrow();
  });

  it('answers the operations still running after the grace period, with what stopping leaves behind', async () => {
    const test = await startTestServer({ target: 'fake-shutdown' });
    await test.api('POST', `${V1}/deployments`, {
      body: { name: 'abandoned', modelUri: 'm', config: { delay_ms: 60_000 } },
    });
    await expect.poll(() => state.parked.has('abandoned')).toBe(true);
    expect(test.server.runningOperations().map((operation) => operation.resource.name)).toEqual(['abandoned']);
    const left = await test.server.close({ operationTimeoutMs: 100 });
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ kind: 'createDeployment', state: 'running', resource: { name: 'abandoned' } });
    expect(left[0]?.events.at(-1)?.interruptHint).toBe("The fake target goes on with 'abandoned'.");
    expect(test.logLines.some((line) => JSON.parse(line).abandonedOperations === 1)).toBe(true);
    state.parked.get('abandoned')?.();
  });
});
