/**
 * Safe `.tar.gz` extraction: every entry is checked before anything is written. Absolute paths,
 * `..` segments, links whose target leaves the destination, and device/FIFO entries are refused
 * with an error naming the entry (node-tar would silently strip or skip some of them).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

function refuse(entry: string, reason: string): BerthError {
  return BerthError.invalidParameterValue(`Refusing to extract the model archive: entry "${entry}" ${reason}.`);
}

function isAbsoluteLike(entryPath: string): boolean {
  return path.posix.isAbsolute(entryPath) || path.win32.isAbsolute(entryPath) || /^[A-Za-z]:/.test(entryPath);
}

function hasParentSegment(entryPath: string): boolean {
  return entryPath.split(/[\\/]+/).includes('..');
}

/** Throws if the entry could write or point outside the extraction root. */
export function checkArchiveEntry(entry: { path: string; type: string; linkpath?: string }): void {
  const name = entry.path;
  if (isAbsoluteLike(name)) throw refuse(name, 'has an absolute path');
  if (hasParentSegment(name)) throw refuse(name, "contains '..'");
  if (!ALLOWED_TYPES.has(entry.type))
    throw refuse(name, `is a ${entry.type} entry (only files, directories and links are allowed)`);
  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    const target = entry.linkpath ?? '';
    if (target === '' || isAbsoluteLike(target)) throw refuse(name, `links to an absolute path "${target}"`);
    // Symlink targets are relative to the link's folder; hard-link targets to the archive root.
    const base = entry.type === 'SymbolicLink' ? path.posix.dirname(name) : '.';
    const resolved = path.posix.normalize(path.posix.join(base, target));
    if (resolved === '..' || resolved.startsWith('../')) throw refuse(name, `links outside the archive ("${target}")`);
  }
}

export async function extractTarGz(archive: string, destination: string): Promise<void> {
  const tar = await import('tar');
  let failure: BerthError | undefined;
  try {
    await tar.t({
      file: archive,
      onReadEntry: (entry) => {
        if (failure) return;
        try {
          checkArchiveEntry({ path: entry.path, type: entry.type, linkpath: entry.linkpath });
        } catch (error) {
          failure = error as BerthError;
        }
      },
    });
  } catch (error) {
    throw BerthError.invalidParameterValue(
      `The model archive "${path.basename(archive)}" is not a readable .tar.gz: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (failure) throw failure;
  await tar.x({ file: archive, cwd: destination, strict: true, preservePaths: false, preserveOwner: false });
}

/** The model root inside an extracted archive: the folder holding MLmodel, at most two levels down. */
export async function findModelRoot(directory: string, depth = 2): Promise<string | undefined> {
  if (await stat(path.join(directory, 'MLmodel')).catch(() => undefined)) return directory;
  if (depth === 0) return undefined;
  const entries = await readdir(directory, { withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const found = await findModelRoot(path.join(directory, entry.name), depth - 1);
    if (found) return found;
  }
  return undefined;
}
