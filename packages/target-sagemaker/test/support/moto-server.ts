/**
 * moto_server for the AWS services it implements (S3, STS, IAM, ECR, CloudWatch, and the parts of
 * SageMaker it has). Started on 127.0.0.1 with port 0 — moto prints the port it bound — reset
 * between tests with `POST /moto-api/reset`, stopped by its pid.
 *
 * Where moto_server is missing the suites say so in one line and skip; with CI=true a missing
 * moto_server fails the run instead, so CI can never pass by skipping.
 */
import { spawn, spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';
import { stopChild } from './stop-child.js';

export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Clears every service's state (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** SIGTERM by pid, SIGKILL after 5 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** BERTH_MOTO_SERVER, else moto_server on PATH, else pyenv's shim (a shell may not have pyenv on PATH). */
function candidates(): string[] {
  if (process.env.BERTH_MOTO_SERVER) return [process.env.BERTH_MOTO_SERVER];
  return ['moto_server', path.join(homedir(), '.pyenv/shims/moto_server')];
}

let availability: { available: boolean; reason: string; command: string } | undefined;

/** Whether moto_server can be started here (checked once per process: `moto_server --help`). */
export function motoAvailability(): { available: boolean; reason: string } {
  if (availability) return availability;
  const tried: string[] = [];
  for (const command of candidates()) {
    const probe = spawnSync(command, ['--help'], { encoding: 'utf8', timeout: 20_000 });
    if (probe.status === 0) {
      availability = { available: true, reason: '', command };
      return availability;
    }
    tried.push(`${command}: ${probe.error?.message ?? `exit ${probe.status}`}`);
  }
  availability = {
    available: false,
    command: '',
    reason: `moto_server not found (${tried.join('; ')}): install moto ('pip install "moto[server]"') or set BERTH_MOTO_SERVER`,
  };
  return availability;
}

/**
 * For `describe.skipIf(...)`: true when the suite must skip. Prints the one-line reason. Throws on
 * CI (`CI=true`), where skipping would hide that the wire-format tests never ran.
 */
export function skipWithoutMoto(suite: string): boolean {
  const { available, reason } = motoAvailability();
  if (available) return false;
  if (process.env.CI === 'true') throw new Error(`${suite}: ${reason} (CI=true: the wire-format suites must run)`);
  process.stderr.write(`${suite}: skipped — ${reason}\n`);
  return true;
}

export async function startMotoServer(): Promise<MotoServer> {
  const { available, reason } = motoAvailability();
  if (!available) throw new Error(reason);
  const command = (availability as { command: string }).command;
  const child = spawn(command, ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // moto's own account/region defaults; no credentials of the machine reach it.
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`moto_server printed no port within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${output.slice(-2000)}`));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`moto_server exited (${code}) before listening`)));
  });
  // Keep draining its request log so the pipe never fills and blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  const url = `http://127.0.0.1:${port}`;
  await waitForMotoApi(url);
  return {
    url,
    port,
    pid,
    async reset() {
      const response = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    stop: () => stopChild(child),
  };
}

async function waitForMotoApi(url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/moto-api/`);
      if (response.ok) return;
      last = new Error(`status ${response.status}`);
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`moto_server at ${url} never answered /moto-api/: ${String(last)}`);
}

/** Queues InvokeEndpoint answers in moto (its runtime answers placeholder text otherwise). */
export async function queueMotoInvokeResults(
  moto: MotoServer,
  results: Array<{ Body: string; ContentType?: string; InvokedProductionVariant?: string; CustomAttributes?: string }>,
  region = 'us-west-2',
): Promise<void> {
  const response = await fetch(`${moto.url}/moto-api/static/sagemaker/endpoint-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ results, region }),
  });
  if (!response.ok) throw new Error(`queueing moto results answered ${response.status}: ${await response.text()}`);
}
