import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScoringServerHandle, startScoringServer } from '../dist/index.js';
import { irisModel, irisSplit } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';
let server: ScoringServerHandle;

beforeAll(async () => {
  server = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false, authToken: TOKEN });
}, 60_000);
afterAll(() => server?.close());

async function call(path: string, init: { method?: string; token?: string; body?: string; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.type !== undefined) headers['content-type'] = init.type;
  const response = await fetch(server.url + path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: Buffer.from(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

describe('bearer-token auth on the scoring server', () => {
  it('leaves the health probes open', async () => {
    for (const path of ['/ping', '/health', '/v2/health/live', '/v2/health/ready']) {
      expect((await call(path)).status, path).toBe(200);
    }
  });

  it('answers 401 with WWW-Authenticate on /invocations without a token or with a wrong one', async () => {
    for (const token of [undefined, 'wrong-token-0123456789abcdef', TOKEN.slice(0, -1)]) {
      const answer = await call('/invocations', {
        method: 'POST',
        body: irisSplit(),
        type: 'application/json',
        ...(token === undefined ? {} : { token }),
      });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      const body = JSON.parse(answer.text) as { error_code: string; message: string };
      expect(body.error_code).toBe('UNAUTHENTICATED');
      expect(body.message).toContain('Authorization: Bearer');
      expect(answer.text).not.toContain(TOKEN);
    }
  });

  it('serves /invocations with the right token', async () => {
    const answer = await call('/invocations', {
      method: 'POST',
      body: irisSplit(),
      type: 'application/json',
      token: TOKEN,
    });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.text) as { predictions: unknown[] }).predictions).toHaveLength(3);
  });

  it('guards every other route, OIP ones with OIP error bodies', async () => {
    for (const path of ['/version', '/metrics', '/v2', '/v2/models/iris', '/v2/models/iris/ready', '/nope']) {
      const answer = await call(path);
      expect(answer.status, path).toBe(401);
    }
    const infer = await call('/v2/models/iris/infer', {
      method: 'POST',
      type: 'application/json',
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }),
    });
    expect(infer.status).toBe(401);
    expect(JSON.parse(infer.text)).toEqual({ error: expect.stringContaining('Authorization: Bearer') });
    expect((await call('/version', { token: TOKEN })).status).toBe(200);
    expect((await call('/v2/models/iris', { token: TOKEN })).status).toBe(200);
  });
});

describe('listening beyond loopback', () => {
  it('is refused without a token, before the model loads', async () => {
    const started = startScoringServer({ modelUri: irisModel, host: '0.0.0.0', logger: false });
    await expect(started).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('Refusing to listen on 0.0.0.0 without authentication'),
    });
  });
});
