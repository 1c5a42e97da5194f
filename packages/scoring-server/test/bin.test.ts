import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { binPath, irisModel, irisSplit, postJson, temporaryDirectory, writeJsModel } from './helpers.js';

let scratch: Awaited<ReturnType<typeof temporaryDirectory>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  scratch = await temporaryDirectory('berth-scoring-bin-');
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
});
afterAll(() => scratch?.remove());

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [binPath, ...args], {
    env: { ...process.env, BERTH_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitForFile(file: string, timeoutMs = 30_000): Promise<{ pid: number; port: number; url: string }> {
  const text = await vi.waitFor(() => readFile(file, 'utf8'), { timeout: timeoutMs, interval: 50 });
  return JSON.parse(text);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('berth-scoring-server bin', () => {
  it('--help prints usage; bad flags exit 2 with a clear message', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output().stdout).toContain('--model-uri');
    const bad = run(['--model-uri', irisModel, '--workers', 'many']);
    expect(await bad.exited).toBe(2);
    expect(bad.output().stderr).toContain("--workers must be an integer >= 0; got 'many'");
    const unknown = run(['--model-uri', irisModel, '--frobnicate']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output().stderr).toContain('--frobnicate');
    const missing = run([]);
    expect(await missing.exited).toBe(2);
    expect(missing.output().stderr).toContain('--model-uri is required');
  }, 30_000);

  it('a model that cannot load exits 1 naming the problem', async () => {
    const failed = run(['--model-uri', path.join(scratch.path, 'nothing-here'), '--port', '0']);
    expect(await failed.exited).toBe(1);
    expect(failed.output().stderr).toContain('failed to start');
  }, 30_000);

  it('writes the ready file, serves, and drains an in-flight request on SIGTERM', async () => {
    const model = path.join(scratch.path, 'slow');
    await (await import('node:fs/promises')).mkdir(model);
    const gate = path.join(scratch.path, 'slow-gate');
    await writeJsModel(model, { gate });
    const readyFile = path.join(scratch.path, 'ready.json');
    const server = run([
      '--model-uri',
      model,
      '--allow-code',
      '--port',
      '0',
      '--workers',
      '1',
      '--ready-file',
      readyFile,
    ]);
    const ready = await waitForFile(readyFile);
    expect(ready.pid).toBe(server.child.pid);
    expect(ready.url).toBe(`http://127.0.0.1:${ready.port}`);
    const inFlight = postJson(`${ready.url}/invocations`, JSON.stringify({ inputs: { a: [1, 2, 3] } }));
    // The request is in flight (beside the scrape that reads the gauge), then SIGTERM starts the
    // drain, and only then may predict finish.
    const inFlightCount = async () =>
      Number(/^berth_http_requests_in_flight (\d+)/m.exec(await (await fetch(`${ready.url}/metrics`)).text())?.[1]);
    await expect.poll(inFlightCount, { timeout: 10_000 }).toBe(2);
    server.child.kill('SIGTERM');
    await vi.waitFor(() => expect(server.output().stderr).toContain('draining'), { timeout: 10_000 });
    await writeFile(gate, '');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ predictions: [0, 1, 2] });
    expect(await server.exited).toBe(0);
    await expect(fetch(`${ready.url}/ping`)).rejects.toThrow();
    expect(server.output().stderr).toContain('draining');
  }, 40_000);

  it('SageMaker mode: SAGEMAKER_BIND_TO_PORT and "serve" pick the port, /ping and /invocations answer', async () => {
    const port = await freePort();
    const readyFile = path.join(scratch.path, 'sagemaker-ready.json');
    // --host keeps the test on loopback; the 0.0.0.0 default is covered by sagemaker-mode.test.ts.
    const server = run(['serve', '--model-uri', irisModel, '--host', '127.0.0.1', '--ready-file', readyFile], {
      SAGEMAKER_BIND_TO_PORT: String(port),
    });
    const ready = await waitForFile(readyFile);
    expect(ready.port).toBe(port);
    expect((await fetch(`http://127.0.0.1:${port}/ping`)).status).toBe(200);
    const answer = await postJson(`http://127.0.0.1:${port}/invocations`, irisSplit());
    expect(answer.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 40_000);

  it('--processes 2 serves one port from two processes and stops both on SIGTERM', async () => {
    const readyFile = path.join(scratch.path, 'cluster-ready.json');
    const server = run([
      '--model-uri',
      irisModel,
      '--port',
      '0',
      '--workers',
      '0',
      '--processes',
      '2',
      '--ready-file',
      readyFile,
    ]);
    const ready = await waitForFile(readyFile, 40_000);
    expect(ready.pid).toBe(server.child.pid);
    for (let index = 0; index < 8; index++) {
      // A fresh connection per request: the primary hands connections out round-robin.
      const response = await fetch(`${ready.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: Buffer.from(irisSplit()),
      });
      expect(response.status).toBe(200);
      expect(JSON.parse(await response.text()).predictions).toHaveLength(3);
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const unknown = run(['--model-uri', irisModel, '--processes', '2'], { BERTH_CONTROL_TOKEN: 'x'.repeat(20) });
    expect(await unknown.exited).toBe(2);
    expect(unknown.output().stderr).toContain('cannot be combined with BERTH_CONTROL_TOKEN');
  }, 60_000);

  it('BERTH_CONTROL_TOKEN enables the control routes and never appears in the logs', async () => {
    const token = 'bin-secret-token-0123456789';
    const readyFile = path.join(scratch.path, 'control-ready.json');
    const server = run(['--model-uri', irisModel, '--port', '0', '--workers', '0', '--ready-file', readyFile], {
      BERTH_CONTROL_TOKEN: token,
    });
    const ready = await waitForFile(readyFile);
    const status = await fetch(`${ready.url}/-/berth/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(status.status).toBe(200);
    expect((await fetch(`${ready.url}/-/berth/status`)).status).toBe(401);
    server.child.kill('SIGTERM');
    await server.exited;
    expect(server.output().stderr).not.toContain(token);
  }, 40_000);

  it('--auth-token-file guards the routes; a non-loopback --host without a token exits 1 saying how to fix it', async () => {
    const refused = run(['--model-uri', irisModel, '--host', '0.0.0.0', '--port', '0']);
    expect(await refused.exited).toBe(1);
    expect(refused.output().stderr).toContain('Refusing to listen on 0.0.0.0 without authentication');
    expect(refused.output().stderr).toContain('--allow-unauthenticated');
    const token = 'bin-auth-token-0123456789abcdef';
    const tokenFile = path.join(scratch.path, 'auth-token');
    await (await import('node:fs/promises')).writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const readyFile = path.join(scratch.path, 'auth-ready.json');
    const server = run([
      '--model-uri',
      irisModel,
      '--port',
      '0',
      '--workers',
      '0',
      '--auth-token-file',
      tokenFile,
      '--ready-file',
      readyFile,
    ]);
    const ready = await waitForFile(readyFile);
    expect((await fetch(`${ready.url}/ping`)).status).toBe(200);
    expect((await postJson(`${ready.url}/invocations`, irisSplit())).status).toBe(401);
    const answer = await fetch(`${ready.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: Buffer.from(irisSplit()),
    });
    expect(answer.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output().stderr).not.toContain(token);
  }, 40_000);
});
