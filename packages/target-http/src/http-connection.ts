import { BerthError } from '@berth/core';
import { fetchWithRetry, HttpError, type RetrySettings, retrySettingsFromEnvironment } from '@berth/core/http';
import { createNodeTransport, type Transport } from './node-http-transport.js';
import { type Credentials, credentialsFromEnvironment } from './request-auth.js';
import {
  describeVariables,
  PREDICT_TIMEOUT_VARIABLES,
  REQUEST_TIMEOUT_VARIABLES,
  type RequestTimeouts,
  requestTimeoutsFromEnvironment,
} from './request-timeouts.js';
import type { TargetLocation } from './target-location.js';
import { type TlsSettings, tlsSettingsFromEnvironment } from './tls-settings.js';

/** Which of MLflow's two timeouts bounds a request. */
export type TimeoutKind = 'predict' | 'request';

export interface SendOptions {
  query?: Record<string, string | undefined>;
  /** A JSON body (sent with `content-type: application/json`). */
  json?: unknown;
  /** A body of another type (CSV). */
  text?: { body: string; contentType: string };
  timeout: TimeoutKind;
  /**
   * The caller reads the body as a stream (SSE): the timeout then covers the wait for the answer's
   * headers, and `readChunks` applies it again to every gap between chunks.
   */
  stream?: boolean;
  signal?: AbortSignal | undefined;
  accept?: string;
  headers?: Record<string, string>;
}

/**
 * One remote server: URLs under its base, credentials and TLS from the environment, MLflow's two
 * timeouts, and every attempt through core's `fetchWithRetry` (429/500/502/503 and refused
 * connections retried with backoff and `Retry-After`). Answers of 400 and above come back as core's
 * `HttpError`, except 401/403 and timeouts, which get messages that say what to do.
 */
export class HttpConnection {
  readonly baseUrl: string;
  readonly timeouts: RequestTimeouts;
  private readonly retry: Omit<RetrySettings, 'timeoutSeconds'>;
  private readonly tls: TlsSettings;
  private readonly environment: NodeJS.ProcessEnv;
  private credentials: Promise<Credentials> | undefined;
  private transport: Transport | undefined;
  private closing = new AbortController();

  constructor(location: TargetLocation, environment: NodeJS.ProcessEnv = process.env) {
    this.baseUrl = location.baseUrl;
    this.environment = environment;
    // Read (and validated) at construction, so a bad variable fails the first command, not a poll later.
    this.timeouts = requestTimeoutsFromEnvironment(environment);
    // Core's policy, with its settings read from this client's environment (which may not be process.env).
    const { timeoutSeconds: _perAttempt, ...retry } = retrySettingsFromEnvironment(environment);
    this.retry = retry;
    this.tls = tlsSettingsFromEnvironment(environment);
  }

