import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BerthError } from './berth-error.js';
import { isRecord, type PackageManifest } from './package-manifest.js';

/** Conditions an ESM import from Node matches, in the order Node would accept them. */
const CONDITIONS = new Set(['node', 'import', 'module-sync', 'default']);

/**
 * The file a declared entry (`"."`, `"./server"`) names, resolved through the package's `exports`
 * the way `import('<package>/<entry>')` would. We resolve it ourselves because Node 20 cannot
 * resolve a specifier relative to another folder from ESM (`import.meta.resolve`'s parent argument
 * is experimental) and `require.resolve` uses the `require` condition, which ESM-only packages lack.
 */
export async function resolvePackageEntry(
  directory: string,
  manifest: PackageManifest,
  entry: string,
): Promise<string> {
  const subpath = entry === '.' || entry.startsWith('./') ? entry : `./${entry}`;
  const exported = manifest.exports === undefined ? undefined : resolveExports(manifest.exports, subpath);
  if (exported !== undefined) return join(directory, exported);
  const candidates =
    subpath === '.' ? [manifest.main ?? 'index.js', 'index.js'] : [subpath, `${subpath}.js`, `${subpath}/index.js`];
  for (const candidate of candidates) {
    // A file the package declares explicitly but does not export is still its author's intent.
    if (await fileExists(join(directory, candidate))) return join(directory, candidate);
  }
  throw new BerthError(
    `Package ${manifest.name || directory} declares the entry "${entry}", but ${
      manifest.exports === undefined ? 'no such file exists' : 'its "exports" do not provide it for import'
    } (looked in ${directory}).`,
    { code: 'INTERNAL_ERROR', suggestions: ['Raise an issue with the package developers.'] },
  );
}

/** Imports a package's declared entry by file URL, so its own dependencies resolve from its folder. */
export async function importPackageEntry(
  directory: string,
  manifest: PackageManifest,
  entry: string,
): Promise<Record<string, unknown>> {
  const file = await resolvePackageEntry(directory, manifest, entry);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

function resolveExports(exportsField: unknown, subpath: string): string | undefined {
  const map = subpathMap(exportsField);
  if (map[subpath] !== undefined) return resolveTarget(map[subpath], '');
  // Subpath patterns: "./features/*": "./src/features/*.js".
  for (const [key, target] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= key.length - 1) {
      return resolveTarget(target, subpath.slice(prefix.length, subpath.length - suffix.length));
    }
  }
  return undefined;
}

/** `"exports": "./x.js"` and `"exports": {"import": …}` are shorthands for `{".": …}`. */
function subpathMap(exportsField: unknown): Record<string, unknown> {
  if (isRecord(exportsField) && Object.keys(exportsField).some((key) => key.startsWith('.'))) return exportsField;
  return { '.': exportsField };
}

function resolveTarget(target: unknown, star: string): string | undefined {
  if (typeof target === 'string') return target.replaceAll('*', star);
  if (Array.isArray(target)) {
    for (const item of target) {
      const resolved = resolveTarget(item, star);
      if (resolved !== undefined) return resolved;
    }
    return undefined;
  }
  if (isRecord(target)) {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS.has(condition)) continue;
      const resolved = resolveTarget(value, star);
      if (resolved !== undefined) return resolved;
    }
  }
  return undefined;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
