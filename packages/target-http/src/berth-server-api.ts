import { randomUUID } from 'node:crypto';
import type { OperationOptions } from '@berth/core';
import {
  BerthError,
  type Deployment,
  type Endpoint,
  type PredictionInput,
  PredictionsResponse,
  type TargetConfig,
} from '@berth/core';
import { HttpError } from '@berth/core/http';
import { type ErrorBody, parseBerthAnswer, parseErrorBody, parseServerInfo, type ServerInfo } from './berth-schemas.js';
import { parseChunk, serverSentEvents, textLines } from './event-stream.js';
import type { HttpConnection, SendOptions } from './http-connection.js';
import { API_PREFIX, awaitOperation, type OperationContext } from './operation-poller.js';

export interface PredictRequest {
  deploymentName?: string | undefined;
  endpoint?: string | undefined;
  inputs: PredictionInput;
  params?: Record<string, unknown> | undefined;
}

const segment = encodeURIComponent;

/**
 * Berth mode: every `BaseDeploymentClient` method over a Berth server's `/api/berth/v1` (see
 * `@berth/server`'s README). Mutations run as server operations that this client follows to the
 * end; errors come back as `BerthError`s with the server's code and suggestions.
 */
export class BerthServerApi {
  /** The server's description: lets suggestions name this URI instead of the server's target. */
  private info: Promise<ServerInfo | undefined> | undefined;

  constructor(
    private readonly connection: HttpConnection,
    /** From the detection request, when there was one; asked for on the first error otherwise. */
    info?: ServerInfo,
  ) {
    if (info) this.info = Promise.resolve(info);
  }

  async listDeployments(endpoint: string | undefined, signal?: AbortSignal): Promise<Deployment[]> {
    const path = `${API_PREFIX}/deployments`;
    const body = await this.read('GET', path, { query: { endpoint }, timeout: 'request', signal });
    return parseBerthAnswer('deploymentList', body, this.where('GET', path)).deployments as Deployment[];
  }

  async getDeployment(name: string, endpoint: string | undefined, signal?: AbortSignal): Promise<Deployment> {
    const path = `${API_PREFIX}/deployments/${segment(name)}`;
    const body = await this.read('GET', path, { query: { endpoint }, timeout: 'request', signal });
    return parseBerthAnswer('deployment', body, this.where('GET', path)) as Deployment;
  }

  async createDeployment(
    name: string,
    request: { modelUri: string; flavor?: string | undefined; config: TargetConfig; endpoint?: string | undefined },
    options: OperationOptions,
  ): Promise<Deployment> {
    const result = await this.mutate(
      'POST',
      `${API_PREFIX}/deployments`,
      compact({ name, ...request, config: nonEmpty(request.config) }),
      this.deploymentContext(`creating deployment '${name}'`, name),
      options,
    );
    return parseBerthAnswer('deployment', result, `The result of creating deployment '${name}'`) as Deployment;
  }

  async updateDeployment(
    name: string,
    request: {
      modelUri?: string | undefined;
      flavor?: string | undefined;
      config: TargetConfig;
      endpoint?: string | undefined;
    },
    options: OperationOptions,
  ): Promise<Deployment> {
    const result = await this.mutate(
      'PATCH',
      `${API_PREFIX}/deployments/${segment(name)}`,
      compact({ ...request, config: nonEmpty(request.config) }),
      this.deploymentContext(`updating deployment '${name}'`, name),
      options,
    );
    return parseBerthAnswer('deployment', result, `The result of updating deployment '${name}'`) as Deployment;
  }

  async deleteDeployment(
    name: string,
    request: { config: TargetConfig; endpoint?: string | undefined },
    options: OperationOptions,
  ): Promise<void> {
    // Always a JSON body, `{}` at least: the server's body schema is an optional object, and an
    // absent body reaches it as null.
    await this.mutate(
      'DELETE',
      `${API_PREFIX}/deployments/${segment(name)}`,
      compact({ config: nonEmpty(request.config), endpoint: request.endpoint }),
      this.deploymentContext(`deleting deployment '${name}'`, name),
      options,
    );
  }

  async predict(request: PredictRequest, signal?: AbortSignal): Promise<PredictionsResponse> {
    const body = await this.read('POST', `${API_PREFIX}/predict`, {
      json: compact({ ...request }),
      timeout: 'predict',
      signal,
    });
    return PredictionsResponse.fromJSON(body as Record<string, unknown>);
  }

