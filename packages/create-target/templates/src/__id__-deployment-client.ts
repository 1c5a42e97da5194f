import {
  BaseDeploymentClient,
  BerthError,
  type CreateDeploymentOptions,
  type DeleteDeploymentOptions,
  type Deployment,
  // #if endpoints
  type Endpoint,
  // #endif
  type EndpointOption,
  // #if endpoints
  type OperationOptions,
  // #endif
  type PredictionInput,
  PredictionsResponse,
  type PredictOptions,
  // #if endpoints
  type TargetConfig,
  // #endif
  type UpdateDeploymentOptions,
} from '@berth/core';
// #sort
import { parseConfig, TARGET_NAME } from './__id__-config.js';
import { type DeploymentRecord, StateFile, stateDirectoryOf } from './__id__-state-file.js';
// #if explain
import { explainLinear, loadLinearModel, predictLinear, rowsOf } from './linear-model.js';
// #endif
// #if !explain
import { loadLinearModel, predictLinear, rowsOf } from './linear-model.js';
// #endif
// #endsort

const FLAVOR = 'linear';

/**
 * The `__id__` target's client: Berth constructs it with the full target URI (`__id__` or
 * `__id__:/state-dir`) and calls these methods for every `berth` command. This example keeps
 * deployments in a state file and serves linear models itself; replace the bodies with calls to
 * your service, keeping the errors: RESOURCE_ALREADY_EXISTS for a taken name,
 * RESOURCE_DOES_NOT_EXIST for a missing one, INVALID_PARAMETER_VALUE for bad input.
 * `@berth/testkit` (test/__id__-conformance.test.ts) checks all of that.
 */
export class __Pascal__DeploymentClient extends BaseDeploymentClient {
  private readonly state: StateFile;

  constructor(targetUri: string) {
    super(targetUri);
    this.state = new StateFile(stateDirectoryOf(targetUri));
  }

  /** Resolves once the deployment can serve (here at once: the model is read and checked first). */
  async createDeployment(name: string, modelUri: string, options: CreateDeploymentOptions = {}): Promise<Deployment> {
    checkName(name);
    checkFlavor(options.flavor);
    const config = parseConfig(options.config);
    // #if endpoints
    if (config.traffic !== undefined) throw BerthError.invalidParameterValue('traffic is an endpoint key.');
    // #endif
    options.onProgress?.({ message: `Reading the model at ${modelUri}`, state: 'creating' });
    const model = await loadLinearModel(modelUri);
    const record = await this.state.update((state) => {
      if (state.deployments[name]) {
        throw new BerthError(`Deployment '${name}' already exists on target '${this.targetUri}'.`, {
          code: 'RESOURCE_ALREADY_EXISTS',
          suggestions: [`Change it with 'berth update -t ${this.targetUri} --name ${name} -m <model>'.`],
        });
      }
      const now = new Date().toISOString();
      const created: DeploymentRecord = { name, modelUri, model, createdAt: now, updatedAt: now };
      if (config.note !== undefined) created.note = config.note;
      state.deployments[name] = created;
      return created;
    });
    return describe(record);
  }

  async updateDeployment(name: string, options: UpdateDeploymentOptions = {}): Promise<Deployment> {
    checkFlavor(options.flavor);
    const config = parseConfig(options.config);
    await this.getDeployment(name);
    // A new model is read before the state changes: a broken one is refused and the old one keeps serving.
    const model = options.modelUri === undefined ? undefined : await loadLinearModel(options.modelUri);
    const record = await this.state.update((state) => {
      const current = state.deployments[name];
      if (!current) throw this.missing(name);
      if (model && options.modelUri !== undefined) Object.assign(current, { model, modelUri: options.modelUri });
      if (config.note !== undefined) current.note = config.note;
      current.updatedAt = new Date().toISOString();
      return current;
    });
    return describe(record);
  }

  /** Idempotent: deleting a deployment that does not exist succeeds. */
  async deleteDeployment(name: string, _options: DeleteDeploymentOptions = {}): Promise<void> {
    await this.state.update((state) => {
      // #if endpoints
      const routing = Object.values(state.endpoints).filter((endpoint) => (endpoint.traffic[name] ?? 0) > 0);
      if (routing.length > 0) {
        throw BerthError.invalidParameterValue(
          `Endpoint(s) ${routing.map((endpoint) => `'${endpoint.name}'`).join(', ')} route traffic to '${name}'.`,
          { suggestions: ['Delete the endpoint or move its traffic first (berth update-endpoint -C traffic=…).'] },
        );
      }
      // #endif
      delete state.deployments[name];
    });
  }

  async listDeployments(options: EndpointOption = {}): Promise<Deployment[]> {
    const state = await this.state.read();
    // #if endpoints
    let records = Object.values(state.deployments);
    if (options.endpoint !== undefined) {
      const endpoint = state.endpoints[options.endpoint];
      if (!endpoint) throw this.missing(options.endpoint, 'Endpoint');
      records = records.filter((record) => record.name in endpoint.traffic);
    }
    return records.map(describe);
    // #endif
    // #if !endpoints
    if (options.endpoint !== undefined) {
      throw new BerthError(`Target '${this.targetUri}' has no endpoints.`, { code: 'NOT_IMPLEMENTED' });
    }
    return Object.values(state.deployments).map(describe);
    // #endif
  }

  /** RESOURCE_DOES_NOT_EXIST when there is no such deployment. */
  async getDeployment(name: string, _options: EndpointOption = {}): Promise<Deployment> {
    const record = (await this.state.read()).deployments[name];
    if (!record) throw this.missing(name);
    return describe(record);
  }

