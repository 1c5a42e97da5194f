import {
  BaseDeploymentClient,
  BerthError,
  type CreateDeploymentOptions,
  type DeleteDeploymentOptions,
  type Deployment,
  type EndpointOption,
  type PredictionInput,
  type PredictionsResponse,
  type PredictOptions,
  type UpdateDeploymentOptions,
} from '@berth/core';
import { parseSageMakerTargetUri, type SageMakerTargetUri } from './sagemaker-target-uri.js';

/** The target contract version this package implements. */
export const specificationVersion = 'v1';

function notYet(method: string): BerthError {
  return new BerthError(`The sagemaker target does not implement ${method} yet.`, { code: 'NOT_IMPLEMENTED' });
}

/**
 * Amazon SageMaker endpoints, as MLflow's `SageMakerDeploymentClient` manages them: a deployment
 * is an endpoint named after it, serving one model per production variant.
 */
export class SageMakerDeploymentClient extends BaseDeploymentClient {
  static override readonly specificationVersion = specificationVersion;
  readonly uri: SageMakerTargetUri;

  constructor(targetUri: string) {
    super(targetUri);
    this.uri = parseSageMakerTargetUri(targetUri);
  }

  async createDeployment(_name: string, _modelUri: string, _options?: CreateDeploymentOptions): Promise<Deployment> {
    throw notYet('createDeployment');
  }

  async updateDeployment(_name: string, _options?: UpdateDeploymentOptions): Promise<Deployment> {
    throw notYet('updateDeployment');
  }

  async deleteDeployment(_name: string, _options?: DeleteDeploymentOptions): Promise<void> {
    throw notYet('deleteDeployment');
  }

  async listDeployments(_options?: EndpointOption): Promise<Deployment[]> {
    throw notYet('listDeployments');
  }

  async getDeployment(_name: string, _options?: EndpointOption): Promise<Deployment> {
    throw notYet('getDeployment');
  }

  async predict(
    _deploymentName: string | undefined,
    _inputs: PredictionInput,
    _options?: PredictOptions,
  ): Promise<PredictionsResponse> {
    throw notYet('predict');
  }
}
