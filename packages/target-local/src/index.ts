/** The version of Berth's target spec this package implements. */
export const specificationVersion = '1.1';
export { configJsonSchema } from './config-json-schema.js';
export type { TabularExplanation } from './explain.js';
export type { DeploymentHealth } from './live-status.js';
export { configSchema, type LocalConfig } from './local-config.js';
export { LocalDeploymentClient } from './local-deployment-client.js';
export type { LocalPredictOptions } from './prediction.js';
export { runLocal } from './run-local.js';
export { targetHelp } from './target-help.js';
