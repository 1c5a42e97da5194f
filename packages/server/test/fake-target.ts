import {
  BaseDeploymentClient,
  BerthError,
  type Deployment,
  type Endpoint,
  type PredictionInput,
  PredictionsResponse,
  type PredictOptions,
  SPECIFICATION_VERSION,
} from '@berth/core';
import { registerTarget, unregisterTarget } from '@berth/core/registry';
import { z } from 'zod';

/*
 * A small target registered in code, with everything in memory: enough behaviour to drive every
 * route of the server (slow creates with progress, failures, streams, endpoints) and to see what
 * the server passed to it.
 */

interface ProgressLike {
  message: string;
  state?: string;
  interruptHint?: string;
}
interface Controls {
  onProgress?: (event: ProgressLike) => void;
  signal?: AbortSignal;
}
type Options = { flavor?: string; modelUri?: string; endpoint?: string; config?: Record<string, unknown> } & Controls;

export const fakeConfigSchema = z.strictObject({
  delay_ms: z.number().int().min(0).max(60_000).optional().describe('how long create/update take'),
  fail: z.boolean().optional().describe('make the operation fail'),
  secret: z.string().optional().describe('a value that must never reach a log line'),
  url: z.string().optional().describe('the url the deployment reports'),
  replicas: z.number().int().min(1).default(1).describe('how many copies'),
});

export interface FakeState {
  deployments: Map<string, Deployment>;
  endpoints: Map<string, Endpoint>;
  /** Every call with its (JSON-safe) arguments, in order. */
  calls: { method: string; args: unknown[] }[];
  /** Creates/updates that have started but not finished, by name. */
  started: Set<string>;
  /** How often a stream's return() ran (the client went away). */
  streamsReturned: number;
  /** Resolvers of operations parked until `release(name)`. */
  parked: Map<string, () => void>;
}

const states = new Map<string, FakeState>();

function stateOf(targetUri: string): FakeState {
  const name = targetUri.split(':')[0] as string;
  const state = states.get(name);
  if (!state) throw new Error(`fake target ${name} is not registered`);
  return state;
}

function missing(kind: string, name: string): BerthError {
  return new BerthError(`${kind} '${name}' does not exist.`, {
    code: 'RESOURCE_DOES_NOT_EXIST',
    suggestions: [`List them with 'berth list -t fake'.`],
  });
}

function plain(options: Options | undefined): Record<string, unknown> {
  const { onProgress, signal, ...rest } = options ?? {};
  return { ...rest, hasOnProgress: typeof onProgress === 'function', hasSignal: signal !== undefined };
}

