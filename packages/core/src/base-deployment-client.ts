import { BerthError } from './berth-error.js';
import type {
  CreateDeploymentOptions,
  DeleteDeploymentOptions,
  Deployment,
  Endpoint,
  EndpointOption,
  OperationOptions,
  PredictionInput,
  PredictOptions,
  TargetConfig,
  UpdateDeploymentOptions,
} from './deployment.js';
import type { PredictionsResponse } from './predictions-response.js';

/** Marks deployment client classes; the registry checks it instead of `instanceof`. */
export const DEPLOYMENT_CLIENT_BRAND: unique symbol = Symbol.for('berth.deployment-client') as never;

/**
 * Marks `BaseDeploymentClient` itself (an own static property, so subclasses do not inherit it):
 * a target that re-exports the base class still exports exactly one client class.
 */
const BASE_CLIENT_MARKER = Symbol.for('berth.deployment-client.base');

/**
 * The version of the target contract this copy of core defines, `major.minor`. A target module
 * declares the version it was written against (`export const specificationVersion = '1.1'`); core
 * loads every version of its own major (adapting older minors) and refuses other majors.
 * 1.0 (declared as `'v1'` by core 0.1) is the first contract; 1.1 added `close()` and
 * `OperationOptions` (progress and abort) on long operations.
 */
export const SPECIFICATION_VERSION = '1.1';
export type SpecificationVersion = `${number}.${number}`;

/** MLflow's message, plus which target and method, so the user knows where the gap is. */
function endpointsUnimplemented(targetUri: string, method: string): BerthError {
  return new BerthError(
    `Method is unimplemented in base client. Implementation should be provided by specific target plugins. (The '${targetUri}' target does not implement ${method}.)`,
    { code: 'NOT_IMPLEMENTED', suggestions: [`Run 'berth help -t ${targetUri}' to see what this target supports.`] },
  );
}

/**
 * The contract every target implements: MLflow's `BaseDeploymentClient` in camelCase.
 * Constructed with the full target URI (`local`, `sagemaker:/us-east-1`, `http://host:5000`).
 */
export abstract class BaseDeploymentClient {
  static readonly [DEPLOYMENT_CLIENT_BRAND] = true;
  /** Which version of the target contract this class implements. */
  static readonly specificationVersion: string = SPECIFICATION_VERSION;

  readonly targetUri: string;

  constructor(targetUri: string) {
    this.targetUri = targetUri;
  }

  /** Deploy a model; resolves once the deployment can serve. A taken name is RESOURCE_ALREADY_EXISTS. */
  abstract createDeployment(name: string, modelUri: string, options?: CreateDeploymentOptions): Promise<Deployment>;
  abstract updateDeployment(name: string, options?: UpdateDeploymentOptions): Promise<Deployment>;
  /** Idempotent: deleting a missing deployment succeeds. */
  abstract deleteDeployment(name: string, options?: DeleteDeploymentOptions): Promise<void>;
  abstract listDeployments(options?: EndpointOption): Promise<Deployment[]>;
  /** RESOURCE_DOES_NOT_EXIST when absent. */
  abstract getDeployment(name: string, options?: EndpointOption): Promise<Deployment>;
  abstract predict(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options?: PredictOptions,
  ): Promise<PredictionsResponse>;

  /**
   * A stream of prediction chunks. The default is a stream whose first `next()` rejects with
   * NOT_IMPLEMENTED, so `for await` fails where the caller iterates, as a real stream's error would.
   */
  predictStream(
    _deploymentName: string | undefined,
    _inputs: PredictionInput,
    _options?: PredictOptions,
  ): AsyncIterable<Record<string, unknown>> {
    const target = this.targetUri;
    return {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          Promise.reject(
            new BerthError(`Streaming predictions are not supported by the '${target}' target.`, {
              code: 'NOT_IMPLEMENTED',
            }),
          ),
      }),
    };
  }

  async explain(
    _deploymentName: string | undefined,
    _inputs: PredictionInput,
    _options?: PredictOptions,
  ): Promise<unknown> {
    throw new BerthError('Computing model explanations is not yet supported for this deployment target', {
      code: 'NOT_IMPLEMENTED',
    });
  }

  async createEndpoint(_name: string, _config?: TargetConfig, _options?: OperationOptions): Promise<Endpoint> {
    throw endpointsUnimplemented(this.targetUri, 'createEndpoint');
  }

  async updateEndpoint(_endpoint: string, _config?: TargetConfig, _options?: OperationOptions): Promise<Endpoint> {
    throw endpointsUnimplemented(this.targetUri, 'updateEndpoint');
  }

  async deleteEndpoint(_endpoint: string, _options?: OperationOptions): Promise<void> {
    throw endpointsUnimplemented(this.targetUri, 'deleteEndpoint');
  }

  async listEndpoints(): Promise<Endpoint[]> {
    throw endpointsUnimplemented(this.targetUri, 'listEndpoints');
  }

  async getEndpoint(_endpoint: string): Promise<Endpoint> {
    throw endpointsUnimplemented(this.targetUri, 'getEndpoint');
  }

  /** Releases what the client holds (sockets, SDK clients, timers); hosts call it when done (spec 1.1). */
  async close(): Promise<void> {}
}

Object.defineProperty(BaseDeploymentClient, BASE_CLIENT_MARKER, { value: true });

/** A constructor of a concrete client class, as a target module exports it. */
export type DeploymentClientClass = (new (
  targetUri: string,
) => BaseDeploymentClient) & {
  readonly specificationVersion?: string;
};

/**
 * True for a concrete client class from any copy of core: it carries the brand (inherited from
 * `BaseDeploymentClient`) and is not the base class itself. Checks the brand, never `instanceof`.
 */
export function isDeploymentClientClass(value: unknown): value is DeploymentClientClass {
  if (typeof value !== 'function') return false;
  const statics = value as unknown as Record<symbol, unknown>;
  return statics[DEPLOYMENT_CLIENT_BRAND] === true && !Object.hasOwn(value, BASE_CLIENT_MARKER);
}
