import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BerthError } from '@berth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { irisInput, irisModel, openTestClient } from './helpers.js';

/** Issue 11 §4: `-C auth_token_file=` for a deployment and an endpoint; `/ping` and `/health` stay open. */

const { client, cleanup } = openTestClient('berth-auth-');
const secrets = mkdtempSync(join(tmpdir(), 'berth-auth-tokens-'));
afterAll(async () => {
  await client.deleteEndpoint('guarded-front').catch(() => undefined);
  await cleanup('guarded', 'guarded-wide', 'never');
  rmSync(secrets, { recursive: true, force: true });
}, 120_000);

function tokenFile(name: string, token = randomBytes(24).toString('hex')): { file: string; token: string } {
  const file = join(secrets, name);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { file, token };
}

function request(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = http.request(
      url,
      { method, headers: { ...headers, ...(text ? { 'content-type': 'application/json' } : {}) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            headers: response.headers,
          }),
        );
      },
    );
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', reject);
    outgoing.end(text);
  });
}

const deploymentToken = tokenFile('deployment.txt');
const endpointToken = tokenFile('endpoint.txt');

describe('auth_token_file', () => {
  it('a deployment with a token: 401 without it or with a wrong one, 200 with it; /ping and /health open', async () => {
    const created = await client.createDeployment('guarded', irisModel, {
      config: { auth_token_file: deploymentToken.file },
    });
    const url = created.url as string;
    const missing = await request(`${url}/invocations`, 'POST', {}, irisInput);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(missing.text)).toMatchObject({ error_code: 'UNAUTHENTICATED' });
    const wrong = await request(`${url}/invocations`, 'POST', { authorization: `Bearer ${'x'.repeat(48)}` }, irisInput);
    expect(wrong.status).toBe(401);
    const right = await request(
      `${url}/invocations`,
      'POST',
      { authorization: `Bearer ${deploymentToken.token}` },
      irisInput,
    );
    expect(right.status).toBe(200);
    expect((await request(`${url}/ping`, 'GET')).status).toBe(200);
    expect((await request(`${url}/health`, 'GET')).status).toBe(200);
    // The target's own client reads the token file.
    expect((await client.predict('guarded', irisInput)).predictions).toHaveLength(3);
    // The token itself is never shown: not in get, not in the config it reports.
    expect(JSON.stringify(await client.getDeployment('guarded'))).not.toContain(deploymentToken.token);
  }, 90_000);

  it('an endpoint with its own token in front of a member with another: the router authenticates to the member', async () => {
    const endpoint = await client.createEndpoint('guarded-front', {
      traffic: '{"guarded":100}',
      auth_token_file: endpointToken.file,
    });
    const url = endpoint.url as string;
    expect((await request(`${url}/invocations`, 'POST', {}, irisInput)).status).toBe(401);
    // The member's token does not open the endpoint, and the endpoint's is what the member sees replaced.
    expect(
      (await request(`${url}/invocations`, 'POST', { authorization: `Bearer ${deploymentToken.token}` }, irisInput))
        .status,
    ).toBe(401);
    const right = await request(
      `${url}/invocations`,
      'POST',
      { authorization: `Bearer ${endpointToken.token}` },
      irisInput,
    );
    expect(right.status).toBe(200);
    expect(right.headers['x-berth-deployment']).toBe('guarded');
    expect((await request(`${url}/ping`, 'GET')).status).toBe(200);
    expect((await client.predict(undefined, irisInput, { endpoint: 'guarded-front' })).predictions).toHaveLength(3);
  }, 90_000);

  it('a non-loopback host with a token needs no waiver', async () => {
    const created = await client.createDeployment('guarded-wide', irisModel, {
      config: { host: '0.0.0.0', auth_token_file: deploymentToken.file },
    });
    const port = new URL(created.url as string).port;
    expect((await request(`http://127.0.0.1:${port}/invocations`, 'POST', {}, irisInput)).status).toBe(401);
    expect(
      (
        await request(
          `http://127.0.0.1:${port}/invocations`,
          'POST',
          { authorization: `Bearer ${deploymentToken.token}` },
          irisInput,
        )
      ).status,
    ).toBe(200);
  }, 90_000);

  it('a missing or too short token file is refused before anything starts', async () => {
    const missing = await client
      .createDeployment('never', irisModel, { config: { auth_token_file: join(secrets, 'nope.txt') } })
      .catch((error: BerthError) => error);
    expect(missing).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((missing as BerthError).message).toMatch(/Cannot read the auth token file ".*nope\.txt" \(ENOENT\)/);
    const short = await client
      .createDeployment('never', irisModel, { config: { auth_token_file: tokenFile('short.txt', 'abc').file } })
      .catch((error: BerthError) => error);
    expect(short).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect((short as BerthError).message).toMatch(/has 3 characters; at least 16 are needed/);
    await expect(client.getDeployment('never')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  }, 60_000);
});