/** Waits `ms`, or until released by the test, or until the signal aborts (then rejects with its reason). */
function pause(state: FakeState, name: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      state.parked.delete(name);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      clearTimeout(timer);
      state.parked.delete(name);
      reject(signal?.reason ?? new BerthError('aborted', { code: 'CANCELLED' }));
    };
    const timer = setTimeout(done, ms);
    state.parked.set(name, done);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class FakeDeploymentClient extends BaseDeploymentClient {
  private get state(): FakeState {
    return stateOf(this.targetUri);
  }

  private record(method: string, ...args: unknown[]): void {
    this.state.calls.push({ method, args });
  }

  private async work(name: string, options: Options | undefined): Promise<void> {
    const config = (options?.config ?? {}) as { delay_ms?: number; fail?: boolean; secret?: string };
    options?.onProgress?.({
      message: `preparing ${name}`,
      state: 'preparing',
      interruptHint: `The fake target goes on with '${name}'.`,
    });
    if (config.delay_ms) {
      this.state.started.add(name);
      try {
        await pause(this.state, name, config.delay_ms, options?.signal);
      } finally {
        this.state.started.delete(name);
      }
    }
    options?.onProgress?.({ message: `starting ${name}`, state: 'starting' });
    if (config.fail) {
      throw BerthError.invalidParameterValue(`The fake target refused '${name}' (secret ${config.secret ?? 'none'}).`, {
        suggestions: ['Do not pass fail=true.'],
      });
    }
  }

  async createDeployment(name: string, modelUri: string, options?: Options): Promise<Deployment> {
    this.record('createDeployment', name, modelUri, plain(options));
    if (this.state.deployments.has(name)) {
      throw new BerthError(`Deployment '${name}' already exists.`, { code: 'RESOURCE_ALREADY_EXISTS' });
    }
    await this.work(name, options);
    const config = (options?.config ?? {}) as { url?: string };
    const deployment: Deployment = {
      name,
      modelUri,
      flavor: (options?.flavor as string | undefined) ?? null,
      state: 'ready',
      version: 1,
      ...(config.url ? { url: config.url } : {}),
    };
    this.state.deployments.set(name, deployment);
    return deployment;
  }

  async updateDeployment(name: string, options?: Options): Promise<Deployment> {
    this.record('updateDeployment', name, plain(options));
    const existing = this.state.deployments.get(name);
    if (!existing) throw missing('Deployment', name);
    await this.work(name, options);
    const updated: Deployment = {
      ...existing,
      ...(options?.modelUri ? { modelUri: options.modelUri as string } : {}),
      version: Number(existing.version) + 1,
    };
    this.state.deployments.set(name, updated);
    return updated;
  }

  async deleteDeployment(name: string, options?: Options): Promise<void> {
    this.record('deleteDeployment', name, plain(options));
    this.state.deployments.delete(name);
  }

  async listDeployments(options?: { endpoint?: string }): Promise<Deployment[]> {
    this.record('listDeployments', options ?? {});
    const all = [...this.state.deployments.values()];
    if (!options?.endpoint) return all;
    const endpoint = this.state.endpoints.get(options.endpoint);
    if (!endpoint) throw missing('Endpoint', options.endpoint);
    return all.filter((deployment) => Object.hasOwn(endpoint.traffic ?? {}, deployment.name));
  }

  async getDeployment(name: string): Promise<Deployment> {
    const found = this.state.deployments.get(name);
    if (!found) throw missing('Deployment', name);
    return found;
  }

  async predict(deploymentName: string | undefined, inputs: PredictionInput, options?: PredictOptions) {
    this.record('predict', deploymentName, inputs, options ?? {});
    if (deploymentName !== undefined && !this.state.deployments.has(deploymentName)) {
      throw missing('Deployment', deploymentName);
    }
    if (options?.endpoint !== undefined && !this.state.endpoints.has(options.endpoint)) {
      throw missing('Endpoint', options.endpoint);
    }
    if ((inputs as { boom?: unknown }).boom) throw new Error('plain failure inside the target');
    return new PredictionsResponse({
      predictions: [1, 2, 3],
      deployment: deploymentName ?? null,
      endpoint: options?.endpoint ?? null,
      received: inputs,
      params: options?.params ?? null,
    });
  }

  override predictStream(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options?: PredictOptions,
  ): AsyncIterable<Record<string, unknown>> {
    this.record('predictStream', deploymentName, inputs, options ?? {});
    const state = this.state;
    const { chunks = 3, failAfter, delayMs = 0 } = inputs as { chunks?: number; failAfter?: number; delayMs?: number };
    const known = deploymentName === undefined || state.deployments.has(deploymentName);
    let index = 0;
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (!known) throw missing('Deployment', deploymentName as string);
          if (failAfter !== undefined && index >= failAfter) {
            throw new BerthError(`The stream broke after ${index} chunks.`, { code: 'INTERNAL_ERROR' });
          }
          if (index >= chunks) return { done: true, value: undefined };
          if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
          index += 1;
          return { done: false, value: { predictions: [index], deployment: deploymentName ?? null } };
        },
        return: async () => {
          state.streamsReturned += 1;
          return { done: true, value: undefined };
        },
      }),
    };
  }

  override async explain(deploymentName: string | undefined, inputs: PredictionInput) {
    this.record('explain', deploymentName, inputs);
    return { explained: deploymentName ?? null, rows: 1 };
  }

  override async createEndpoint(name: string, config?: Record<string, unknown>, options?: Controls) {
    this.record('createEndpoint', name, config ?? {}, plain(options));
    if (this.state.endpoints.has(name)) {
      throw new BerthError(`Endpoint '${name}' already exists.`, { code: 'RESOURCE_ALREADY_EXISTS' });
    }
    await this.work(name, { ...(options ?? {}), config });
    const endpoint: Endpoint = {
      name,
      traffic: {},
      state: 'ready',
      ...(config?.url ? { url: String(config.url) } : {}),
    };
    this.state.endpoints.set(name, endpoint);
    return endpoint;
  }

  override async updateEndpoint(name: string, config?: Record<string, unknown>, options?: Controls) {
    this.record('updateEndpoint', name, config ?? {}, plain(options));
    const endpoint = this.state.endpoints.get(name);
    if (!endpoint) throw missing('Endpoint', name);
    await this.work(name, { ...(options ?? {}), config });
    const updated = { ...endpoint, replicas: config?.replicas ?? 1 };
    this.state.endpoints.set(name, updated);
    return updated;
  }

  override async deleteEndpoint(name: string) {
    this.record('deleteEndpoint', name);
    this.state.endpoints.delete(name);
  }

  override async listEndpoints() {
    return [...this.state.endpoints.values()];
  }

  override async getEndpoint(name: string) {
    const endpoint = this.state.endpoints.get(name);
    if (!endpoint) throw missing('Endpoint', name);
    return endpoint;
  }
}

/** Registers target `name` (a fresh in-memory state) and answers its state; `unregisterFakeTarget` undoes it. */
export function registerFakeTarget(name = 'fake'): FakeState {
  const state: FakeState = {
    deployments: new Map(),
    endpoints: new Map(),
    calls: [],
    started: new Set(),
    streamsReturned: 0,
    parked: new Map(),
  };
  states.set(name, state);
  registerTarget(name, async () => ({
    specificationVersion: SPECIFICATION_VERSION,
    FakeDeploymentClient,
    configSchema: fakeConfigSchema,
    runLocal: async () => undefined,
    targetHelp: () => `Target '${name}': an in-memory fake for the server's tests.`,
  }));
  return state;
}

export function unregisterFakeTarget(name = 'fake'): void {
  unregisterTarget(name);
  states.delete(name);
}
