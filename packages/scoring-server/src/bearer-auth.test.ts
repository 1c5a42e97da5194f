import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerCheck, isLoopbackHost, isOpenPath, resolveAuthToken } from './bearer-auth.js';

const TOKEN = 'a'.repeat(8) + 'b'.repeat(8) + 'c'.repeat(8);
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'berth-auth-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!BerthError.isInstance(error)) throw new Error(`expected a BerthError, got ${String(error)}`);
  return error;
}

describe('bearerCheck', () => {
  const check = bearerCheck(TOKEN);
  it('accepts exactly the token under the Bearer scheme (scheme case-insensitive)', () => {
    expect(check(`Bearer ${TOKEN}`)).toBe(true);
    expect(check(`bearer ${TOKEN}`)).toBe(true);
  });
  it('refuses a missing header, another scheme, a prefix, a longer value and a near miss', () => {
    expect(check(undefined)).toBe(false);
    expect(check('')).toBe(false);
    expect(check(`Basic ${TOKEN}`)).toBe(false);
    expect(check(TOKEN)).toBe(false);
    expect(check(`Bearer ${TOKEN.slice(0, -1)}`)).toBe(false);
    expect(check(`Bearer ${TOKEN}x`)).toBe(false);
    expect(check(`Bearer ${TOKEN.slice(0, -1)}d`)).toBe(false);
  });
});

describe('open paths and loopback hosts', () => {
  it('only the health probes are open', () => {
    for (const open of ['/ping', '/health', '/v2/health/live', '/v2/health/ready']) expect(isOpenPath(open)).toBe(true);
    for (const closed of [
      '/invocations',
      '/version',
      '/metrics',
      '/v2',
      '/v2/models/iris',
      '/ping/',
      '/-/berth/status',
    ])
      expect(isOpenPath(closed)).toBe(false);
  });
  it('tells loopback from reachable hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.4', 'example.com', '1270.0.0.1'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('resolveAuthToken', () => {
  it('no token on loopback: auth off', async () => {
    expect(await resolveAuthToken({ host: '127.0.0.1' })).toBeUndefined();
  });

  it('a non-loopback host needs a token unless explicitly waived', async () => {
    const error = await rejection(resolveAuthToken({ host: '0.0.0.0' }));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain('Refusing to listen on 0.0.0.0 without authentication');
    expect(error.suggestions.join('\n')).toContain('--auth-token-file');
    expect(await resolveAuthToken({ host: '0.0.0.0', allowUnauthenticated: true })).toBeUndefined();
    expect(await resolveAuthToken({ host: '0.0.0.0', authToken: TOKEN })).toBe(TOKEN);
  });

  it('reads a token file without its trailing newline', async () => {
    const file = path.join(scratch, 'token');
    await writeFile(file, `${TOKEN}\n`);
    expect(await resolveAuthToken({ host: '::', authTokenFile: file })).toBe(TOKEN);
  });

  it('refuses a short token, whitespace inside, a missing file, and both forms at once', async () => {
    const short = await rejection(resolveAuthToken({ host: '127.0.0.1', authToken: 'short' }));
    expect(short.message).toContain('at least 16');
    expect(short.suggestions.join('\n')).toContain('openssl rand -hex 24');
    const spaced = await rejection(resolveAuthToken({ host: '127.0.0.1', authToken: `${TOKEN} ${TOKEN}` }));
    expect(spaced.message).toContain('whitespace');
    const missing = await rejection(resolveAuthToken({ host: '127.0.0.1', authTokenFile: path.join(scratch, 'none') }));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missing.message).toContain('Cannot read the auth token file');
    const file = path.join(scratch, 'token2');
    await writeFile(file, TOKEN);
    const both = await rejection(resolveAuthToken({ host: '127.0.0.1', authToken: TOKEN, authTokenFile: file }));
    expect(both.message).toContain('not both');
  });
});
