import { type DeploymentClientClass, SPECIFICATION_VERSION } from './base-deployment-client.js';
import { BerthError } from './berth-error.js';

export interface ParsedVersion {
  major: number;
  minor: number;
  /** As declared, for messages. */
  text: string;
}

/** `'1.1'`, `'1'` (= 1.0), and core 0.1's `'v1'` (= 1.0); undefined for anything else. */
export function parseSpecificationVersion(value: unknown): ParsedVersion | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^v?(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2] ?? 0), text: value };
}

const CURRENT = parseSpecificationVersion(SPECIFICATION_VERSION) as ParsedVersion;

/** The versions this core loads, for messages: every minor of its major. */
export const SUPPORTED_SPECIFICATION_VERSIONS = `${CURRENT.major}.x (this core implements ${SPECIFICATION_VERSION})`;

/** True when this core loads a target declaring `version`. */
export function isSupportedSpecificationVersion(version: unknown): boolean {
  return parseSpecificationVersion(version)?.major === CURRENT.major;
}

/**
 * The version a target implements: its module's `specificationVersion` export, else its client
 * class's (core 0.1 put `'v1'` on the base class, which a target bundling that core inherits).
 */
export function declaredVersion(members: Record<string, unknown>, clientClass: DeploymentClientClass): unknown {
  return members.specificationVersion ?? clientClass.specificationVersion;
}

/**
 * Refuses a version of another major, or one that cannot be read, with both versions and the way out;
 * returns the parsed version otherwise.
 */
export function checkSpecificationVersion(declared: unknown, target: string, packageLabel: string): ParsedVersion {
  const parsed = parseSpecificationVersion(declared);
  const subject = `Target '${target}' (package ${packageLabel})`;
  if (!parsed) {
    const what =
      declared === undefined
        ? 'does not declare a specificationVersion'
        : `declares specificationVersion ${JSON.stringify(declared)}, which is not a version`;
    throw new BerthError(`${subject} ${what}. This @berth/core implements spec ${SPECIFICATION_VERSION}.`, {
      code: 'INTERNAL_ERROR',
      suggestions: [
        `Its entry module should export \`specificationVersion = '${SPECIFICATION_VERSION}'\` (or the 1.x version it was written against). Raise an issue with the plugin developers.`,
      ],
    });
  }
  if (parsed.major > CURRENT.major) {
    throw new BerthError(
      `${subject} implements Berth spec ${parsed.text}, but this @berth/core implements spec ${SPECIFICATION_VERSION}; a newer major version of the spec needs a newer Berth.`,
      {
        code: 'INTERNAL_ERROR',
        suggestions: [
          `Upgrade Berth: npm install @berth/core@${parsed.major} @berth/cli@${parsed.major} (globally: npm install -g @berth/cli@${parsed.major}).`,
          `Or install a release of ${packageLabel.replace(/@[^@]*$/, '')} built for spec ${CURRENT.major}.x.`,
        ],
      },
    );
  }
  if (parsed.major < CURRENT.major) {
    throw new BerthError(
      `${subject} implements Berth spec ${parsed.text}, which this @berth/core (spec ${SPECIFICATION_VERSION}) no longer loads.`,
      {
        code: 'INTERNAL_ERROR',
        suggestions: [
          `Upgrade the target: npm install ${packageLabel.replace(/@[^@]*$/, '')}@latest, or ask its developers for a release built for spec ${CURRENT.major}.x.`,
        ],
      },
    );
  }
  return parsed;
}

/**
 * A client class of an older minor, given what later minors added, so hosts can call every method
 * of the current spec. A target that brings its own copy of an older core lacks `close()` (1.1);
 * a target that shares the host's core inherits it and is returned unchanged.
 */
export function adaptClientClass(clientClass: DeploymentClientClass): DeploymentClientClass {
  if (typeof clientClass.prototype?.close === 'function') return clientClass;
  // The concrete class implements every abstract method; the type only knows it as a constructor.
  const Concrete = clientClass as unknown as new (targetUri: string) => object;
  const Adapted = class extends Concrete {};
  Object.defineProperty(Adapted.prototype, 'close', {
    value: async function close(): Promise<void> {},
    writable: true,
    configurable: true,
  });
  Object.defineProperty(Adapted, 'name', { value: clientClass.name });
  return Adapted as unknown as DeploymentClientClass;
}
