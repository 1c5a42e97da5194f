/** The version of Berth's target spec this package implements. */
export const specificationVersion = '1.1';
export type { DeleteResult } from './delete-flow.js';
export type { DeployResult } from './deploy-flow.js';
export type { SageMakerDeployment, SageMakerEndpoint, SageMakerVariant } from './deployment-view.js';
export type { RolloutReport } from './rollout.js';
export { runLocal } from './run-local.js';
export { configSchema, type SageMakerConfig } from './sagemaker-config.js';
export { SageMakerDeploymentClient, type SageMakerPredictOptions } from './sagemaker-deployment-client.js';
export { targetHelp } from './target-help.js';
