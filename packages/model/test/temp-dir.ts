import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';

const perTest: string[] = [];
const perFile: string[] = [];

/** A temp folder removed after the current test. */
export async function tempDir(prefix = 'berth-model-'): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  perTest.push(directory);
  return directory;
}

/** A temp folder for a `beforeAll`: removed after the whole file. */
export async function suiteTempDir(prefix = 'berth-model-'): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  perFile.push(directory);
  return directory;
}

afterEach(async () => {
  await Promise.all(perTest.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});
afterAll(async () => {
  await Promise.all(perFile.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});
