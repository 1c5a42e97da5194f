import { accessSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { berthHome as defaultBerthHome, pluginsDirectory } from './berth-home.js';
import { type PackageManifest, readManifest } from './package-manifest.js';

/** Where a package was found, in lookup order (code registrations come before all of these). */
export type PackageSource = 'project' | 'plugins' | 'global';

export interface DiscoveredPackage {
  manifest: PackageManifest;
  /** The package folder with symlinks resolved (pnpm links into `node_modules/.pnpm`). */
  directory: string;
  source: PackageSource;
}

export interface DiscoveryOptions {
  /** Where the project search starts; default `process.cwd()`. */
  cwd?: string;
  /** Default `berthHome()` (`BERTH_HOME` or `~/.berth`). */
  berthHome?: string;
  /**
   * A file or folder inside the `@berth/core` whose neighbours count as "installed beside core".
   * Default: this copy of core. Tools and tests point it elsewhere.
   */
  corePath?: string;
}

export interface DiscoveryResult {
  packages: DiscoveredPackage[];
  warnings: string[];
}

const cache = new Map<string, Promise<DiscoveryResult>>();

/**
 * The scan reads package.json files and folders with synchronous calls behind its async API: a few
 * dozen small reads, once per process, cost less that way than as promises through the thread pool
 * (and not loading `node:fs/promises` keeps ≈ 7 M instructions off `berth targets` and `berth list`).
 */
const realpath = (path: string): string => realpathSync.native(path);

/**
 * Finds the packages that may declare `deploymentTargets` or `datasetSources`, reading only
 * package.json files. The scan runs once per process for a given cwd / BERTH_HOME / core path.
 */
export function discoverPackages(options: DiscoveryOptions = {}): Promise<DiscoveryResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const home = resolve(options.berthHome ?? defaultBerthHome());
  const corePath = resolve(options.corePath ?? fileURLToPath(import.meta.url));
  const key = [cwd, home, corePath].join('\0');
  let result = cache.get(key);
  if (!result) {
    result = scan(cwd, home, corePath);
    cache.set(key, result);
    // A failed scan is not remembered, so a later call can succeed.
    result.catch(() => cache.delete(key));
  }
  return result;
}

/** Forgets earlier scans (after installing or removing a package in the same process). */
export function clearDiscoveryCache(): void {
  cache.clear();
}

async function scan(cwd: string, home: string, corePath: string): Promise<DiscoveryResult> {
  const [project, plugins, global] = await Promise.all([
    scanProject(cwd),
    scanDeclaredDependencies(pluginsDirectory(home), 'plugins', false),
    scanBesideCore(corePath),
  ]);
  const packages: DiscoveredPackage[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const part of [project, plugins, global]) {
    warnings.push(...part.warnings);
    for (const found of part.packages) {
      // The same folder reached twice (a workspace root and its member, a hoisted dependency
      // that core also sits beside) is one package, not a duplicate.
      if (seen.has(found.directory)) continue;
      seen.add(found.directory);
      packages.push(found);
    }
  }
  return { packages, warnings };
}

/** The nearest package.json from `cwd` up, and the workspace root above it, if any. */
export async function findProjectRoots(cwd: string): Promise<string[]> {
  const project = await findUp(cwd, (directory) => exists(join(directory, 'package.json')));
  if (project === undefined) return [];
  const workspace = await findUp(project, isWorkspaceRoot);
  return workspace === undefined || workspace === project ? [project] : [project, workspace];
}

async function isWorkspaceRoot(directory: string): Promise<boolean> {
  if (await exists(join(directory, 'pnpm-workspace.yaml'))) return true;
  const { manifest } = await readManifest(directory);
  return manifest?.hasWorkspaces === true;
}

async function scanProject(cwd: string): Promise<DiscoveryResult> {
  const roots = await findProjectRoots(cwd);
  const parts = await Promise.all(roots.map((root) => scanDeclaredDependencies(root, 'project', true)));
  return {
    packages: parts.flatMap((part) => part.packages),
    warnings: parts.flatMap((part) => part.warnings),
  };
}

