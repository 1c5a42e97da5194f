import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { irisInput, irisModel, isAlive, openTestClient, servingAgain } from './helpers.js';

const { client, cleanup } = openTestClient();

afterAll(() => cleanup('sup', 'fragile'), 60_000);

describe('supervision', () => {
  beforeAll(async () => {
    const created = await client.createDeployment('sup', irisModel);
    // Steady state: the supervisor keeps a pre-started standby server process (logged when ready).
    await vi.waitFor(() => expect(readFileSync(created.logFile as string, 'utf8')).toContain('standby ready'), {
      timeout: 30_000,
      interval: 50,
    });
  }, 60_000);

  it('serves again after kill -9 of the serving process, on the same URL, from the standby', async () => {
    const before = await client.getDeployment('sup');
    process.kill(before.pid as number, 'SIGKILL');
    const elapsed = await servingAgain(before.url as string, irisInput, 10_000);
    const after = await client.getDeployment('sup');
    expect(after.url).toBe(before.url);
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBe((before.restarts as number) + 1);
    expect(after.state).toBe('ready');
    // The restart took the standby: only the model load remained (typically well under 2 s).
    expect(readFileSync(after.logFile as string, 'utf8')).toMatch(/starting deployment sup \(standby process\)/);
    const [restart] = after.restartHistory as { reason: string; pid: number; signal: string }[];
    expect(restart).toMatchObject({ reason: 'exited', pid: before.pid, signal: 'SIGKILL' });
    console.info(`kill -9 → serving again in ${elapsed.toFixed(0)} ms`);
  }, 30_000);

  it('restarts a deployment whose supervisor is gone (as after a reboot) on the next use', async () => {
    const before = await client.getDeployment('sup');
    // The whole group dies, as in a reboot: nothing is left to restart the server.
    process.kill(-(before.supervisorPid as number), 'SIGKILL');
    await vi.waitFor(
      () => expect(isAlive(before.pid as number) || isAlive(before.supervisorPid as number)).toBe(false),
      {
        timeout: 5_000,
        interval: 20,
      },
    );
    const response = await client.predict('sup', irisInput);
    expect((response.predictions as unknown[]).length).toBe(3);
    const after = await client.getDeployment('sup');
    expect(after.supervisorPid).not.toBe(before.supervisorPid);
    expect(isAlive(after.supervisorPid as number)).toBe(true);
    expect(after.state).toBe('ready');
  }, 60_000);

  it('lists a deployment without a live supervisor as starting (or ready) while it restarts it', async () => {
    const before = await client.getDeployment('sup');
    process.kill(-(before.supervisorPid as number), 'SIGKILL');
    await vi.waitFor(() => expect(isAlive(before.supervisorPid as number)).toBe(false), {
      timeout: 5_000,
      interval: 20,
    });
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
      const restarted = await vi.waitFor(
        async () => {
          const current = await client.getDeployment('fragile');
          expect(current.pid).not.toBe(created.pid);
          expect(current.state).toBe('ready');
          return current;
        },
        { timeout: 20_000, interval: 50 },
      );
      expect(restarted.restarts).toBe(1);
      process.kill(restarted.pid as number, 'SIGKILL');
      const crashed = await vi.waitFor(
        async () => {
          const current = await client.getDeployment('fragile');
          expect(current.state).toBe('crashed');
          return current;
        },
        { timeout: 20_000, interval: 50 },
      );
      expect(crashed.lastError).toMatch(/SIGKILL/);
      const revived = await client.updateDeployment('fragile', { modelUri: irisModel, config: { restart_limit: '2' } });
      expect(revived.state).toBe('ready');
      expect((await client.predict('fragile', irisInput)).predictions).toHaveLength(3);
    } finally {
      await client.deleteDeployment('fragile');
    }
  }, 90_000);
});
