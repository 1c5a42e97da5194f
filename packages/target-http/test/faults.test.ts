import { BerthError } from '@berth/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpDeploymentClient } from '../src/index.js';
import { answerJson, closeAllLoopbackServers, startLoopbackServer } from './loopback-server.js';

const input = { dataframe_split: { columns: ['x'], data: [[1]] } };

beforeEach(() => {
  // Retries wait milliseconds, not seconds; the policy is core's, only its pace changes.
  vi.stubEnv('BERTH_HTTP_REQUEST_BACKOFF_FACTOR', '0.01');
  vi.stubEnv('BERTH_HTTP_REQUEST_BACKOFF_JITTER', '0');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await closeAllLoopbackServers();
});

async function caught(promise: Promise<unknown>): Promise<BerthError & { statusCode?: number }> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(BerthError.isInstance(error), `expected a BerthError, got ${String(error)}`).toBe(true);
  return error as BerthError & { statusCode?: number };
}

describe('retries (core’s policy, through this client)', () => {
  it('retries a prediction after 503 and returns the 200 answer', async () => {
    const server = await startLoopbackServer((_request, response, attempt) => {
      if (attempt === 1) answerJson(response, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' });
      else answerJson(response, 200, { predictions: [7] });
    });
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    const response = await client.predict('m', input);
    expect(response.predictions).toEqual([7]);
    expect(server.seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /endpoints/m/invocations',
      'POST /endpoints/m/invocations',
    ]);
    expect(server.seen[1]?.body).toBe(server.seen[0]?.body);
  });

  it('waits as long as Retry-After says', async () => {
    const server = await startLoopbackServer((_request, response, attempt) => {
      if (attempt === 1) answerJson(response, 429, { detail: 'slow down' }, { 'retry-after': '1' });
      else answerJson(response, 200, { endpoints: [] });
    });
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    expect(await client.listEndpoints()).toEqual([]);
    const waited = (server.seen[1]?.at ?? 0) - (server.seen[0]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(5000);
  });

  it('gives up after BERTH_HTTP_REQUEST_MAX_RETRIES with the last answer', async () => {
    vi.stubEnv('BERTH_HTTP_REQUEST_MAX_RETRIES', '2');
    const server = await startLoopbackServer((_request, response) =>
      answerJson(response, 502, { detail: 'bad gateway' }),
    );
    const error = await caught(new HttpDeploymentClient(`${server.url}?server=mlflow`).listEndpoints());
    expect(server.seen).toHaveLength(3);
    expect(error.statusCode).toBe(502);
    expect(error.message).toContain('bad gateway');
  });

  it('reads the retry settings from the client’s own environment when it is given one', async () => {
    const server = await startLoopbackServer((_request, response) => answerJson(response, 503, { detail: 'busy' }));
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`, {
      environment: { BERTH_HTTP_REQUEST_MAX_RETRIES: '1', BERTH_HTTP_REQUEST_BACKOFF_FACTOR: '0' },
    });
    const error = await caught(client.listEndpoints());
    expect(server.seen).toHaveLength(2);
    expect(error.statusCode).toBe(503);
  });

  it('does not retry 504 or a 4xx', async () => {
    const server = await startLoopbackServer((_request, response) =>
      answerJson(response, 504, { detail: 'upstream timed out' }),
    );
    const error = await caught(new HttpDeploymentClient(`${server.url}?server=mlflow`).getEndpoint('x'));
    expect(server.seen).toHaveLength(1);
    expect(error.code).toBe('DEADLINE_EXCEEDED');
  });
});

describe('timeouts', () => {
  it('a hung server hits MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT with MLflow’s message', async () => {
    vi.stubEnv('MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT', '0.4');
    const server = await startLoopbackServer(() => {
      // never answers
    });
    const started = Date.now();
    const error = await caught(new HttpDeploymentClient(`${server.url}?server=mlflow`).predict('m', input));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.message).toBe(
      'The provider has timed out while generating a response to your query. Please evaluate the available parameters for the query that you are submitting. Some parameter values and inputs can increase the computation time beyond the allowable route timeout of MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT seconds.',
    );
    expect(error.suggestions[0]).toContain('within 0.4 s (MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT)');
    expect(error.suggestions[0]).toContain('BERTH_DEPLOYMENT_PREDICT_TIMEOUT');
    expect(server.seen).toHaveLength(1); // a timeout is not retried
  });

  it('BERTH_ timeouts win over MLflow’s; other requests use the client request timeout', async () => {
    vi.stubEnv('MLFLOW_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT', '30');
    vi.stubEnv('BERTH_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT', '0.3');
    const server = await startLoopbackServer(() => undefined);
    const started = Date.now();
    const error = await caught(new HttpDeploymentClient(`${server.url}?server=mlflow`).listEndpoints());
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.message).toBe(
      `API request to GET ${server.url}/api/2.0/endpoints/ failed with timeout exception after 0.3 seconds.`,
    );
    expect(error.suggestions[0]).toContain('BERTH_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT');
  });

  it('a stream that stops sending hits the prediction timeout between chunks', async () => {
    vi.stubEnv('BERTH_DEPLOYMENT_PREDICT_TIMEOUT', '0.5');
    const server = await startLoopbackServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: {"n": 1}\n\n');
      // then silence, with the connection open
    });
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    const chunks: unknown[] = [];
    const error = await caught(
      (async () => {
        for await (const chunk of client.predictStream(undefined, { prompt: 'x' }, { endpoint: 'e' }))
          chunks.push(chunk);
      })(),
    );
    expect(chunks).toEqual([{ n: 1 }]);
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.message).toContain('The provider has timed out');
  });

  it('a long stream is not cut by the timeout while chunks keep coming', async () => {
    vi.stubEnv('BERTH_DEPLOYMENT_PREDICT_TIMEOUT', '0.4');
    const server = await startLoopbackServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      const timer = setInterval(() => {
        response.write(`data: {"n": ${++sent}}\n\n`);
        if (sent === 6) {
          clearInterval(timer);
          response.end('data: [DONE]\n\n');
        }
      }, 150);
    });
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    const chunks: unknown[] = [];
    for await (const chunk of client.predictStream('e', { prompt: 'x' })) chunks.push(chunk);
    // 6 × 150 ms = 0.9 s in all, more than twice the timeout, but never 0.4 s without a chunk.
    expect(chunks).toHaveLength(6);
  });

  it('rejects a timeout variable that is not a number of seconds', () => {
    vi.stubEnv('MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT', 'soon');
    expect(() => new HttpDeploymentClient('http://127.0.0.1:9')).toThrow(
      /Invalid MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT: "soon"; it must be a number of seconds/,
    );
  });
});

describe('malformed streams get MLflow’s errors', () => {
  const streaming = (body: string) =>
    startLoopbackServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(body);
    });

  async function streamError(body: string): Promise<{ chunks: unknown[]; error: BerthError }> {
    const server = await streaming(body);
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    const chunks: unknown[] = [];
    const error = await caught(
      (async () => {
        for await (const chunk of client.predictStream(undefined, { prompt: 'x' }, { endpoint: 'e' }))
          chunks.push(chunk);
      })(),
    );
    return { chunks, error };
  }

  it('a line without a colon', async () => {
    const { chunks, error } = await streamError('data: {"a": 1}\n\ngarbage\n\n');
    expect(chunks).toEqual([{ a: 1 }]);
    expect(error.message).toBe("Unknown response format: 'garbage', expected 'data: <value>' for streaming response.");
  });

  it('a key other than data', async () => {
    const { error } = await streamError('event: ping\ndata: {}\n\n');
    expect(error.message).toBe(
      "Unknown response format with key 'event'. Expected 'data: <value>' for streaming response, got 'event: ping'.",
    );
  });

  it('a value that is not JSON', async () => {
    const { error } = await streamError('data: {not json\n\n');
    expect(error.message).toBe("Invalid JSON in streaming response: '{not json'.");
  });

  it('keep-alive blank lines are skipped and [DONE] ends the stream', async () => {
    const server = await streaming('\n\ndata: {"a": 1}\r\n\r\n\ndata:{"a": 2}\n\ndata: [DONE]\n\ndata: {"a": 3}\n\n');
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    const chunks: unknown[] = [];
    for await (const chunk of client.predictStream('e', { prompt: 'x' })) chunks.push(chunk);
    expect(chunks).toEqual([{ a: 1 }, { a: 2 }]);
  });
});

describe('connection failures', () => {
  it('a refused connection is retried, then reported with the reason', async () => {
    vi.stubEnv('BERTH_HTTP_REQUEST_MAX_RETRIES', '1');
    const server = await startLoopbackServer(() => undefined);
    const url = server.url;
    await server.close();
    const error = await caught(new HttpDeploymentClient(`${url}?server=mlflow`).listEndpoints());
    expect(error.message).toMatch(/failed with exception fetch failed \(ECONNREFUSED\)/);
    expect(error.code).toBe('TEMPORARILY_UNAVAILABLE');
  });

  it('an answer that is not JSON says what came back', async () => {
    const server = await startLoopbackServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>login page</html>');
    });
    const error = await caught(new HttpDeploymentClient(`${server.url}?server=mlflow`).listEndpoints());
    expect(error.message).toContain('answered 200 with a body that is not JSON (text/html): <html>login page</html>');
  });
});
