import {
  BaseDeploymentClient,
  BerthError,
  type CreateDeploymentOptions,
  type DeleteDeploymentOptions,
  type EndpointOption,
  type OperationOptions,
  type PredictionInput,
  type PredictionsResponse,
  type PredictOptions,
  type TargetConfig,
  type UpdateDeploymentOptions,
} from '@berth/core';
import { AwsClients } from './aws-clients.js';
import { DefaultResources } from './default-resources.js';
import { type DeleteResult, deleteDeploymentFlow } from './delete-flow.js';
import { type DeployResult, deploy } from './deploy-flow.js';
import {
  describeDeployment,
  type EndpointSummary,
  listEndpointSummaries,
  type SageMakerDeployment,
  type SageMakerEndpoint,
  summaryView,
} from './deployment-view.js';
import {
  createEndpointFromDeployments,
  deleteComposedEndpoint,
  describeEndpoints,
  updateEndpointTraffic,
} from './endpoint-traffic.js';
import { explain, type InvocationTarget, predict, predictStream } from './invocation.js';
import { resolveRegion } from './region.js';
import { type ConfigOperation, type ParsedConfig, parseSageMakerConfig } from './sagemaker-config.js';
import { describeEndpoint } from './sagemaker-resources.js';
import { parseSageMakerTargetUri, type SageMakerTargetUri } from './sagemaker-target-uri.js';

export interface SageMakerPredictOptions extends PredictOptions {
  /** Asynchronous-inference endpoints: how long to wait for the answer (default 600 s). */
  asyncTimeoutSeconds?: number;
  /** predictStream: rows per streamed line (Berth's image; default 100). */
  chunkRows?: number;
  signal?: AbortSignal;
}

interface Session {
  clients: AwsClients;
  defaults: DefaultResources;
}

/**
 * Amazon SageMaker, as MLflow's `SageMakerDeploymentClient` manages it: a deployment is an
 * endpoint named after it, serving one model per production variant; a Berth endpoint is an
 * endpoint seen through its variants' weights. The jobs live in their own modules (deploy-flow,
 * delete-flow, endpoint-traffic, invocation, deployment-view); this class picks the AWS session
 * and parses config.
 */
export class SageMakerDeploymentClient extends BaseDeploymentClient {
  readonly uri: SageMakerTargetUri;
  readonly #sessions = new Map<string, Promise<Session>>();

  constructor(targetUri: string) {
    super(targetUri);
    this.uri = parseSageMakerTargetUri(targetUri);
  }

  async createDeployment(name: string, modelUri: string, options: CreateDeploymentOptions = {}): Promise<DeployResult> {
    checkNoEndpoint(options.endpoint, 'create');
    const config = this.#parse(options.config, 'create');
    const session = await this.#session(config);
    return deploy(session, {
      name,
      modelUri,
      flavor: options.flavor,
      config,
      mode: 'create',
      options: operationOptions(options),
    });
  }

  async updateDeployment(name: string, options: UpdateDeploymentOptions = {}): Promise<DeployResult> {
    checkNoEndpoint(options.endpoint, 'update');
    if (!options.modelUri) {
      throw BerthError.invalidParameterValue('A model_uri must be provided when updating a SageMaker deployment', {
        suggestions: [`Pass the model to deploy: berth update -t sagemaker --name ${name} -m <model URI>`],
      });
    }
    const config = this.#parse(options.config, 'update');
    const session = await this.#session(config);
    return deploy(session, {
      name,
      modelUri: options.modelUri,
      flavor: options.flavor,
      config,
      mode: config.values.mode === 'add' ? 'add' : 'replace',
      options: operationOptions(options),
    });
  }

  /** Idempotent: a missing endpoint is success (`deleted: false`). */
  async deleteDeployment(name: string, options: DeleteDeploymentOptions = {}): Promise<void> {
    await this.deleteDeploymentWithReport(name, options);
  }

  /** deleteDeployment, saying what was removed. */
  async deleteDeploymentWithReport(name: string, options: DeleteDeploymentOptions = {}): Promise<DeleteResult> {
    checkNoEndpoint(options.endpoint, 'delete');
    const config = this.#parse(options.config, 'delete');
    const { clients } = await this.#session(config);
    return deleteDeploymentFlow(clients, name, config.values, operationOptions(options));
  }

  async listDeployments(options: EndpointOption = {}): Promise<SageMakerDeployment[]> {
    const { clients } = await this.#session();
    if (options.endpoint !== undefined) {
      // The deployments behind an endpoint are its production variants.
      const endpoint = await this.getEndpoint(options.endpoint);
      return endpoint.variants.map((variant) => ({
        ...variant,
        state: endpoint.state,
        url: endpoint.url,
        region: clients.region,
        endpoint: endpoint.name,
      }));
    }
    const summaries = (await this.#leanSummaries(clients)) ?? (await listEndpointSummaries(clients));
    return summaries.map((summary) => summaryView(clients.region, summary));
  }

  /**
   * ListEndpoints without the SDK's SageMaker client when static credentials and a plain endpoint
   * suffice (lean-list.ts); undefined when the SDK must resolve them (a role to assume, SSO, …).
   */
  async #leanSummaries(clients: AwsClients): Promise<EndpointSummary[] | undefined> {
    if (clients.assumeRoleArn !== undefined) return undefined;
    const { leanListEndpoints, leanTarget } = await import('./lean-list.js');
    const target = await leanTarget(clients.region);
    return target === undefined ? undefined : leanListEndpoints(clients.region, target);
  }

