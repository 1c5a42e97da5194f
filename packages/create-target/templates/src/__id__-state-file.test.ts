import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
// #sort
import { TARGET_NAME } from './__id__-config.js';
import { StateFile, stateDirectoryOf } from './__id__-state-file.js';
// #endsort

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), `${TARGET_NAME}-state-`));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

it('reads the state folder from the target URI, else from BERTH_HOME', () => {
  expect(stateDirectoryOf(`${TARGET_NAME}:/srv/state`)).toBe('/srv/state');
  expect(stateDirectoryOf(`${TARGET_NAME}:///srv/state`)).toBe('/srv/state');
  const saved = process.env.BERTH_HOME;
  process.env.BERTH_HOME = '/home/me/other/../.berth-test';
  try {
    expect(stateDirectoryOf(TARGET_NAME)).toBe(join('/home/me/.berth-test', TARGET_NAME));
  } finally {
    if (saved === undefined) delete process.env.BERTH_HOME;
    else process.env.BERTH_HOME = saved;
  }
});

it('keeps every write of concurrent updates', async () => {
  const state = new StateFile(directory);
  const model = { columns: ['x'], weights: [1], bias: 0 };
  const now = new Date().toISOString();
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      state.update((current) => {
        current.deployments[`d${i}`] = { name: `d${i}`, modelUri: 'm', model, createdAt: now, updatedAt: now };
      }),
    ),
  );
  expect(Object.keys((await state.read()).deployments)).toHaveLength(20);
});

it('refuses a damaged state file and leaves it as it was', async () => {
  const state = new StateFile(directory);
  writeFileSync(state.path, '{"version": 1, "deployments": ');
  const error = await state.read().catch((caught: unknown) => caught);
  expect(BerthError.isInstance(error) && error.code).toBe('INVALID_STATE');
  expect((error as Error).message).toContain(state.path);
  expect(readFileSync(state.path, 'utf8')).toBe('{"version": 1, "deployments": ');
});
