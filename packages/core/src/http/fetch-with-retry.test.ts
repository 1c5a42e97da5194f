import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BerthError } from '../berth-error.js';
import { backoffSeconds, fetchWithRetry, parseRetryAfter } from './fetch-with-retry.js';
import { HttpError } from './http-error.js';
import { retrySettingsFromEnvironment } from './retry-settings.js';

type Handler = (request: IncomingMessage, response: ServerResponse, body: string, attempt: number) => void;

const servers: Server[] = [];

/** A loopback server answering attempt n with `handler`; records every request it sees. */
async function serve(handler: Handler) {
  const seen: { method: string; body: string; at: number }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      seen.push({ method: request.method ?? '', body, at: Date.now() });
      handler(request, response, body, seen.length);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/invocations`, seen };
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** Tiny waits so retry tests take milliseconds. */
const fast = { backoffFactor: 0.005, backoffJitter: 0, timeoutSeconds: 10 };

describe('fetchWithRetry against a loopback server', () => {
  it('retries a POST after 503 and returns the 200 answer', async () => {
    const { url, seen } = await serve((_request, response, _body, attempt) => {
      if (attempt < 3) {
        response.writeHead(503).end('busy');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"predictions":[1]}');
    });
    const response = await fetchWithRetry(url, { method: 'POST', body: '{"inputs":[1]}' }, fast);
    expect(await response.json()).toEqual({ predictions: [1] });
    expect(seen.map((request) => [request.method, request.body])).toEqual([
      ['POST', '{"inputs":[1]}'],
      ['POST', '{"inputs":[1]}'],
      ['POST', '{"inputs":[1]}'],
    ]);
  });

  it.each([429, 500, 502])('retries %i', async (status) => {
    const { url, seen } = await serve((_request, response, _body, attempt) => {
      response.writeHead(attempt === 1 ? status : 200).end('ok');
    });
    expect((await fetchWithRetry(url, {}, fast)).status).toBe(200);
    expect(seen).toHaveLength(2);
  });

  it('does not retry 504 or 4xx, and reports status, body and code', async () => {
    const { url, seen } = await serve((_request, response) => {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no deployment x"}');
    });
    const error = (await fetchWithRetry(url, {}, fast).catch((caught: unknown) => caught)) as HttpError;
    expect(HttpError.isInstance(error)).toBe(true);
    expect(BerthError.isInstance(error)).toBe(true);
    expect(error.statusCode).toBe(404);
    expect(error.isRetryable).toBe(false);
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.responseBody).toContain('no deployment x');
    expect(error.message).toBe(
      `API request to GET ${url} failed with status 404 Not Found. Response text: {"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no deployment x"}`,
    );
    expect(seen).toHaveLength(1);

    const gateway = await serve((_request, response) => response.writeHead(504).end('slow upstream'));
    const timeoutAnswer = (await fetchWithRetry(gateway.url, {}, fast).catch((caught: unknown) => caught)) as HttpError;
    expect(timeoutAnswer.statusCode).toBe(504);
    expect(timeoutAnswer.code).toBe('DEADLINE_EXCEEDED');
    expect(gateway.seen).toHaveLength(1);
  });

  it('gives up after maxRetries with the last status, marked retryable', async () => {
    const { url, seen } = await serve((_request, response) => response.writeHead(503).end('still busy'));
    const error = (await fetchWithRetry(url, { method: 'POST', body: 'x' }, { ...fast, maxRetries: 2 }).catch(
      (caught: unknown) => caught,
    )) as HttpError;
    expect(seen).toHaveLength(3);
    expect(error.statusCode).toBe(503);
    expect(error.isRetryable).toBe(true);
    expect(error.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(error.message).toContain(
      'failed with status 503 Service Unavailable after 2 retries. Response text: still busy',
    );
  });

  it('returns the final error response when raiseOnStatus is false', async () => {
    const { url } = await serve((_request, response) => response.writeHead(400).end('bad'));
    const response = await fetchWithRetry(url, {}, { ...fast, raiseOnStatus: false });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('bad');
  });

  it('waits as long as Retry-After says (seconds)', async () => {
    const { url, seen } = await serve((_request, response, _body, attempt) => {
      if (attempt === 1) response.writeHead(429, { 'retry-after': '1' }).end();
      else response.writeHead(200).end('ok');
    });
    await fetchWithRetry(url, {}, { ...fast, backoffFactor: 0 });
    const waited = (seen[1]?.at ?? 0) - (seen[0]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(5000);
  });

  it('ignores Retry-After when told to', async () => {
    const { url, seen } = await serve((_request, response, _body, attempt) => {
      if (attempt === 1) response.writeHead(503, { 'retry-after': '30' }).end();
      else response.writeHead(200).end('ok');
    });
    await fetchWithRetry(url, {}, { ...fast, respectRetryAfter: false });
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeLessThan(1000);
  });

  it('times out an attempt that gets no answer, naming the environment variable', async () => {
    const { url, seen } = await serve(() => {
      // Never answers.
    });
    const started = Date.now();
    const error = (await fetchWithRetry(url, {}, { ...fast, timeoutSeconds: 0.3 }).catch(
      (caught: unknown) => caught,
    )) as HttpError;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(HttpError.isInstance(error)).toBe(true);
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.statusCode).toBeUndefined();
    expect(error.message).toContain(`API request to GET ${url} failed with timeout exception after 0.3 seconds`);
    expect(error.message).toContain('BERTH_HTTP_REQUEST_TIMEOUT');
    expect(seen).toHaveLength(1); // a timeout is not retried: a slow server would only be slower
  });

  it('retries refused connections, then fails with the reason', async () => {
    const { url } = await serve(() => undefined);
    const server = servers.pop() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = (await fetchWithRetry(url, {}, { ...fast, maxRetries: 1 }).catch(
      (caught: unknown) => caught,
    )) as HttpError;
    expect(error.message).toMatch(/failed with exception fetch failed \(ECONNREFUSED\)/);
    expect(error.isRetryable).toBe(true);
    expect(error.details).toEqual({ retries: 1 });
  });

  it('tells onRetry before each retry: which one, of how many, the wait and what failed', async () => {
    const { url } = await serve((_request, response, _body, attempt) => {
      response.writeHead(attempt < 3 ? 503 : 200).end('ok');
    });
    const notices: unknown[] = [];
    const response = await fetchWithRetry(
      url,
      { method: 'POST', body: 'x' },
      {
        ...fast,
        maxRetries: 4,
        random: () => 0,
        onRetry: (notice) => notices.push(notice),
      },
    );
    expect(response.status).toBe(200);
    expect(notices).toEqual([
      { retry: 1, maxRetries: 4, delaySeconds: 0, method: 'POST', url, reason: 'HTTP 503 Service Unavailable' },
      { retry: 2, maxRetries: 4, delaySeconds: 0.01, method: 'POST', url, reason: 'HTTP 503 Service Unavailable' },
    ]);

    const refused = await serve(() => undefined);
    const server = servers.pop() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const reasons: string[] = [];
    const errors: unknown[] = [];
    await fetchWithRetry(
      refused.url,
      {},
      {
        ...fast,
        maxRetries: 2,
        onRetry: (notice) => {
          reasons.push(notice.reason);
          errors.push(notice.error);
        },
      },
    ).catch(() => undefined);
    expect(reasons).toEqual(['fetch failed (ECONNREFUSED)', 'fetch failed (ECONNREFUSED)']);
    // The error itself rides along, for a caller that words it its own way.
    expect(errors.map((error) => (error as Error).message)).toEqual(['fetch failed', 'fetch failed']);
  });

  it('sends every attempt through the fetch it is given', async () => {
    const { url, seen } = await serve((_request, response, _body, attempt) => {
      response.writeHead(attempt === 1 ? 503 : 200).end('ok');
    });
    const calls: string[] = [];
    const ownFetch = (input: string | URL, init: RequestInit) => {
      calls.push(`${init.method} ${String(input)}`);
      return fetch(input, init);
    };
    const response = await fetchWithRetry(url, { method: 'POST', body: 'x' }, { ...fast, fetch: ownFetch });
    expect(response.status).toBe(200);
    expect(calls).toEqual([`POST ${url}`, `POST ${url}`]);
    expect(seen).toHaveLength(2);
  });

  it('stops at once when the caller aborts', async () => {
    const controller = new AbortController();
    // The first attempt is answered 503 with Retry-After 5 s; the caller aborts while that wait runs.
    const { url, seen } = await serve((_request, response) =>
      response.writeHead(503, { 'retry-after': '5' }).end(() => controller.abort(new Error('caller gave up'))),
    );
    await expect(fetchWithRetry(url, { signal: controller.signal }, fast)).rejects.toThrow('caller gave up');
    expect(seen).toHaveLength(1);
  });
});

describe('settings', () => {
  it('reads BERTH_ variables, falls back to MLFLOW_ ones, then to MLflow’s defaults', () => {
    expect(retrySettingsFromEnvironment({})).toEqual({
      maxRetries: 7,
      backoffFactor: 2,
      backoffJitter: 1,
      timeoutSeconds: 120,
      respectRetryAfter: true,
    });
    expect(
      retrySettingsFromEnvironment({
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '3',
        BERTH_HTTP_REQUEST_MAX_RETRIES: '4',
        MLFLOW_HTTP_REQUEST_TIMEOUT: '30',
        BERTH_HTTP_RESPECT_RETRY_AFTER_HEADER: 'false',
      }),
    ).toMatchObject({ maxRetries: 4, timeoutSeconds: 30, respectRetryAfter: false });
  });

  it.each([
    [
      'BERTH_HTTP_REQUEST_MAX_RETRIES',
      '11',
      /Invalid BERTH_HTTP_REQUEST_MAX_RETRIES: 11; it must be an integer from 0 to 10/,
    ],
    ['BERTH_HTTP_REQUEST_MAX_RETRIES', '-1', /an integer from 0 to 10/],
    ['MLFLOW_HTTP_REQUEST_MAX_RETRIES', 'many', /Invalid MLFLOW_HTTP_REQUEST_MAX_RETRIES: "many"; it must be a number/],
    ['BERTH_HTTP_REQUEST_BACKOFF_FACTOR', '120', /BACKOFF_FACTOR: 120; it must be from 0 to below 120/],
  ])('rejects %s=%s', (name, value, message) => {
    expect(() => retrySettingsFromEnvironment({ [name]: value })).toThrow(message);
  });

  it('uses the environment inside fetchWithRetry', async () => {
    vi.stubEnv('BERTH_HTTP_REQUEST_MAX_RETRIES', '1');
    vi.stubEnv('BERTH_HTTP_REQUEST_BACKOFF_FACTOR', '0');
    const { url, seen } = await serve((_request, response) => response.writeHead(502).end());
    await expect(fetchWithRetry(url)).rejects.toMatchObject({ statusCode: 502 });
    expect(seen).toHaveLength(2);
  });

  it('backs off like urllib3: at once, then factor·2^(n-1) plus jitter, capped', () => {
    const settings = { backoffFactor: 2, backoffJitter: 1 };
    expect([1, 2, 3, 4].map((n) => backoffSeconds(n, settings, 120, () => 0))).toEqual([0, 4, 8, 16]);
    expect(backoffSeconds(3, settings, 120, () => 0.5)).toBe(8.5);
    expect(backoffSeconds(10, settings, 120, () => 0)).toBe(120);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('Sun, 29 Nov 2026 02:00:00 GMT');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Sun, 29 Nov 2026 02:00:05 GMT', now)).toBe(5);
    expect(parseRetryAfter('Sun, 29 Nov 2026 01:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
