import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisInput, irisModel, isAlive, openTestClient, post } from './helpers.js';

const { client, cleanup } = openTestClient();

afterAll(() => cleanup('sup', 'fragile'), 60_000);

async function waitServing(url: string, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    try {
      if ((await post(`${url}/invocations`, irisInput)).status === 200) return Date.now() - started;
    } catch {
      // refused while restarting
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Number.POSITIVE_INFINITY;
}

describe('supervision', () => {
  beforeAll(async () => {
    const created = await client.createDeployment('sup', irisModel);
    // Steady state: the supervisor keeps a pre-started standby server process (logged when ready).
    const deadline = Date.now() + 30_000;
    while (!readFileSync(created.logFile as string, 'utf8').includes('standby ready') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  it('serves again within 2 s after kill -9 of the serving process, on the same URL', async () => {
    const before = await client.getDeployment('sup');
    process.kill(before.pid as number, 'SIGKILL');
    const elapsed = await waitServing(before.url as string, 10_000);
    expect(elapsed).toBeLessThan(2_000);
    const after = await client.getDeployment('sup');
    expect(after.url).toBe(before.url);
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBe((before.restarts as number) + 1);
    expect(after.state).toBe('ready');
  }, 30_000);

  it('restarts a deployment whose supervisor is gone (as after a reboot) on the next use', async () => {
    const before = await client.getDeployment('sup');
    // The whole group dies, as in a reboot: nothing is left to restart the server.
    process.kill(-(before.supervisorPid as number), 'SIGKILL');
    const deadline = Date.now() + 5_000;
    while ((isAlive(before.pid as number) || isAlive(before.supervisorPid as number)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(isAlive(before.supervisorPid as number)).toBe(false);
    const response = await client.predict('sup', irisInput);
    expect((response.predictions as unknown[]).length).toBe(3);
    const after = await client.getDeployment('sup');
    expect(after.supervisorPid).not.toBe(before.supervisorPid);
    expect(isAlive(after.supervisorPid as number)).toBe(true);
    expect(after.state).toBe('ready');
  }, 60_000);

  it('reports a deployment without a live supervisor as crashed in listings until it is used', async () => {
    const before = await client.getDeployment('sup');
    process.kill(-(before.supervisorPid as number), 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // list restarts it in the background and reports it starting (or ready if quick)
    const listed = (await client.listDeployments()).find((deployment) => deployment.name === 'sup');
    expect(['starting', 'ready']).toContain(listed?.state);
    const response = await client.predict('sup', irisInput);
    expect((response.predictions as unknown[]).length).toBe(3);
  }, 60_000);
});

describe('restart limit', () => {
  it('marks a deployment crashed after restart_limit restarts within a minute; an update revives it', async () => {
    const created = await client.createDeployment('fragile', irisModel, { config: { restart_limit: '1' } });
    try {
      process.kill(created.pid as number, 'SIGKILL');
      let current = created;
      const deadline = Date.now() + 20_000;
      while ((current.pid === created.pid || current.state !== 'ready') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        current = await client.getDeployment('fragile');
      }
      expect(current.restarts).toBe(1);
      process.kill(current.pid as number, 'SIGKILL');
      while (current.state !== 'crashed' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        current = await client.getDeployment('fragile');
      }
      expect(current.state).toBe('crashed');
      expect(current.lastError).toMatch(/SIGKILL/);
      const revived = await client.updateDeployment('fragile', { modelUri: irisModel, config: { restart_limit: '2' } });
      expect(revived.state).toBe('ready');
      expect((await client.predict('fragile', irisInput)).predictions).toHaveLength(3);
    } finally {
      await client.deleteDeployment('fragile');
    }
  }, 90_000);
});
