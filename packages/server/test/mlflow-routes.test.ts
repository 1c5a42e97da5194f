import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeState, registerFakeTarget, unregisterFakeTarget } from './fake-target.js';
import { READ_TOKEN, sseFrames, startTestServer, type TestServer } from './helpers.js';

// MLflow's deployments client (§2.9) against the server: the routes, shapes and pagination it uses.

let test: TestServer;
let state: FakeState;

beforeAll(async () => {
  state = registerFakeTarget('fake-mlflow');
  // Five deployments and two endpoints, one of them named like a deployment (the endpoint wins).
  for (const name of ['delta', 'alpha', 'echo', 'charlie', 'bravo']) {
    state.deployments.set(name, { name, modelUri: `models:/${name}/1`, state: 'ready' });
  }
  state.endpoints.set('router', { name: 'router', traffic: { alpha: 100 } });
  state.endpoints.set('echo', { name: 'echo', traffic: { echo: 100 } });
  test = await startTestServer({ target: 'fake-mlflow', pageSize: 2 });
});

afterAll(async () => {
  await test?.close();
  unregisterFakeTarget('fake-mlflow');
});

describe('GET /health', () => {
  it('answers {"status":"OK"} without a token', async () => {
    const answer = await test.api('GET', '/health', { token: null });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ status: 'OK' });
  });
});

describe('GET /api/2.0/endpoints/', () => {
  it('pages through every deployment and endpoint, sorted, following next_page_token as MLflow does', async () => {
    const names: string[] = [];
    const pages: unknown[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const query = token === undefined ? '' : `?page_token=${encodeURIComponent(token)}`;
      const answer = await test.api('GET', `/api/2.0/endpoints/${query}`, { token: READ_TOKEN });
      expect(answer.status).toBe(200);
      const body = answer.json() as { endpoints: { name: string }[]; next_page_token?: string };
      pages.push(body);
      names.push(...body.endpoints.map((endpoint) => endpoint.name));
      token = body.next_page_token;
      if (token === undefined) break;
    }
    expect(names).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo', 'router']);
    expect(pages).toHaveLength(3);
    expect(Object.keys(pages[2] as object)).toEqual(['endpoints']);
  });

  it("describes each in MLflow's Endpoint shape, with the URL the client calls", async () => {
    const body = (await test.api('GET', '/api/2.0/endpoints')).json() as { endpoints: unknown[] };
    expect(body.endpoints[0]).toEqual({
      name: 'alpha',
      endpoint_type: 'berth/deployment',
      model: { name: 'models:/alpha/1', provider: 'berth:fake-mlflow' },
      endpoint_url: '/endpoints/alpha/invocations',
      limit: null,
    });
    const echo = (await test.api('GET', '/api/2.0/endpoints/echo')).json();
    expect(echo).toEqual({
      name: 'echo',
      endpoint_type: 'berth/endpoint',
      model: { name: null, provider: 'berth:fake-mlflow' },
      endpoint_url: '/endpoints/echo/invocations',
      limit: null,
    });
  });

  it('a page_token it did not give is 400', async () => {
    const answer = await test.api('GET', '/api/2.0/endpoints/?page_token=not-a-token');
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('page_token'),
    });
  });

  it("an unknown endpoint is 404 with MLflow's detail message", async () => {
    const answer = await test.api('GET', '/api/2.0/endpoints/missing');
    expect(answer.status).toBe(404);
    const message = "The endpoint 'missing' is not present or active on the server. Please verify the endpoint name.";
    expect(answer.json()).toEqual({ detail: message, error_code: 'RESOURCE_DOES_NOT_EXIST', message });
  });
});

describe('POST /endpoints/{name}/invocations through predict (no loopback url)', () => {
  it("gives a deployment's body to predict and answers its PredictionsResponse", async () => {
    const answer = await test.api('POST', '/endpoints/alpha/invocations', {
      body: { inputs: [[1, 2, 3, 4]] },
      token: READ_TOKEN,
    });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({
      predictions: [1, 2, 3],
      deployment: 'alpha',
      endpoint: null,
      received: { inputs: [[1, 2, 3, 4]] },
    });
  });

  it('predicts through an endpoint (which hides the deployment of the same name)', async () => {
    const answer = await test.api('POST', '/endpoints/echo/invocations', { body: { instances: [1] } });
    expect(answer.json()).toMatchObject({ deployment: null, endpoint: 'echo' });
    const legacy = await test.api('POST', '/gateway/router/invocations', { body: { instances: [1] } });
    expect(legacy.json()).toMatchObject({ endpoint: 'router' });
  });

  it('CSV goes to predict as {csv}; an unsupported content type is 415', async () => {
    const csv = await test.api('POST', '/endpoints/alpha/invocations', {
      body: 'a,b\n1,2\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(csv.json()).toMatchObject({ received: { csv: 'a,b\n1,2\n' } });
    const xml = await test.api('POST', '/endpoints/alpha/invocations', {
      body: '<x/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.status).toBe(415);
    expect(xml.json()).toMatchObject({ error_code: 'BAD_REQUEST' });
  });

  it('malformed JSON is 400 and an unknown name is 404 with detail', async () => {
    const malformed = await test.api('POST', '/endpoints/alpha/invocations', { body: '{"inputs": [' });
    expect(malformed.status).toBe(400);
    expect(malformed.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    const unknown = await test.api('POST', '/endpoints/zulu/invocations', { body: { inputs: [1] } });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({
      detail: expect.stringContaining("'zulu'"),
      error_code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('"stream": true answers SSE from predictStream, without the stream key in the inputs', async () => {
    const answer = await test.api('POST', '/endpoints/alpha/invocations', {
      body: { inputs: [1], chunks: 2, stream: true },
    });
    expect(answer.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(sseFrames(answer.text).map((frame) => frame.data)).toEqual([
      '{"predictions":[1],"deployment":"alpha"}',
      '{"predictions":[2],"deployment":"alpha"}',
      '[DONE]',
    ]);
    const call = state.calls.filter((entry) => entry.method === 'predictStream').at(-1);
    expect(call?.args).toEqual(['alpha', { inputs: [1], chunks: 2 }, {}]);
    // "stream": false (or a nested "stream") is an ordinary prediction.
    const plain = await test.api('POST', '/endpoints/alpha/invocations', {
      body: { inputs: [1], params: { stream: true }, stream: false },
    });
    expect(plain.json()).toMatchObject({ predictions: [1, 2, 3] });
  });
});
