/**
 * When the tracking server cannot be used: nothing listens, TLS fails, no answer comes, or what
 * answers is not MLflow. Each failure names its cause and the address; retries follow
 * MLFLOW_HTTP_REQUEST_* (core's policy); credentials never reach a message.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '@berth/core';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveModelUri } from '../src/index.js';
import { networkReason } from '../src/mlflow-http.js';
import { tempDir } from './temp-dir.js';

const tls = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'tls');
const savedEnv = { ...process.env };
const servers: Array<http.Server | https.Server> = [];

afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
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

async function listen<S extends http.Server | https.Server>(server: S): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scheme = server instanceof https.Server ? 'https' : 'http';
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (error) {
    expect(BerthError.isInstance(error)).toBe(true);
    return error as BerthError;
  }
  throw new Error('expected a rejection');
}

async function resolveWith(trackingUri: string, uri = 'runs:/abc/model'): Promise<BerthError> {
  process.env.MLFLOW_TRACKING_URI = trackingUri;
  return rejection(resolveModelUri(uri, { cacheDir: await tempDir() }));
}

/** An address where nothing listens any more, with `retries` retries that do not wait. */
async function refusingAddress(retries: number): Promise<string> {
  const url = await listen(http.createServer());
  await new Promise<void>((resolve) => (servers.pop() as http.Server).close(() => resolve()));
  process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = String(retries);
  process.env.MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR = '0';
  process.env.MLFLOW_HTTP_REQUEST_BACKOFF_JITTER = '0';
  return url;
}

describe('an unreachable tracking server', () => {
  it('connection refused: names the cause and the address, after the retries MLFLOW_HTTP_REQUEST_MAX_RETRIES allows', async () => {
    const url = await refusingAddress(2);
    const error = await resolveWith(url);
    expect(error.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(error.exitCode).toBe(6);
    expect(error.message).toBe(
      `Could not reach the MLflow tracking server at ${url} (MLFLOW_TRACKING_URI): connection refused (ECONNREFUSED); GET ${url}/api/2.0/mlflow/runs/get?run_id=abc failed after 2 retries.`,
    );
    expect(error.suggestions[0]).toContain('Check that the server is running');
  });

  it('reports each retry to onProgress while it waits: the server, why, which retry of how many; no credentials', async () => {
    const url = await refusingAddress(2);
    process.env.MLFLOW_TRACKING_URI = url.replace('http://', 'http://alice:s3cret@');
    const messages: string[] = [];
    await rejection(
      resolveModelUri('runs:/abc/model', {
        cacheDir: await tempDir(),
        onProgress: (event) => messages.push(event.message),
      }),
    );
    expect(messages).toEqual(
      [1, 2].map(
        (retry) =>
          `The MLflow server at ${url} did not answer (connection refused (ECONNREFUSED)); retry ${retry} of 2 (MLFLOW_HTTP_REQUEST_MAX_RETRIES sets how many)`,
      ),
    );
    expect(messages.join('\n')).not.toContain('s3cret');
  });

  it('TLS: a certificate Node does not trust, and https to a plain http port', async () => {
    process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = '0';
    const untrusted = await listen(
      https.createServer(
        { key: readFileSync(path.join(tls, 'key.pem')), cert: readFileSync(path.join(tls, 'cert.pem')) },
        (_request, response) => response.end('{}'),
      ),
    );
    const selfSigned = await resolveWith(untrusted);
    expect(selfSigned.message).toMatch(
      new RegExp(
        `^Could not reach the MLflow tracking server at ${untrusted} \\(MLFLOW_TRACKING_URI\\): TLS failed: .*self-signed`,
      ),
    );
    expect(selfSigned.suggestions[0]).toContain('NODE_EXTRA_CA_CERTS');
    const plain = await listen(http.createServer((_request, response) => response.end('{}')));
    const wrongProtocol = await resolveWith(plain.replace('http:', 'https:'));
    // OpenSSL's reason only, not its "<id>:error:<code>:…:<file>:<line>" dump.
    expect(wrongProtocol.message).toContain(
      'TLS failed: wrong version number (ERR_SSL_WRONG_VERSION_NUMBER) — the server may not speak TLS;',
    );
    expect(wrongProtocol.suggestions[0]).toBe('If the server listens on plain http, write the address with http://.');
  });

  it('no answer within MLFLOW_HTTP_REQUEST_TIMEOUT is DEADLINE_EXCEEDED (exit 9), not retried', async () => {
    let seen = 0;
    const url = await listen(
      http.createServer(() => {
        seen++; // never answers
      }),
    );
    process.env.MLFLOW_HTTP_REQUEST_TIMEOUT = '0.3';
    const error = await resolveWith(url);
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.exitCode).toBe(9);
    expect(error.message).toContain(
      `Could not reach the MLflow tracking server at ${url} (MLFLOW_TRACKING_URI): no answer within 0.3 seconds`,
    );
    expect(error.suggestions[0]).toContain('MLFLOW_HTTP_REQUEST_TIMEOUT');
    expect(seen).toBe(1);
  });

  it("unknown host: undici's getaddrinfo failure is named with the host", () => {
    // The shape Node's fetch throws (a TypeError whose cause is the resolver's error); built here
    // because a test must not send a DNS query.
    const failure = new TypeError('fetch failed', {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND mlflow.internal'), {
        code: 'ENOTFOUND',
        syscall: 'getaddrinfo',
        hostname: 'mlflow.internal',
      }),
    });
    expect(networkReason(failure, 'http://mlflow.internal:5000/api')).toEqual({
      text: "unknown host 'mlflow.internal' (ENOTFOUND)",
      tls: false,
    });
  });

  it('retries 503 as core does, and does not retry 504', async () => {
    process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = '3';
    process.env.MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR = '0';
    process.env.MLFLOW_HTTP_REQUEST_BACKOFF_JITTER = '0';
    let busy = 0;
    const flaky = await listen(
      http.createServer((_request, response) => {
        busy++;
        if (busy <= 2) response.writeHead(503).end('busy');
        else
          response
            .writeHead(404, { 'content-type': 'application/json' })
            .end('{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run with id=abc not found"}');
      }),
    );
    expect((await resolveWith(flaky)).message).toBe('Run with id=abc not found');
    expect(busy).toBe(3);
    let gateway = 0;
    const slow = await listen(
      http.createServer((_request, response) => {
        gateway++;
        response.writeHead(504).end('upstream timed out');
      }),
    );
    await resolveWith(slow);
    expect(gateway).toBe(1);
  });
});

