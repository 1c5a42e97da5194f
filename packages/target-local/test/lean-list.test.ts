import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Deployment } from '@berth/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDeploymentClient } from '../dist/index.js';
import { isAlive } from '../src/process-identity.js';
import { openStateStore } from '../src/state/state-store.js';
import {
  destroyStateDirectory,
  irisModel,
  packageDirectory,
  repositoryRoot,
  temporaryStateDirectory,
} from './helpers.js';

// `berth list -t local` has a lean path: bin/berth.cjs → the CLI's dist/list.cjs → this package's
// dist/list-deployments.cjs (the built files, as they ship). Whatever the deployments are doing, it
// must print exactly what the full CLI (dist/index.js, LocalDeploymentClient.listDeployments)
// prints — same columns, same health states, same --json shape — or step aside for it.

const BIN = join(repositoryRoot, 'packages/cli/bin/berth.cjs');
const FULL = join(repositoryRoot, 'packages/cli/dist/index.js');
const LEAN = join(packageDirectory, 'dist/list-deployments.cjs');
const lean = createRequire(import.meta.url)(LEAN) as {
  listDeployments(targetUri: string): Promise<Deployment[] | undefined>;
};

const state = temporaryStateDirectory('berth-lean-list-');
const target = `local:${state}`;
const client = new LocalDeploymentClient(target);
const NAMES = ['la', 'lb', 'lc'];
let scratch: string;

