import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { irisInput, irisModel, isAlive, openTestClient, repositoryRoot } from './helpers.js';

const cli = join(repositoryRoot, 'packages/cli/bin/berth.cjs');

const { state, client, cleanup } = openTestClient();

afterAll(() => cleanup('orphan', 'rebooted'));

function waitForExit(pid: number, ms: number): Promise<void> {
  return vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: ms, interval: 20 });
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

  it.runIf(existsSync(cli))(
    '`berth list` finishes the restart it starts before the CLI exits',
    async () => {
      const created = await client.createDeployment('rebooted', irisModel);
      process.kill(-(created.supervisorPid as number), 'SIGKILL');
      await waitForExit(created.supervisorPid as number, 5_000);
      await waitForExit(created.pid as number, 5_000);
      const list = spawnSync(process.execPath, [cli, 'list', '-t', `local:${state}`, '--json'], {
        cwd: repositoryRoot,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(list.status).toBe(0);
      // The CLI exited: the supervisor it started must be recorded and alive, not cut off half-way.
      const db = new Database(join(state, 'local.db'), { readonly: true });
      const row = db.prepare('SELECT state, supervisor_pid FROM deployments WHERE name = ?').get('rebooted') as {
        state: string;
        supervisor_pid: number | null;
      };
      db.close();
      expect(row.supervisor_pid).not.toBeNull();
      expect(row.state).toBe('running');
      expect(isAlive(row.supervisor_pid as number)).toBe(true);
      const answer = await client.predict('rebooted', irisInput);
      expect(answer.toJSON()).toHaveProperty('predictions');
    },
    120_000,
  );
});
