import type { BerthError } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDeploymentClient } from '../dist/index.js';
import { destroyStateDirectory, irisInput, irisModel, isAlive, post, temporaryStateDirectory } from './helpers.js';

const state = temporaryStateDirectory();
const client = new LocalDeploymentClient(`local:${state}`);

afterAll(async () => {
  await client.deleteEndpoint('split').catch(() => undefined);
  for (const name of ['blue', 'green']) await client.deleteDeployment(name).catch(() => undefined);
  await client.close();
  destroyStateDirectory(state);
}, 60_000);

async function spread(url: string, requests: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < requests; i += 10) {
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(`${url}/invocations`, irisInput)));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const member = String(answer.headers['x-berth-deployment']);
      counts[member] = (counts[member] ?? 0) + 1;
    }
  }
  return counts;
}

describe('endpoints', () => {
  beforeAll(async () => {
    await Promise.all([client.createDeployment('blue', irisModel), client.createDeployment('green', irisModel)]);
  }, 120_000);

  it('splits 1,000 requests by weight (80/20 within 3 points), from a JSON traffic string', async () => {
    const created = await client.createEndpoint('split', { traffic: '{"blue":80,"green":20}' });
    expect(created.traffic).toEqual({ blue: 80, green: 20 });
    expect(created.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const counts = await spread(created.url as string, 1000);
    expect(Math.abs((counts.blue ?? 0) / 1000 - 0.8)).toBeLessThan(0.03);
    expect(Math.abs((counts.green ?? 0) / 1000 - 0.2)).toBeLessThan(0.03);
  }, 120_000);

  it('changes weights atomically with update-endpoint (a:50,b:50 form) and predicts through the endpoint', async () => {
    const updated = await client.updateEndpoint('split', { traffic: 'blue:50,green:50' });
    expect(updated.traffic).toEqual({ blue: 50, green: 50 });
    const counts = await spread(updated.url as string, 200);
    expect(counts.blue).toBe(100);
    expect(counts.green).toBe(100);
    const response = await client.predict(undefined, irisInput, { endpoint: 'split' });
    expect((response.predictions as unknown[]).length).toBe(3);
    // One row through an endpoint is explained against a member's input example, not against itself.
    const single = await client.explain(
      undefined,
      { dataframe_split: { columns: irisInput.dataframe_split.columns, data: [[5.1, 3.5, 1.4, 0.2]] } },
      { endpoint: 'split' },
    );
    expect(single.attributions[0]?.some((value) => Math.abs(value) > 1e-3)).toBe(true);
    const listed = await client.listEndpoints();
    expect(listed.map((endpoint) => endpoint.name)).toEqual(['split']);
    const members = (await client.getEndpoint('split')).members as { name: string; healthy: boolean }[];
    expect(members.map((member) => [member.name, member.healthy])).toEqual([
      ['blue', true],
      ['green', true],
    ]);
  }, 60_000);

  it('never routes to an unhealthy member', async () => {
    const green = await client.getDeployment('green');
    // Freeze green's whole process group: it neither answers nor gets restarted.
    process.kill(-(green.supervisorPid as number), 'SIGSTOP');
    try {
      const endpoint = await client.getEndpoint('split');
      const counts: Record<string, number> = {};
      for (let i = 0; i < 100; i++) {
        const answer = await post(`${endpoint.url}/invocations`, irisInput);
        expect(answer.status).toBe(200);
        const member = String(answer.headers['x-berth-deployment']);
        counts[member] = (counts[member] ?? 0) + 1;
      }
      // The active check (500 ms, 400 ms timeout) takes green out; until then a stopped member
      // accepts connections but never answers, so at most the first requests could wait on it.
      expect(counts.green ?? 0).toBeLessThanOrEqual(1);
      const members = (await client.getEndpoint('split')).members as { name: string; healthy: boolean }[];
      expect(members.find((member) => member.name === 'green')?.healthy).toBe(false);
    } finally {
      process.kill(-(green.supervisorPid as number), 'SIGCONT');
    }
  }, 60_000);

  it('skips a dead member and retries connection failures on another member', async () => {
    const green = await client.getDeployment('green');
    await client.deleteDeployment('green');
    expect(isAlive(green.pid as number)).toBe(false);
    const endpoint = await client.getEndpoint('split');
    const counts = await spread(endpoint.url as string, 100);
    expect(counts).toEqual({ blue: 100 });
    // blue is now all the endpoint has: deleting it is refused, and it keeps serving.
    const refused = await client.deleteDeployment('blue').catch((e: BerthError) => e);
    expect((refused as BerthError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((refused as BerthError).message).toMatch(/only deployment endpoint 'split' sends traffic to/);
    expect((await client.getDeployment('blue')).state).toBe('ready');
    expect(await spread(endpoint.url as string, 10)).toEqual({ blue: 10 });
  }, 60_000);

  it('rejects traffic naming a missing deployment, and deletes idempotently', async () => {
    const error = await client.createEndpoint('bad', { traffic: 'nobody:1' }).catch((e: { code: string }) => e);
    expect((error as { code: string }).code).toBe('RESOURCE_DOES_NOT_EXIST');
    const endpoint = await client.getEndpoint('split');
    await client.deleteEndpoint('split');
    await client.deleteEndpoint('split');
    expect(isAlive(endpoint.pid as number)).toBe(false);
    const missing = await client.getEndpoint('split').catch((e: { code: string }) => e);
    expect((missing as { code: string }).code).toBe('RESOURCE_DOES_NOT_EXIST');
  }, 60_000);
});
