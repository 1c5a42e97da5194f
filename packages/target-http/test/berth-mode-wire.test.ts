import type { ServerResponse } from 'node:http';
import { BerthError, type ProgressEvent } from '@berth/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpDeploymentClient } from '../src/index.js';
import { answerJson, closeAllLoopbackServers, type SeenRequest, startLoopbackServer } from './loopback-server.js';

/**
 * Berth mode against a loopback server speaking @berth/server's wire format (its README), for the
 * answers a real server gives only by accident: failures mid-stream, failed and lost operations,
 * retried mutations. The same flows against a real `berth serve` are in berth-server.test.ts.
 */

const serverInfo = {
  server: { name: '@berth/server', version: '0.1.0' },
  api: 'v1',
  target: { uri: 'local', name: 'local', packageName: '@berth/target-local', packageVersion: '0.1.0' },
};

function operation(overrides: Record<string, unknown>) {
  return {
    id: 'op-1',
    kind: 'createDeployment',
    resource: { type: 'deployment', name: 'iris' },
    state: 'running',
    revision: 1,
    createdAt: '2026-12-02T00:00:00.000Z',
    updatedAt: '2026-12-02T00:00:00.000Z',
    finishedAt: null,
    progress: null,
    events: [],
    cancelRequested: false,
    result: null,
    error: null,
    ...overrides,
  };
}

type Route = (request: SeenRequest, response: ServerResponse, attempt: number) => void;

/** A fake Berth server: `/server` answers, the rest by `routes` keyed "METHOD /path" (query stripped). */
function fakeBerthServer(routes: Record<string, Route>) {
  return startLoopbackServer((request, response, attempt) => {
    const path = request.url.split('?')[0] ?? '';
    if (path === '/api/berth/v1/server') return answerJson(response, 200, serverInfo);
    const route = routes[`${request.method} ${path}`];
    if (route) return route(request, response, attempt);
    answerJson(response, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: `No route ${request.method} ${path}` });
  });
}

const streamInput = { inputs: [[1, 2]] };

beforeEach(() => {
  vi.stubEnv('BERTH_HTTP_REQUEST_BACKOFF_FACTOR', '0.01');
  vi.stubEnv('BERTH_HTTP_REQUEST_BACKOFF_JITTER', '0');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await closeAllLoopbackServers();
});

async function failure(promise: Promise<unknown>): Promise<BerthError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(BerthError.isInstance(error), `expected a BerthError, got ${String(error)}`).toBe(true);
  return error as BerthError;
}

describe('streams', () => {
  it('an error event mid-stream is the target’s error, after the chunks before it', async () => {
    const server = await fakeBerthServer({
      'POST /api/berth/v1/predict-stream': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: {"predictions":[1]}\n\n');
        response.end(
          `event: error\ndata: ${JSON.stringify({
            error_code: 'RESOURCE_DOES_NOT_EXIST',
            message: "Deployment 'iris' went away.",
            suggestions: ["List deployments with 'berth list -t local'."],
          })}\n\n`,
        );
      },
    });
    const client = new HttpDeploymentClient(server.url);
    const chunks: unknown[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of client.predictStream('iris', streamInput)) chunks.push(chunk);
      })(),
    );
    expect(chunks).toEqual([{ predictions: [1] }]);
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toBe("Deployment 'iris' went away.");
    expect(error.suggestions).toEqual([`List deployments with 'berth list -t ${server.url}'.`]);
  });

  it('a stream that ends without [DONE] did not complete, and says so', async () => {
    const server = await fakeBerthServer({
      'POST /api/berth/v1/predict-stream': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end('data: {"predictions":[1]}\n\n');
      },
    });
    const chunks: unknown[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of new HttpDeploymentClient(server.url).predictStream('iris', streamInput)) {
          chunks.push(chunk);
        }
      })(),
    );
    expect(chunks).toHaveLength(1);
    expect(error.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(error.message).toContain('ended before it was complete (no [DONE])');
  });

  it('sends the prediction request the server expects', async () => {
    const server = await fakeBerthServer({
      'POST /api/berth/v1/predict-stream': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end('data: {"predictions":[1]}\n\ndata: [DONE]\n\n');
      },
      'POST /api/berth/v1/predict': (_request, response) => answerJson(response, 200, { predictions: [0, 1] }),
      'POST /api/berth/v1/explain': (_request, response) => answerJson(response, 200, { explanation: { method: 'x' } }),
    });
    const client = new HttpDeploymentClient(server.url);
    for await (const _chunk of client.predictStream(undefined, streamInput, { endpoint: 'ab', params: { k: 1 } })) {
      // drain
    }
    expect((await client.predict('iris', streamInput)).predictions).toEqual([0, 1]);
    expect(await client.explain('iris', streamInput)).toEqual({ method: 'x' });
    const bodies = server.seen
      .filter((request) => request.method === 'POST')
      .map((request) => JSON.parse(request.body));
    expect(bodies).toEqual([
      { endpoint: 'ab', inputs: streamInput, params: { k: 1 } },
      { deploymentName: 'iris', inputs: streamInput },
      { deploymentName: 'iris', inputs: streamInput },
    ]);
  });
});

