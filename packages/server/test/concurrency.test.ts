import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeState, registerFakeTarget, unregisterFakeTarget } from './fake-target.js';
import { READ_TOKEN, startTestServer, type TestServer, waitForOperation } from './helpers.js';

const V1 = '/api/berth/v1';
let test: TestServer;
let state: FakeState;

beforeAll(async () => {
  state = registerFakeTarget('fake-load');
  for (let index = 0; index < 20; index++) {
    state.deployments.set(`seed-${index}`, { name: `seed-${index}`, modelUri: 'm', state: 'ready' });
  }
  test = await startTestServer({ target: 'fake-load', pageSize: 7 });
});

afterAll(async () => {
  await test?.close();
  unregisterFakeTarget('fake-load');
});

describe('50 concurrent clients', () => {
  it('predict + list + get + create mixed for a bounded time: no error, no lost or duplicated operation', async () => {
    const clients = 50;
    const deadline = Date.now() + 3_000;
    const maxRequestsPerClient = 200;
    const failures: string[] = [];
    const createdOperations: { name: string; id: string }[] = [];
    let requests = 0;

    const worker = async (client: number) => {
      // At least six steps each (every kind of request), then until the deadline or the count bound.
      for (let step = 0; step < 6 || (step < maxRequestsPerClient && Date.now() < deadline); step++) {
        const pick = (client + step) % 6;
        let answer: Awaited<ReturnType<TestServer['api']>>;
        if (pick === 0) {
          answer = await test.api('POST', `${V1}/predict`, {
            body: { deploymentName: 'seed-1', inputs: { inputs: [client, step] } },
            token: READ_TOKEN,
          });
          if (
            answer.status === 200 &&
            (answer.json() as { received: { inputs: number[] } }).received.inputs[1] !== step
          ) {
            failures.push(`predict answered another request's inputs (client ${client}, step ${step})`);
          }
        } else if (pick === 1) {
          answer = await test.api('POST', `/endpoints/seed-${step % 20}/invocations`, {
            body: { inputs: [step] },
            token: READ_TOKEN,
          });
        } else if (pick === 2) {
          answer = await test.api('GET', `${V1}/deployments`, { token: READ_TOKEN });
        } else if (pick === 3) {
          answer = await test.api('GET', `${V1}/deployments/seed-${step % 20}`, { token: READ_TOKEN });
        } else if (pick === 4) {
          answer = await test.api('GET', '/api/2.0/endpoints/', { token: READ_TOKEN });
        } else {
          const name = `c${client}-s${step}`;
          answer = await test.api('POST', `${V1}/deployments`, {
            body: { name, modelUri: 'm', config: { delay_ms: 5 } },
            headers: { 'idempotency-key': `load-${name}` },
          });
          if (answer.status === 200 || answer.status === 202)
            createdOperations.push({ name, id: (answer.json() as { id: string }).id });
        }
        requests += 1;
        if (answer.status >= 300)
          failures.push(`client ${client} step ${step} pick ${pick}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, client) => worker(client)));

    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual(clients * 6);
    expect(createdOperations.length).toBeGreaterThan(10);
    for (const { id } of createdOperations)
      expect(await waitForOperation(test, id)).toMatchObject({ state: 'succeeded' });

    // Every create ran once: one operation per name, one target call per name, every name listed once.
    const operations = (await test.api('GET', `${V1}/operations`)).json() as {
      operations: { id: string; resource: { name: string } }[];
    };
    const ids = operations.operations.map((operation) => operation.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(createdOperations.map((operation) => operation.id).sort());
    const targetCreates = state.calls.filter((call) => call.method === 'createDeployment').map((call) => call.args[0]);
    expect(targetCreates.sort()).toEqual(createdOperations.map((operation) => operation.name).sort());
    const listed = ((await test.api('GET', `${V1}/deployments`)).json() as { deployments: { name: string }[] })
      .deployments;
    expect(listed).toHaveLength(20 + createdOperations.length);
  });

  it('ten clients creating one name at once: one operation runs, the others are RESOURCE_ALREADY_EXISTS', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        test.api('POST', `${V1}/deployments`, {
          body: { name: 'contested', modelUri: 'm', config: { delay_ms: 2_000 } },
        }),
      ),
    );
    const accepted = answers.filter((answer) => answer.status === 202);
    const refused = answers.filter((answer) => answer.status === 400);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(9);
    for (const answer of refused) expect(answer.json()).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS' });
    await expect.poll(() => state.parked.has('contested')).toBe(true);
    state.parked.get('contested')?.();
    const operation = await waitForOperation(test, (accepted[0]?.json() as { id?: string } | undefined)?.id ?? '');
    expect(operation).toMatchObject({ state: 'succeeded' });
    // Once it exists, a create is the target's own RESOURCE_ALREADY_EXISTS, reported in the operation.
    const late = (
      await test.api('POST', `${V1}/deployments`, {
        body: { name: 'contested', modelUri: 'm' },
        headers: { prefer: 'wait=5' },
      })
    ).json();
    expect(late).toMatchObject({ state: 'failed', error: { error_code: 'RESOURCE_ALREADY_EXISTS' } });
  });
});
