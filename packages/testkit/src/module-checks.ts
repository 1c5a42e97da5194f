import { SPECIFICATION_VERSION } from '@berth/core';
import {
  isSupportedSpecificationVersion,
  listTargets,
  loadTarget,
  registerTarget,
  SUPPORTED_SPECIFICATION_VERSIONS,
  unregisterTarget,
  validateConfig,
} from '@berth/core/registry';
import { afterAll, beforeAll, describe } from 'vitest';
import { configKeysOf, isStandardSchema, schemaRefuses } from './config-keys.js';
import { describeValue, expectBerthError, isRecord, settle, violation } from './contract-violation.js';
import { createDiscoveryProbe, type DiscoveryProbe } from './discovery-probe.js';
import { check, type SuiteContext } from './suite-context.js';

/** A key no target declares; the suite's config checks send it. */
export const UNKNOWN_CONFIG_KEY = 'berth_testkit_unknown_key';

/**
 * Validates a module with @berth/core's own loader (a code registration, loaded by name): the
 * same checks the CLI runs on an installed target, not a copy of them.
 */
export async function validateWithCore(context: SuiteContext) {
  const { targetName, module } = context;
  registerTarget(targetName, async () => module, { packageName: '(module under test)' });
  try {
    return (await loadTarget(targetName)).module;
  } finally {
    unregisterTarget(targetName);
  }
}