  /**
   * SSE: `data: {json}` frames, `data: [DONE]` at the end, `event: error` with Berth's error JSON on
   * a failure mid-stream. A stream that ends without `[DONE]` did not complete, and says so.
   */
  async *predictStream(request: PredictRequest, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    const path = `${API_PREFIX}/predict-stream`;
    const url = this.connection.urlFor(path);
    const response = await this.convertErrors(() =>
      this.connection.send('POST', path, {
        json: compact({ ...request }),
        timeout: 'predict',
        stream: true,
        accept: 'text/event-stream',
        signal,
      }),
    );
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream')) {
      const text = await this.connection.readText(response, 'POST', url, 'predict');
      throw new BerthError(
        `POST ${url} answered ${type || 'no content type'} instead of an event stream: ${text.slice(0, 200)}`,
      );
    }
    const lines = textLines(this.connection.readChunks(response, 'POST', url, 'predict'));
    for await (const event of serverSentEvents(lines)) {
      if (event.event === 'error') throw await this.remoteError(errorFromEvent(event.data));
      if (event.event !== 'message') continue; // unknown event types are ignored, as SSE clients do
      if (event.data.trim() === '[DONE]') return;
      const chunk = parseChunk(event.data);
      if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) {
        throw new BerthError(`A streamed chunk from POST ${url} is not a JSON object: ${event.data.slice(0, 200)}`);
      }
      yield chunk as Record<string, unknown>;
    }
    throw new BerthError(
      `The prediction stream from POST ${url} ended before it was complete (no [DONE]): the server or the connection stopped mid-stream.`,
      {
        code: 'TEMPORARILY_UNAVAILABLE',
        suggestions: ['Run the command again; the chunks printed so far are not the whole answer.'],
      },
    );
  }

  async explain(request: PredictRequest, signal?: AbortSignal): Promise<unknown> {
    const path = `${API_PREFIX}/explain`;
    const body = await this.read('POST', path, { json: compact({ ...request }), timeout: 'predict', signal });
    return parseBerthAnswer('explanation', body, this.where('POST', path)).explanation;
  }

  async listEndpoints(signal?: AbortSignal): Promise<Endpoint[]> {
    const path = `${API_PREFIX}/endpoints`;
    const body = await this.read('GET', path, { timeout: 'request', signal });
    return parseBerthAnswer('endpointList', body, this.where('GET', path)).endpoints as Endpoint[];
  }

  async getEndpoint(name: string, signal?: AbortSignal): Promise<Endpoint> {
    const path = `${API_PREFIX}/endpoints/${segment(name)}`;
    const body = await this.read('GET', path, { timeout: 'request', signal });
    return parseBerthAnswer('endpoint', body, this.where('GET', path)) as Endpoint;
  }

  async createEndpoint(name: string, config: TargetConfig, options: OperationOptions): Promise<Endpoint> {
    const result = await this.mutate(
      'POST',
      `${API_PREFIX}/endpoints`,
      compact({ name, config: nonEmpty(config) }),
      this.endpointContext(`creating endpoint '${name}'`, name),
      options,
    );
    return parseBerthAnswer('endpoint', result, `The result of creating endpoint '${name}'`) as Endpoint;
  }

  async updateEndpoint(name: string, config: TargetConfig, options: OperationOptions): Promise<Endpoint> {
    const result = await this.mutate(
      'PATCH',
      `${API_PREFIX}/endpoints/${segment(name)}`,
      compact({ config: nonEmpty(config) }),
      this.endpointContext(`updating endpoint '${name}'`, name),
      options,
    );
    return parseBerthAnswer('endpoint', result, `The result of updating endpoint '${name}'`) as Endpoint;
  }

  async deleteEndpoint(name: string, options: OperationOptions): Promise<void> {
    await this.mutate(
      'DELETE',
      `${API_PREFIX}/endpoints/${segment(name)}`,
      undefined,
      this.endpointContext(`deleting endpoint '${name}'`, name),
      options,
    );
  }

  /**
   * Starts an operation and follows it. The Idempotency-Key makes core's retries of the request
   * (it retries POSTs on 429/500/502/503) join the operation the first attempt started.
   */
  private async mutate(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
    context: OperationContext,
    options: OperationOptions,
  ): Promise<unknown> {
    const answer = await this.read(method, path, {
      ...(body !== undefined ? { json: body } : {}),
      timeout: 'request',
      signal: options.signal,
      headers: { 'idempotency-key': randomUUID() },
    });
    const operation = parseBerthAnswer('operation', answer, this.where(method, path));
    return awaitOperation(this.connection, operation, context, options);
  }

  private deploymentContext(doing: string, name: string): OperationContext {
    return {
      doing,
      checkCommand: `berth get -t ${this.connection.baseUrl} --name ${name}`,
      readNow: () => this.getDeployment(name, undefined),
      failure: (error) => this.remoteError(error),
    };
  }

  private endpointContext(doing: string, name: string): OperationContext {
    return {
      doing,
      checkCommand: `berth get-endpoint -t ${this.connection.baseUrl} --endpoint ${name}`,
      readNow: () => this.getEndpoint(name),
      failure: (error) => this.remoteError(error),
    };
  }

  private async read(method: string, path: string, options: SendOptions): Promise<unknown> {
    return (await this.convertErrors(() => this.connection.sendJson(method, path, options))).body;
  }

  /** `GET /server` once (a failure leaves suggestions as the server wrote them). */
  private serverInfo(): Promise<ServerInfo | undefined> {
    this.info ??= this.connection
      .sendJson('GET', `${API_PREFIX}/server`, { timeout: 'request' })
      .then(({ body }) => parseServerInfo(body, 'GET /server'))
      .catch(() => undefined);
    return this.info;
  }

  private where(method: string, path: string): string {
    return `${method} ${this.connection.urlFor(path)}`;
  }

  /**
   * The server's error JSON as the error the target raised there: same message, code and
   * suggestions (so `berth` prints what it prints locally), with the HTTP status and body kept.
   */
  private async convertErrors<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (!HttpError.isInstance(error) || error.statusCode === undefined) throw error;
      if (error.code === 'UNAUTHENTICATED' || error.code === 'PERMISSION_DENIED') throw error;
      const body = parseErrorBody(error.responseBody);
      if (!body) throw error;
      const { error_code, message, suggestions, ...details } = body;
      throw new HttpError(message, {
        url: error.url,
        statusCode: error.statusCode,
        ...(error.responseBody !== undefined ? { responseBody: error.responseBody } : {}),
        isRetryable: error.isRetryable,
        code: error_code,
        suggestions: await this.rewriteSuggestions(suggestions ?? []),
        ...(Object.keys(details).length > 0 ? { details } : {}),
      });
    }
  }

  private async remoteError(error: ErrorBody): Promise<BerthError> {
    const { error_code, message, suggestions, ...details } = error;
    return new BerthError(message, {
      code: error_code,
      suggestions: await this.rewriteSuggestions(suggestions ?? []),
      ...(Object.keys(details).length > 0 ? { details } : {}),
    });
  }

  /**
   * The target says `berth list -t local`; through this server the command is `berth list -t <this
   * URI>`. `berth help -t …` is left alone: it is the served target's help that lists its keys.
   */
  private async rewriteSuggestions(suggestions: string[]): Promise<string[]> {
    if (!suggestions.some((suggestion) => /(-t|--target)[\s=]/.test(suggestion))) return suggestions;
    const target = (await this.serverInfo())?.target;
    if (!target) return suggestions;
    const names = [target.uri, target.name].filter((name, index, all) => name && all.indexOf(name) === index);
    const alternatives = names.map(escapeRegExp).join('|');
    const pattern = new RegExp(`(-t|--target)(\\s+|=)(?:${alternatives})(?=[\\s'"\`).,;]|$)`, 'g');
    return suggestions.map((suggestion) =>
      /\bberth help\b/.test(suggestion) ? suggestion : suggestion.replace(pattern, `$1$2${this.connection.baseUrl}`),
    );
  }
}

function errorFromEvent(data: string): ErrorBody {
  const parsed = parseErrorBody(data);
  return parsed ?? { error_code: 'INTERNAL_ERROR', message: `The prediction stream failed: ${data.slice(0, 500)}` };
}

/** Drops undefined values, so optional fields are absent rather than null on the wire. */
function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));
}

function nonEmpty(config: TargetConfig): TargetConfig | undefined {
  return Object.keys(config).length > 0 ? config : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
