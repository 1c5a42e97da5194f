export { runLocal } from './run-local.js';
export { configSchema, type SageMakerConfig } from './sagemaker-config.js';
export { SageMakerDeploymentClient, specificationVersion } from './sagemaker-deployment-client.js';
export { targetHelp } from './target-help.js';
