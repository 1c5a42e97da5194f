import { BaseDeploymentClient } from '../base-deployment-client.js';
import type {
  CreateDeploymentOptions,
  DeleteDeploymentOptions,
  Deployment,
  Endpoint,
  TargetConfig,
  UpdateDeploymentOptions,
} from '../deployment.js';
import { PredictionsResponse } from '../predictions-response.js';

/** The behaviour of MLflow's `mlflow_test_plugin` (reference §6), as a Berth target module. */
export const specificationVersion = '1.1';

export class PluginDeploymentClient extends BaseDeploymentClient {
  async createDeployment(_name: string, _modelUri: string, options: CreateDeploymentOptions = {}): Promise<Deployment> {
    if (options.config?.raiseError === 'True') throw new RangeError('Error requested');
    return { name: 'fake_deployment_name', flavor: options.flavor ?? null };
  }

  async updateDeployment(_name: string, options: UpdateDeploymentOptions = {}): Promise<Deployment> {
    return { name: 'fake_deployment_name', flavor: options.flavor ?? null };
  }

  async deleteDeployment(_name: string, options: DeleteDeploymentOptions = {}): Promise<void> {
    if (options.config?.raiseError === 'True') throw new RangeError('Error requested');
  }

  async listDeployments(): Promise<Deployment[]> {
    if (process.env.raiseError === 'True') throw new RangeError('Error requested');
    return [{ name: 'fake_deployment_name' }];
  }

  async getDeployment(name: string): Promise<Deployment> {
    return { name, key1: 'val1', key2: 'val2' };
  }

  async predict(): Promise<PredictionsResponse> {
    return PredictionsResponse.fromJSON('{"predictions": [1,2,3]}');
  }

  override async explain(): Promise<unknown> {
    return '1';
  }

  override async createEndpoint(_name: string, config: TargetConfig = {}): Promise<Endpoint> {
    if (config.raiseError === 'True') throw new RangeError('Error requested');
    return { name: 'fake_endpoint_name' };
  }

  override async updateEndpoint(): Promise<Endpoint> {
    return { name: 'fake_endpoint_name' };
  }

  override async deleteEndpoint(): Promise<void> {}

  override async listEndpoints(): Promise<Endpoint[]> {
    return [{ name: 'fake_endpoint_name' }];
  }

  override async getEndpoint(): Promise<Endpoint> {
    return { name: 'fake_endpoint_name' };
  }
}

export const runLocalCalls: unknown[][] = [];

export async function runLocal(name: string, modelUri: string, flavor?: string, config?: TargetConfig): Promise<void> {
  runLocalCalls.push([name, modelUri, flavor, config]);
}

export function targetHelp(): string {
  return 'Target help is called';
}
