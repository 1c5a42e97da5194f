import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeState, registerFakeTarget, unregisterFakeTarget } from './fake-target.js';
import { READ_TOKEN, sseFrames, startTestServer, type TestServer, waitForOperation } from './helpers.js';

const V1 = '/api/berth/v1';
let test: TestServer;
let state: FakeState;

beforeAll(async () => {
  state = registerFakeTarget('fake-mgmt');
  test = await startTestServer({ target: 'fake-mgmt' });
});

afterAll(async () => {
  await test?.close();
  unregisterFakeTarget('fake-mgmt');
});

type Operation = {
  id: string;
  state: string;
  kind: string;
  revision: number;
  result: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  events: { message: string; seq: number; interruptHint?: string }[];
  progress: { message: string } | null;
  cancelRequested: boolean;
};

describe('server and target routes', () => {
  it('reports the server, api and target versions', async () => {
    const answer = await test.api('GET', `${V1}/server`);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({
      server: { name: '@berth/server', version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
      api: 'v1',
      target: {
        uri: 'fake-mgmt',
        name: 'fake-mgmt',
        packageName: '(registered in code)',
        packageVersion: '',
        specificationVersion: expect.any(String),
      },
    });
  });

  it("serves the target's help text and its config schema as JSON Schema", async () => {
    const help = await test.api('GET', `${V1}/target/help`);
    expect(help.json()).toEqual({
      target: 'fake-mgmt',
      help: "Target 'fake-mgmt': an in-memory fake for the server's tests.",
    });
    const schema = (await test.api('GET', `${V1}/target/config-schema`)).json() as {
      jsonSchema: {
        type: string;
        properties: Record<string, { type?: string; default?: unknown; description?: string }>;
        additionalProperties: boolean;
      };
    };
    expect(schema.jsonSchema.type).toBe('object');
    expect(schema.jsonSchema.additionalProperties).toBe(false);
    expect(schema.jsonSchema.properties.replicas).toMatchObject({
      type: 'integer',
      default: 1,
      description: 'how many copies',
    });
    expect(schema.jsonSchema.properties.delay_ms?.type).toBe('integer');
  });
});

describe('deployments', () => {
  it('creates as an operation: 202 while running, progress while waiting, the Deployment as its result', async () => {
    const started = await test.api('POST', `${V1}/deployments`, {
      body: { name: 'slow', modelUri: 'models:/m/1', flavor: 'onnx', config: { delay_ms: 60_000 } },
    });
    expect(started.status).toBe(202);
    const operation = started.json() as Operation;
    expect(started.headers.get('location')).toBe(`${V1}/operations/${operation.id}`);
    expect(operation).toMatchObject({
      kind: 'createDeployment',
      state: 'running',
      resource: { type: 'deployment', name: 'slow' },
    });
    // The target got spec 1.1's controls along with the request's own options.
    const call = state.calls.find((entry) => entry.method === 'createDeployment' && entry.args[0] === 'slow');
    expect(call?.args[2]).toMatchObject({
      flavor: 'onnx',
      config: { delay_ms: 60_000 },
      hasOnProgress: true,
      hasSignal: true,
    });

    // A long poll with the revision seen answers as soon as something changes (here: it is already past 0).
    const polled = (await test.api('GET', `${V1}/operations/${operation.id}?wait=5&revision=0`)).json() as Operation;
    expect(polled.state).toBe('running');
    expect(polled.progress?.message).toBe('preparing slow');
    expect(polled.events[0]).toMatchObject({ seq: 1, interruptHint: "The fake target goes on with 'slow'." });

    // A wait on the current revision returns when the operation moves on: release it meanwhile.
    const waiting = test.api('GET', `${V1}/operations/${operation.id}?wait=20&revision=${polled.revision}`);
    await expect.poll(() => state.parked.has('slow')).toBe(true);
    state.parked.get('slow')?.();
    const moved = (await waiting).json() as Operation;
    expect(moved.revision).toBeGreaterThan(polled.revision);

    const done = (await waitForOperation(test, operation.id)) as Operation;
    expect(done.state).toBe('succeeded');
    expect(done.result).toMatchObject({ name: 'slow', modelUri: 'models:/m/1', flavor: 'onnx', state: 'ready' });
    expect(done.error).toBeNull();
  });

  it('answers at once (200, finished) when Prefer: wait covers the operation', async () => {
    const answer = await test.api('POST', `${V1}/deployments`, {
      body: { name: 'quick', modelUri: 'm' },
      headers: { prefer: 'wait=10' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ state: 'succeeded', result: { name: 'quick', modelUri: 'm' } });
  });

  it('lists and gets deployments as the target returns them; a missing one is 404 with the suggestions', async () => {
    const list = (await test.api('GET', `${V1}/deployments`)).json() as { deployments: { name: string }[] };
    expect(list.deployments.map((deployment) => deployment.name)).toEqual(expect.arrayContaining(['slow', 'quick']));
    const got = await test.api('GET', `${V1}/deployments/quick`);
    expect(got.json()).toEqual({ name: 'quick', modelUri: 'm', flavor: null, state: 'ready', version: 1 });
    const absent = await test.api('GET', `${V1}/deployments/absent`);
    expect(absent.status).toBe(404);
    expect(absent.json()).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: "Deployment 'absent' does not exist.",
      suggestions: ["List them with 'berth list -t fake'."],
    });
  });

  it('passes ?endpoint= to list and get', async () => {
    const answer = await test.api('GET', `${V1}/deployments?endpoint=nowhere`);
    expect(answer.status).toBe(404);
    expect(state.calls.at(-1)).toEqual({ method: 'listDeployments', args: [{ endpoint: 'nowhere' }] });
  });

  it('updates and deletes as operations; delete is idempotent', async () => {
    const updated = await test.api('PATCH', `${V1}/deployments/quick`, {
      body: { modelUri: 'm2' },
      headers: { prefer: 'wait=10' },
    });
    expect(updated.json()).toMatchObject({
      kind: 'updateDeployment',
      state: 'succeeded',
      result: { modelUri: 'm2', version: 2 },
    });
    const deleted = await test.api('DELETE', `${V1}/deployments/quick`, { headers: { prefer: 'wait=10' } });
    expect(deleted.json()).toMatchObject({ kind: 'deleteDeployment', state: 'succeeded', result: null });
    const again = await test.api('DELETE', `${V1}/deployments/quick?endpoint=e1`, { headers: { prefer: 'wait=10' } });
    expect(again.json()).toMatchObject({ state: 'succeeded' });
    expect(state.calls.at(-1)?.args[1]).toMatchObject({ endpoint: 'e1' });
    expect((await test.api('GET', `${V1}/deployments/quick`)).status).toBe(404);
  });

  it('a DELETE (or GET) that says Content-Type: application/json but has no body is not refused', async () => {
    await test.api('POST', `${V1}/deployments`, {
      body: { name: 'typed', modelUri: 'm' },
      headers: { prefer: 'wait=10' },
    });
    const json = { 'content-type': 'application/json', prefer: 'wait=10' };
    const got = await test.api('GET', `${V1}/deployments/typed`, { headers: json });
    expect(got.status).toBe(200);
    const deleted = await test.api('DELETE', `${V1}/deployments/typed`, { headers: json });
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.json()).toMatchObject({ kind: 'deleteDeployment', state: 'succeeded' });
    expect((await test.api('GET', `${V1}/deployments/typed`)).status).toBe(404);
    // A POST that needs a body still says it is missing.
    const empty = await test.api('POST', `${V1}/deployments`, { headers: json });
    expect(empty.status).toBe(400);
    expect(empty.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it("an operation the target fails carries the target's error; the log line has no config value", async () => {
    const answer = await test.api('POST', `${V1}/deployments`, {
      body: { name: 'broken', modelUri: 'm', config: { fail: true, secret: 'hunter2-very-secret' } },
      headers: { prefer: 'wait=10' },
    });
    const operation = answer.json() as Operation;
    expect(operation.state).toBe('failed');
    expect(operation.error).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "The fake target refused 'broken' (secret hunter2-very-secret).",
      suggestions: ['Do not pass fail=true.'],
    });
    await expect.poll(() => test.logLines.some((line) => line.includes('operation failed'))).toBe(true);
    const failure = test.logLines.find((line) => line.includes('operation failed')) as string;
    expect(JSON.parse(failure)).toMatchObject({ kind: 'createDeployment', errorCode: 'INVALID_PARAMETER_VALUE' });
    expect(test.logLines.join('\n')).not.toContain('hunter2-very-secret');
  });

  it('checks config through the target schema before starting anything: coerced strings, unknown keys refused', async () => {
    const coerced = await test.api('POST', `${V1}/deployments`, {
      body: { name: 'coerced', modelUri: 'm', config: { replicas: '3', fail: 'false' } },
      headers: { prefer: 'wait=10' },
    });
    expect(coerced.json()).toMatchObject({ state: 'succeeded' });
    const call = state.calls.find((entry) => entry.method === 'createDeployment' && entry.args[0] === 'coerced');
    expect(call?.args[2]).toMatchObject({ config: { replicas: 3, fail: false } });
    expect((call?.args[2] as { config?: unknown } | undefined)?.config).toEqual({ replicas: 3, fail: false });

    const before = state.calls.length;
    const unknown = await test.api('POST', `${V1}/deployments`, {
      body: { name: 'typo', modelUri: 'm', config: { replica: 2 } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json()).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining("'replica' (did you mean 'replicas'?)"),
    });
    expect(state.calls.length).toBe(before);
  });

  it('refuses a body that fails its schema, naming the field, and malformed JSON', async () => {
    const missingModel = await test.api('POST', `${V1}/deployments`, { body: { name: 'x' } });
    expect(missingModel.status).toBe(400);
    expect(missingModel.json()).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('modelUri'),
    });
    const extra = await test.api('POST', `${V1}/deployments`, { body: { name: 'x', modelUri: 'm', colour: 'red' } });
    expect(extra.json()).toMatchObject({ message: expect.stringContaining('colour') });
    const malformed = await test.api('POST', `${V1}/deployments`, { body: '{"name": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    const wrongType = await test.api('POST', `${V1}/deployments`, {
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('a management body over 1 MiB is 413 with the error JSON', async () => {
    const answer = await test.api('POST', `${V1}/deployments`, {
      body: { name: 'big', modelUri: 'x'.repeat(1024 * 1024 + 10) },
    });
    expect(answer.status).toBe(413);
    expect(answer.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
  });
});

describe('one operation per resource', () => {
  it('a second create of a name in flight is RESOURCE_ALREADY_EXISTS, an update of it RESOURCE_CONFLICT', async () => {
    const first = await test.api('POST', `${V1}/deployments`, {
      body: { name: 'twice', modelUri: 'm', config: { delay_ms: 60_000 } },
    });
    expect(first.status).toBe(202);
    const id = (first.json() as Operation).id;
    const second = await test.api('POST', `${V1}/deployments`, { body: { name: 'twice', modelUri: 'm' } });
    expect(second.status).toBe(400);
    expect(second.json()).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS', operationId: id });
    const update = await test.api('PATCH', `${V1}/deployments/twice`, { body: { modelUri: 'm2' } });
    expect(update.status).toBe(409);
    expect(update.json()).toMatchObject({ error_code: 'RESOURCE_CONFLICT', operationId: id });
    // The target saw one create only.
    expect(
      state.calls.filter((entry) => entry.method === 'createDeployment' && entry.args[0] === 'twice'),
    ).toHaveLength(1);
    await expect.poll(() => state.parked.has('twice')).toBe(true);
    state.parked.get('twice')?.();
    expect(await waitForOperation(test, id)).toMatchObject({ state: 'succeeded' });
  });

  it('a client that disconnects does not cancel the operation', async () => {
    const controller = new AbortController();
    const request = fetch(`${test.url}${V1}/deployments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await import('./helpers.js')).WRITE_TOKEN}`,
        'content-type': 'application/json',
        prefer: 'wait=30',
      },
      body: JSON.stringify({ name: 'left-behind', modelUri: 'm', config: { delay_ms: 60_000 } }),
      signal: controller.signal,
    });
    await expect.poll(() => state.parked.has('left-behind')).toBe(true);
    controller.abort();
    await expect(request).rejects.toThrow();
    const running = (await test.api('GET', `${V1}/operations`)).json() as { operations: Operation[] };
    const operation = running.operations.find(
      (entry) =>
        entry.kind === 'createDeployment' &&
        (entry as unknown as { resource: { name: string } }).resource.name === 'left-behind',
    );
    expect(operation?.state).toBe('running');
    state.parked.get('left-behind')?.();
    expect(await waitForOperation(test, operation?.id as string)).toMatchObject({
      state: 'succeeded',
      result: { name: 'left-behind' },
    });
    expect((await test.api('GET', `${V1}/deployments/left-behind`)).status).toBe(200);
  });

  it('Idempotency-Key: a repeated request answers the first operation instead of starting another', async () => {
    const headers = { 'idempotency-key': 'create-idem-1' };
    const first = (
      await test.api('POST', `${V1}/deployments`, {
        body: { name: 'idem', modelUri: 'm', config: { delay_ms: 60_000 } },
        headers,
      })
    ).json() as Operation;
    const repeat = await test.api('POST', `${V1}/deployments`, {
      body: { name: 'idem', modelUri: 'm', config: { delay_ms: 60_000 } },
      headers,
    });
    expect(repeat.status).toBe(202);
    expect((repeat.json() as Operation).id).toBe(first.id);
    await expect.poll(() => state.parked.has('idem')).toBe(true);
    state.parked.get('idem')?.();
    await waitForOperation(test, first.id);
    const afterwards = await test.api('POST', `${V1}/deployments`, { body: { name: 'idem', modelUri: 'm' }, headers });
    expect((afterwards.json() as Operation).id).toBe(first.id);
    expect(state.calls.filter((entry) => entry.method === 'createDeployment' && entry.args[0] === 'idem')).toHaveLength(
      1,
    );
  });

  it('cancel aborts the signal the target was given; an unknown operation is 404', async () => {
    const started = (
      await test.api('POST', `${V1}/deployments`, {
        body: { name: 'cancelled', modelUri: 'm', config: { delay_ms: 60_000 } },
      })
    ).json() as Operation;
    await expect.poll(() => state.parked.has('cancelled')).toBe(true);
    const readOnly = await test.api('POST', `${V1}/operations/${started.id}/cancel`, { token: READ_TOKEN });
    expect(readOnly.status).toBe(403);
    const cancel = (await test.api('POST', `${V1}/operations/${started.id}/cancel`)).json() as Operation;
    expect(cancel.cancelRequested).toBe(true);
    const done = (await waitForOperation(test, started.id)) as Operation;
    expect(done).toMatchObject({ state: 'failed', error: { error_code: 'CANCELLED' } });
    expect((await test.api('GET', `${V1}/deployments/cancelled`)).status).toBe(404);
    const unknown = await test.api('GET', `${V1}/operations/no-such-operation`);
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      suggestions: [expect.stringContaining('restart')],
    });
  });
});

