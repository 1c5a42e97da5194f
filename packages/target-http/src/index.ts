/** The version of Berth's target spec this package implements. */
export const specificationVersion = '1.1';
export { configJsonSchema, configSchema, type HttpConfig } from './http-config.js';
export { type HttpClientOptions, HttpDeploymentClient } from './http-deployment-client.js';
export { runLocal } from './run-local.js';
export { targetHelp } from './target-help.js';
export type { ServerKind, ServerKindSetting } from './target-location.js';
