import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { vi } from 'vitest';
import { LocalDeploymentClient } from '../dist/index.js';
import { processGroupOf, SUPERVISOR_MARKER } from '../src/process-control.js';

export const packageDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repositoryRoot = resolve(packageDirectory, '../..');
export const irisModel = join(repositoryRoot, 'examples/models/iris');
export const distEntry = join(packageDirectory, 'dist/index.js');

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

/** A fresh state directory per test file; `local:<dir>` targets it. */
export function temporaryStateDirectory(prefix = 'berth-local-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A copy of the iris model in its own directory (a distinct model URI to swap to). */
export function copyOfIris(parent: string, name: string): string {
  const target = join(parent, name);
  cpSync(irisModel, target, { recursive: true });
  return target;
}

/** A model whose ONNX file is garbage: it fails to load. */
export function unloadableModel(parent: string, name: string): string {
  const target = copyOfIris(parent, name);
  writeFileSync(join(target, 'model.onnx'), 'this is not an onnx model');
  return target;
}

/** A model that loads but whose input example does not fit its signature: it fails readiness. */
export function unreadyModel(parent: string, name: string): string {
  const target = copyOfIris(parent, name);
  writeFileSync(
    join(target, 'serving_input_example.json'),
    JSON.stringify({ dataframe_split: { columns: ['nope'], data: [['not a number']] } }),
  );
  return target;
}

/**
 * The safety net after the tests' own deletes: kills what this state directory still runs, then
 * removes the directory. Only processes proven to be its own are signalled — supervisors and
 * routers name the directory in their argv; a server outliving its supervisor keeps the
 * supervisor's process group. A bare recorded pid may long since belong to someone else (pids wrap
 * around at 32768 here), so it is never killed on the record's word alone.
 */
export function destroyStateDirectory(directory: string): void {
  const recordedSupervisors = new Set<number>();
  try {
    const db = new Database(join(directory, 'local.db'), { readonly: true, fileMustExist: true });
    for (const table of ['deployments', 'endpoints']) {
      for (const row of db.prepare(`SELECT supervisor_pid FROM ${table}`).all() as {
        supervisor_pid: number | null;
      }[]) {
        if (row.supervisor_pid) recordedSupervisors.add(row.supervisor_pid);
      }
    }
    db.close();
  } catch {
    // no database: nothing was recorded
  }
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const command = commandLineOf(pid);
    if (command === undefined) continue;
    const group = processGroupOf(pid);
    const names = command.includes(directory) && (command.includes(SUPERVISOR_MARKER) || command.includes('router.js'));
    // A server whose recorded supervisor (its group leader) is gone: the group id cannot be reused meanwhile.
    const orphanedServer =
      group !== undefined &&
      recordedSupervisors.has(group) &&
      commandLineOf(group) === undefined &&
      command.includes('server-process.js');
    if (!names && !orphanedServer) continue;
    try {
      process.kill(names && group === pid ? -pid : pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(directory, { recursive: true, force: true });
}

function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

/** A port the OS just handed out (bound on port 0, then released): for tests of a fixed `-C port=`. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePromise(port));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function post(
  url: string,
  body: unknown,
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolvePromise, reject) => {
    const text = JSON.stringify(body);
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolvePromise({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            headers: response.headers,
          }),
        );
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end(text);
  });
}

/** Resolves once `url`'s `/invocations` answers `body` with 200 (refused or failing meanwhile), with the ms it took. */
export async function servingAgain(url: string, body: unknown, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await vi.waitFor(
    async () => {
      const answer = await post(`${url}/invocations`, body);
      if (answer.status !== 200) throw new Error(`status ${answer.status}`);
    },
    { timeout: timeoutMs, interval: 10 },
  );
  return performance.now() - started;
}

export interface LoadResult {
  requests: number;
  statuses: Record<number, number>;
  errors: string[];
}

/**
 * A bounded load loop: `connections` concurrent request loops against `url()` (re-read each time,
 * so it follows an endpoint or URL change) until `stop()` resolves or `maxMs` passes.
 */
export function startLoad(url: () => string, body: unknown, connections: number, maxMs: number) {
  const result: LoadResult = { requests: 0, statuses: {}, errors: [] };
  let running = true;
  const deadline = Date.now() + maxMs;
  const loops = Array.from({ length: connections }, async () => {
    while (running && Date.now() < deadline) {
      try {
        const answer = await post(url(), body);
        result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1;
        if (answer.status !== 200 && result.errors.length < 10) result.errors.push(`${answer.status} ${answer.text}`);
      } catch (error) {
        if (result.errors.length < 10) result.errors.push((error as Error).message);
        result.statuses[0] = (result.statuses[0] ?? 0) + 1;
      }
      result.requests++;
    }
  });
  return {
    result,
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** Runs a node ESM snippet in a separate process (the way separate CLI invocations run). */
export function nodeScript(code: string, env: Record<string, string>): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A client on a fresh state directory. `cleanup(...names)` deletes those deployments, closes the
 * client and destroys the directory (killing anything it still records).
 */
export function openTestClient(prefix?: string) {
  const state = temporaryStateDirectory(prefix);
  const client = new LocalDeploymentClient(`local:${state}`);
  async function cleanup(...names: string[]): Promise<void> {
    for (const name of names) await client.deleteDeployment(name).catch(() => undefined);
    await client.close();
    destroyStateDirectory(state);
  }
  return { state, client, cleanup };
}
