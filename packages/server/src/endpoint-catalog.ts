import { BerthError, type Deployment, type Endpoint } from '@berth/core';
import type { MlflowEndpointJSON } from './api-schemas.js';
import type { ServedTarget } from './served-target.js';

/** What an MLflow endpoint name stands for in the wrapped target. */
export interface InvocationTarget {
  kind: 'deployment' | 'endpoint';
  name: string;
  /** `http://127.0.0.1:port` when the target gave a loopback address to stream requests to. */
  proxyUrl: URL | undefined;
}

const CACHE_MS = 2_000;

function isCode(error: unknown, code: string): boolean {
  return BerthError.isInstance(error) && error.code === code;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The deployment's own scoring address when requests can be streamed to it: plain http on this machine. */
export function proxyUrlOf(resource: { url?: unknown }): URL | undefined {
  if (typeof resource.url !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(resource.url);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname) || url.username || url.password) return undefined;
  return url;
}

/** MLflow's gateway answers an unknown endpoint with `{detail}`; Berth's error JSON rides beside it. */
export function endpointNotFound(name: string): BerthError {
  const message = `The endpoint '${name}' is not present or active on the server. Please verify the endpoint name.`;
  return new BerthError(message, { code: 'RESOURCE_DOES_NOT_EXIST', details: { detail: message } });
}

/**
 * The wrapped target's deployments and endpoints as MLflow endpoints, and the name → address
 * lookups behind `/endpoints/{name}/invocations`. An endpoint hides a deployment of the same name.
 * Lookups are cached for a moment: the invocation path must not ask the target on every request.
 */
export class EndpointCatalog {
  private endpointsUnsupported = false;
  private readonly cache = new Map<string, { at: number; value: Promise<InvocationTarget> }>();

  constructor(
    private readonly target: ServedTarget,
    private readonly proxy: boolean,
  ) {}

  /** Forget what is cached for `name` (after a mutation through this server, or a refused connection). */
  invalidate(name?: string): void {
    if (name === undefined) this.cache.clear();
    else this.cache.delete(name);
  }

  resolve(name: string): Promise<InvocationTarget> {
    const cached = this.cache.get(name);
    const now = Date.now();
    if (cached && now - cached.at < CACHE_MS) return cached.value;
    const value = this.lookUp(name);
    this.cache.set(name, { at: now, value });
    // A failed lookup (unknown name, target down) is not remembered.
    value.catch(() => {
      if (this.cache.get(name)?.value === value) this.cache.delete(name);
    });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value as string);
    return value;
  }

  private async lookUp(name: string): Promise<InvocationTarget> {
    const endpoint = await this.findEndpoint(name);
    if (endpoint) return { kind: 'endpoint', name, proxyUrl: this.proxy ? proxyUrlOf(endpoint) : undefined };
    let deployment: Deployment;
    try {
      deployment = await this.target.client.getDeployment(name);
    } catch (error) {
      if (isCode(error, 'RESOURCE_DOES_NOT_EXIST') || isCode(error, 'NOT_FOUND')) {
        throw endpointNotFound(name);
      }
      throw error;
    }
    return { kind: 'deployment', name, proxyUrl: this.proxy ? proxyUrlOf(deployment) : undefined };
  }

  private async findEndpoint(name: string): Promise<Endpoint | undefined> {
    if (this.endpointsUnsupported) return undefined;
    try {
      return await this.target.client.getEndpoint(name);
    } catch (error) {
      if (isCode(error, 'NOT_IMPLEMENTED')) {
        this.endpointsUnsupported = true;
        return undefined;
      }
      if (isCode(error, 'RESOURCE_DOES_NOT_EXIST') || isCode(error, 'NOT_FOUND') || isCode(error, 'ENDPOINT_NOT_FOUND'))
        return undefined;
      throw error;
    }
  }

  /** Every endpoint, then every deployment not hidden by an endpoint's name, sorted by name. */
  async list(): Promise<MlflowEndpointJSON[]> {
    const [endpoints, deployments] = await Promise.all([this.listEndpoints(), this.target.client.listDeployments()]);
    const byName = new Map<string, MlflowEndpointJSON>();
    for (const deployment of deployments) byName.set(deployment.name, this.describe('deployment', deployment));
    for (const endpoint of endpoints) byName.set(endpoint.name, this.describe('endpoint', endpoint));
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(name: string): Promise<MlflowEndpointJSON> {
    const endpoint = await this.findEndpoint(name);
    if (endpoint) return this.describe('endpoint', endpoint);
    try {
      return this.describe('deployment', await this.target.client.getDeployment(name));
    } catch (error) {
      if (isCode(error, 'RESOURCE_DOES_NOT_EXIST') || isCode(error, 'NOT_FOUND')) {
        throw endpointNotFound(name);
      }
      throw error;
    }
  }

  private async listEndpoints(): Promise<Endpoint[]> {
    if (this.endpointsUnsupported) return [];
    try {
      return await this.target.client.listEndpoints();
    } catch (error) {
      if (!isCode(error, 'NOT_IMPLEMENTED')) throw error;
      this.endpointsUnsupported = true;
      return [];
    }
  }

  private describe(kind: 'deployment' | 'endpoint', resource: Deployment | Endpoint): MlflowEndpointJSON {
    const modelUri = kind === 'deployment' && typeof resource.modelUri === 'string' ? resource.modelUri : null;
    return {
      name: resource.name,
      endpoint_type: `berth/${kind}`,
      model: { name: modelUri, provider: `berth:${this.target.name}` },
      endpoint_url: `/endpoints/${encodeURIComponent(resource.name)}/invocations`,
      limit: null,
    };
  }
}
