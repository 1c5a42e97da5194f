import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const packageDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repositoryRoot = resolve(packageDirectory, '../..');
export const berthCli = join(repositoryRoot, 'packages/cli/bin/berth.cjs');
export const irisModel = join(repositoryRoot, 'examples/models/iris');
export const irisColumns = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
export const irisInput = {
  dataframe_split: {
    columns: irisColumns,
    data: [
      [5.1, 3.5, 1.4, 0.2],
      [6.0, 2.9, 4.5, 1.5],
      [6.9, 3.2, 5.7, 2.3],
    ],
  },
};

/** A read-write token of the length the server accepts (≥ 16 characters). */
export const TOKEN = 'target-http-test-token-0123456789';
export const READ_ONLY_TOKEN = 'target-http-read-only-token-0123';

export interface BerthServerProcess {
  url: string;
  port: number;
  pid: number;
  /** Everything the server wrote on stderr (its JSON logs), for assertions that no token leaks. */
  logs(): string;
  /** SIGTERM by pid and wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL by pid: the server dies mid-request, as a crash would. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and state. */
  restart(): Promise<BerthServerProcess>;
}

export interface StartOptions {
  /** `local:<dir>` is served; a fresh directory per call unless given. */
  stateDirectory?: string;
  port?: number;
  readOnlyToken?: boolean;
  environment?: Record<string, string>;
}

const running = new Set<ChildProcess>();

/**
 * A real `berth serve -t local:<dir>` (the CLI's built entry, as a user runs it) on 127.0.0.1, port
 * 0 unless given, with the read-write token in BERTH_SERVER_TOKEN. Started from the repository root,
 * where the local target is a declared dependency, so discovery finds it as in a user's project.
 */
export async function startBerthServer(options: StartOptions = {}): Promise<BerthServerProcess> {
  const stateDirectory = options.stateDirectory ?? temporaryDirectory('berth-http-state-');
  const child = spawn(
    process.execPath,
    [berthCli, 'serve', '-t', `local:${stateDirectory}`, '--port', String(options.port ?? 0), '--json'],
    {
      cwd: repositoryRoot,
      env: {
        ...process.env,
        BERTH_SERVER_TOKEN: TOKEN,
        ...(options.readOnlyToken ? { BERTH_SERVER_READ_ONLY_TOKEN: READ_ONLY_TOKEN } : {}),
        ...options.environment,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  child.once('exit', () => running.delete(child));
  const { url, port } = await firstLine(child, () => stderr);
  const server: BerthServerProcess = {
    url,
    port,
    pid: child.pid as number,
    logs: () => stderr,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await server.stop();
      return startBerthServer({ ...options, stateDirectory, port });
    },
  };
  return server;
}

function firstLine(child: ChildProcess, stderr: () => string): Promise<{ url: string; port: number }> {
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => reject(new Error(`berth serve did not start in 120 s:\n${stderr()}`)), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth serve exited (${code}) before it served:\n${stderr()}`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolvePromise(JSON.parse(line) as { url: string; port: number });
    });
  });
}

/** Stops every server this file started that is still running (by pid). */
export async function stopAllBerthServers(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolvePromise) => {
          child.once('exit', () => resolvePromise());
          child.kill('SIGKILL');
        }),
    ),
  );
}

const directories: string[] = [];

export function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  directories.push(directory);
  return directory;
}

/** A copy of the iris model in its own folder (a second model URI for updates). */
export function copyOfIris(name: string): string {
  const target = join(temporaryDirectory('berth-http-models-'), name);
  cpSync(irisModel, target, { recursive: true });
  return target;
}

/** A copy of iris whose ONNX file is garbage: the local target refuses it. */
export function brokenModel(): string {
  const target = copyOfIris('broken');
  writeFileSync(join(target, 'model.onnx'), 'this is not an onnx model');
  return target;
}

/**
 * After the tests' own deletes: the local target's supervisors and servers outlive `berth serve`
 * by design; any left over is found by the unique temporary state directory in its command line
 * (and in its process group's leader's) and killed by pid. Then the directories go.
 */
export function removeTemporaryDirectories(): void {
  const named = new Set<number>();
  const groups = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const command = commandLine(pid);
    if (command === undefined) continue;
    const group = processGroup(pid);
    if (group !== undefined) groups.set(pid, group);
    if (directories.some((directory) => command.includes(directory))) named.add(pid);
  }
  // A scoring server is started by a supervisor that leads its process group; the group id of a
  // process cannot be reused while the process lives, so this finds only the supervisors' children.
  const doomed = [...groups].filter(([pid, group]) => named.has(pid) || named.has(group)).map(([pid]) => pid);
  for (const pid of doomed) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
}

function processGroup(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces, so split after its ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}
