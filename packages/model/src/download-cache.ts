/**
 * The download cache: `<BERTH_HOME>/cache/models/<key>`. Every download lands in a temporary folder
 * that is renamed into place once complete, so a crashed or concurrent download never leaves a
 * half-written model behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { berthHome } from '@berth/core/internal';
import { extractTarGz, findModelRoot } from './archive-extraction.js';
import { missingMLmodelError } from './mlmodel.js';

const MARKER = '.berth-download.json';

/** `<BERTH_HOME>/cache/models` (BERTH_HOME defaults to ~/.berth): where remote models are cached. */
export function defaultModelCacheDir(): string {
  return path.join(berthHome(), 'cache', 'models');
}

function cacheKey(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 32);
}

/**
 * The model folder for `identity`, filled by `fill` into a temp folder the first time. `source`
 * names the model in messages. `fill` may leave the model one or two folders down.
 */
export async function cachedModel(
  cacheDir: string,
  identity: string,
  source: string,
  fill: (directory: string) => Promise<void>,
): Promise<string> {
  const final = path.join(cacheDir, cacheKey(identity));
  const existing = await readMarker(final);
  if (existing !== undefined) return existing;
  await mkdir(cacheDir, { recursive: true });
  const temp = path.join(cacheDir, `.tmp-${cacheKey(identity)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp);
  try {
    await fill(temp);
    const root = await findModelRoot(temp);
    if (root === undefined) throw missingMLmodelError(source);
    await writeFile(
      path.join(temp, MARKER),
      JSON.stringify({ source, root: path.relative(temp, root), downloadedAt: new Date().toISOString() }),
    );
    try {
      await rename(temp, final);
    } catch (error) {
      // Another process finished the same download first: use theirs.
      const theirs = await readMarker(final);
      if (theirs !== undefined) {
        await rm(temp, { recursive: true, force: true });
        return theirs;
      }
      // The marker is written before the atomic rename, so a folder without one is debris: replace it.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(final, { recursive: true, force: true });
      await rename(temp, final);
    }
    return path.join(final, path.relative(temp, root));
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

async function readMarker(directory: string): Promise<string | undefined> {
  const text = await readFile(path.join(directory, MARKER), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const marker = JSON.parse(text) as { root?: string };
    return path.join(directory, marker.root ?? '');
  } catch {
    return undefined;
  }
}

/** A local `.tar.gz` model: extracted once per (path, size, mtime). */
export async function extractArchiveToCache(archive: string, cacheDir = defaultModelCacheDir()): Promise<string> {
  const info = await stat(archive);
  const identity = `archive:${path.resolve(archive)}:${info.size}:${info.mtimeMs}`;
  return cachedModel(cacheDir, identity, archive, (directory) => extractTarGz(archive, directory));
}
