import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { irisInput, irisModel, isAlive, openTestClient, post, repositoryRoot, servingAgain } from './helpers.js';

/**
 * Issue 11 §3: a server that stops answering is replaced, not just reported. Default liveness
 * settings throughout (a probe every 0.5 s, answered within 0.5 s, three misses in a row) unless a test says otherwise.
 */

const { client, cleanup } = openTestClient('berth-liveness-');
const models = mkdtempSync(join(tmpdir(), 'berth-liveness-models-'));
afterAll(async () => {
  await cleanup('stopped', 'spin-worker', 'spin-inline', 'leaky', 'member', 'off');
  rmSync(models, { recursive: true, force: true });
}, 120_000);

/**
 * A js model that answers x1 + x2, spins forever when x1 is 666, and keeps 64 MB more each time x1 is
 * 777 (a leak): what a hung or leaking model looks like from outside.
 */
function misbehavingModel(): string {
  const directory = join(models, 'misbehaving');
  cpSync(join(repositoryRoot, 'examples/models/js-linear'), directory, { recursive: true });
  writeFileSync(
    join(directory, 'model.mjs'),
    `const kept = [];
export async function load() {
  return {
    predict(input) {
      const x1 = input.columns.find((column) => column.name === 'x1').values;
      const x2 = input.columns.find((column) => column.name === 'x2').values;
      if (x1[0] === 666) for (;;) {}
      if (x1[0] === 777) kept.push(Buffer.alloc(64 * 1024 * 1024, 1));
      const sums = new Float64Array(input.rowCount);
      for (let row = 0; row < input.rowCount; row++) sums[row] = x1[row] + x2[row];
      return { kind: 'tensors', orientation: 'records', tensors: { sum: { dtype: 'float64', shape: [input.rowCount], data: sums } } };
    },
  };
}
`,
  );
  return directory;
}
const misbehaving = misbehavingModel();
const frame = (x1: number) => ({ dataframe_split: { columns: ['x1', 'x2'], data: [[x1, 2]] } });

async function standbyReady(logFile: string): Promise<void> {
  await vi.waitFor(() => expect(readFileSync(logFile, 'utf8')).toContain('standby ready'), {
    timeout: 30_000,
    interval: 50,
  });
}

