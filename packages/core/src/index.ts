export {
  BaseDeploymentClient,
  DEPLOYMENT_CLIENT_BRAND,
  type DeploymentClientClass,
  isDeploymentClientClass,
  type SpecificationVersion,
  SUPPORTED_SPECIFICATION_VERSIONS,
} from './base-deployment-client.js';
export {
  BerthError,
  type BerthErrorOptions,
  ERROR_CODES,
  type ErrorCode,
  EXIT_CODES,
  exitCodeFor,
  httpStatusFor,
} from './berth-error.js';
export type {
  CreateDeploymentOptions,
  DeleteDeploymentOptions,
  Deployment,
  Endpoint,
  EndpointOption,
  PredictionInput,
  PredictOptions,
  TargetConfig,
  UpdateDeploymentOptions,
} from './deployment.js';
export { type PredictionsFormat, PredictionsResponse } from './predictions-response.js';
