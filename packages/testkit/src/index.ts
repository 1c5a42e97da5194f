/**
 * `@berth/testkit`: the conformance suite every Berth deployment target runs under vitest.
 *
 * ```ts
 * import { describeTarget } from '@berth/testkit';
 * import * as target from '../src/index.js';
 *
 * describeTarget(() => new target.ExampleDeploymentClient('example'), {
 *   module: target,
 *   models: { default: './model' },
 *   inputs: { valid: { inputs: [[1, 2]] }, rows: 1 },
 * });
 * ```
 */
export { CONTRACT_POINTS, type ContractPoint } from './contract-points.js';
export { ContractViolation } from './contract-violation.js';
export { describeTarget } from './describe-target.js';
export type {
  CreateClient,
  TargetCapabilities,
  TargetInputs,
  TargetModels,
  TargetModuleNamespace,
  TargetSuiteOptions,
} from './target-suite-options.js';
