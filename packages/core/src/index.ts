/**
 * `@berth/core`: the spec a target implements. Everything a target author needs is here; the
 * machinery that finds, loads and drives targets (the CLI's and the server's side) lives in
 * `@berth/core/registry`, and the retrying HTTP helper in `@berth/core/http`.
 */
export {
  BaseDeploymentClient,
  DEPLOYMENT_CLIENT_BRAND,
  SPECIFICATION_VERSION,
  type SpecificationVersion,
} from './base-deployment-client.js';
export { BerthError, type BerthErrorOptions, ERROR_CODES, type ErrorCode, httpStatusFor } from './berth-error.js';
export { berthHome } from './berth-home.js';
export { type ConfigSchema, formatConfigHelp, type JsonSchema } from './config-schema.js';
export type { DatasetSource, DatasetSourceFactory, DatasetSourceJSON } from './dataset-source.js';
export type {
  CreateDeploymentOptions,
  DeleteDeploymentOptions,
  Deployment,
  Endpoint,
  EndpointOption,
  OperationOptions,
  PredictionInput,
  PredictOptions,
  ProgressEvent,
  TargetConfig,
  UpdateDeploymentOptions,
} from './deployment.js';
export { type PredictionsFormat, PredictionsResponse } from './predictions-response.js';
export { parseTargetUri } from './target-uri.js';