describe('a hung server is replaced', () => {
  it('SIGSTOP of the serving process: serving again from the standby within 5 s, the hung pid gone', async () => {
    const created = await client.createDeployment('stopped', irisModel);
    await standbyReady(created.logFile as string);
    const hungPid = created.pid as number;
    process.kill(hungPid, 'SIGSTOP');
    try {
      const elapsed = await servingAgain(created.url as string, irisInput, 5_000);
      await vi.waitFor(() => expect(isAlive(hungPid)).toBe(false), { timeout: 2_000, interval: 20 });
      const after = await client.getDeployment('stopped');
      expect(after.state).toBe('ready');
      expect(after.url).toBe(created.url);
      expect(after.pid).not.toBe(hungPid);
      const [restart] = after.restartHistory as { reason: string; pid: number; detail: string }[];
      expect(restart).toMatchObject({ reason: 'hung', pid: hungPid });
      expect(restart?.detail).toMatch(/did not answer \/ping 3 times in a row, 500 ms apart/);
      const log = readFileSync(after.logFile as string, 'utf8');
      expect(log).toMatch(
        new RegExp(`liveness: pid ${hungPid} did not answer /ping .*killing it \\(SIGKILL\\); the standby takes over`),
      );
      expect(log).toMatch(/starting deployment stopped \(standby process\)/);
      console.info(`SIGSTOP -> serving again in ${elapsed.toFixed(0)} ms`);
    } finally {
      if (isAlive(hungPid)) process.kill(hungPid, 'SIGKILL');
    }
  }, 90_000);

  it('a js model that spins forever in a worker: that request times out (504), the next one is answered', async () => {
    const created = await client.createDeployment('spin-worker', misbehaving, {
      config: { allow_code: true, workers: 1, timeout: 1 },
    });
    const url = created.url as string;
    const started = performance.now();
    const stuck = await post(`${url}/invocations`, frame(666));
    expect(stuck.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(5_000);
    // The worker stuck in the loop is terminated and replaced; the process itself never hung.
    const elapsed = await servingAgain(url, frame(1), 10_000);
    expect(JSON.parse((await post(`${url}/invocations`, frame(1))).text)).toEqual({ predictions: [{ sum: 3 }] });
    const after = await client.getDeployment('spin-worker');
    expect(after.pid).toBe(created.pid);
    expect(after.restarts).toBe(0);
    console.info(`spinning worker: 504 then serving again in ${elapsed.toFixed(0)} ms`);
  }, 90_000);

  it('a js model that spins forever on the event loop (workers=0): the process is replaced, the deployment recovers', async () => {
    const created = await client.createDeployment('spin-inline', misbehaving, {
      config: { allow_code: true, workers: 0 },
    });
    await standbyReady(created.logFile as string);
    const url = created.url as string;
    const stuck = post(`${url}/invocations`, frame(666)).then(
      (answer) => `status ${answer.status}`,
      (error: Error) => error.message,
    );
    // The request dies with the process that held it; nothing answers it with a prediction.
    expect(await stuck).toMatch(/socket hang up|ECONNRESET/);
    await servingAgain(url, frame(1), 5_000);
    const after = await client.getDeployment('spin-inline');
    expect(after.pid).not.toBe(created.pid);
    expect(isAlive(created.pid as number)).toBe(false);
    expect((after.restartHistory as { reason: string }[])[0]?.reason).toBe('hung');
  }, 90_000);

  it('a server over max_rss_mb is drained and restarted, with the reason in get', async () => {
    const created = await client.createDeployment('leaky', misbehaving, {
      config: { allow_code: true, workers: 0, max_rss_mb: 400, liveness_interval: 0.2 },
    });
    const url = created.url as string;
    // Each leaking request keeps 64 MB: a few of them pass 400 MB.
    for (let i = 0; i < 12; i++) {
      const answer = await post(`${url}/invocations`, frame(777)).catch(() => undefined);
      if (answer === undefined || (await client.getDeployment('leaky')).pid !== created.pid) break;
    }
    await vi.waitFor(
      async () => {
        const current = await client.getDeployment('leaky');
        expect(current.pid).not.toBe(created.pid);
        expect(current.state).toBe('ready');
      },
      { timeout: 15_000, interval: 50 },
    );
    const after = await client.getDeployment('leaky');
    const [restart] = after.restartHistory as { reason: string; detail: string }[];
    expect(restart?.reason).toBe('memory');
    expect(restart?.detail).toMatch(/^resident memory \d+ MB is above max_rss_mb=400$/);
    expect(readFileSync(after.logFile as string, 'utf8')).toMatch(/draining it \(SIGTERM\) for a restart/);
    expect(JSON.parse((await post(`${url}/invocations`, frame(1))).text)).toEqual({ predictions: [{ sum: 3 }] });
  }, 120_000);

  it('an endpoint whose router is stopped is served again by a new router on the same URL', async () => {
    await client.createDeployment('member', irisModel);
    const endpoint = await client.createEndpoint('front', { traffic: '{"member":100}' });
    const routerPid = endpoint.pid as number;
    process.kill(routerPid, 'SIGSTOP');
    try {
      const elapsed = await servingAgain(endpoint.url as string, irisInput, 5_000);
      await vi.waitFor(() => expect(isAlive(routerPid)).toBe(false), { timeout: 2_000, interval: 20 });
      const after = await client.getEndpoint('front');
      expect(after.pid).not.toBe(routerPid);
      console.info(`SIGSTOP of a router -> serving again in ${elapsed.toFixed(0)} ms`);
    } finally {
      if (isAlive(routerPid)) process.kill(routerPid, 'SIGKILL');
      await client.deleteEndpoint('front').catch(() => undefined);
    }
  }, 90_000);

  it('liveness_failures=0 turns probing off: a stopped server stays stopped (and is listed unhealthy)', async () => {
    const created = await client.createDeployment('off', irisModel, { config: { liveness_failures: 0 } });
    const pid = created.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      await vi.waitFor(async () => expect((await client.getDeployment('off')).state).toBe('unhealthy'), {
        timeout: 10_000,
        interval: 100,
      });
      // Held for well past the default detection time (at most 2 s): the same, stopped process throughout.
      const stoppedAt = performance.now();
      while (performance.now() - stoppedAt < 5_000) {
        expect((await client.getDeployment('off')).pid).toBe(pid);
        expect(readFileSync(created.logFile as string, 'utf8')).not.toMatch(/liveness:/);
      }
      expect(isAlive(pid)).toBe(true);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 60_000);
});