function berth(file: string, args: string[], nodeArgs: string[] = []) {
  const result = spawnSync(process.execPath, [...nodeArgs, file, ...args], {
    cwd: repositoryRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, BERTH_HOME: state, BERTH_TARGET: '', MLFLOW_DEPLOYMENTS_TARGET: '' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The --json listing with the two fields that move between two calls (uptime, requests) checked and set aside. */
function stable(stdout: string): Record<string, unknown>[] {
  return (JSON.parse(stdout) as Record<string, unknown>[]).map(({ uptimeSeconds, requestsServed, ...rest }) => {
    if (rest.state === 'ready') {
      expect(typeof uptimeSeconds).toBe('number');
      expect(typeof requestsServed).toBe('number');
    } else {
      expect([uptimeSeconds, requestsServed]).toEqual([undefined, undefined]);
    }
    return rest;
  });
}

/** Lists through the bin and through the full CLI, in text and JSON; expects the same, and returns the states. */
function listBothWays(): Record<string, string> {
  const [viaBin, full] = [berth(BIN, ['list', '-t', target]), berth(FULL, ['list', '-t', target])];
  expect(viaBin.status).toBe(0);
  expect(full.status).toBe(0);
  expect(viaBin.stdout).toBe(full.stdout);
  const [binJson, fullJson] = [
    berth(BIN, ['list', '--json', '-t', target]),
    berth(FULL, ['list', '-t', target, '--json']),
  ];
  expect(stable(binJson.stdout)).toEqual(stable(fullJson.stdout));
  return Object.fromEntries(stable(binJson.stdout).map((row) => [row.name, row.state as string]));
}

async function row(name: string) {
  const store = await openStateStore(state);
  try {
    const found = store.deployments.get(name);
    if (!found) throw new Error(`no row for ${name}`);
    return found;
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'berth-lean-hooks-'));
  // lb is the one stopped with SIGSTOP below: with liveness probes off, its supervisor leaves it
  // hung (alive, not answering) instead of replacing it within 2 s.
  for (const name of NAMES) {
    await client.createDeployment(name, irisModel, name === 'lb' ? { config: { liveness_failures: 0 } } : {});
  }
}, 240_000);

afterAll(async () => {
  for (const name of NAMES) await client.deleteDeployment(name).catch(() => undefined);
  await client.close();
  destroyStateDirectory(state);
  rmSync(scratch, { recursive: true, force: true });
}, 120_000);

describe.runIf(existsSync(BIN) && existsSync(LEAN))('berth list -t local, lean path', () => {
  it('answers from the lean module with what the client answers', async () => {
    const viaLean = await lean.listDeployments(target);
    const viaClient = await client.listDeployments();
    expect(viaLean).toBeDefined();
    const strip = (list: Deployment[]) =>
      list.map(({ uptimeSeconds, requestsServed, ...rest }) => ({
        ...rest,
        uptimeSeconds: typeof uptimeSeconds,
        requestsServed: typeof requestsServed,
      }));
    expect(strip(viaLean ?? [])).toEqual(strip(viaClient));
    expect(viaLean?.map((deployment) => deployment.state)).toEqual(['ready', 'ready', 'ready']);
  });

  it('prints what the full CLI prints, text and --json, without loading the full CLI', () => {
    expect(listBothWays()).toEqual({ la: 'ready', lb: 'ready', lc: 'ready' });
    // With a module hook, every ES module the process loads is reported; the lean path loads none.
    const hooks = join(scratch, 'hooks.mjs');
    const register = join(scratch, 'register.mjs');
    writeFileSync(
      hooks,
      "export async function load(url, context, next) { process._rawDebug('loaded ' + url); return next(url, context); }\n",
    );
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const traced = berth(BIN, ['list', '-t', target], ['--import', register]);
    expect(traced.status).toBe(0);
    const loaded = traced.stderr.split('\n').filter((line) => line.startsWith('loaded file:'));
    expect(loaded.filter((line) => !/(hooks|register)\.mjs$|\/bin\/berth\.cjs$/.test(line))).toEqual([]);
  });

  it('reports a server that stopped answering as unhealthy, as the full CLI does', async () => {
    const { pid } = await row('lb');
    if (!pid) throw new Error('lb has no server pid');
    process.kill(pid, 'SIGSTOP'); // alive, supervised, not answering
    try {
      expect(listBothWays()).toEqual({ la: 'ready', lb: 'unhealthy', lc: 'ready' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await expect.poll(async () => (await lean.listDeployments(target))?.[1]?.state, { timeout: 30_000 }).toBe('ready');
  }, 60_000);

  it('reports a crashed deployment as crashed, as the full CLI does', async () => {
    const record = await row('lc');
    process.kill(-(record.supervisorPid as number), 'SIGKILL');
    await expect.poll(() => isAlive(record.supervisorPid) || isAlive(record.pid), { timeout: 10_000 }).toBe(false);
    const store = await openStateStore(state);
    try {
      store.deployments.patch('lc', { state: 'crashed', lastError: 'killed by the test' });
    } finally {
      store.close();
    }
    expect(listBothWays()).toEqual({ la: 'ready', lb: 'ready', lc: 'crashed' });
    expect((await lean.listDeployments(target))?.[2]).toMatchObject({
      state: 'crashed',
      lastError: 'killed by the test',
    });
    await client.deleteDeployment('lc');
    await client.createDeployment('lc', irisModel);
  }, 120_000);

  it('steps aside for the full CLI when a deployment lost its supervisor (list recovers it)', async () => {
    const record = await row('la');
    process.kill(-(record.supervisorPid as number), 'SIGKILL');
    await expect.poll(() => isAlive(record.supervisorPid) || isAlive(record.pid), { timeout: 10_000 }).toBe(false);
    expect(await lean.listDeployments(target)).toBeUndefined();
    // The bin falls back to the full CLI, which starts the recovery and waits for it before exiting.
    const listed = berth(BIN, ['list', '-t', target, '--json']);
    expect(listed.status).toBe(0);
    const states = (JSON.parse(listed.stdout) as Deployment[]).map((deployment) => deployment.state);
    expect(states[0]).toBe('starting');
    expect(states.slice(1)).toEqual(['ready', 'ready']);
    const recovered = await row('la');
    expect(recovered.supervisorPid).not.toBe(record.supervisorPid);
    expect(listBothWays()).toEqual({ la: 'ready', lb: 'ready', lc: 'ready' });
  }, 120_000);

  it('steps aside when there is no state file, or its schema is not the one it reads', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'berth-lean-empty-'));
    try {
      expect(await lean.listDeployments(`local:${empty}`)).toBeUndefined();
      const viaBin = berth(BIN, ['list', '-t', `local:${empty}`]);
      expect([viaBin.status, viaBin.stdout]).toEqual([0, 'No deployments.\n']);
      const db = new Database(join(empty, 'local.db'));
      const version = Number(db.pragma('user_version', { simple: true }));
      db.pragma(`user_version = ${version + 1}`);
      db.close();
      expect(await lean.listDeployments(`local:${empty}`)).toBeUndefined();
      const newer = berth(BIN, ['list', '-t', `local:${empty}`]);
      expect(newer.status).not.toBe(0);
      expect(newer.stderr).toMatch(/written by a newer @berth\/target-local/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
