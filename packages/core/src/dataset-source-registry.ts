import { BerthError } from './berth-error.js';
import {
  httpDatasetSourceFactory,
  localDatasetSourceFactory,
  stdinDatasetSourceFactory,
} from './builtin-dataset-sources.js';
import type { DatasetSource, DatasetSourceFactory, DatasetSourceJSON } from './dataset-source.js';
import { type DiscoveryOptions, discoverPackages } from './package-discovery.js';
import { importPackageEntry } from './package-entry.js';
import { isRecord, TARGET_NAME } from './package-manifest.js';

/** Code registrations, newest first wins; built-ins come after them (local last: it takes any path). */
const registered = new Map<string, DatasetSourceFactory>();
const builtins = new Map<string, DatasetSourceFactory>([
  ['stdin', stdinDatasetSourceFactory],
  ['http', httpDatasetSourceFactory],
  ['local', localDatasetSourceFactory],
]);

/** Registers a source type in code; it is asked before the built-ins, so it may override one. */
export function registerDatasetSource(type: string, factory: DatasetSourceFactory): void {
  if (!TARGET_NAME.test(type)) {
    throw BerthError.invalidParameterValue(
      `Invalid dataset source type '${type}': it starts with a lowercase letter and contains only lowercase letters, digits, '+', '-' and '.'.`,
    );
  }
  for (const method of ['canResolve', 'fromRaw', 'fromJSON'] as const) {
    if (typeof factory?.[method] !== 'function') {
      throw BerthError.invalidParameterValue(`registerDatasetSource('${type}'): ${method} must be a function.`);
    }
  }
  registered.delete(type);
  registered.set(type, factory);
}

export interface DatasetSourceInfo {
  sourceType: string;
  /** `(built-in)`, `(registered in code)` or the contributing package. */
  packageName: string;
  packageDir?: string;
}

/**
 * The source that reads `raw` (a path, `file:` URI, `http(s)` URL, `-` for stdin, or a type a
 * package contributes). Package-contributed types are imported only when no registered or
 * built-in type recognises `raw`, so reading a local file never loads plugin code.
 */
export async function getSource(raw: string, options: DiscoveryOptions = {}): Promise<DatasetSource> {
  for (const factory of inResolutionOrder()) {
    if (factory.canResolve(raw)) return factory.fromRaw(raw);
  }
  for (const { factory } of await contributedFactories(options)) {
    if (factory.canResolve(raw)) return factory.fromRaw(raw);
  }
  const known = (await listDatasetSources(options)).map((info) => info.sourceType);
  throw new BerthError(`No dataset source can read "${raw}".`, {
    code: 'INVALID_PARAMETER_VALUE',
    suggestions: [
      'Give a file path, a file: URI, an http(s):// URL, or - for standard input.',
      `Known dataset source types: ${known.join(', ')}. Packages add more through a "datasetSources" field in their package.json.`,
    ],
  });
}

/** Rebuilds a source from its `toJSON()` form (an object, or its JSON text). */
export async function sourceFromJSON(
  json: string | DatasetSourceJSON,
  options: DiscoveryOptions = {},
): Promise<DatasetSource> {
  const parsed = typeof json === 'string' ? parseJSON(json) : json;
  if (!isRecord(parsed) || typeof parsed.sourceType !== 'string') {
    throw BerthError.invalidParameterValue(
      `A dataset source's JSON must be an object with a string "sourceType"; got ${JSON.stringify(parsed)}.`,
    );
  }
  const description = parsed as DatasetSourceJSON;
  const local = registered.get(description.sourceType) ?? builtins.get(description.sourceType);
  if (local) return local.fromJSON(description);
  const contributed = (await contributedFactories(options, description.sourceType))[0];
  if (contributed) return contributed.factory.fromJSON(description);
  throw new BerthError(`Unknown dataset source type "${description.sourceType}".`, {
    code: 'RESOURCE_DOES_NOT_EXIST',
    suggestions: ['Install the package that provides it (a package with a "datasetSources" field in package.json).'],
  });
}

/** Every source type: code registrations, built-ins, then packages (read from package.json, not imported). */
export async function listDatasetSources(options: DiscoveryOptions = {}): Promise<DatasetSourceInfo[]> {
  const infos: DatasetSourceInfo[] = [
    ...[...registered.keys()].reverse().map((sourceType) => ({ sourceType, packageName: '(registered in code)' })),
    ...[...builtins.keys()]
      .filter((type) => !registered.has(type))
      .map((sourceType) => ({ sourceType, packageName: '(built-in)' })),
  ];
  const seen = new Set(infos.map((info) => info.sourceType));
  const { packages } = await discoverPackages(options);
  for (const found of packages) {
    for (const declaration of found.manifest.datasetSources) {
      if (seen.has(declaration.name)) continue;
      seen.add(declaration.name);
      infos.push({ sourceType: declaration.name, packageName: found.manifest.name, packageDir: found.directory });
    }
  }
  return infos;
}

function inResolutionOrder(): DatasetSourceFactory[] {
  const codeFirst = [...registered.values()].reverse();
  const remaining = [...builtins.entries()].filter(([type]) => !registered.has(type)).map(([, factory]) => factory);
  return [...codeFirst, ...remaining];
}

const contributedCache = new Map<string, Promise<DatasetSourceFactory>>();

/** Imports the packages that declare dataset sources (optionally just one type), first found first. */
async function contributedFactories(
  options: DiscoveryOptions,
  onlyType?: string,
): Promise<{ type: string; factory: DatasetSourceFactory }[]> {
  const { packages } = await discoverPackages(options);
  const result: { type: string; factory: DatasetSourceFactory }[] = [];
  const seen = new Set<string>([...registered.keys(), ...builtins.keys()]);
  for (const found of packages) {
    for (const declaration of found.manifest.datasetSources) {
      if (seen.has(declaration.name) || (onlyType !== undefined && declaration.name !== onlyType)) continue;
      seen.add(declaration.name);
      const key = `${found.directory}\0${declaration.entry}\0${declaration.name}`;
      let factory = contributedCache.get(key);
      if (!factory) {
        factory = importPackageEntry(found.directory, found.manifest, declaration.entry).then((module) =>
          factoryFromModule(module, declaration.name, found.manifest.name),
        );
        contributedCache.set(key, factory);
        factory.catch(() => contributedCache.delete(key));
      }
      result.push({ type: declaration.name, factory: await factory });
    }
  }
  return result;
}

/** A contributing module exports `datasetSources: { <type>: { canResolve, fromRaw, fromJSON } }`. */
function factoryFromModule(module: Record<string, unknown>, type: string, packageName: string): DatasetSourceFactory {
  const sources = module.datasetSources;
  const factory = isRecord(sources) ? sources[type] : undefined;
  const missing = ['canResolve', 'fromRaw', 'fromJSON'].filter(
    (method) => !isRecord(factory) || typeof factory[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new BerthError(
      `Package ${packageName} declares the dataset source "${type}", but its entry does not export datasetSources.${type} with ${missing.join(', ')}. Raise an issue with the package developers.`,
      { code: 'INTERNAL_ERROR' },
    );
  }
  return factory as unknown as DatasetSourceFactory;
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw BerthError.invalidParameterValue(`A dataset source's JSON is not valid JSON: ${text.slice(0, 200)}`, {
      cause,
    });
  }
}
