import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDeploymentClient } from '../dist/index.js';
import { openStateStore } from '../src/state/state-store.js';
import { destroyStateDirectory, temporaryStateDirectory } from './helpers.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) destroyStateDirectory(directory);
});

function stateDirectory(): string {
  const directory = temporaryStateDirectory();
  directories.push(directory);
  return directory;
}

describe('a damaged or foreign state file', () => {
  it('is reported as INVALID_STATE with the way out, and left byte for byte as it was', async () => {
    const directory = stateDirectory();
    const file = join(directory, 'local.db');
    writeFileSync(file, 'half a write, not a database');
    const client = new LocalDeploymentClient(`local:${directory}`);
    const error = await client
      .listDeployments()
      .catch((e: { code: string; message: string; suggestions: string[] }) => e);
    expect(error).toMatchObject({ code: 'INVALID_STATE' });
    expect((error as { message: string }).message).toContain(`${file} is damaged`);
    expect((error as { suggestions: string[] }).suggestions.join(' ')).toContain(`mv ${file} ${file}.damaged`);
    expect(readFileSync(file, 'utf8')).toBe('half a write, not a database');
  });

  it('written by a newer target version is refused rather than used', async () => {
    const directory = stateDirectory();
    (await openStateStore(directory)).close();
    const db = new Database(join(directory, 'local.db'));
    db.pragma('user_version = 999');
    db.close();
    const error = await openStateStore(directory).catch((e: { code: string; message: string }) => e);
    expect(error).toMatchObject({ code: 'INVALID_STATE' });
    expect((error as { message: string }).message).toMatch(/newer @berth\/target-local \(state schema 999/);
  });
});
