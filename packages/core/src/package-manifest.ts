import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The parts of a package.json that discovery reads. Validated by hand rather than with zod:
 * listing targets is on the `berth targets` start-up path, and importing zod costs more than the
 * whole listing (about 120 ms on the project's machines).
 */
export interface PackageManifest {
  name: string;
  version: string;
  /** Names from dependencies, devDependencies and optionalDependencies, in that order, without repeats. */
  dependencies: string[];
  deploymentTargets: EntryDeclaration[];
  datasetSources: EntryDeclaration[];
  exports: unknown;
  main: string | undefined;
  /** True when the package.json declares npm/yarn `workspaces`. */
  hasWorkspaces: boolean;
}

/** One name a package provides: `"name": "./entry"` or `"name": {"entry", "summary", "uri"}`. */
export interface EntryDeclaration {
  name: string;
  entry: string;
  summary?: string;
  uri?: string;
}

/** Target names are usable as URI schemes: lowercase letter, then lowercase letters, digits, `+`, `-`, `.`. */
export const TARGET_NAME = /^[a-z][a-z0-9+.-]*$/;

export type ManifestResult =
  | { manifest: PackageManifest; warnings: string[] }
  | { manifest: undefined; warnings: string[] };

/**
 * Reads `<dir>/package.json`; a missing file is `undefined` without a warning, a broken one warns.
 * With `declaringOnly`, a package that mentions neither field is skipped without parsing: most of
 * a project's dependencies are not targets, and this keeps listing fast in large projects.
 */
export async function readManifest(directory: string, declaringOnly = false): Promise<ManifestResult> {
  const path = join(directory, 'package.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8'); // synchronous: see package-discovery.ts
  } catch {
    return { manifest: undefined, warnings: [] };
  }
  if (declaringOnly && !text.includes('"deploymentTargets"') && !text.includes('"datasetSources"')) {
    return { manifest: undefined, warnings: [] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { manifest: undefined, warnings: [`Ignoring ${path}: it is not valid JSON (${(error as Error).message}).`] };
  }
  if (!isRecord(raw)) return { manifest: undefined, warnings: [`Ignoring ${path}: it is not a JSON object.`] };
  const name = typeof raw.name === 'string' ? raw.name : '';
  const warnings: string[] = [];
  const label = `${name || '(unnamed package)'} (${path})`;
  return {
    manifest: {
      name,
      version: typeof raw.version === 'string' ? raw.version : '',
      dependencies: dependencyNames(raw),
      deploymentTargets: declarations(raw.deploymentTargets, 'deploymentTargets', label, warnings),
      datasetSources: declarations(raw.datasetSources, 'datasetSources', label, warnings),
      exports: raw.exports,
      main: typeof raw.main === 'string' ? raw.main : undefined,
      hasWorkspaces: raw.workspaces !== undefined,
    },
    warnings,
  };
}

function dependencyNames(raw: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const value = raw[field];
    if (isRecord(value)) for (const name of Object.keys(value)) names.add(name);
  }
  return [...names];
}

function declarations(value: unknown, field: string, label: string, warnings: string[]): EntryDeclaration[] {
  if (value === undefined) return [];
  if (!isRecord(value)) {
    warnings.push(`Ignoring "${field}" in ${label}: it must be an object mapping names to entries.`);
    return [];
  }
  const result: EntryDeclaration[] = [];
  for (const [name, declared] of Object.entries(value)) {
    const problem = declarationProblem(name, declared);
    if (problem) {
      warnings.push(`Ignoring "${field}.${name}" in ${label}: ${problem}`);
      continue;
    }
    if (typeof declared === 'string') {
      result.push({ name, entry: declared });
    } else {
      const record = declared as Record<string, unknown>;
      result.push({
        name,
        entry: (record.entry as string | undefined) ?? '.',
        ...(typeof record.summary === 'string' ? { summary: record.summary } : {}),
        ...(typeof record.uri === 'string' ? { uri: record.uri } : {}),
      });
    }
  }
  return result;
}

function declarationProblem(name: string, declared: unknown): string | undefined {
  if (!TARGET_NAME.test(name)) {
    return 'a name must start with a lowercase letter and contain only lowercase letters, digits, "+", "-" and ".".';
  }
  if (typeof declared === 'string') return declared === '' ? 'the entry must not be empty.' : undefined;
  if (!isRecord(declared)) return 'the value must be an entry string or an object {"entry", "summary", "uri"}.';
  if (declared.entry !== undefined && (typeof declared.entry !== 'string' || declared.entry === '')) {
    return '"entry" must be a non-empty string.';
  }
  for (const key of ['summary', 'uri']) {
    if (declared[key] !== undefined && typeof declared[key] !== 'string') return `"${key}" must be a string.`;
  }
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
