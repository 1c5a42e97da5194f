import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDeploymentClient } from '../dist/index.js';
import { isServingChildOf, isSupervisorOf, SUPERVISOR_MARKER } from '../src/process-control.js';
import { openStateStore } from '../src/state/state-store.js';
import { destroyStateDirectory, irisModel, temporaryStateDirectory } from './helpers.js';

/**
 * Pids wrap around (at 32768 on these machines), so a pid in the state file may belong to a
 * stranger by the time anyone reads it. Nothing may be signalled on the record's word alone.
 */

const strangers: ChildProcess[] = [];

afterEach(() => {
  for (const child of strangers.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill();
});

/** A long-lived process (its own group leader) whose argv carries `args`. */
function stranger(...args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], {
    detached: true,
    stdio: 'ignore',
  });
  strangers.push(child);
  return child;
}

/** Whether `child` exits within `ms` — the window a signal sent before would have needed. */
function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function recordDeployment(state: string, supervisorPid: number, serverPid: number): Promise<void> {
  const store = await openStateStore(state);
  store.insertDeployment(
    {
      name: 'stale',
      flavor: 'onnx',
      modelUri: irisModel,
      modelDirectory: irisModel,
      config: {},
      version: 1,
      state: 'running',
      host: '127.0.0.1',
      port: null,
      url: null,
      supervisorPid,
      pid: serverPid,
      instanceId: 'generation-that-is-gone',
      controlToken: 'x'.repeat(48),
      logFile: join(state, 'logs', 'stale.log'),
      restarts: 0,
      lastError: null,
      startedAt: null,
    },
    'created',
  );
  store.close();
}

describe('process identity', () => {
  it('a live supervisor of another generation is not taken for this one', () => {
    const other = stranger(SUPERVISOR_MARKER, JSON.stringify({ instanceId: 'another-generation' }));
    expect(isSupervisorOf(other.pid, 'another-generation')).toBe(true);
    expect(isSupervisorOf(other.pid, 'generation-that-is-gone')).toBe(false);
    expect(isSupervisorOf(process.pid, 'generation-that-is-gone')).toBe(false);
    expect(isServingChildOf(other.pid, other.pid)).toBe(false);
  });

  it('delete leaves alone processes that merely reuse the recorded pids', async () => {
    const state = temporaryStateDirectory();
    try {
      const reusedSupervisor = stranger(SUPERVISOR_MARKER, JSON.stringify({ instanceId: 'another-generation' }));
      const reusedServer = stranger('dist/processes/server-process.js');
      await recordDeployment(state, reusedSupervisor.pid as number, reusedServer.pid as number);
      const client = new LocalDeploymentClient(`local:${state}`);
      await client.deleteDeployment('stale');
      expect(await client.listDeployments()).toEqual([]);
      await client.close();
      expect(await exitsWithin(reusedSupervisor, 200)).toBe(false);
      expect(await exitsWithin(reusedServer, 200)).toBe(false);
    } finally {
      destroyStateDirectory(state);
    }
  }, 30_000);

  it("the tests' cleanup kills only processes that name the state directory", async () => {
    const state = temporaryStateDirectory();
    const unrelated = stranger(SUPERVISOR_MARKER);
    const own = stranger(SUPERVISOR_MARKER, JSON.stringify({ stateDirectory: state }));
    await recordDeployment(state, unrelated.pid as number, unrelated.pid as number);
    const ownExit = new Promise((resolve) => own.once('exit', resolve));
    destroyStateDirectory(state);
    await ownExit;
    expect(await exitsWithin(unrelated, 200)).toBe(false);
    expect(own.signalCode).toBe('SIGKILL');
  }, 30_000);
});
