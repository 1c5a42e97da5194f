import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDeploymentClient } from '../dist/index.js';
import { destroyStateDirectory, irisInput, irisModel, temporaryStateDirectory } from './helpers.js';

const state = temporaryStateDirectory();
const client = new LocalDeploymentClient(`local:${state}`);

afterAll(async () => {
  await client.deleteDeployment('orphan').catch(() => undefined);
  await client.close();
  destroyStateDirectory(state);
});

function waitForExit(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve) => {
    const poll = () => {
      try {
        process.kill(pid, 0);
      } catch {
        return resolve();
      }
      if (Date.now() > deadline) return resolve();
      setTimeout(poll, 50);
    };
    poll();
  });
}

describe('a recovery claim whose process died', () => {
  it('is taken over by the next command instead of leaving the deployment starting for good', async () => {
    const created = await client.createDeployment('orphan', irisModel);
    const supervisorPid = created.supervisorPid as number;
    const serverPid = created.pid as number;
    // A killed process group (as after a reboot)...
    process.kill(-supervisorPid, 'SIGKILL');
    await waitForExit(supervisorPid, 5_000);
    await waitForExit(serverPid, 5_000);
    // ...that a `berth list` claimed for recovery in the background and then exited before it
    // spawned a supervisor: the row says 'starting' with no process, 40 s ago.
    const db = new Database(join(state, 'local.db'));
    db.prepare(
      "UPDATE deployments SET state = 'starting', supervisor_pid = NULL, server_pid = NULL, updated_at = ? WHERE name = ?",
    ).run(Date.now() - 40_000, 'orphan');
    db.close();

    const answer = await client.predict('orphan', irisInput);
    expect(answer.toJSON()).toHaveProperty('predictions');
    const after = await client.getDeployment('orphan');
    expect(after.state).toBe('ready');
    expect(after.supervisorPid).not.toBe(supervisorPid);
    expect(after.url).toBe(created.url);
  }, 120_000);
});
