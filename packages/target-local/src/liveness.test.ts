import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LivenessMonitor, type LivenessVerdict, probe, residentMb } from './liveness.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server whose /ping answers `status`, or never answers while `hung()` is true. */
async function pingServer(status: () => number, hung: () => boolean = () => false): Promise<string> {
  const server = http.createServer((request, response) => {
    if (hung()) return; // accepted, read, never answered: what a stopped or blocked process looks like
    response.writeHead(status(), { 'content-type': 'application/json' });
    response.end(request.url === '/ping' ? '\n' : '{}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A started monitor with the real checks, counted (the count is the test's clock: no fixed sleeps). */
function watch(url: string, settings: Partial<ConstructorParameters<typeof LivenessMonitor>[0]> = {}) {
  const verdicts: LivenessVerdict[] = [];
  const ticks = { count: 0 };
  const monitor = new LivenessMonitor(
    { intervalMs: 40, timeoutMs: 30, failures: 3, ...settings },
    { pid: process.pid, url },
    (verdict) => verdicts.push(verdict),
    {
      probe: (...args) => {
        ticks.count++;
        return probe(...args);
      },
      residentMb: (...args) => {
        if (settings.failures === 0) ticks.count++;
        return residentMb(...args);
      },
    },
  );
  monitor.start();
  /** Resolves once `n` more checks ran. */
  const after = async (n: number) => {
    const target = ticks.count + n;
    await vi.waitFor(() => expect(ticks.count).toBeGreaterThanOrEqual(target), { timeout: 5_000, interval: 5 });
  };
  return { monitor, verdicts, after };
}

describe('probe', () => {
  it('counts any HTTP answer as alive, a silent server or a closed port as a failure that says why', async () => {
    expect(await probe(await pingServer(() => 200), 500)).toBeUndefined();
    // A router with no healthy member answers 503: not ready, but alive.
    expect(await probe(await pingServer(() => 503), 500)).toBeUndefined();
    expect(
      await probe(
        await pingServer(
          () => 200,
          () => true,
        ),
        50,
      ),
    ).toBe('no answer within 50 ms');
    const closed = await pingServer(() => 200);
    const server = servers.pop() as http.Server;
    await new Promise((resolve) => server.close(resolve));
    expect(await probe(closed, 500)).toBe('ECONNREFUSED');
  });
});

describe('LivenessMonitor', () => {
  it('reports a server that stops answering after the configured failures in a row, once', async () => {
    let hung = false;
    const { monitor, verdicts, after } = watch(
      await pingServer(
        () => 200,
        () => hung,
      ),
    );
    try {
      await after(5);
      expect(verdicts).toEqual([]);
      hung = true;
      const startedHanging = performance.now();
      await vi.waitFor(() => expect(verdicts).toHaveLength(1), { timeout: 2_000, interval: 10 });
      const elapsed = performance.now() - startedHanging;
      expect(verdicts[0]).toEqual({
        reason: 'hung',
        detail: 'did not answer /ping 3 times in a row, 40 ms apart (last: no answer within 30 ms)',
      });
      // Three probes 40 ms apart (the first up to 40 ms after the hang), each failing after 30 ms.
      expect(elapsed).toBeGreaterThanOrEqual(3 * 30);
      // It stops after reporting: another monitor's five probes later, still one verdict.
      const clock = watch(await pingServer(() => 200));
      await clock.after(5);
      clock.monitor.stop();
      expect(verdicts).toHaveLength(1);
    } finally {
      monitor.stop();
    }
  });

  it('forgives failures that are not consecutive', async () => {
    let calls = 0;
    // Every other probe times out: never three in a row.
    const { monitor, verdicts, after } = watch(
      await pingServer(
        () => 200,
        () => calls++ % 2 === 0,
      ),
    );
    try {
      await after(10);
      expect(verdicts).toEqual([]);
    } finally {
      monitor.stop();
    }
  });

  it('reports a process above max_rss_mb, and probes nothing when both checks are off', async () => {
    const url = await pingServer(() => 200);
    const rss = (await residentMb(process.pid)) as number;
    expect(rss).toBeGreaterThan(10);
    const over = watch(url, { failures: 0, maxRssMb: Math.floor(rss / 2) });
    await vi.waitFor(() => expect(over.verdicts).toHaveLength(1), { timeout: 2_000, interval: 10 });
    expect(over.verdicts[0]?.reason).toBe('memory');
    expect(over.verdicts[0]?.detail).toMatch(
      new RegExp(`^resident memory \\d+ MB is above max_rss_mb=${Math.floor(rss / 2)}$`),
    );
    const under = watch(url, { failures: 0, maxRssMb: rss * 20 });
    const off = new LivenessMonitor({ intervalMs: 10, timeoutMs: 10, failures: 0 }, { pid: 1, url }, () => {
      throw new Error('no verdict expected');
    });
    expect(off.enabled).toBe(false);
    off.start();
    await under.after(5);
    expect(under.verdicts).toEqual([]);
    under.monitor.stop();
    off.stop();
  });

  it('reads no memory of a process that does not exist', async () => {
    expect(await residentMb(2 ** 22 + 12345)).toBeUndefined();
  });
});