export function moduleChecks(context: SuiteContext): void {
  describe('module contract', () => {
    check(context, 'module.validates', async () => {
      const outcome = await settle(() => validateWithCore(context));
      if (!outcome.resolved) {
        violation(
          'module.validates',
          `@berth/core refused the module of target '${context.targetName}': ${describeValue(outcome.error)}`,
          outcome.error,
        );
      }
      context.validated = outcome.value as SuiteContext['validated'];
    });

    check(context, 'module.spec-version', () => {
      const declared = context.module.specificationVersion;
      if (declared === undefined) {
        violation(
          'module.spec-version',
          `the entry module of target '${context.targetName}' does not export specificationVersion; add \`export const specificationVersion = '${SPECIFICATION_VERSION}'\` (the spec version it is written against).`,
        );
      }
      if (!isSupportedSpecificationVersion(declared)) {
        violation(
          'module.spec-version',
          `target '${context.targetName}' declares specification version ${describeValue(declared)}; this @berth/core supports ${String(SUPPORTED_SPECIFICATION_VERSIONS)}. Build the target against a matching @berth/core.`,
        );
      }
    });

    check(
      context,
      'module.client-class',
      () => {
        const clientClass = context.validated?.clientClass;
        const instanceClass = context.client.constructor;
        const sameClass = context.options.module
          ? instanceClass === clientClass
          : instanceClass.name === clientClass?.name;
        if (!sameClass) {
          violation(
            'module.client-class',
            `createClient() returned an instance of ${instanceClass.name || '(anonymous)'}, but the module's client class is ${clientClass?.name ?? '(none)'}; create the client with the class the module exports.`,
          );
        }
        if (typeof context.client.targetUri !== 'string' || context.client.targetUri === '') {
          violation(
            'module.client-class',
            `the client's targetUri is ${describeValue(context.client.targetUri)}; call super(targetUri) with the full target URI.`,
          );
        }
      },
      { needs: ['module.validates'] },
    );

    check(context, 'module.target-help', () => {
      const targetHelp = context.module.targetHelp;
      if (typeof targetHelp !== 'function') violation('module.target-help', 'the module does not export targetHelp().');
      const text: unknown = targetHelp();
      if (typeof text !== 'string') {
        violation('module.target-help', `targetHelp() must return a string; it returned ${describeValue(text)}.`);
      }
      if (!text.includes(context.targetName)) {
        violation(
          'module.target-help',
          `targetHelp() must name the target '${context.targetName}' (its URI format); it does not.`,
        );
      }
      const keys = configKeysOf(context.module.configSchema, context.module.configJsonSchema) ?? [];
      const missing = keys.filter((key) => !text.includes(key));
      if (missing.length > 0) {
        violation(
          'module.target-help',
          `targetHelp() must describe every config key; it does not mention ${missing.map((key) => `'${key}'`).join(', ')}. Generate the table from the schema (formatConfigHelp) so the two cannot drift.`,
        );
      }
    });

    check(context, 'module.run-local', async () => {
      const runLocal = context.module.runLocal;
      if (typeof runLocal !== 'function') {
        violation('module.run-local', 'the module does not export runLocal(name, modelUri, flavor?, config?).');
      }
      if (context.options.capabilities?.runLocal === false) {
        await expectBerthError(
          'module.run-local',
          "runLocal('testkit-run-local', …) of a target declared without local serving",
          ['NOT_IMPLEMENTED'],
          () => runLocal('testkit-run-local', context.options.models.default, context.options.flavor, {}),
        );
      }
    });
  });

  describe('config schema', () => {
    check(context, 'config.schema', () => {
      const schema = context.module.configSchema;
      if (schema === undefined) {
        violation(
          'config.schema',
          'the module exports no configSchema. Export one (z.strictObject({...}) with .describe() on each key; z.strictObject({}) when the target takes no config) so `-C key=value` is checked and typos are refused.',
        );
      }
      if (!isStandardSchema(schema)) {
        violation(
          'config.schema',
          `configSchema must be a Standard Schema (zod 4, valibot, arktype); it is ${describeValue(schema)}.`,
        );
      }
      if (configKeysOf(schema, context.module.configJsonSchema) === undefined) {
        violation(
          'config.schema',
          'configSchema does not describe its keys as a JSON Schema object: zod 4 does (~standard.jsonSchema); with another library export configJsonSchema beside it, so help and "did you mean" can list the keys.',
        );
      }
    });

    check(
      context,
      'config.unknown-key',
      async () => {
        const validated = context.validated;
        if (context.options.configPassThrough) {
          // A forwarding target: core must pass the undeclared key on for the backend to judge.
          const passed = await settle(() =>
            validateConfig(
              validated as NonNullable<typeof validated>,
              { [UNKNOWN_CONFIG_KEY]: 'x' },
              context.targetName,
            ),
          );
          if (!passed.resolved || !isRecord(passed.value) || passed.value[UNKNOWN_CONFIG_KEY] !== 'x') {
            violation(
              'config.unknown-key',
              `with configPassThrough, validateConfig(target '${context.targetName}', { ${UNKNOWN_CONFIG_KEY}: 'x' }) must pass the key on unchanged; it ${passed.resolved ? `gave ${describeValue(passed.value)}` : `rejected with ${describeValue(passed.error)}`}.`,
            );
          }
          return;
        }
        const keys = configKeysOf(context.module.configSchema, context.module.configJsonSchema) ?? [];
        await expectBerthError(
          'config.unknown-key',
          `validateConfig(target '${context.targetName}', { ${UNKNOWN_CONFIG_KEY}: 'x' })`,
          ['INVALID_PARAMETER_VALUE'],
          () =>
            validateConfig(
              validated as NonNullable<typeof validated>,
              { [UNKNOWN_CONFIG_KEY]: 'x' },
              context.targetName,
            ),
        );
        const [first] = keys;
        if (first !== undefined && first.length >= 3) {
          const typo = `${first}x`;
          const error = await expectBerthError(
            'config.unknown-key',
            `validateConfig(target '${context.targetName}', { ${typo}: 'x' })`,
            ['INVALID_PARAMETER_VALUE'],
            () => validateConfig(validated as NonNullable<typeof validated>, { [typo]: 'x' }, context.targetName),
          );
          const text = [error.message, ...(error.suggestions ?? [])].join('\n');
          if (!text.includes(first)) {
            violation('config.unknown-key', `refusing '${typo}' should suggest '${first}'; the error says: ${text}`);
          }
        }
      },
      { needs: ['module.validates', 'config.schema'] },
    );

    check(
      context,
      'config.strict-schema',
      async () => {
        const refuses = await schemaRefuses(context.module.configSchema, { [UNKNOWN_CONFIG_KEY]: 'x' });
        if (context.options.configPassThrough) {
          if (refuses) {
            violation(
              'config.strict-schema',
              `with configPassThrough, configSchema must accept { ${UNKNOWN_CONFIG_KEY}: 'x' } (the backend checks keys the target does not declare); it refused it.`,
            );
          }
          return;
        }
        if (!refuses) {
          violation(
            'config.strict-schema',
            `configSchema accepted { ${UNKNOWN_CONFIG_KEY}: 'x' }. Use z.strictObject (or .strict()) so a typo in a config from code is refused too.`,
          );
        }
      },
      { needs: ['config.schema'] },
    );
  });

  describe('discovery', () => {
    const packageDir = context.options.packageDir;
    const skip = packageDir === undefined && 'give packageDir to check package.json discovery';
    let probe: DiscoveryProbe | undefined;

    beforeAll(async () => {
      if (packageDir !== undefined) probe = await createDiscoveryProbe(packageDir);
    });
    afterAll(async () => {
      await probe?.remove();
    });

    check(
      context,
      'discovery.manifest',
      async () => {
        const { packageName, manifest, discovery } = probe as DiscoveryProbe;
        const declared = manifest.deploymentTargets;
        if (!isRecord(declared) || !(context.targetName in declared)) {
          violation(
            'discovery.manifest',
            `${packageName}'s package.json must declare "deploymentTargets": { "${context.targetName}": { "entry": ".", "summary": "…", "uri": "…" } }; it declares ${describeValue(declared)}.`,
          );
        }
        const { targets, warnings } = await listTargets(discovery);
        const problems = warnings.filter((warning) => warning.includes(packageName));
        if (problems.length > 0) {
          violation('discovery.manifest', `discovery warned about ${packageName}: ${problems.join(' | ')}`);
        }
        const found = targets.find((target) => target.name === context.targetName);
        if (!found || found.packageName !== packageName) {
          violation(
            'discovery.manifest',
            `a project depending on ${packageName} should list target '${context.targetName}' from it; listTargets found ${describeValue(targets.map((target) => `${target.name} (${target.packageName})`))}.`,
          );
        }
      },
      { skip },
    );

    check(
      context,
      'discovery.loads',
      async () => {
        const { packageName, discovery } = probe as DiscoveryProbe;
        const outcome = await settle(() => loadTarget(context.targetName, discovery));
        if (!outcome.resolved) {
          violation(
            'discovery.loads',
            `loading target '${context.targetName}' from an install of ${packageName} failed (is the package built, and does "exports" point at the build?): ${describeValue(outcome.error)}`,
            outcome.error,
          );
        }
      },
      { skip, needs: ['discovery.manifest'] },
    );
  });
}
