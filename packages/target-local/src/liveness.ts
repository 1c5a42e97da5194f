import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';

/**
 * The supervisor's liveness check of its child, like a Kubernetes liveness probe: `GET /ping`
 * every interval, and a child that has not answered that many probes in a row is hung (a SIGSTOP,
 * a deadlock, an event loop held by a model that never returns). Any HTTP answer counts as alive —
 * a 503 from a router with no healthy member, or from a server that is not ready, is a readiness
 * matter that the endpoint already routes around. Optionally the child's resident memory is read on
 * the same tick, and a child above the limit is reported too.
 */

export interface LivenessSettings {
  /** Time between the starts of two probes. */
  intervalMs: number;
  /** How long one probe may wait for an answer (at most the interval). */
  timeoutMs: number;
  /** Failed probes in a row that make the child hung; 0 turns probing off. */
  failures: number;
  /** Resident memory above which the child is replaced; unset: no limit. */
  maxRssMb?: number | undefined;
}

export interface LivenessVerdict {
  reason: 'hung' | 'memory';
  detail: string;
}

export interface Watched {
  pid: number;
  url: string;
}

/** One `/ping`: resolves with why it failed, or undefined when anything answered in time. */
export function probe(url: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (failure: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(failure);
    };
    // A new connection each time: a hung process still completes TCP handshakes (the kernel does),
    // so only an HTTP answer proves the process itself runs.
    const request = http.get(`${url}/ping`, { agent: false }, (response) => {
      response.resume();
      finish(undefined);
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
}

/** Resident set size of a process in MiB (Linux: /proc; elsewhere: ps), undefined if unknown. */
export async function residentMb(pid: number): Promise<number | undefined> {
  if (process.platform === 'linux') {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
    const match = status && /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  }
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'rss=', '-p', String(pid)], (error, stdout) => {
      const kilobytes = Number(stdout.trim());
      resolve(error || !Number.isFinite(kilobytes) || kilobytes <= 0 ? undefined : kilobytes / 1024);
    });
  });
}

/** Watches one child until `stop()` or until it reports a verdict (then it stops by itself). */
export class LivenessMonitor {
  private timer: NodeJS.Timeout | undefined;
  private missed = 0;
  private lastFailure = '';
  private stopped = false;
  private busy = false;

  constructor(
    private readonly settings: LivenessSettings,
    private readonly watched: Watched,
    private readonly onVerdict: (verdict: LivenessVerdict) => void,
    private readonly checks: {
      probe: typeof probe;
      residentMb: typeof residentMb;
    } = { probe, residentMb },
  ) {}

  get enabled(): boolean {
    return this.settings.failures > 0 || this.settings.maxRssMb !== undefined;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.settings.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    // The probe timeout is at most the interval, so a probe is only still running when the
    // event loop of this process itself was held; never stack them.
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const { failures, maxRssMb } = this.settings;
      const timeoutMs = Math.min(this.settings.timeoutMs, this.settings.intervalMs);
      const [failure, rss] = await Promise.all([
        failures > 0 ? this.checks.probe(this.watched.url, timeoutMs) : undefined,
        maxRssMb !== undefined ? this.checks.residentMb(this.watched.pid) : undefined,
      ]);
      if (this.stopped) return;
      if (rss !== undefined && maxRssMb !== undefined && rss > maxRssMb) {
        return this.report({
          reason: 'memory',
          detail: `resident memory ${Math.round(rss)} MB is above max_rss_mb=${maxRssMb}`,
        });
      }
      if (failure === undefined) {
        this.missed = 0;
        return;
      }
      this.missed++;
      this.lastFailure = failure;
      if (this.missed >= failures) {
        this.report({
          reason: 'hung',
          detail: `did not answer /ping ${this.missed} times in a row, ${this.settings.intervalMs} ms apart (last: ${this.lastFailure})`,
        });
      }
    } finally {
      this.busy = false;
    }
  }

  private report(verdict: LivenessVerdict): void {
    this.stop();
    this.onVerdict(verdict);
  }
}
