/**
 * `@berth/core/registry`: the host side of Berth — what the CLI and the deployments server use to
 * find installed targets, load and validate them, check their config and turn errors into exit
 * codes. Target authors do not need it; the spec they implement is `@berth/core`.
 */
export { type DeploymentClientClass, isDeploymentClientClass } from './base-deployment-client.js';
export { EXIT_CODES, exitCodeFor } from './berth-error.js';
export { pluginsDirectory } from './berth-home.js';
export { HttpDatasetSource, LocalDatasetSource, StdinDatasetSource } from './builtin-dataset-sources.js';
export {
  type ConfigDescription,
  type ConfigKey,
  configJsonSchema,
  describeConfig,
} from './config-schema.js';
export {
  type DatasetSourceInfo,
  getSource,
  listDatasetSources,
  registerDatasetSource,
  sourceFromJSON,
} from './dataset-source-registry.js';
export { getDeployClient, type RunLocalOptions, runLocal, targetHelp } from './deploy-client.js';
export { clearDiscoveryCache, type DiscoveryOptions } from './package-discovery.js';
export {
  isSupportedSpecificationVersion,
  type ParsedVersion,
  parseSpecificationVersion,
  SUPPORTED_SPECIFICATION_VERSIONS,
} from './specification-version.js';
export { parseConfigPairs, validateConfig } from './target-config.js';
export type { TargetInfo, TargetModule } from './target-module.js';
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
export { getDeploymentsTarget, setDeploymentsTarget } from './target-uri.js';