  /** `base + path` (MLflow's rule: the base without its trailing slash, then the path), plus the query. */
  urlFor(path: string, query?: Record<string, string | undefined>): string {
    const url = `${this.baseUrl}${path}`;
    if (!query) return url;
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, value);
    const text = search.toString();
    return text === '' ? url : `${url}?${text}`;
  }

  async send(method: string, path: string, options: SendOptions): Promise<Response> {
    const url = this.urlFor(path, options.query);
    const credentials = await this.loadCredentials();
    const headers: Record<string, string> = { ...options.headers, accept: options.accept ?? 'application/json' };
    if (credentials.authorization) headers.authorization = credentials.authorization;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.text) {
      headers['content-type'] = options.text.contentType;
      body = options.text.body;
    }
    const limit = this.timeouts[options.timeout];
    this.transport ??= createNodeTransport(this.tls);
    const transport = this.transport;
    const signals = [this.closing.signal, options.signal].filter((signal): signal is AbortSignal => !!signal);

    // A stream's timeout is ours (to the headers, then per gap); fetchWithRetry's would cut a long stream.
    let headersTimer: ReturnType<typeof setTimeout> | undefined;
    if (options.stream && limit.seconds > 0) {
      const timer = new AbortController();
      headersTimer = setTimeout(
        () => timer.abort(this.timeoutError(method, url, options.timeout)),
        limit.seconds * 1000,
      );
      signals.push(timer.signal);
    }
    try {
      return await fetchWithRetry(
        url,
        { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.any(signals) },
        { ...this.retry, timeoutSeconds: options.stream ? 0 : limit.seconds, fetch: transport.fetch },
      );
    } catch (error) {
      throw this.explainFailure(error, method, url, options.timeout, credentials);
    } finally {
      clearTimeout(headersTimer);
    }
  }

  /** Sends and reads a JSON answer; an answer that is not JSON is an error that shows its start. */
  async sendJson(method: string, path: string, options: SendOptions): Promise<{ status: number; body: unknown }> {
    const response = await this.send(method, path, options);
    const url = this.urlFor(path, options.query);
    const text = await this.readText(response, method, url, options.timeout);
    if (text.trim() === '') return { status: response.status, body: undefined };
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch (cause) {
      throw notJson(method, url, response, text, cause);
    }
  }

  async readText(response: Response, method: string, url: string, timeout: TimeoutKind): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw this.explainFailure(error, method, url, timeout, {});
    }
  }

  /**
   * The body of a streamed answer, chunk by chunk; waiting longer than the timeout for the next
   * chunk is the same timeout error as waiting for the answer. Cancels the body when the caller stops.
   */
  async *readChunks(response: Response, method: string, url: string, timeout: TimeoutKind): AsyncGenerator<Uint8Array> {
    const reader = response.body?.getReader();
    if (!reader) return;
    const seconds = this.timeouts[timeout].seconds;
    try {
      while (true) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await withTimeout(reader.read(), seconds, () => this.timeoutError(method, url, timeout));
        } catch (error) {
          throw this.explainFailure(error, method, url, timeout, {});
        }
        if (result.done) return;
        yield result.value;
      }
    } finally {
      reader.cancel().catch(() => undefined);
    }
  }

  /** Aborts what is in flight and closes every socket. A later request opens new ones. */
  async close(): Promise<void> {
    const closing = this.closing;
    this.closing = new AbortController();
    closing.abort(new BerthError('The HTTP client was closed while a request was in flight.', { code: 'CANCELLED' }));
    this.transport?.close();
    this.transport = undefined;
  }

  private loadCredentials(): Promise<Credentials> {
    this.credentials ??= credentialsFromEnvironment(this.environment);
    return this.credentials;
  }

  private explainFailure(
    error: unknown,
    method: string,
    url: string,
    timeout: TimeoutKind,
    credentials: Credentials,
  ): unknown {
    if (!HttpError.isInstance(error)) {
      if (isAbortFromTimeout(error)) return this.timeoutError(method, url, timeout);
      return error;
    }
    if (error.statusCode === undefined && error.code === 'DEADLINE_EXCEEDED') {
      return this.timeoutError(method, url, timeout, error);
    }
    if (error.statusCode === 401 || error.statusCode === 403) return authError(error, method, url, credentials);
    return error;
  }

  /**
   * MLflow's provider-timeout message for predictions (it is what MLflow users search for), and
   * core's request-timeout message naming the variable that actually applies for the rest.
   */
  timeoutError(method: string, url: string, kind: TimeoutKind, cause?: unknown): HttpError {
    const limit = this.timeouts[kind];
    const variables = kind === 'predict' ? PREDICT_TIMEOUT_VARIABLES : REQUEST_TIMEOUT_VARIABLES;
    const message =
      kind === 'predict'
        ? 'The provider has timed out while generating a response to your query. Please evaluate the available parameters for the query that you are submitting. Some parameter values and inputs can increase the computation time beyond the allowable route timeout of MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT seconds.'
        : `API request to ${method} ${url} failed with timeout exception after ${limit.seconds} seconds.`;
    return new HttpError(message, {
      url,
      isRetryable: false,
      code: 'DEADLINE_EXCEEDED',
      cause,
      suggestions: [
        `${method} ${url} got no answer within ${limit.seconds} s${limit.fromEnvironment ? ` (${limit.variable})` : ''}. To wait longer, set ${describeVariables(variables)} to more seconds (0 waits without limit).`,
      ],
    });
  }
}

/** fetchWithRetry's per-attempt timeout firing while the body is read: a DOMException named TimeoutError. */
function isAbortFromTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TimeoutError';
}

function withTimeout<T>(promise: Promise<T>, seconds: number, makeError: () => Error): Promise<T> {
  if (!(seconds > 0)) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(makeError()), seconds * 1000);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** 401/403 with the variable the credentials came from (never their value) and what to do. */
function authError(error: HttpError, method: string, url: string, credentials: Credentials): HttpError {
  const said = serverMessage(error.responseBody);
  const because = said ? ` The server said: ${said}` : '';
  const status = error.statusCode as number;
  if (status === 401) {
    const message = credentials.source
      ? `The server refused the credentials from ${credentials.source} (401 Unauthorized) for ${method} ${url}.${because}`
      : `The server needs credentials (401 Unauthorized) for ${method} ${url}, and none are set.${because}`;
    return new HttpError(message, {
      url,
      statusCode: status,
      ...(error.responseBody !== undefined ? { responseBody: error.responseBody } : {}),
      isRetryable: false,
      code: 'UNAUTHENTICATED',
      suggestions: [
        credentials.source
          ? `Check that ${credentials.source} holds the server's current token (berth serve prints it once on start, or reads it from its --token-file).`
          : "Set BERTH_TOKEN to the server's token (berth serve prints it once on start, or reads it from its --token-file); MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, also work.",
      ],
    });
  }
  return new HttpError(
    `The credentials from ${credentials.source ?? '(none)'} are not allowed to ${method} ${url} (403 Forbidden).${because}`,
    {
      url,
      statusCode: status,
      ...(error.responseBody !== undefined ? { responseBody: error.responseBody } : {}),
      isRetryable: false,
      code: 'PERMISSION_DENIED',
      suggestions: [
        'A read-only token may list, get and predict; create, update and delete need a token with write access.',
      ],
    },
  );
}

/** The human part of an error answer: Berth's/MLflow's `message`, FastAPI's `detail`, or the text. */
export function serverMessage(body: string | undefined): string | undefined {
  if (body === undefined || body.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown; detail?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.detail === 'string') return parsed.detail;
  } catch {
    // not JSON
  }
  return body.length > 500 ? `${body.slice(0, 500)}…` : body;
}

function notJson(method: string, url: string, response: Response, text: string, cause: unknown): BerthError {
  const type = response.headers.get('content-type') ?? 'no content type';
  const start = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new BerthError(
    `${method} ${url} answered ${response.status} with a body that is not JSON (${type}): ${start}`,
    {
      code: 'INTERNAL_ERROR',
      cause,
      suggestions: [
        'Check that the target URI is the base URL of a Berth server (berth serve) or an MLflow AI Gateway.',
      ],
    },
  );
}
