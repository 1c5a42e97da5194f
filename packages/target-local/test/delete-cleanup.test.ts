import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { processGroupOf } from '../src/process-control.js';
import { freePort, irisInput, irisModel, openTestClient } from './helpers.js';

const { client, cleanup } = openTestClient();

afterAll(() => cleanup('gone'), 60_000);

/** Live members of a process group (zombies excluded), from /proc. */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => {
      if (!Number.isInteger(pid)) return false;
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) && processGroupOf(pid) === pgid;
      } catch {
        return false;
      }
    });
}

describe('delete', () => {
  it('returns only when every process is gone, so a create on the same port at once finds it free', async () => {
    const port = String(await freePort());
    const created = await client.createDeployment('gone', irisModel, { config: { port } });
    const supervisorPid = created.supervisorPid as number;
    // Supervisor, server and the standby it starts a second after the server is ready.
    await vi.waitFor(() => expect(groupMembers(supervisorPid).length).toBeGreaterThanOrEqual(3), {
      timeout: 30_000,
      interval: 50,
    });
    await client.deleteDeployment('gone');
    expect(groupMembers(supervisorPid)).toEqual([]);
    const again = await client.createDeployment('gone', irisModel, { config: { port } });
    expect(again.url).toBe(created.url);
    expect((await client.predict('gone', irisInput)).predictions).toHaveLength(3);
    await client.deleteDeployment('gone');
    expect(groupMembers(again.supervisorPid as number)).toEqual([]);
  }, 120_000);
});