describe('a URL that is not an MLflow tracking server', () => {
  const page = `<!DOCTYPE html><html><head><title>Acme Portal</title><style>body{color:red}</style></head><body><h1>Page not found</h1><p>${'Lorem ipsum dolor sit amet. '.repeat(40)}</p></body></html>`;

  it.each([
    [404, 'Not Found'],
    [200, 'OK'],
  ])('an HTML page (status %i) says so, with the status and a short excerpt', async (status, text) => {
    const url = await listen(
      http.createServer((_request, response) => {
        response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      }),
    );
    const error = await resolveWith(url);
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toMatch(
      new RegExp(
        `^${url} \\(MLFLOW_TRACKING_URI\\) is not an MLflow tracking server: GET /api/2.0/mlflow/runs/get answered ${status} ${text} with an HTML page "Acme Portal Page not found Lorem ipsum`,
      ),
    );
    expect(error.message).not.toContain('<');
    expect(error.message).not.toContain('color:red');
    const excerpt = /"(.*)"\.$/.exec(error.message)?.[1] ?? '';
    expect(excerpt.length).toBeLessThanOrEqual(80);
    expect(error.message.length).toBeLessThan(260);
  });

  it("JSON that is not MLflow's error body is not taken for one", async () => {
    const url = await listen(
      http.createServer((_request, response) => {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
      }),
    );
    const error = await resolveWith(url, 'models:/iris/1');
    expect(error.message).toContain(
      'is not an MLflow tracking server: GET /api/2.0/mlflow/model-versions/get answered 404',
    );
  });
});

describe('credentials', () => {
  it('never reach a message: user:password in MLFLOW_TRACKING_URI, and the token', async () => {
    const seen: Array<string | undefined> = [];
    const url = await listen(
      http.createServer((request, response) => {
        seen.push(request.headers.authorization);
        response.writeHead(404, { 'content-type': 'text/html' }).end('<p>nope</p>');
      }),
    );
    const withUser = url.replace('http://', 'http://alice:s3cret-pass@');
    const error = await resolveWith(withUser);
    expect(error.message).not.toContain('s3cret-pass');
    expect(seen[0]).toBe(`Basic ${Buffer.from('alice:s3cret-pass').toString('base64')}`);
    process.env.MLFLOW_TRACKING_TOKEN = 'tok-123456';
    const tokenError = await resolveWith(url);
    expect(JSON.stringify({ message: tokenError.message, suggestions: tokenError.suggestions })).not.toContain(
      'tok-123456',
    );
    expect(seen.at(-1)).toBe('Bearer tok-123456');
  });
});
