import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/index.js';
import { registerFakeTarget, unregisterFakeTarget } from './fake-target.js';
import { READ_TOKEN, startTestServer, type TestServer, WRITE_TOKEN } from './helpers.js';

let test: TestServer;

beforeAll(async () => {
  registerFakeTarget('fake-auth');
  test = await startTestServer({ target: 'fake-auth', bodyLimitBytes: 4096 });
});

afterAll(async () => {
  await test?.close();
  unregisterFakeTarget('fake-auth');
});

const READS: [string, string, unknown?][] = [
  ['GET', '/api/berth/v1/server'],
  ['GET', '/api/berth/v1/deployments'],
  ['GET', '/api/berth/v1/endpoints'],
  ['GET', '/api/berth/v1/operations'],
  ['POST', '/api/berth/v1/predict', { deploymentName: 'x', inputs: {} }],
  ['GET', '/api/2.0/endpoints/'],
  ['POST', '/endpoints/x/invocations', { inputs: [1] }],
  ['GET', '/openapi.json'],
  ['GET', '/metrics'],
];
const WRITES: [string, string, unknown?][] = [
  ['POST', '/api/berth/v1/deployments', { name: 'w', modelUri: 'm' }],
  ['PATCH', '/api/berth/v1/deployments/w', { modelUri: 'm' }],
  ['DELETE', '/api/berth/v1/deployments/w'],
  ['POST', '/api/berth/v1/endpoints', { name: 'w' }],
  ['PATCH', '/api/berth/v1/endpoints/w', {}],
  ['DELETE', '/api/berth/v1/endpoints/w'],
];

describe('bearer tokens', () => {
  it('every route but /health is 401 without a token, with WWW-Authenticate', async () => {
    for (const [method, path, body] of [...READS, ...WRITES]) {
      const answer = await test.api(method, path, { body, token: null });
      expect([method, path, answer.status]).toEqual([method, path, 401]);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="berth"');
      expect(answer.json()).toMatchObject({
        error_code: 'UNAUTHENTICATED',
        message: expect.stringContaining('Bearer'),
      });
    }
    expect((await test.api('GET', '/health', { token: null })).status).toBe(200);
  });

  it('a wrong token, a token of the wrong case, a prefix of the real one and another scheme are 401', async () => {
    for (const header of [
      `Bearer ${WRITE_TOKEN}x`,
      `Bearer ${WRITE_TOKEN.slice(0, -1)}`,
      `Bearer ${WRITE_TOKEN.toUpperCase()}`,
      `Token ${WRITE_TOKEN}`,
      WRITE_TOKEN,
      'Bearer ',
    ]) {
      const answer = await test.api('GET', '/api/berth/v1/deployments', {
        token: null,
        headers: { authorization: header },
      });
      expect([header, answer.status]).toEqual([header, 401]);
    }
  });

  it('accepts HTTP Basic with the token as the password (MLflow username/password auth)', async () => {
    const basic = Buffer.from(`anyone:${READ_TOKEN}`).toString('base64');
    const answer = await test.api('GET', '/api/2.0/endpoints/', {
      token: null,
      headers: { authorization: `Basic ${basic}` },
    });
    expect(answer.status).toBe(200);
  });

  it('a read-only token reads and predicts, and gets 403 on every write; nothing reaches the target', async () => {
    for (const [method, path, body] of READS) {
      const answer = await test.api(method, path, { body, token: READ_TOKEN });
      expect([method, path, answer.status === 401 || answer.status === 403]).toEqual([method, path, false]);
    }
    for (const [method, path, body] of WRITES) {
      const answer = await test.api(method, path, { body, token: READ_TOKEN });
      expect([method, path, answer.status]).toEqual([method, path, 403]);
      expect(answer.json()).toMatchObject({
        error_code: 'PERMISSION_DENIED',
        message: expect.stringContaining('read-only'),
      });
    }
    const operations = (await test.api('GET', '/api/berth/v1/operations')).json() as { operations: unknown[] };
    expect(operations.operations).toEqual([]);
  });

  it('no log line holds a token', async () => {
    await test.api('GET', '/api/berth/v1/deployments', { token: READ_TOKEN });
    await test.api('POST', '/api/berth/v1/deployments', {
      body: { name: 'logged', modelUri: 'm' },
      headers: { prefer: 'wait=5' },
    });
    const log = test.logLines.join('\n');
    expect(test.logLines.length).toBeGreaterThan(5);
    expect(log).not.toContain(WRITE_TOKEN);
    expect(log).not.toContain(READ_TOKEN);
  });
});

describe('body limits of the prediction routes', () => {
  it('predict and invocations over the limit are 413 with the error JSON', async () => {
    const big = { inputs: 'x'.repeat(5000) };
    const predict = await test.api('POST', '/api/berth/v1/predict', {
      body: { deploymentName: 'logged', inputs: big },
    });
    expect(predict.status).toBe(413);
    expect(predict.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    const invocation = await test.api('POST', '/endpoints/logged/invocations', { body: big });
    expect(invocation.status).toBe(413);
    expect(invocation.json()).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('4096 bytes'),
    });
    // A body without content-length (chunked) is cut off at the limit too.
    const chunked = await fetch(`${test.url}/endpoints/logged/invocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READ_TOKEN}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let index = 0; index < 10; index++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });
});

describe('binding', () => {
  it('refuses a non-loopback address with a generated token, before binding', async () => {
    await expect(startServer({ target: 'fake-auth', host: '0.0.0.0', port: 0, logger: false })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('Refusing to listen on 0.0.0.0'),
      suggestions: [expect.stringContaining('--token-file'), expect.stringContaining('127.0.0.1')],
    });
  });

  it('refuses tokens shorter than 16 characters and one token in both roles', async () => {
    await expect(
      startServer({ target: 'fake-auth', port: 0, logger: false, tokens: { readWrite: ['short'] } }),
    ).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('at least 16'),
    });
    await expect(
      startServer({
        target: 'fake-auth',
        port: 0,
        logger: false,
        tokens: { readWrite: [WRITE_TOKEN], readOnly: [WRITE_TOKEN] },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('generates a token on loopback when none is given, and accepts it', async () => {
    const server = await startServer({ target: 'fake-auth', port: 0, logger: false });
    try {
      expect(server.generatedToken).toMatch(/^[\w-]{43}$/);
      const answer = await fetch(`${server.url}/api/berth/v1/server`, {
        headers: { authorization: `Bearer ${server.generatedToken}` },
      });
      expect(answer.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
