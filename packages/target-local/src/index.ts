/** The version of Berth's target spec this package implements. */
export const specificationVersion = '1.1';
export type { TabularExplanation } from './explain.js';
export { configSchema, type LocalConfig } from './local-config.js';
export { type DeploymentHealth, LocalDeploymentClient, type LocalPredictOptions } from './local-deployment-client.js';
export { runLocal } from './run-local.js';
export { targetHelp } from './target-help.js';
