export { configSchema, type HttpConfig } from './http-config.js';
export { type HttpClientOptions, HttpDeploymentClient } from './http-deployment-client.js';
export type { OperationOptions, ProgressEvent } from './operation-options.js';
export { runLocal } from './run-local.js';
export { targetHelp } from './target-help.js';
export type { ServerKind, ServerKindSetting } from './target-location.js';
