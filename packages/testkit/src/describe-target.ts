import { parseTargetUri } from '@berth/core';
import { loadTarget } from '@berth/core/registry';
import { afterAll, beforeAll, describe } from 'vitest';
import { endpointChecks, explainChecks, streamChecks } from './capability-checks.js';
import { describeValue } from './contract-violation.js';
import { createDiscoveryProbe } from './discovery-probe.js';
import { createChecks, updateDeleteChecks } from './lifecycle-checks.js';
import { moduleChecks } from './module-checks.js';
import { predictionChecks } from './prediction-checks.js';
import type { SuiteContext } from './suite-context.js';
import type { CreateClient, TargetSuiteOptions } from './target-suite-options.js';

const NAME_PREFIX = /^[a-z][a-z0-9-]{0,40}$/;

/**
 * Registers the Berth target conformance suite with vitest: module and config contract,
 * discovery, deployment lifecycle, predictions, and streaming, explanations and endpoints as the
 * target declares them. Each test is one contract point; its title and failure message name it.
 *
 * `createClient` runs once, before the checks, and returns the client under test (it may start
 * what the target talks to). The suite deletes what it created and calls `client.close()` after.
 */
export function describeTarget(createClient: CreateClient, options: TargetSuiteOptions): void {
  if (options.module === undefined && options.packageDir === undefined) {
    throw new TypeError('describeTarget: give `module` (the target entry, imported), `packageDir`, or both.');
  }
  const prefix = options.prefix ?? 'testkit';
  if (!NAME_PREFIX.test(prefix)) {
    throw new TypeError(
      `describeTarget: prefix ${JSON.stringify(prefix)} must be lowercase letters, digits and '-', starting with a letter.`,
    );
  }
  const context = {
    options,
    timeoutMs: options.timeoutMs ?? 60_000,
    names: {
      deployment: `${prefix}-a`,
      missing: `${prefix}-missing`,
      broken: `${prefix}-broken`,
      unknownConfig: `${prefix}-unknown-config`,
      endpoint: `${prefix}-endpoint`,
      missingEndpoint: `${prefix}-endpoint-missing`,
    },
    passed: new Set(),
    progress: [],
  } as unknown as SuiteContext;

  describe('berth target conformance (@berth/testkit)', () => {
    beforeAll(async () => {
      try {
        context.client = await createClient();
      } catch (error) {
        throw new Error(`[setup] createClient() threw ${describeValue(error)}; no contract point can be checked.`, {
          cause: error,
        });
      }
      if (typeof context.client?.targetUri !== 'string') {
        throw new Error(
          `[setup] createClient() must return a deployment client; it returned ${describeValue(context.client)}.`,
        );
      }
      context.targetName = parseTargetUri(context.client.targetUri);
      context.module = options.module ?? (await moduleFromPackage(options.packageDir as string, context.targetName));
    }, context.timeoutMs);

    afterAll(async () => {
      const client = context.client;
      if (!client) return;
      if (options.capabilities?.endpoints === true) {
        await client.deleteEndpoint(context.names.endpoint).catch(() => undefined);
      }
      for (const name of [context.names.deployment, context.names.broken, context.names.unknownConfig]) {
        await client.deleteDeployment(name).catch(() => undefined);
      }
      const close = (client as { close?: () => unknown }).close;
      if (typeof close === 'function') await close.call(client);
    }, context.timeoutMs * 2);

    moduleChecks(context);
    createChecks(context);
    predictionChecks(context);
    streamChecks(context);
    explainChecks(context);
    endpointChecks(context);
    updateDeleteChecks(context);
  });
}

/** Without `module`, the module is what discovery loads from the package (its built entry). */
async function moduleFromPackage(packageDir: string, targetName: string) {
  const probe = await createDiscoveryProbe(packageDir);
  try {
    return (await loadTarget(targetName, probe.discovery)).module.exports;
  } catch (error) {
    throw new Error(
      `[setup] could not load target '${targetName}' from ${packageDir} (is it built?): ${describeValue(error)}`,
      { cause: error },
    );
  } finally {
    await probe.remove();
  }
}
