import type { BaseDeploymentClient, ProgressEvent } from '@berth/core';
import type { TargetModule } from '@berth/core/registry';
import { it, type TestContext } from 'vitest';
import { type ContractPoint, titleOf } from './contract-points.js';
import type { TargetModuleNamespace, TargetSuiteOptions } from './target-suite-options.js';

/** What the checks share: filled by the suite's `beforeAll`, read by every check. */
export interface SuiteContext {
  readonly options: TargetSuiteOptions;
  readonly timeoutMs: number;
  /** Names the suite may create, so cleanup can remove whatever is left. */
  readonly names: {
    deployment: string;
    missing: string;
    broken: string;
    unknownConfig: string;
    endpoint: string;
    missingEndpoint: string;
  };
  client: BaseDeploymentClient;
  /** The target name, from the client's URI (`local:/x` → `local`). */
  targetName: string;
  /** The module under test: `options.module`, or the one discovery loaded from `packageDir`. */
  module: TargetModuleNamespace;
  /** The module as @berth/core's loader validated it (set by `module.validates`). */
  validated?: TargetModule;
  /** onProgress events of the lifecycle's createDeployment, and whether the call had settled by then. */
  readonly progress: { event: ProgressEvent; settled: boolean }[];
  /** What createDeployment answered (set by `lifecycle.create`). */
  created?: Record<string, unknown>;
  /** Points whose check passed, for checks that build on them. */
  readonly passed: Set<ContractPoint>;
}

export interface CheckOptions {
  /** Points that must have passed first; otherwise the check is skipped, naming them. */
  needs?: readonly ContractPoint[];
  /** Registers the check as skipped (with the reason in its title) when true. */
  skip?: string | false;
}

/**
 * Registers the test of one contract point. Its title is the point's title; it is skipped, with
 * the reason, when a point it builds on failed (the failure that matters is reported there).
 */
export function check(
  context: SuiteContext,
  point: ContractPoint,
  body: (test: TestContext) => Promise<void> | void,
  options: CheckOptions = {},
): void {
  const title = titleOf(point);
  if (options.skip) {
    it.skip(`${title} (skipped: ${options.skip})`, () => {});
    return;
  }
  it(
    title,
    async (test) => {
      const unmet = (options.needs ?? []).filter((need) => !context.passed.has(need));
      if (unmet.length > 0) test.skip(`needs ${unmet.map((need) => `[${need}]`).join(', ')}, which did not pass`);
      await body(test);
      context.passed.add(point);
    },
    context.timeoutMs,
  );
}
