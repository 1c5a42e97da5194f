/** What create-berth-target asks (or takes as flags) before it writes anything. */
export interface TargetAnswers {
  /** Folder to create; must not exist or be empty. */
  directory: string;
  /** The target name, the scheme of its URIs (`acme`, `acme:/x`). */
  target: string;
  /** npm scope without or with `@` (`@acme`), or undefined for an unscoped package. */
  scope?: string;
  /** The npm name; default `[@scope/]berth-target-<target>`. */
  packageName?: string;
  /** Optional methods the example implements. */
  capabilities: readonly Capability[];
  /** One line for `berth targets` and the README. */
  summary?: string;
}

export const CAPABILITIES = ['stream', 'explain', 'endpoints'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/**
 * Target names are URI schemes (core allows `+` and `.` too); here also file and identifier
 * stems (`src/<target>-config.ts`, `<Pascal>DeploymentClient`), so letters, digits and `-` only.
 */
const TARGET = /^[a-z][a-z0-9-]{0,23}$/;
const SCOPE = /^@?[a-z0-9][a-z0-9._-]*$/;
const PACKAGE = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

export class AnswerError extends Error {
  override name = 'AnswerError';
}

export function checkTarget(target: string): string {
  if (!TARGET.test(target) || target.endsWith('-')) {
    throw new AnswerError(
      `Invalid target name '${target}': start with a lowercase letter, then up to 23 lowercase letters, digits or '-' (it becomes the URI scheme and file names).`,
    );
  }
  return target;
}

export function normaliseScope(scope: string | undefined): string | undefined {
  if (scope === undefined || scope.trim() === '') return undefined;
  const trimmed = scope.trim();
  if (!SCOPE.test(trimmed)) throw new AnswerError(`Invalid npm scope '${scope}': e.g. @acme.`);
  return trimmed.startsWith('@') ? trimmed : `@${trimmed}`;
}

export function parseCapabilities(text: string | undefined): Capability[] {
  if (text === undefined) return [];
  const words = text
    .split(/[\s,]+/)
    .map((word) => word.trim().toLowerCase())
    .filter((word) => word !== '' && word !== 'none');
  const unknown = words.filter((word) => !(CAPABILITIES as readonly string[]).includes(word));
  if (unknown.length > 0) {
    throw new AnswerError(
      `Unknown capabilities: ${unknown.join(', ')}. Choose from ${CAPABILITIES.join(', ')} (or none).`,
    );
  }
  return CAPABILITIES.filter((capability) => words.includes(capability));
}

/** `[@scope/]berth-target-<target>`: the convention a global `berth` finds packages by. */
export function defaultPackageName(target: string, scope: string | undefined): string {
  return `${scope ? `${scope}/` : ''}berth-target-${target}`;
}

export function checkPackageName(name: string): string {
  if (!PACKAGE.test(name) || name.length > 214) throw new AnswerError(`Invalid npm package name '${name}'.`);
  return name;
}

/** `my-target` → `MyTarget`, for class and type names. */
export function pascalCase(target: string): string {
  return target
    .split('-')
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

/** A target name guessed from the folder: `berth-target-acme` → `acme`, `My Target` → `my-target`. */
export function targetFromDirectory(directory: string): string | undefined {
  const base = directory.replace(/\/+$/, '').split(/[\\/]/).at(-1) ?? '';
  const guess = base
    .toLowerCase()
    .replace(/^berth-target-/, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
  return TARGET.test(guess) ? guess : undefined;
}
