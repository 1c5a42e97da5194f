import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, berthHome } from '@berth/core';
// #sort
import { TARGET_NAME } from './__id__-config.js';
import type { LinearModel } from './linear-model.js';
// #endsort

/**
 * The example keeps its deployments in one JSON file, so that separate `berth` commands see each
 * other's work. Replace it with your backend's API: there the backend holds the state.
 */
export interface DeploymentRecord {
  name: string;
  modelUri: string;
  model: LinearModel;
  note?: string;
  createdAt: string;
  updatedAt: string;
}

// #if endpoints
export interface EndpointRecord {
  name: string;
  traffic: Record<string, number>;
  createdAt: string;
}

// #endif
export interface State {
  version: 1;
  deployments: Record<string, DeploymentRecord>;
  // #if endpoints
  endpoints: Record<string, EndpointRecord>;
  // #endif
}

const LOCK_WAIT_MS = 10_000;
/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 30_000;

/**
 * `__id__` keeps its state in `$BERTH_HOME/__id__` (default `~/.berth/__id__`);
 * `__id__:/some/dir` uses that folder instead (tests, several environments).
 */
export function stateDirectoryOf(targetUri: string): string {
  const suffix = targetUri.replace(/^[^:]*:?/, '').replace(/^\/+/, '/');
  if (suffix !== '' && suffix !== '/') return suffix;
  return join(berthHome(), TARGET_NAME);
}

export class StateFile {
  readonly path: string;

  constructor(readonly directory: string) {
    this.path = join(directory, 'state.json');
  }

  async read(): Promise<State> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw error;
    }
    try {
      const state = JSON.parse(text) as State;
      if (state.version !== 1 || typeof state.deployments !== 'object')
        throw new Error('not a state file of version 1');
      return { ...emptyState(), ...state };
    } catch (error) {
      throw new BerthError(
        `The state file ${this.path} is damaged (${(error as Error).message}); it was left as it is.`,
        {
          code: 'INVALID_STATE',
          suggestions: [`Move it aside to start empty: mv ${this.path} ${this.path}.damaged`],
        },
      );
    }
  }

  /** Read, change and write the state under a lock, so concurrent commands do not lose each other's writes. */
  async update<T>(change: (state: State) => T | Promise<T>): Promise<T> {
    await mkdir(this.directory, { recursive: true });
    const release = await this.lock();
    try {
      const state = await this.read();
      const result = await change(state);
      // Written beside the file and renamed over it: a crash leaves the old file or the new one, never half of one.
      const temporary = `${this.path}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
      await rename(temporary, this.path);
      return result;
    } finally {
      await release();
    }
  }

  private async lock(): Promise<() => Promise<void>> {
    const lockPath = `${this.path}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lockPath, 'wx');
        await handle.close();
        return () => rm(lockPath, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const age = await stat(lockPath).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lockPath, { force: true });
      else if (Date.now() > deadline) {
        throw new BerthError(`Another command holds ${lockPath}; gave up after ${LOCK_WAIT_MS / 1000} s.`, {
          code: 'TEMPORARILY_UNAVAILABLE',
          suggestions: [`Retry; if no other command is running, remove ${lockPath}.`],
        });
      } else await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

function emptyState(): State {
  return {
    version: 1,
    deployments: {},
    // #if endpoints
    endpoints: {},
    // #endif
  };
}