  async predict(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: PredictOptions = {},
  ): Promise<PredictionsResponse> {
    const { model } = await this.deploymentFor(deploymentName, options.endpoint);
    return new PredictionsResponse({ predictions: predictLinear(model, rowsOf(model, inputs)) });
  }
  // #if stream

  /** One chunk per row, as a streaming backend would send them. */
  override async *predictStream(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: PredictOptions = {},
  ): AsyncGenerator<Record<string, unknown>> {
    const { model } = await this.deploymentFor(deploymentName, options.endpoint);
    for (const [row, prediction] of predictLinear(model, rowsOf(model, inputs)).entries()) {
      yield { row, predictions: [prediction] };
    }
  }
  // #endif
  // #if explain

  /** Exact attributions of a linear model: each column's weight × value, plus the bias. */
  override async explain(deploymentName: string | undefined, inputs: PredictionInput, options: PredictOptions = {}) {
    const { model } = await this.deploymentFor(deploymentName, options.endpoint);
    return explainLinear(model, rowsOf(model, inputs));
  }
  // #endif
  // #if endpoints

  /** An endpoint splits predictions between deployments by weight: `-C traffic='{"a":80,"b":20}'`. */
  override async createEndpoint(
    name: string,
    config: TargetConfig = {},
    _options?: OperationOptions,
  ): Promise<Endpoint> {
    checkName(name);
    const traffic = await this.checkedTraffic(config);
    const record = await this.state.update((state) => {
      if (state.endpoints[name]) {
        throw new BerthError(`Endpoint '${name}' already exists.`, { code: 'RESOURCE_ALREADY_EXISTS' });
      }
      state.endpoints[name] = { name, traffic, createdAt: new Date().toISOString() };
      return state.endpoints[name];
    });
    return { ...record };
  }

  override async updateEndpoint(
    name: string,
    config: TargetConfig = {},
    _options?: OperationOptions,
  ): Promise<Endpoint> {
    const traffic = await this.checkedTraffic(config);
    const record = await this.state.update((state) => {
      const current = state.endpoints[name];
      if (!current) throw this.missing(name, 'Endpoint');
      current.traffic = traffic;
      return current;
    });
    return { ...record };
  }

  override async deleteEndpoint(name: string, _options?: OperationOptions): Promise<void> {
    await this.state.update((state) => {
      delete state.endpoints[name];
    });
  }

  override async listEndpoints(): Promise<Endpoint[]> {
    return Object.values((await this.state.read()).endpoints).map((record) => ({ ...record }));
  }

  override async getEndpoint(name: string): Promise<Endpoint> {
    const record = (await this.state.read()).endpoints[name];
    if (!record) throw this.missing(name, 'Endpoint');
    return { ...record };
  }

  private async checkedTraffic(config: TargetConfig): Promise<Record<string, number>> {
    const { traffic } = parseConfig(config);
    if (!traffic || !Object.values(traffic).some((weight) => weight > 0)) {
      throw BerthError.invalidParameterValue(
        'An endpoint needs traffic with a weight above 0: -C traffic=\'{"a":100}\'.',
      );
    }
    const { deployments } = await this.state.read();
    for (const member of Object.keys(traffic)) if (!deployments[member]) throw this.missing(member);
    return traffic;
  }
  // #endif

  private async deploymentFor(name: string | undefined, endpoint: string | undefined): Promise<DeploymentRecord> {
    if ((name === undefined) === (endpoint === undefined)) {
      throw BerthError.invalidParameterValue('Give exactly one of a deployment name or an endpoint.');
    }
    const state = await this.state.read();
    // #if endpoints
    if (endpoint !== undefined) {
      const route = state.endpoints[endpoint];
      if (!route) throw this.missing(endpoint, 'Endpoint');
      name = pickByWeight(route.traffic);
    }
    // #endif
    // #if !endpoints
    if (endpoint !== undefined) {
      throw new BerthError(`Target '${this.targetUri}' has no endpoints.`, { code: 'NOT_IMPLEMENTED' });
    }
    // #endif
    const record = state.deployments[name as string];
    if (!record) throw this.missing(name as string);
    return record;
  }

  private missing(name: string, kind: 'Deployment' | 'Endpoint' = 'Deployment'): BerthError {
    const list = kind === 'Deployment' ? 'list' : 'list-endpoints';
    return new BerthError(`${kind} '${name}' does not exist on target '${this.targetUri}'.`, {
      code: 'RESOURCE_DOES_NOT_EXIST',
      suggestions: [`Run 'berth ${list} -t ${this.targetUri}' to see what exists.`],
    });
  }
}

function describe(record: DeploymentRecord): Deployment {
  const { model: _model, ...fields } = record;
  return { ...fields, flavor: FLAVOR, state: 'ready' };
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw BerthError.invalidParameterValue(
      `Invalid name '${name}': use up to 63 letters, digits, '_', '.' and '-', starting with a letter or digit.`,
    );
  }
}

function checkFlavor(flavor: string | undefined): void {
  if (flavor !== undefined && flavor !== FLAVOR) {
    throw BerthError.invalidParameterValue(
      `The ${TARGET_NAME} target deploys the '${FLAVOR}' flavor, not '${flavor}'.`,
    );
  }
}
// #if endpoints

function pickByWeight(traffic: Record<string, number>): string {
  const entries = Object.entries(traffic).filter(([, weight]) => weight > 0);
  let ticket = Math.random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [name, weight] of entries) {
    ticket -= weight;
    if (ticket < 0) return name;
  }
  return (entries.at(-1) as [string, number])[0];
}
// #endif
