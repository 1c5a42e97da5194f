import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import {
  BaseDeploymentClient,
  BerthError,
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
import { BerthServerApi, type PredictRequest } from './berth-server-api.js';
import { readFirst } from './environment-variable.js';
import { splitConfig } from './http-config.js';
import { HttpConnection } from './http-connection.js';
import { MlflowGatewayApi } from './mlflow-gateway-api.js';
import { detectServer } from './server-detection.js';
import { parseServerKindSetting, parseTargetLocation, type ServerKindSetting } from './target-location.js';

export interface HttpClientOptions {
  environment?: NodeJS.ProcessEnv;
}

type ServerApi = { kind: 'berth'; api: BerthServerApi } | { kind: 'mlflow'; api: MlflowGatewayApi };

/**
 * The `http`/`https` target: a client of a remote deployments server at the URI's base URL. Against
 * a Berth server (`berth serve -t <target>`) every method works as the wrapped target's does; against
 * an MLflow AI Gateway it lists and gets endpoints, predicts and streams, and the management calls
 * are NOT_IMPLEMENTED, as in MLflow's own client. Which of the two answers is found out from the
 * server (one request), or set with `?server=` in the URI, `BERTH_SERVER_KIND`, or `-C server=`.
 */
export class HttpDeploymentClient extends BaseDeploymentClient {
  readonly baseUrl: string;
  private readonly connection: HttpConnection;
  private readonly kindSetting: ServerKindSetting;
  private detected: Promise<ServerApi> | undefined;

  /**
   * @param options.environment where credentials, timeouts and TLS settings are read from
   *   (default `process.env`), for programs that talk to several servers with different tokens.
   */
  constructor(targetUri: string, options: HttpClientOptions = {}) {
    super(targetUri);
    const environment = options.environment ?? process.env;
    const location = parseTargetLocation(targetUri);
    this.baseUrl = location.baseUrl;
    this.connection = new HttpConnection(location, environment);
    const fromEnvironment = readFirst(environment, ['BERTH_SERVER_KIND']);
    this.kindSetting =
      location.serverKind ??
      (fromEnvironment ? parseServerKindSetting(fromEnvironment.value, 'BERTH_SERVER_KIND=') : 'auto');
  }

  async createDeployment(name: string, modelUri: string, options: CreateDeploymentOptions = {}): Promise<Deployment> {
    const { serverKind, forwarded } = splitConfig(options.config);
    const server = await this.server(serverKind, options.signal);
    if (server.kind === 'mlflow') throw server.api.unsupported('create deployments');
    return server.api.createDeployment(
      name,
      {
        modelUri: await this.modelUriForServer(modelUri),
        flavor: options.flavor,
        config: forwarded,
        endpoint: options.endpoint,
      },
      options,
    );
  }

  async updateDeployment(name: string, options: UpdateDeploymentOptions = {}): Promise<Deployment> {
    const { serverKind, forwarded } = splitConfig(options.config);
    const server = await this.server(serverKind, options.signal);
    if (server.kind === 'mlflow') throw server.api.unsupported('update deployments');
    const modelUri = options.modelUri === undefined ? undefined : await this.modelUriForServer(options.modelUri);
    return server.api.updateDeployment(
      name,
      { modelUri, flavor: options.flavor, config: forwarded, endpoint: options.endpoint },
      options,
    );
  }

  async deleteDeployment(name: string, options: DeleteDeploymentOptions = {}): Promise<void> {
    const { serverKind, forwarded } = splitConfig(options.config);
    const server = await this.server(serverKind, options.signal);
    if (server.kind === 'mlflow') throw server.api.unsupported('delete deployments');
    await server.api.deleteDeployment(name, { config: forwarded, endpoint: options.endpoint }, options);
  }

  async listDeployments(options: EndpointOption = {}): Promise<Deployment[]> {
    const server = await this.server();
    if (server.kind === 'mlflow') throw server.api.unsupported('list deployments');
    return server.api.listDeployments(options.endpoint);
  }

  async getDeployment(name: string, options: EndpointOption = {}): Promise<Deployment> {
    const server = await this.server();
    if (server.kind === 'mlflow') throw server.api.unsupported('get deployments');
    return server.api.getDeployment(name, options.endpoint);
  }

  async predict(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: PredictOptions = {},
  ): Promise<PredictionsResponse> {
    const server = await this.server();
    if (server.kind === 'mlflow') {
      return server.api.predict(gatewayEndpointName(deploymentName, options), inputs, options.params);
    }
    return server.api.predict(predictRequest(deploymentName, inputs, options));
  }

  override async *predictStream(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: PredictOptions & { signal?: AbortSignal } = {},
  ): AsyncGenerator<Record<string, unknown>> {
    const server = await this.server(undefined, options.signal);
    if (server.kind === 'mlflow') {
      yield* server.api.predictStream(
        gatewayEndpointName(deploymentName, options),
        inputs,
        options.params,
        options.signal,
      );
      return;
    }
    yield* server.api.predictStream(predictRequest(deploymentName, inputs, options), options.signal);
  }

  override async explain(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: PredictOptions = {},
  ): Promise<unknown> {
    const server = await this.server();
    if (server.kind === 'mlflow') throw server.api.unsupported('explain predictions');
    return server.api.explain(predictRequest(deploymentName, inputs, options));
  }

  override async createEndpoint(
    name: string,
    config?: TargetConfig,
    options: OperationOptions = {},
  ): Promise<Endpoint> {
    const { serverKind, forwarded } = splitConfig(config);
    const server = await this.server(serverKind, options.signal);
    if (server.kind === 'mlflow') throw server.api.unsupported('create endpoints');
    return server.api.createEndpoint(name, forwarded, options);
  }

  override async updateEndpoint(
    endpoint: string,
    config?: TargetConfig,
    options: OperationOptions = {},
  ): Promise<Endpoint> {
    const { serverKind, forwarded } = splitConfig(config);
    const server = await this.server(serverKind, options.signal);
    if (server.kind === 'mlflow') throw server.api.unsupported('update endpoints');
    return server.api.updateEndpoint(endpoint, forwarded, options);
  }

  override async deleteEndpoint(endpoint: string, options: OperationOptions = {}): Promise<void> {
    const server = await this.server(undefined, options.signal);
    if (server.kind === 'mlflow') throw server.api.unsupported('delete endpoints');
    await server.api.deleteEndpoint(endpoint, options);
  }

  override async listEndpoints(): Promise<Endpoint[]> {
    const server = await this.server();
    return server.api.listEndpoints();
  }

  override async getEndpoint(endpoint: string): Promise<Endpoint> {
    const server = await this.server();
    return server.api.getEndpoint(endpoint);
  }

  /**
   * The server resolves model URIs, a relative path against its own working directory. When the
   * server is on this machine's loopback and the path exists here, it is sent absolute, so
   * `berth create -t http://127.0.0.1:5000 -m ./model` means the same folder as with `-t local`.
   */
  private async modelUriForServer(modelUri: string): Promise<string> {
    if (/^[a-z][a-z0-9+.-]*:/i.test(modelUri) || isAbsolute(modelUri)) return modelUri;
    if (!isLoopbackHost(new URL(this.baseUrl).hostname)) return modelUri;
    const absolute = resolve(modelUri);
    return (await stat(absolute).then(
      () => true,
      () => false,
    ))
      ? absolute
      : modelUri;
  }

  /** Releases the client's connections (and aborts what is still in flight). */
  override async close(): Promise<void> {
    await this.connection.close();
  }

  /**
   * The API for this call: `-C server=` (create/update/delete only), else the URI's `?server=`,
   * else BERTH_SERVER_KIND, else what the server says it is (asked once per client).
   */
  private server(override?: ServerKindSetting, signal?: AbortSignal): Promise<ServerApi> {
    const setting = override ?? this.kindSetting;
    if (setting === 'berth') return Promise.resolve({ kind: 'berth', api: new BerthServerApi(this.connection) });
    if (setting === 'mlflow') return Promise.resolve({ kind: 'mlflow', api: new MlflowGatewayApi(this.connection) });
    this.detected ??= detectServer(this.connection, signal).then(
      (detected): ServerApi =>
        detected.kind === 'berth'
          ? { kind: 'berth', api: new BerthServerApi(this.connection, detected.info) }
          : { kind: 'mlflow', api: new MlflowGatewayApi(this.connection) },
    );
    // A failed detection (server down, wrong token) is asked again on the next call.
    this.detected.catch(() => {
      this.detected = undefined;
    });
    return this.detected;
  }
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function predictRequest(
  deploymentName: string | undefined,
  inputs: PredictionInput,
  options: PredictOptions,
): PredictRequest {
  return { deploymentName, endpoint: options.endpoint, inputs, params: options.params };
}

/** The gateway has only endpoints; a deployment name given with --name is taken as one (MLflow ignores it). */
function gatewayEndpointName(deploymentName: string | undefined, options: PredictOptions): string {
  const name = options.endpoint ?? deploymentName;
  if (name === undefined || name === '') {
    throw BerthError.invalidParameterValue('Name the gateway endpoint to predict with (--endpoint <name>).');
  }
  return name;
}
