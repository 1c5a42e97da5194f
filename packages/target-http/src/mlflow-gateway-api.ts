import { BerthError, type Endpoint, type PredictionInput, PredictionsResponse } from '@berth/core';
import { HttpError } from '@berth/core/http';
import { mlflowStreamChunks, textLines } from './event-stream.js';
import { type GatewayEndpoint, parseGatewayEndpoint, parseGatewayPage } from './gateway-schemas.js';
import { type HttpConnection, serverMessage } from './http-connection.js';

/** MLflow's gateway routes (`mlflow/deployments/server/constants.py`). */
const ENDPOINTS_ROUTE = '/api/2.0/endpoints/';
const invocationsRoute = (name: string) => `/endpoints/${encodeURIComponent(name)}/invocations`;

/** A misbehaving server repeating a page token must not keep `list-endpoints` going for ever. */
const MAX_PAGES = 10_000;

/**
 * MLflow mode: what MLflow's `http` client does against an MLflow AI Gateway (list and get
 * endpoints, predict), plus the streaming the gateway serves and MLflow's client never read.
 */
export class MlflowGatewayApi {
  constructor(private readonly connection: HttpConnection) {}

  /** `GET /api/2.0/endpoints/`, then `?page_token=` until `next_page_token` is absent or null. */
  async listEndpoints(signal?: AbortSignal): Promise<Endpoint[]> {
    const endpoints: Endpoint[] = [];
    const seen = new Set<string>();
    let pageToken: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const where = `GET ${this.connection.urlFor(ENDPOINTS_ROUTE, { page_token: pageToken })}`;
      const { body } = await this.call('GET', ENDPOINTS_ROUTE, {
        query: { page_token: pageToken },
        timeout: 'request',
        signal,
      });
      const page = parseGatewayPage(body, where);
      for (const endpoint of page.endpoints ?? []) endpoints.push(this.toEndpoint(endpoint));
      const next = page.next_page_token ?? undefined;
      if (next === undefined) return endpoints;
      if (seen.has(next)) {
        throw new BerthError(
          `${where} gave the page token ${JSON.stringify(next)} a second time; the list would never end.`,
          {
            code: 'INTERNAL_ERROR',
          },
        );
      }
      seen.add(next);
      pageToken = next;
    }
    throw new BerthError(`The endpoint list at ${this.connection.baseUrl} has more than ${MAX_PAGES} pages.`, {
      code: 'INTERNAL_ERROR',
    });
  }

  /** `GET /api/2.0/endpoints/{name}`; the gateway's 404 is RESOURCE_DOES_NOT_EXIST with its message. */
  async getEndpoint(name: string, signal?: AbortSignal): Promise<Endpoint> {
    const path = `${ENDPOINTS_ROUTE}${encodeURIComponent(name)}`;
    const { body } = await this.call('GET', path, { timeout: 'request', signal });
    return this.toEndpoint(parseGatewayEndpoint(body, `GET ${this.connection.urlFor(path)}`));
  }

  /** `POST /endpoints/{name}/invocations` with the inputs as the JSON body; the answer as the predictions. */
  async predict(
    name: string,
    inputs: PredictionInput,
    params: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): Promise<PredictionsResponse> {
    const { body } = await this.call('POST', invocationsRoute(name), {
      json: gatewayBody(inputs, params),
      timeout: 'predict',
      signal,
    });
    // A scoring-protocol answer keeps its shape; a gateway's own (a chat completion, say) has no
    // `predictions` field, and Berth's predict always answers a PredictionsResponse: it goes under one.
    if (isRecord(body) && 'predictions' in body) return PredictionsResponse.fromJSON(body);
    return new PredictionsResponse({ predictions: body ?? null });
  }

  /** The same route with `"stream": true`: `data: {json}` lines by MLflow's rules (the gateway sends no `[DONE]`). */
  async *predictStream(
    name: string,
    inputs: PredictionInput,
    params: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): AsyncGenerator<Record<string, unknown>> {
    const path = invocationsRoute(name);
    const url = this.connection.urlFor(path);
    const response = await this.convertErrors(() =>
      this.connection.send('POST', path, {
        json: { ...gatewayBody(inputs, params), stream: true },
        timeout: 'predict',
        stream: true,
        accept: 'text/event-stream',
        signal,
      }),
    );
    const lines = textLines(this.connection.readChunks(response, 'POST', url, 'predict'));
    for await (const chunk of mlflowStreamChunks(lines)) {
      if (!isRecord(chunk)) {
        throw new BerthError(`A streamed chunk from POST ${url} is not a JSON object: ${JSON.stringify(chunk)}.`);
      }
      yield chunk;
    }
  }

  /** What every management call says in MLflow mode (MLflow's own client raises NotImplementedError). */
  unsupported(operation: string): BerthError {
    return new BerthError(
      `The server at ${this.connection.baseUrl} is an MLflow AI Gateway, which cannot ${operation}: it only lists endpoints and answers predictions (MLflow's own http client raises NotImplementedError here too).`,
      {
        code: 'NOT_IMPLEMENTED',
        suggestions: [
          `List what it serves with 'berth list-endpoints -t ${this.connection.baseUrl}', and predict with --endpoint <name>.`,
          "To manage deployments over HTTP, run 'berth serve -t <target>' on the server machine and point -t at it.",
        ],
      },
    );
  }

  /**
   * Berth's endpoint: the gateway's fields, `endpoint_url` resolved against the base (MLflow's
   * `resolve_endpoint_url`), and `url`, the address predict actually calls. The gateway advertises
   * its legacy `/gateway/{name}/invocations` form there (MLflow issue #11049).
   */
  private toEndpoint(endpoint: GatewayEndpoint): Endpoint {
    const resolved =
      endpoint.endpoint_url === undefined
        ? undefined
        : resolveEndpointUrl(this.connection.baseUrl, endpoint.endpoint_url);
    return {
      ...endpoint,
      ...(resolved !== undefined ? { endpoint_url: resolved } : {}),
      url: this.connection.urlFor(invocationsRoute(endpoint.name)),
    };
  }

  private async call(method: string, path: string, options: Parameters<HttpConnection['sendJson']>[2]) {
    return this.convertErrors(() => this.connection.sendJson(method, path, options));
  }

  /** The gateway's `{"detail": "…"}` as the message (it says what is wrong); status and body stay on the HttpError. */
  private async convertErrors<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (!HttpError.isInstance(error) || error.statusCode === undefined || error.code === 'UNAUTHENTICATED')
        throw error;
      if (error.code === 'PERMISSION_DENIED') throw error;
      const detail = serverMessage(error.responseBody);
      if (detail === undefined || detail === error.responseBody) throw error;
      throw new HttpError(`${detail} (${error.statusCode} from ${error.url})`, {
        url: error.url,
        statusCode: error.statusCode,
        ...(error.responseBody !== undefined ? { responseBody: error.responseBody } : {}),
        isRetryable: error.isRetryable,
        code: error.code,
        suggestions:
          error.code === 'RESOURCE_DOES_NOT_EXIST'
            ? [`List the gateway's endpoints with 'berth list-endpoints -t ${this.connection.baseUrl}'.`]
            : [],
      });
    }
  }
}

/** MLflow's `resolve_endpoint_url`: a full URL stays, a path is appended to the base. */
export function resolveEndpointUrl(baseUrl: string, endpointUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(endpointUrl)) return endpointUrl;
  return `${baseUrl.replace(/\/+$/, '')}/${endpointUrl.replace(/^\/+/, '')}`;
}

function gatewayBody(inputs: PredictionInput, params: Record<string, unknown> | undefined): Record<string, unknown> {
  if (typeof (inputs as { csv?: unknown }).csv === 'string' && Object.keys(inputs).length === 1) {
    throw BerthError.invalidParameterValue(
      'An MLflow AI Gateway takes JSON bodies only; CSV input cannot be sent to it.',
      {
        suggestions: ['Give a JSON input file (e.g. {"messages": [...]} for a chat endpoint).'],
      },
    );
  }
  if (params === undefined) return inputs as Record<string, unknown>;
  const own = isRecord((inputs as { params?: unknown }).params)
    ? (inputs as { params: Record<string, unknown> }).params
    : {};
  return { ...inputs, params: { ...own, ...params } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