describe('predict, predict-stream, explain', () => {
  beforeAll(async () => {
    await test.api('POST', `${V1}/deployments`, { body: { name: 'p', modelUri: 'm' }, headers: { prefer: 'wait=10' } });
    await test.api('POST', `${V1}/endpoints`, { body: { name: 'e' }, headers: { prefer: 'wait=10' } });
  });

  it("predict answers the target's PredictionsResponse JSON; deployment, endpoint and params reach the target", async () => {
    const byName = await test.api('POST', `${V1}/predict`, {
      body: { deploymentName: 'p', inputs: { inputs: [[1, 2]] }, params: { temperature: 0.5 } },
      token: READ_TOKEN,
    });
    expect(byName.status).toBe(200);
    expect(byName.json()).toEqual({
      predictions: [1, 2, 3],
      deployment: 'p',
      endpoint: null,
      received: { inputs: [[1, 2]] },
      params: { temperature: 0.5 },
    });
    const byEndpoint = await test.api('POST', `${V1}/predict`, {
      body: { endpoint: 'e', inputs: { csv: 'a,b\n1,2\n' } },
    });
    expect(byEndpoint.json()).toMatchObject({ deployment: null, endpoint: 'e', received: { csv: 'a,b\n1,2\n' } });
  });

  it("a target's plain Error is 500 INTERNAL_ERROR with its message and no stack", async () => {
    const answer = await test.api('POST', `${V1}/predict`, { body: { deploymentName: 'p', inputs: { boom: true } } });
    expect(answer.status).toBe(500);
    expect(answer.json()).toEqual({ error_code: 'INTERNAL_ERROR', message: 'plain failure inside the target' });
    expect(answer.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('predict-stream sends one data frame per chunk and [DONE]', async () => {
    const answer = await test.api('POST', `${V1}/predict-stream`, {
      body: { deploymentName: 'p', inputs: { chunks: 3 } },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(sseFrames(answer.text)).toEqual([
      { data: '{"predictions":[1],"deployment":"p"}' },
      { data: '{"predictions":[2],"deployment":"p"}' },
      { data: '{"predictions":[3],"deployment":"p"}' },
      { data: '[DONE]' },
    ]);
  });

  it('a stream that fails before its first chunk is a plain error answer', async () => {
    const answer = await test.api('POST', `${V1}/predict-stream`, { body: { deploymentName: 'nope', inputs: {} } });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('a stream that fails midway ends with one event: error frame and no [DONE]', async () => {
    const answer = await test.api('POST', `${V1}/predict-stream`, {
      body: { deploymentName: 'p', inputs: { chunks: 5, failAfter: 2 } },
    });
    expect(answer.status).toBe(200);
    const frames = sseFrames(answer.text);
    expect(frames).toHaveLength(3);
    expect(frames[2]).toEqual({
      event: 'error',
      data: JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'The stream broke after 2 chunks.' }),
    });
    expect(frames.some((frame) => frame.data === '[DONE]')).toBe(false);
  });

  it("a client that leaves a stream stops the target's stream", async () => {
    const before = state.streamsReturned;
    const controller = new AbortController();
    const response = await fetch(`${test.url}${V1}/predict-stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READ_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deploymentName: 'p', inputs: { chunks: 1000, delayMs: 20 } }),
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    await expect.poll(() => state.streamsReturned, { timeout: 10_000 }).toBe(before + 1);
  });

  it("explain wraps the target's answer", async () => {
    const answer = await test.api('POST', `${V1}/explain`, { body: { deploymentName: 'p', inputs: { inputs: [1] } } });
    expect(answer.json()).toEqual({ explanation: { explained: 'p', rows: 1 } });
  });
});

describe('endpoints', () => {
  it('create, get, list, update and delete; operations carry the Endpoint', async () => {
    const created = (
      await test.api('POST', `${V1}/endpoints`, {
        body: { name: 'ep1', config: { replicas: 2 } },
        headers: { prefer: 'wait=10' },
      })
    ).json() as Operation;
    expect(created).toMatchObject({
      kind: 'createEndpoint',
      state: 'succeeded',
      result: { name: 'ep1', state: 'ready' },
    });
    expect(
      state.calls.find((entry) => entry.method === 'createEndpoint' && entry.args[0] === 'ep1')?.args[2],
    ).toMatchObject({ hasOnProgress: true, hasSignal: true });
    expect((await test.api('GET', `${V1}/endpoints/ep1`)).json()).toMatchObject({ name: 'ep1' });
    const list = (await test.api('GET', `${V1}/endpoints`)).json() as { endpoints: { name: string }[] };
    expect(list.endpoints.map((entry) => entry.name)).toContain('ep1');
    const updated = (
      await test.api('PATCH', `${V1}/endpoints/ep1`, {
        body: { config: { replicas: '4' } },
        headers: { prefer: 'wait=10' },
      })
    ).json() as Operation;
    expect(updated).toMatchObject({ kind: 'updateEndpoint', state: 'succeeded', result: { name: 'ep1', replicas: 4 } });
    const deleted = (
      await test.api('DELETE', `${V1}/endpoints/ep1`, { headers: { prefer: 'wait=10' } })
    ).json() as Operation;
    expect(deleted).toMatchObject({ kind: 'deleteEndpoint', state: 'succeeded', result: null });
    expect((await test.api('GET', `${V1}/endpoints/ep1`)).status).toBe(404);
  });

  it('an unknown route is 404 ENDPOINT_NOT_FOUND in the error JSON', async () => {
    const answer = await test.api('GET', `${V1}/nothing-here`);
    expect(answer.status).toBe(404);
    expect(answer.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
  });
});
