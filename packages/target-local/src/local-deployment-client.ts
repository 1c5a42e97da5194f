import {
  BaseDeploymentClient,
  type CreateDeploymentOptions,
  type DeleteDeploymentOptions,
  type Deployment,
  type Endpoint,
  type EndpointOption,
  type OperationOptions,
  type PredictionInput,
  type PredictionsResponse,
  type PredictOptions,
  type TargetConfig,
  type UpdateDeploymentOptions,
} from '@berth/core';
import { DeploymentContext, noticesFrom } from './deployment-context.js';
import { createDeployment, deleteDeployment } from './deployment-lifecycle.js';
import { getDeployment, listDeployments } from './deployment-status.js';
import { updateDeployment } from './deployment-updates.js';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, updateEndpoint } from './endpoint-manager.js';
import type { TabularExplanation } from './explain.js';
import { explain, type LocalPredictOptions, predict, predictStream } from './prediction.js';
import { stateDirectoryFor } from './state-directory.js';

/**
 * Managed deployments on this machine. Each deployment is a detached supervisor process running a
 * scoring server on 127.0.0.1; state lives in `<state-dir>/local.db` (SQLite, WAL). Target URIs:
 * `local` (state under BERTH_HOME) and `local:/path/to/state-dir`.
 *
 * A facade: each job lives in its own module (see the package README's "Layout").
 */
export class LocalDeploymentClient extends BaseDeploymentClient {
  readonly stateDirectory: string;
  private readonly context: DeploymentContext;

  constructor(targetUri = 'local') {
    super(targetUri);
    this.stateDirectory = stateDirectoryFor(targetUri);
    this.context = new DeploymentContext(this.stateDirectory);
  }

  /** Lets background recoveries finish, then closes the state database (long-lived programs; a CLI may just exit). */
  override async close(): Promise<void> {
    await this.context.close();
  }

  createDeployment(name: string, modelUri: string, options: CreateDeploymentOptions = {}): Promise<Deployment> {
    return createDeployment(this.context, name, modelUri, options, noticesFrom(options));
  }

  updateDeployment(name: string, options: UpdateDeploymentOptions = {}): Promise<Deployment> {
    return updateDeployment(this.context, name, options, noticesFrom(options));
  }

  deleteDeployment(name: string, options: DeleteDeploymentOptions = {}): Promise<void> {
    return deleteDeployment(this.context, name, noticesFrom(options));
  }

  listDeployments(options: EndpointOption = {}): Promise<Deployment[]> {
    return listDeployments(this.context, options);
  }

  getDeployment(name: string, _options: EndpointOption = {}): Promise<Deployment> {
    return getDeployment(this.context, name);
  }

  predict(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: PredictOptions = {},
  ): Promise<PredictionsResponse> {
    return predict(this.context, deploymentName, inputs, options);
  }

  override predictStream(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: LocalPredictOptions = {},
  ): AsyncIterable<Record<string, unknown>> {
    return predictStream(this.context, deploymentName, inputs, options);
  }

  override explain(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: LocalPredictOptions = {},
  ): Promise<TabularExplanation> {
    return explain(this.context, deploymentName, inputs, options);
  }

  override createEndpoint(name: string, config: TargetConfig = {}, options: OperationOptions = {}): Promise<Endpoint> {
    return createEndpoint(this.context, name, config, noticesFrom(options));
  }

  override updateEndpoint(
    endpoint: string,
    config: TargetConfig = {},
    _options: OperationOptions = {},
  ): Promise<Endpoint> {
    return updateEndpoint(this.context, endpoint, config);
  }

  override deleteEndpoint(endpoint: string, _options: OperationOptions = {}): Promise<void> {
    return deleteEndpoint(this.context, endpoint);
  }

  override listEndpoints(): Promise<Endpoint[]> {
    return listEndpoints(this.context);
  }

  override getEndpoint(endpoint: string): Promise<Endpoint> {
    return getEndpoint(this.context, endpoint);
  }
}
