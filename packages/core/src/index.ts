export {
  BaseDeploymentClient,
  DEPLOYMENT_CLIENT_BRAND,
  type DeploymentClientClass,
  isDeploymentClientClass,
  isSupportedSpecificationVersion,
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
export { berthHome, pluginsDirectory } from './berth-home.js';
export {
  HttpDatasetSource,
  LocalDatasetSource,
  StdinDatasetSource,
} from './builtin-dataset-sources.js';
export { closestMatch } from './closest-match.js';
export type { DatasetSource, DatasetSourceFactory, DatasetSourceJSON } from './dataset-source.js';
export {
  type DatasetSourceInfo,
  getSource,
  listDatasetSources,
  registerDatasetSource,
  sourceFromJSON,
} from './dataset-source-registry.js';
export { getDeployClient, type RunLocalOptions, runLocal, targetHelp } from './deploy-client.js';
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
export { clearDiscoveryCache, type DiscoveryOptions } from './package-discovery.js';
export { type PredictionsFormat, PredictionsResponse } from './predictions-response.js';
export { parseConfigPairs, validateConfig } from './target-config.js';
export type {
  ConfigSchemaLike,
  SafeParseResultLike,
  SchemaLike,
  TargetInfo,
  TargetModule,
} from './target-module.js';
export {
  type ListTargetsOptions,
  type LoadTargetOptions,
  listTargets,
  loadTarget,
  registerTarget,
  type TargetList,
  TargetNotFoundError,
  unregisterTarget,
} from './target-registry.js';
export { getDeploymentsTarget, parseTargetUri, setDeploymentsTarget } from './target-uri.js';
