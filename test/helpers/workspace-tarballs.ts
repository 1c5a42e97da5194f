import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testDirectory } from './berth-process.js';
import { pack } from './packages.js';

const packagesDirectory = join(testDirectory, '..', 'packages');

/** npm name → folder of every package under packages/. */
async function workspacePackages(): Promise<Map<string, { directory: string; manifest: Record<string, unknown> }>> {
  const found = new Map<string, { directory: string; manifest: Record<string, unknown> }>();
  for (const entry of await readdir(packagesDirectory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const directory = join(packagesDirectory, entry.name);
    const manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8').catch(() => '{}'));
    if (typeof manifest.name === 'string') found.set(manifest.name, { directory, manifest });
  }
  return found;
}

/**
 * Packs the named workspace packages and every workspace package they need at install time
 * (dependencies, optional and peer dependencies, transitively), so that `npm install` of the
 * tarballs never asks the registry for an unpublished `@berth/*` package. Returns name → tarball.
 */
export async function packWithWorkspaceDependencies(
  names: readonly string[],
  destination: string,
): Promise<Map<string, string>> {
  const workspace = await workspacePackages();
  const needed = new Set<string>();
  const visit = (name: string) => {
    const found = workspace.get(name);
    if (!found) throw new Error(`${name} is not a package under packages/`);
    if (needed.has(name)) return;
    needed.add(name);
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      for (const dependency of Object.keys((found.manifest[field] as Record<string, string> | undefined) ?? {})) {
        if (workspace.has(dependency)) visit(dependency);
      }
    }
  };
  for (const name of names) visit(name);
  const tarballs = new Map<string, string>();
  for (const name of needed) {
    const folder = name.replace(/^@/, '').replace('/', '-');
    tarballs.set(name, await pack((workspace.get(name) as { directory: string }).directory, join(destination, folder)));
  }
  return tarballs;
}
