import { BerthError } from './berth-error.js';
import { closestMatch } from './closest-match.js';
import { type DiscoveryOptions, discoverPackages } from './package-discovery.js';
import { importPackageEntry } from './package-entry.js';
import { readManifest, TARGET_NAME } from './package-manifest.js';
import { describePackage, type TargetInfo, type TargetModule, validateTargetModule } from './target-module.js';
import { parseTargetUri } from './target-uri.js';

export type ListTargetsOptions = DiscoveryOptions;
export type LoadTargetOptions = DiscoveryOptions;

export interface TargetList {
  /** Every target found, first found first; each name once. */
  targets: TargetInfo[];
  /** Duplicate names and broken package.json declarations, for the CLI to show. */
  warnings: string[];
}

interface CodeRegistration {
  info: TargetInfo;
  loader: () => Promise<unknown>;
}

const registrations = new Map<string, CodeRegistration>();
/** Loaded and validated modules, by package folder + entry (or code registration). */
const loadedModules = new Map<string, Promise<TargetModule>>();

/**
 * Registers a target in code; registrations come before every installed package. `loader` runs
 * only when the target is used, and may return a module namespace or a plain object.
 */
export function registerTarget(name: string, loader: () => Promise<unknown>, info: Partial<TargetInfo> = {}): void {
  if (!TARGET_NAME.test(name)) {
    throw BerthError.invalidParameterValue(
      `Invalid target name '${name}': a target name starts with a lowercase letter and contains only lowercase letters, digits, '+', '-' and '.'.`,
    );
  }
  if (typeof loader !== 'function') {
    throw BerthError.invalidParameterValue(`registerTarget('${name}', loader): loader must be a function.`);
  }
  registrations.set(name, {
    loader,
    info: { packageName: '(registered in code)', version: '', entry: '(code)', ...info, name, source: 'code' },
  });
  loadedModules.delete(codeKey(name));
}

/** Removes a code registration; true when there was one. */
export function unregisterTarget(name: string): boolean {
  loadedModules.delete(codeKey(name));
  return registrations.delete(name);
}

/**
 * Every available target, from code registrations, the project, the plugin folder and packages
 * beside core, in that order. Reads package.json files only: no target code is imported.
 */
export async function listTargets(options: ListTargetsOptions = {}): Promise<TargetList> {
  const discovery = await discoverPackages(options);
  const targets: TargetInfo[] = [];
  const byName = new Map<string, TargetInfo>();
  const warnings = [...discovery.warnings];
  const add = (info: TargetInfo) => {
    const first = byName.get(info.name);
    if (first) {
      warnings.push(
        `Target "${info.name}" is provided by ${describeOrigin(first)} and by ${describeOrigin(info)}; using ${describePackage(first)} (first found).`,
      );
      return;
    }
    byName.set(info.name, info);
    targets.push(info);
  };
  for (const registration of registrations.values()) add(registration.info);
  for (const found of discovery.packages) {
    for (const declaration of found.manifest.deploymentTargets) {
      add({
        name: declaration.name,
        packageName: found.manifest.name || found.directory,
        version: found.manifest.version,
        source: found.source,
        packageDir: found.directory,
        entry: declaration.entry,
        ...(declaration.summary === undefined ? {} : { summary: declaration.summary }),
        ...(declaration.uri === undefined ? {} : { uri: declaration.uri }),
      });
    }
  }
  return { targets, warnings };
}

/**
 * Finds a target by name or full URI, imports its entry and validates it against the contract.
 * The validated module is cached for the life of the process.
 */
export async function loadTarget(
  target: string,
  options: LoadTargetOptions = {},
): Promise<{ info: TargetInfo; module: TargetModule }> {
  const name = parseTargetUri(target);
  const registered = registrations.get(name);
  const info = registered?.info ?? (await findTarget(name, target, options));
  return { info, module: await loadModule(info) };
}

async function findTarget(name: string, target: string, options: LoadTargetOptions): Promise<TargetInfo> {
  const { targets } = await listTargets(options);
  const info = targets.find((candidate) => candidate.name === name);
  if (info) return info;
  throw new TargetNotFoundError(target, name, targets);
}

function loadModule(info: TargetInfo): Promise<TargetModule> {
  const key = info.source === 'code' ? codeKey(info.name) : `${info.packageDir}\0${info.entry}\0${info.name}`;
  let loaded = loadedModules.get(key);
  if (!loaded) {
    loaded = importTarget(info).then((module) => validateTargetModule(module, info));
    loadedModules.set(key, loaded);
    loaded.catch(() => loadedModules.delete(key));
  }
  return loaded;
}

async function importTarget(info: TargetInfo): Promise<unknown> {
  try {
    if (info.source === 'code') {
      const registration = registrations.get(info.name);
      if (!registration) throw new Error('the registration was removed');
      return await registration.loader();
    }
    return await importEntry(info);
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    throw new BerthError(
      `Failed to load the plugin "${info.name}" (package ${describePackage(info)}): ${(error as Error)?.message ?? String(error)}`,
      {
        code: 'INTERNAL_ERROR',
        cause: error,
        suggestions: ['Reinstall the package, or raise an issue with its developers.'],
      },
    );
  }
}

async function importEntry(info: TargetInfo): Promise<unknown> {
  const directory = info.packageDir as string;
  const { manifest } = await readManifest(directory);
  if (!manifest) throw new Error(`its package.json in ${directory} can no longer be read`);
  return importPackageEntry(directory, manifest, info.entry);
}

function codeKey(name: string): string {
  return `code\0${name}`;
}

const SOURCE_LABELS: Record<TargetInfo['source'], string> = {
  code: 'registered in code',
  project: 'project',
  plugins: 'plugin folder',
  global: 'installed beside @berth/core',
};

function describeOrigin(info: TargetInfo): string {
  const where = info.packageDir ? `${SOURCE_LABELS[info.source]}, ${info.packageDir}` : SOURCE_LABELS[info.source];
  return `${describePackage(info)} (${where})`;
}

const marker = Symbol.for('berth.error.target-not-found');

/** RESOURCE_DOES_NOT_EXIST for a target no installed package provides; lists what is installed. */
export class TargetNotFoundError extends BerthError {
  readonly [marker] = true;
  /** The name parsed from the URI. */
  readonly target: string;
  readonly availableTargets: string[];

  constructor(uri: string, target: string, available: TargetInfo[]) {
    const names = available.map((info) => info.name);
    const nearest = closestMatch(target, names);
    // npm names are lowercase; a target typed as `Memory` still maps to an installable name.
    const packageName = `@berth/target-${target.toLowerCase()}`;
    super(
      `No plugin found for managing model deployments to "${uri}". In order to deploy models to "${uri}", install a package that provides the "${target}" target.`,
      {
        code: 'RESOURCE_DOES_NOT_EXIST',
        suggestions: [
          ...(nearest ? [`Did you mean '${nearest}'? Target names are case-sensitive.`] : []),
          names.length > 0 ? `Installed targets: ${names.join(', ')}.` : 'No deployment targets are installed.',
          `In a project: npm install ${packageName}`,
          `For a global berth CLI: berth targets add ${packageName}`,
          'Community targets are published as berth-target-<name> or @<scope>/berth-target-<name>.',
        ],
      },
    );
    this.name = 'TargetNotFoundError';
    this.target = target;
    this.availableTargets = names;
  }

  static override isInstance(value: unknown): value is TargetNotFoundError {
    return BerthError.isInstance(value) && (value as unknown as Record<symbol, unknown>)[marker] === true;
  }
}
