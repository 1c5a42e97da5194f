import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { LocalDeploymentClient } from '../dist/index.js';

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
 * Kills every process the state directory recorded (supervisor groups, servers, routers) and
 * removes the directory — the safety net after the tests' own deletes.
 */
export function destroyStateDirectory(directory: string): void {
  try {
    const db = new Database(join(directory, 'local.db'), { readonly: true, fileMustExist: true });
    const pids: number[] = [];
    for (const row of db.prepare('SELECT supervisor_pid, server_pid FROM deployments').all() as Record<
      string,
      number
    >[]) {
      pids.push(row.supervisor_pid, row.server_pid);
    }
    for (const row of db.prepare('SELECT supervisor_pid, router_pid FROM endpoints').all() as Record<
      string,
      number
    >[]) {
      pids.push(row.supervisor_pid, row.router_pid);
    }
    db.close();
    for (const pid of pids.filter(Boolean)) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  } catch {
    // no database: nothing was started
  }
  rmSync(directory, { recursive: true, force: true });
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