describe('operations', () => {
  it('follows an operation with long polls, forwarding each progress event once', async () => {
    const events = [
      { seq: 1, at: 't', message: 'resolving the model', state: 'starting', elapsedMs: 5 },
      { seq: 2, at: 't', message: 'waiting for /ping', state: 'starting', elapsedMs: 400 },
    ];
    let polls = 0;
    const server = await fakeBerthServer({
      'POST /api/berth/v1/deployments': (_request, response) =>
        answerJson(response, 202, operation({ events: events.slice(0, 1), revision: 2 })),
      'GET /api/berth/v1/operations/op-1': (_request, response) => {
        polls++;
        if (polls === 1) return answerJson(response, 200, operation({ events, revision: 3 }));
        answerJson(
          response,
          200,
          operation({
            events,
            revision: 4,
            state: 'succeeded',
            result: { name: 'iris', flavor: 'onnx', modelUri: '/m', state: 'ready' },
          }),
        );
      },
    });
    const seen: ProgressEvent[] = [];
    const client = new HttpDeploymentClient(server.url);
    const deployment = await client.createDeployment('iris', '/m', {
      flavor: 'onnx',
      config: { workers: '2' },
      onProgress: (event) => seen.push(event),
    });
    expect(deployment).toEqual({ name: 'iris', flavor: 'onnx', modelUri: '/m', state: 'ready' });
    expect(seen.map((event) => event.message)).toEqual([
      "creating deployment 'iris': accepted by the server (operation op-1)",
      'resolving the model',
      'waiting for /ping',
    ]);
    expect(seen[2]).toMatchObject({ state: 'starting', elapsedMs: 400 });
    for (const event of seen) {
      expect(event.interruptHint).toBe(
        `The server at ${server.url} goes on creating deployment 'iris' (operation op-1); check it with 'berth get -t ${server.url} --name iris'.`,
      );
    }
    const create = server.seen.find((request) => request.method === 'POST');
    expect(JSON.parse(create?.body ?? '')).toEqual({
      name: 'iris',
      modelUri: '/m',
      flavor: 'onnx',
      config: { workers: '2' },
    });
    expect(create?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    const pollUrls = server.seen.filter((request) => request.url.startsWith('/api/berth/v1/operations/'));
    expect(pollUrls.map((request) => request.url)).toEqual([
      '/api/berth/v1/operations/op-1?wait=20&revision=2',
      '/api/berth/v1/operations/op-1?wait=20&revision=3',
    ]);
  });

  it('a retried mutation carries the same Idempotency-Key', async () => {
    const server = await fakeBerthServer({
      'DELETE /api/berth/v1/deployments/iris': (_request, response, attempt) => {
        if (attempt === 2) return answerJson(response, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' });
        answerJson(response, 200, operation({ kind: 'deleteDeployment', state: 'succeeded', revision: 2 }));
      },
    });
    await new HttpDeploymentClient(server.url).deleteDeployment('iris');
    const deletes = server.seen.filter((request) => request.method === 'DELETE');
    expect(deletes).toHaveLength(2);
    expect(deletes[0]?.headers['idempotency-key']).toBe(deletes[1]?.headers['idempotency-key']);
    expect(JSON.parse(deletes[0]?.body ?? '')).toEqual({});
  });

  it('a failed operation is the target’s error, with its code and suggestions', async () => {
    const server = await fakeBerthServer({
      'PATCH /api/berth/v1/deployments/iris': (_request, response) =>
        answerJson(
          response,
          202,
          operation({
            kind: 'updateDeployment',
            state: 'failed',
            revision: 2,
            error: {
              error_code: 'INVALID_PARAMETER_VALUE',
              message: 'The new model did not load. Version 1 keeps serving.',
              suggestions: ["See 'berth get -t local --name iris'."],
              logTail: 'boom',
            },
          }),
        ),
    });
    const error = await failure(new HttpDeploymentClient(server.url).updateDeployment('iris', { modelUri: '/m2' }));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toBe('The new model did not load. Version 1 keeps serving.');
    expect(error.suggestions).toEqual([`See 'berth get -t ${server.url} --name iris'.`]);
    expect(error.details).toEqual({ logTail: 'boom' });
  });

  it('an operation the server no longer knows is ABORTED, with what the target holds now', async () => {
    const server = await fakeBerthServer({
      'POST /api/berth/v1/deployments': (_request, response) => answerJson(response, 202, operation({})),
      'GET /api/berth/v1/operations/op-1': (_request, response) =>
        answerJson(response, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'No operation op-1.' }),
      'GET /api/berth/v1/deployments/iris': (_request, response) =>
        answerJson(response, 200, { name: 'iris', state: 'starting' }),
    });
    const error = await failure(new HttpDeploymentClient(server.url).createDeployment('iris', '/m'));
    expect(error.code).toBe('ABORTED');
    expect(error.message).toBe(
      `The server at ${server.url} no longer knows operation op-1 (creating deployment 'iris'): it restarted, or dropped the operation, before this client saw it finish. Whether it completed is not known; deployment 'iris' exists now (state: starting).`,
    );
    expect(error.suggestions[0]).toContain(`berth get -t ${server.url} --name iris`);
  });

  it('a server that stops answering mid-operation is reported as lost contact, after core’s retries', async () => {
    vi.stubEnv('BERTH_HTTP_REQUEST_MAX_RETRIES', '2');
    const server = await fakeBerthServer({
      'POST /api/berth/v1/deployments': (_request, response) => {
        answerJson(response, 202, operation({}));
        // Gone once the operation is accepted, as a crashed server would be.
        setImmediate(() => void server.close());
      },
    });
    const error = await failure(new HttpDeploymentClient(server.url).createDeployment('iris', '/m'));
    expect(error.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(error.message).toMatch(
      /^Lost contact with the server at http:\/\/127\.0\.0\.1:\d+ while creating deployment 'iris' \(operation op-1\): API request to GET \S+ failed with exception fetch failed \(ECONNREFUSED\)\. The operation may still be running there\.$/,
    );
    expect((error.cause as BerthError).details).toEqual({ retries: 2 });
    expect(error.suggestions[0]).toContain(`berth get -t ${server.url} --name iris`);
  });

  it('a server that answers a long poll at once is not polled in a busy loop', async () => {
    let polls = 0;
    const server = await fakeBerthServer({
      'POST /api/berth/v1/deployments': (_request, response) => answerJson(response, 202, operation({})),
      'GET /api/berth/v1/operations/op-1': (_request, response) => {
        polls++;
        const done = polls >= 4;
        answerJson(response, 200, operation(done ? { state: 'succeeded', revision: 2, result: { name: 'iris' } } : {}));
      },
    });
    const started = Date.now();
    expect(await new HttpDeploymentClient(server.url).createDeployment('iris', '/m')).toEqual({ name: 'iris' });
    expect(polls).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 240);
  });

  it('stopping the wait (the signal) leaves the operation to the server', async () => {
    const server = await fakeBerthServer({
      'POST /api/berth/v1/endpoints': (_request, response) =>
        answerJson(response, 202, operation({ kind: 'createEndpoint', resource: { type: 'endpoint', name: 'ab' } })),
      'GET /api/berth/v1/operations/op-1': () => {
        // a long poll that never answers
      },
    });
    const controller = new AbortController();
    const hints: string[] = [];
    const waiting = new HttpDeploymentClient(server.url).createEndpoint(
      'ab',
      {},
      { signal: controller.signal, onProgress: (event) => hints.push(event.interruptHint ?? '') },
    );
    await vi.waitFor(() => expect(server.seen.some((request) => request.url.includes('/operations/'))).toBe(true));
    controller.abort(new Error('interrupted by the user'));
    await expect(waiting).rejects.toThrow('interrupted by the user');
    expect(hints[0]).toContain(`check it with 'berth get-endpoint -t ${server.url} --endpoint ab'`);
    expect(server.seen.some((request) => request.url.includes('cancel'))).toBe(false);
  });
});

describe('server detection', () => {
  it('a Berth server of another API version is refused with what to install', async () => {
    const server = await startLoopbackServer((_request, response) =>
      answerJson(response, 200, { ...serverInfo, api: 'v2' }),
    );
    const error = await failure(new HttpDeploymentClient(server.url).listDeployments());
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain('speaks API v2');
  });

  it('asks once per client, and again after a failed question', async () => {
    let attempt = 0;
    const server = await startLoopbackServer((request, response) => {
      if (request.url === '/api/berth/v1/server' && ++attempt === 1) {
        return answerJson(response, 500, { error_code: 'INTERNAL_ERROR', message: 'starting up' });
      }
      if (request.url === '/api/berth/v1/server') return answerJson(response, 200, serverInfo);
      answerJson(response, 200, { deployments: [{ name: 'a' }] });
    });
    vi.stubEnv('BERTH_HTTP_REQUEST_MAX_RETRIES', '0');
    const client = new HttpDeploymentClient(server.url);
    await expect(client.listDeployments()).rejects.toMatchObject({ statusCode: 500 });
    expect(await client.listDeployments()).toEqual([{ name: 'a' }]);
    expect(await client.listDeployments()).toEqual([{ name: 'a' }]);
    expect(server.seen.filter((request) => request.url === '/api/berth/v1/server')).toHaveLength(2);
  });

  it('an answer that is not a deployment list is an error that says so', async () => {
    const server = await fakeBerthServer({
      'GET /api/berth/v1/deployments': (_request, response) => answerJson(response, 200, { items: [] }),
    });
    const error = await failure(new HttpDeploymentClient(server.url).listDeployments());
    expect(error.message).toBe(
      `GET ${server.url}/api/berth/v1/deployments answered with something that is not a list of deployments ({deployments: [...]}): deployments: Invalid input: expected array, received undefined.`,
    );
  });
});
