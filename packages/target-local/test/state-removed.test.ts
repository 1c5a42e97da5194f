import { existsSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { irisInput, irisModel, isAlive, openTestClient } from './helpers.js';

const { state, client, cleanup } = openTestClient('berth-local-removed-');

afterAll(() => cleanup('gone'), 60_000);

describe('a state directory removed under running deployments', () => {
  it('retires the supervisor and its servers (they would serve forever, unreachable by berth) and does not recreate it', async () => {
    const created = await client.createDeployment('gone', irisModel);
    const response = await fetch(new URL('invocations', created.url as string), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(irisInput),
    });
    expect(response.status).toBe(200);
    const supervisorPid = created.supervisorPid as number;
    const serverPid = created.pid as number;
    expect(isAlive(supervisorPid) && isAlive(serverPid)).toBe(true);
    await client.close();

    rmSync(state, { recursive: true, force: true });
    // Checked every 2 s, retired after 5 s without its state file: well within 20 s.
    await vi.waitFor(() => expect(isAlive(supervisorPid) || isAlive(serverPid)).toBe(false), {
      timeout: 20_000,
      interval: 200,
    });
    await expect(fetch(new URL('ping', created.url as string))).rejects.toThrow();
    // The supervisor did not open its state again (that would have made the directory anew).
    expect(existsSync(state)).toBe(false);
  }, 60_000);
});