/**
 * The dependencies a package.json declares, each resolved from that folder — never a scan of its
 * node_modules, which under pnpm holds only direct dependencies anyway. With `includeSelf`, the
 * package itself counts too, so `berth` works inside a target package while it is developed.
 */
async function scanDeclaredDependencies(
  root: string,
  source: PackageSource,
  includeSelf: boolean,
): Promise<DiscoveryResult> {
  const { manifest, warnings } = await readManifest(root);
  if (!manifest) return { packages: [], warnings };
  const packages: DiscoveredPackage[] = [];
  if (includeSelf) packages.push({ manifest, directory: realpath(root), source });
  const resolved = await Promise.all(manifest.dependencies.map((name) => readDependency(root, name, source)));
  for (const result of resolved) {
    if (!result) continue;
    warnings.push(...result.warnings);
    if (result.found) packages.push(result.found);
  }
  return { packages, warnings };
}

async function readDependency(
  root: string,
  name: string,
  source: PackageSource,
): Promise<{ found?: DiscoveredPackage; warnings: string[] } | undefined> {
  const directory = await resolvePackageDirectory(root, name);
  if (directory === undefined) return undefined; // declared but not installed: not our business
  const { manifest, warnings } = await readManifest(directory, true);
  return manifest ? { found: { manifest, directory, source }, warnings } : { warnings };
}

/**
 * Where `name` resolves from `root`, as Node would resolve it from a file in `root`: first the
 * `node_modules/<name>` folders from `root` up (this works for packages whose `exports` hide
 * `./package.json`), then `require.resolve` for anything else Node knows (NODE_PATH, global folders).
 */
export async function resolvePackageDirectory(root: string, name: string): Promise<string | undefined> {
  for (let directory = root; ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', name);
    if (await exists(join(candidate, 'package.json'))) return realpath(candidate);
    if (dirname(directory) === directory) break;
  }
  try {
    const manifestPath = createRequire(join(root, 'package.json')).resolve(`${name}/package.json`);
    return realpath(dirname(manifestPath));
  } catch {
    return undefined;
  }
}

/**
 * Packages installed next to the running core whose names follow the convention (`@berth/target-*`,
 * `berth-target-*`, `@scope/berth-target-*`). Every `node_modules` folder above core counts:
 * after `npm i -g @berth/cli @berth/target-x`, core lives in `<prefix>/lib/node_modules/@berth/cli/node_modules`
 * while the target sits one level up in `<prefix>/lib/node_modules`.
 */
async function scanBesideCore(corePath: string): Promise<DiscoveryResult> {
  const folders: string[] = [];
  for (let directory = corePath; dirname(directory) !== directory; directory = dirname(directory)) {
    if (basename(directory) === 'node_modules') folders.push(directory);
  }
  const candidates = (await Promise.all(folders.map(conventionNamedPackages))).flat();
  const results = await Promise.all(
    candidates.map(async (directory) => {
      const { manifest, warnings } = await readManifest(directory, true);
      return { manifest, warnings, directory: manifest ? realpath(directory) : directory };
    }),
  );
  const packages: DiscoveredPackage[] = [];
  const warnings: string[] = [];
  for (const result of results) {
    warnings.push(...result.warnings);
    if (result.manifest) packages.push({ manifest: result.manifest, directory: result.directory, source: 'global' });
  }
  return { packages, warnings };
}

async function conventionNamedPackages(folder: string): Promise<string[]> {
  const names = await listDirectory(folder);
  const found: string[] = [];
  for (const name of names) {
    if (name.startsWith('berth-target-')) found.push(join(folder, name));
    else if (name.startsWith('@')) {
      const prefix = name === '@berth' ? 'target-' : 'berth-target-';
      for (const inner of await listDirectory(join(folder, name))) {
        if (inner.startsWith(prefix)) found.push(join(folder, name, inner));
      }
    }
  }
  return found;
}

async function listDirectory(folder: string): Promise<string[]> {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

async function findUp(start: string, test: (directory: string) => Promise<boolean>): Promise<string | undefined> {
  for (let directory = start; ; directory = dirname(directory)) {
    if (await test(directory)) return directory;
    if (dirname(directory) === directory) return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}
