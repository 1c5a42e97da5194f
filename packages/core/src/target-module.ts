import { type DeploymentClientClass, isDeploymentClientClass } from './base-deployment-client.js';
import { BerthError } from './berth-error.js';
import { type ConfigSchema, isConfigSchema } from './config-schema.js';
import type { TargetConfig } from './deployment.js';
import {
  adaptClientClass,
  checkSpecificationVersion,
  declaredVersion,
  type ParsedVersion,
} from './specification-version.js';

/** A target package's entry module after validation. */
export interface TargetModule {
  /** The one client class the module exports, found by brand (adapted to the current spec when older). */
  clientClass: DeploymentClientClass;
  /** The spec version the target implements, as it declared it. */
  specificationVersion: ParsedVersion;
  runLocal(name: string, modelUri: string, flavor?: string, config?: TargetConfig): Promise<void>;
  targetHelp(): string;
  /** Read through Standard Schema (`~standard.validate`), so any library that implements it works. */
  configSchema?: ConfigSchema;
  /** A JSON Schema of the config the module exports beside `configSchema`, for libraries without Standard JSON Schema. */
  configJsonSchema?: object;
  /** Everything the module exports, for targets that offer more. */
  exports: Readonly<Record<string, unknown>>;
}

/** Where a target comes from; listing fills all of it without importing target code. */
export interface TargetInfo {
  /** The target name, the scheme of its URIs (`local`, `sagemaker`). */
  name: string;
  packageName: string;
  version: string;
  source: 'code' | 'project' | 'plugins' | 'global';
  /** The package folder (symlinks resolved); absent for code registrations. */
  packageDir?: string;
  /** The declared entry (`"."`, `"./target"`); `"(code)"` for code registrations. */
  entry: string;
  summary?: string;
  /** URI syntax for help output, e.g. `sagemaker[:/region[/role-arn]]`. */
  uri?: string;
}

/**
 * Checks a loaded module against the contract (MLflow's plugin checks, plus the spec version) and
 * returns its typed view. Messages follow MLflow's and name the package.
 */
export function validateTargetModule(loaded: unknown, info: TargetInfo): TargetModule {
  const plugin = `Plugin registered for the target ${info.name} (package ${describePackage(info)})`;
  if (typeof loaded !== 'object' || loaded === null) {
    throw new BerthError(`${plugin} did not load to a module object. Raise an issue with the plugin developers.`, {
      code: 'INTERNAL_ERROR',
    });
  }
  const members = contractMembers(loaded as Record<string, unknown>);
  const missing = ['runLocal', 'targetHelp'].filter((name) => typeof members[name] !== 'function');
  if (missing.length > 0) {
    throw new BerthError(
      `${plugin} does not have all the required interfaces. Raise an issue with the plugin developers.\nMissing interfaces: ${missing.join(', ')}`,
      { code: 'INTERNAL_ERROR', suggestions: [CONTRACT_HINT] },
    );
  }
  const declaredClass = findClientClass(members, plugin);
  const specificationVersion = checkSpecificationVersion(
    declaredVersion(members, declaredClass),
    info.name,
    describePackage(info),
  );
  const clientClass = adaptClientClass(declaredClass);
  const configSchema = members.configSchema;
  if (configSchema !== undefined && !isConfigSchema(configSchema)) {
    throw new BerthError(
      `${plugin} exports a "configSchema" that is not a Standard Schema (it needs "~standard.validate", as zod 3.24+, valibot and arktype schemas have). Raise an issue with the plugin developers.`,
      { code: 'INTERNAL_ERROR' },
    );
  }
  const configJsonSchema = members.configJsonSchema;
  const runLocal = members.runLocal as (...args: unknown[]) => unknown;
  const targetHelp = members.targetHelp as () => string;
  return {
    clientClass,
    specificationVersion,
    runLocal: async (name, modelUri, flavor, config) => {
      await runLocal(name, modelUri, flavor, config);
    },
    targetHelp: () => targetHelp(),
    ...(configSchema === undefined ? {} : { configSchema }),
    ...(isPlainObject(configJsonSchema) ? { configJsonSchema } : {}),
    exports: members,
  };
}

/**
 * A CommonJS target imported from ESM may expose its exports only under `default` (when Node
 * cannot detect the named exports). When `default` carries the contract, its members count too;
 * the module's own named exports take precedence.
 */
function contractMembers(namespace: Record<string, unknown>): Record<string, unknown> {
  const fallback = namespace.default as Record<string, unknown> | undefined;
  const hasContract =
    typeof fallback === 'object' &&
    fallback !== null &&
    (typeof fallback.runLocal === 'function' || typeof fallback.targetHelp === 'function');
  if (!hasContract) return namespace;
  const named = Object.fromEntries(Object.entries(namespace).filter(([key]) => key !== 'default'));
  return { ...fallback, ...named };
}

const CONTRACT_HINT =
  "A target's entry must export exactly one class extending BaseDeploymentClient, plus runLocal() and targetHelp().";

function findClientClass(members: Record<string, unknown>, plugin: string): DeploymentClientClass {
  // One class exported under two names (a named and a default export) is still one class.
  const classes = [...new Set(Object.values(members).filter(isDeploymentClientClass))];
  if (classes.length === 0) {
    throw new BerthError(
      `${plugin} has no child class of BaseDeploymentClient. Raise an issue with the plugin developers`,
      { code: 'INTERNAL_ERROR', suggestions: [CONTRACT_HINT] },
    );
  }
  if (classes.length > 1) {
    throw new BerthError(
      `${plugin} has more than one child class of BaseDeploymentClient. Raise an issue with the plugin developers. Classes found are [${classes
        .map((cls) => cls.name || '(anonymous)')
        .join(', ')}]`,
      { code: 'INTERNAL_ERROR', suggestions: [CONTRACT_HINT] },
    );
  }
  return classes[0] as DeploymentClientClass;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describePackage(info: Pick<TargetInfo, 'packageName' | 'version'>): string {
  return info.version ? `${info.packageName}@${info.version}` : info.packageName;
}