  async getDeployment(name: string, options: EndpointOption = {}): Promise<SageMakerDeployment> {
    checkNoEndpoint(options.endpoint, 'get');
    const { clients } = await this.#session();
    const endpoint = await describeEndpoint(clients, name);
    if (endpoint === undefined) {
      throw new BerthError(
        `There was an error while retrieving the deployment: there is no SageMaker endpoint named '${name}' in ${clients.region}.`,
        { code: 'RESOURCE_DOES_NOT_EXIST', suggestions: ['`berth list -t sagemaker` shows the deployments.'] },
      );
    }
    return describeDeployment(clients, endpoint);
  }

  async predict(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: SageMakerPredictOptions = {},
  ): Promise<PredictionsResponse> {
    const { clients } = await this.#session();
    return predict(clients, invocationTarget(deploymentName, options.endpoint), inputs, options);
  }

  override predictStream(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: SageMakerPredictOptions = {},
  ): AsyncIterable<Record<string, unknown>> {
    const target = invocationTarget(deploymentName, options.endpoint);
    const session = this.#session();
    return {
      [Symbol.asyncIterator]: () => {
        let stream: AsyncIterator<Record<string, unknown>> | undefined;
        const open = async () => {
          stream ??= predictStream((await session).clients, target, inputs, options)[Symbol.asyncIterator]();
          return stream;
        };
        return {
          next: async () => (await open()).next(),
          return: async (value?: unknown) => {
            if (stream?.return) return stream.return(value);
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  override async explain(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: SageMakerPredictOptions = {},
  ): Promise<unknown> {
    const { clients } = await this.#session();
    return explain(clients, invocationTarget(deploymentName, options.endpoint), inputs, options);
  }

  override async createEndpoint(
    name: string,
    config?: TargetConfig,
    options: OperationOptions = {},
  ): Promise<SageMakerEndpoint> {
    const parsed = this.#parse(config, 'endpoint');
    const { clients } = await this.#session(parsed);
    return createEndpointFromDeployments(clients, name, parsed.values, operationOptions(options));
  }

  override async updateEndpoint(
    name: string,
    config?: TargetConfig,
    options: OperationOptions = {},
  ): Promise<SageMakerEndpoint> {
    const parsed = this.#parse(config, 'endpoint');
    const { clients } = await this.#session(parsed);
    return updateEndpointTraffic(clients, name, parsed.values, operationOptions(options));
  }

  override async deleteEndpoint(name: string, options: OperationOptions = {}): Promise<void> {
    const parsed = this.#parse({}, 'endpoint');
    const { clients } = await this.#session(parsed);
    await deleteComposedEndpoint(clients, name, parsed.values, operationOptions(options));
  }

  override async listEndpoints(): Promise<SageMakerEndpoint[]> {
    const { clients } = await this.#session();
    const summaries = await listEndpointSummaries(clients);
    return describeEndpoints(
      clients,
      summaries.map((summary) => summary.EndpointName).filter((name): name is string => Boolean(name)),
    );
  }

  override async getEndpoint(name: string): Promise<SageMakerEndpoint> {
    const [endpoint] = await describeEndpoints((await this.#session()).clients, [name]);
    if (endpoint === undefined) {
      const { clients } = await this.#session();
      throw new BerthError(`There is no SageMaker endpoint '${name}' in ${clients.region}.`, {
        code: 'RESOURCE_DOES_NOT_EXIST',
        suggestions: ['`berth list-endpoints -t sagemaker` shows the endpoints.'],
      });
    }
    return endpoint;
  }

  /** Destroys every AWS SDK client this client built (their sockets and timers). */
  override async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const settled of await Promise.allSettled(sessions)) {
      if (settled.status === 'fulfilled') await settled.value.clients.destroy();
    }
  }

  #parse(config: TargetConfig | undefined, operation: ConfigOperation): ParsedConfig {
    return parseSageMakerConfig(config, operation);
  }

  /** The AWS session for a config's region and role (the URI's unless the config names others). */
  #session(config?: ParsedConfig): Promise<Session> {
    const regionName = config?.values.region_name ?? this.uri.regionName;
    const roleArn = config?.values.assume_role_arn ?? this.uri.assumeRoleArn;
    const key = `${regionName ?? ''}|${roleArn ?? ''}`;
    let session = this.#sessions.get(key);
    if (session === undefined) {
      session = resolveRegion(regionName).then((region) => {
        const clients = new AwsClients(region, roleArn);
        return { clients, defaults: new DefaultResources(clients) };
      });
      this.#sessions.set(key, session);
    }
    return session;
  }
}

/** The caller's progress and signal; every event's elapsed time counts from the start of the whole operation. */
function operationOptions(options: OperationOptions): OperationOptions {
  const started = Date.now();
  const onProgress = options.onProgress;
  return {
    ...(onProgress ? { onProgress: (event) => onProgress({ ...event, elapsedMs: Date.now() - started }) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

function checkNoEndpoint(endpoint: string | undefined, command: string): void {
  if (endpoint === undefined) return;
  throw BerthError.invalidParameterValue(
    `The sagemaker target's ${command} works on deployments (SageMaker endpoints) by name; --endpoint does not apply.`,
    {
      suggestions: [
        'A deployment is a SageMaker endpoint; add a model to it as a variant with berth update … -C mode=add, or compose an endpoint with berth create-endpoint … -C traffic=….',
      ],
    },
  );
}

/** `--name d`: endpoint d. `--endpoint e`: endpoint e (SageMaker splits). Both: variant d of endpoint e. */
function invocationTarget(deploymentName: string | undefined, endpoint: string | undefined): InvocationTarget {
  if (endpoint !== undefined) {
    return { endpointName: endpoint, ...(deploymentName ? { targetVariant: deploymentName } : {}) };
  }
  if (!deploymentName) {
    throw BerthError.invalidParameterValue(
      'Name the deployment (--name) or the endpoint (--endpoint) to predict with.',
    );
  }
  return { endpointName: deploymentName };
}
