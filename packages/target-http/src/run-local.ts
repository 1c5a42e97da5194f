import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { BerthError, type TargetConfig } from '@berth/core';
import { HttpDeploymentClient } from './http-deployment-client.js';

/** run-local's own keys; every other key goes to the deployment's create on the served target. */
const DEFAULT_PORT = 5000;
const START_TIMEOUT_MS = 60_000;
/** After the deployment is deleted, the server has nothing left to drain for. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * `berth run-local -t http://… --name N -m MODEL`: starts `berth serve` in the foreground, serving
 * the local target in a fresh state directory on 127.0.0.1 (`-C server_port=`, default 5000;
 * `-C server_host=` for another loopback address), deploys MODEL there as N through the server's
 * API, and prints the URL and token. Ctrl-C or SIGTERM deletes N, stops the server and removes
 * the state directory: nothing is left managed afterwards.
 *
 * `runLocal` does not receive the target URI (MLflow's contract), so the address comes from -C.
 */
export async function runLocal(
  name: string,
  modelUri: string,
  flavor?: string,
  config: TargetConfig = {},
): Promise<void> {
  const { server_port: portValue, server_host: hostValue, server: _server, ...forwarded } = config;
  const host = String(hostValue ?? '127.0.0.1');
  const port = parsePort(portValue);
  if (!isLoopback(host)) {
    throw BerthError.invalidParameterValue(
      `run-local serves on this machine's loopback only; server_host=${host} is not a loopback address.`,
      { suggestions: ["To serve other machines, run 'berth serve -t local --host <address> --token-file <file>'."] },
    );
  }
  const command = await berthCommand();
  const stateDirectory = await mkdtemp(join(tmpdir(), 'berth-run-local-'));
  const token = randomBytes(32).toString('base64url');
  const child = spawn(
    command[0] as string,
    [
      ...command.slice(1),
      'serve',
      '-t',
      `local:${stateDirectory}`,
      '--host',
      host,
      '--port',
      String(port),
      '--json',
      '--log-level',
      'warn',
    ],
    {
      env: { ...process.env, BERTH_SERVER_TOKEN: token },
      // Its own process group: Ctrl-C reaches this process only, which deletes the deployment
      // through the server before stopping it.
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const stopServer = () => stop(child, stateDirectory);
  // The server is in its own process group, so it must not outlive this process however it ends:
  // an exception, a closed stdout (EPIPE), a plain exit.
  const orphanGuard = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', orphanGuard);
  const ignoreClosedOutput = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  };
  process.stdout.on('error', ignoreClosedOutput);
  try {
    const url = await serverUrl(child);
    const client = new HttpDeploymentClient(`${url}?server=berth`, {
      environment: { ...process.env, BERTH_TOKEN: token },
    });
    try {
      await client.createDeployment(name, modelUri, { ...(flavor !== undefined ? { flavor } : {}), config: forwarded });
      process.stdout.write(
        `Serving '${name}' (${modelUri}) through a Berth server at ${url} (target local:${stateDirectory}).\n` +
          `  export BERTH_TOKEN=${token}\n` +
          `  berth predict -t ${url} --name ${name} -I input.json\n` +
          'Press Ctrl-C to stop.\n',
      );
      await untilStopped(child);
      process.stdout.write(`\nDeleting '${name}' and stopping the server.\n`);
      await client.deleteDeployment(name).catch((error: unknown) => {
        process.stderr.write(
          `warning: deleting '${name}' failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      });
    } finally {
      await client.close();
    }
  } finally {
    await stopServer();
    process.off('exit', orphanGuard);
    process.stdout.off('error', ignoreClosedOutput);
  }
}

function parsePort(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw BerthError.invalidParameterValue(
      `Invalid server_port=${String(value)}: it must be an integer from 0 to 65535.`,
    );
  }
  return port;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The `berth` CLI to start: the running one when the CLI called us (its entry is `argv[1]`), else
 * `@berth/cli` as the working directory resolves it.
 */
async function berthCommand(): Promise<string[]> {
  const entry = process.argv[1];
  if (entry && (await packageNameOf(entry)) === '@berth/cli') return [process.execPath, entry];
  try {
    const require = createRequire(join(process.cwd(), 'package.json'));
    const manifestPath = require.resolve('@berth/cli/package.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { bin?: Record<string, string> };
    const bin = manifest.bin?.berth;
    if (bin) return [process.execPath, resolve(dirname(manifestPath), bin)];
  } catch {
    // not installed here
  }
  throw new BerthError("run-local for an http target starts 'berth serve', and no berth CLI was found.", {
    code: 'RESOURCE_DOES_NOT_EXIST',
    suggestions: ['Install the CLI and the server: npm install @berth/cli @berth/server @berth/target-local'],
  });
}

async function packageNameOf(file: string): Promise<string | undefined> {
  let directory = dirname(await realpath(file).catch(() => file));
  for (let depth = 0; depth < 8; depth++) {
    try {
      return (JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as { name?: string }).name;
    } catch {
      const parent = dirname(directory);
      if (parent === directory) return undefined;
      directory = parent;
    }
  }
  return undefined;
}

/** The URL from `berth serve --json`'s start-up line; the server's exit or silence is an error. */
function serverUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(
      () => fail(new Error(`it did not start within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(new Error(`it exited (${signal ?? `code ${code}`}) before serving; its messages are above`));
    const done = () => {
      clearTimeout(timer);
      child.off('exit', onExit);
    };
    const fail = (cause: Error) => {
      done();
      lines.close();
      reject(new BerthError(`'berth serve' did not start: ${cause.message}.`, { code: 'INTERNAL_ERROR', cause }));
    };
    child.once('exit', onExit);
    child.once('error', fail);
    lines.once('line', (line) => {
      done();
      try {
        const { url } = JSON.parse(line) as { url?: unknown };
        if (typeof url !== 'string') throw new Error('no url');
        resolvePromise(url);
      } catch {
        reject(new BerthError(`'berth serve' printed an unexpected start-up line: ${line.slice(0, 200)}`));
      }
      // Later lines (none are expected with --json) go on to this process's output.
      lines.on('line', (more) => process.stdout.write(`${more}\n`));
    });
  });
}

/** Resolves on SIGINT/SIGTERM; rejects when the server exits by itself first. */
function untilStopped(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const cleanup = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      child.off('exit', onExit);
    };
    const onSignal = () => {
      cleanup();
      resolvePromise();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(
        new BerthError(`The Berth server stopped by itself (${signal ?? `exit code ${code}`}).`, {
          code: 'INTERNAL_ERROR',
        }),
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    child.once('exit', onExit);
  });
}

/** SIGTERM to the server (by its pid), SIGKILL if it has not exited in time, then the state directory goes. */
async function stop(child: ChildProcess, stateDirectory: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  await rm(stateDirectory, { recursive: true, force: true });
}
