import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { berthBin, cleanEnvironment, runBerth, runProcess, testDirectory } from './helpers/berth-process.js';

// `berth serve` as a user runs it: the built CLI as a subprocess, serving the fixture faketarget
// (MLflow's test plugin) found through test/package.json. Every server started here is stopped by pid.

let files: string;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  files = await mkdtemp(join(tmpdir(), 'berth-serve-'));
});

afterEach(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  running.clear();
});

afterAll(async () => {
  await rm(files, { recursive: true, force: true });
});

interface Serving {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  url: string;
  exited: Promise<number | null>;
}

/** Starts `berth serve …args` and resolves once it printed where it listens. */
function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<Serving> {
  const child = spawn(process.execPath, [berthBin, 'serve', ...args], {
    cwd: testDirectory,
    env: cleanEnvironment({ BERTH_HOME: files, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`berth serve printed no URL in 60 s:\n${stdout}\n${stderr}`)),
      60_000,
    );
    const check = () => {
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(stdout)?.[0];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, exited, stdout: () => stdout, stderr: () => stderr });
      }
    };
    child.stdout?.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`berth serve exited ${code}:\n${stdout}\n${stderr}`));
    });
  });
}

async function stop(serving: Serving): Promise<number | null> {
  serving.child.kill('SIGTERM');
  return serving.exited;
}

describe('berth serve', () => {
  it('prints the URL and a generated token once on stdout; the token works and is in no log line', async () => {
    const serving = await serve(['-t', 'faketarget', '--port', '0']);
    const token = /Token \(generated, shown only now\): (\S+)/.exec(serving.stdout())?.[1] as string;
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(serving.stdout().split(token).length - 1).toBe(1);
    expect((await fetch(`${serving.url}/health`)).status).toBe(200);
    expect((await fetch(`${serving.url}/api/berth/v1/deployments`)).status).toBe(401);
    const listed = await fetch(`${serving.url}/api/berth/v1/deployments`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({ deployments: [{ name: 'fake_deployment_name' }] });
    const created = await fetch(`${serving.url}/api/berth/v1/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'wait=10' },
      body: JSON.stringify({ name: 'n', modelUri: 'runs:/r/m', flavor: 'pyfunc' }),
    });
    expect(await created.json()).toMatchObject({
      state: 'succeeded',
      result: { name: 'fake_deployment_name', flavor: 'pyfunc' },
    });
    expect(await stop(serving)).toBe(0);
    const logLines = serving
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(3);
    expect(logLines.some((line) => JSON.parse(line).route === '/api/berth/v1/deployments')).toBe(true);
    expect(serving.stderr()).not.toContain(token);
  });

  it('--json prints one JSON line; a token from BERTH_SERVER_TOKEN is not echoed', async () => {
    const token = 'env-token-for-serve-0123456789';
    const serving = await serve(['-t', 'faketarget', '--port', '0', '--json'], { BERTH_SERVER_TOKEN: token });
    await expect.poll(() => serving.stdout().includes('\n')).toBe(true);
    const line = JSON.parse(serving.stdout().trim()) as Record<string, unknown>;
    expect(line).toEqual({ url: serving.url, port: Number(new URL(serving.url).port), target: 'faketarget' });
    const answer = await fetch(`${serving.url}/api/2.0/endpoints/`, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    expect(await stop(serving)).toBe(0);
    expect(`${serving.stdout()}${serving.stderr()}`).not.toContain(token);
  });

  it('token files: read-write and read-only roles, one token per line', async () => {
    const writeFileName = join(files, 'rw.token');
    const readFileName = join(files, 'ro.token');
    await writeFile(writeFileName, '# rotated tokens\nold-write-token-0123456789\nnew-write-token-0123456789\n');
    await writeFile(readFileName, 'read-only-token-0123456789\n');
    const serving = await serve([
      '-t',
      'faketarget',
      '--port',
      '0',
      '--token-file',
      writeFileName,
      '--read-only-token-file',
      readFileName,
    ]);
    expect(serving.stdout()).not.toContain('Token (generated');
    const create = (token: string) =>
      fetch(`${serving.url}/api/berth/v1/deployments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'n', modelUri: 'm' }),
      });
    expect((await create('read-only-token-0123456789')).status).toBe(403);
    expect([200, 202]).toContain((await create('old-write-token-0123456789')).status);
    const read = await fetch(`${serving.url}/api/berth/v1/server`, {
      headers: { authorization: 'Bearer read-only-token-0123456789' },
    });
    expect(read.status).toBe(200);
    expect(await stop(serving)).toBe(0);
  });

  it('refuses a non-loopback address without a supplied token, before listening', async () => {
    const result = await runBerth(['serve', '-t', 'faketarget', '--host', '0.0.0.0', '--port', '0'], {
      env: { BERTH_HOME: files },
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Refusing to listen on 0.0.0.0');
    expect(result.stderr).toContain('--token-file');
  });

  it('a missing token file, a bad port and a port in use are clear errors', async () => {
    const missing = await runBerth(['serve', '-t', 'faketarget', '--token-file', join(files, 'nope.token')], {
      env: { BERTH_HOME: files },
    });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('does not exist');
    const badPort = await runBerth(['serve', '-t', 'faketarget', '--port', 'eighty']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain("Invalid --port 'eighty'");

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const inUse = await runBerth(['serve', '-t', 'faketarget', '--port', String(port)], {
        env: { BERTH_HOME: files },
      });
      expect(inUse.code).toBe(5);
      expect(inUse.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('--help, help and targets do not import @berth/server; serve does', async () => {
    // A resolve hook that fails any import of @berth/server: the commands that must not load it pass.
    const hooks = join(files, 'no-server-hooks.mjs');
    const register = join(files, 'no-server-register.mjs');
    await writeFile(
      hooks,
      "export async function resolve(specifier, context, next) {\n  if (specifier.startsWith('@berth/server')) throw new Error('@berth/server was imported');\n  return next(specifier, context);\n}\n",
    );
    await writeFile(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
    );
    const withHook = (args: string[]) =>
      runProcess(process.execPath, ['--import', register, berthBin, ...args], { env: { BERTH_HOME: files } });
    for (const args of [['--help'], ['serve', '--help'], ['targets'], ['help', '-t', 'faketarget']]) {
      const result = await withHook(args);
      expect([args.join(' '), result.code, result.stderr]).toEqual([args.join(' '), 0, '']);
    }
    expect((await withHook(['--help'])).stdout).toContain('serve [options]');
    const served = await withHook(['serve', '-t', 'faketarget', '--port', '0', '--host', '0.0.0.0']);
    expect(served.code).not.toBe(0);
    expect(served.stderr).toContain('@berth/server was imported');
  });
});
