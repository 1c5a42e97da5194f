/**
 * HTTP to MLflow: its REST API and artifact downloads. Requests go through core's one retry policy
 * (`fetchWithRetry`: 429/500/502/503 and connection failures, `MLFLOW_HTTP_REQUEST_*` /
 * `BERTH_HTTP_REQUEST_*`), carry MLflow's auth variables, and fail with errors that say what went
 * wrong: MLflow's own `{error_code, message}`, the network cause (connection refused, unknown host,
 * TLS, timeout) with the address, or "not an MLflow tracking server" for anything else that answers.
 */
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '@berth/core';
import {
  fetchWithRetry,
  HttpError,
  parseMlflowErrorBody,
  type RetryNotice,
  retrySettingsFromEnvironment,
} from '@berth/core/http';
import { progressSink } from './retry-notices.js';

/** Who answers a request, for messages. */
export interface MlflowEndpoint {
  /** The tracking server's base URL when the request goes to one; errors then name the server. */
  server?: string;
  /** Where that URL came from, e.g. `MLFLOW_TRACKING_URI`. */
  source?: string;
}

/** `Authorization` from MLflow's variables: a token wins over username/password, as in MLflow. */
export function trackingAuthHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.MLFLOW_TRACKING_TOKEN) return { authorization: `Bearer ${env.MLFLOW_TRACKING_TOKEN}` };
  if (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD) {
    const credentials = `${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}`;
    return { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
  }
  return {};
}

const SECRET_QUERY_KEY = /sig|token|credential|secret|password|key/i;

/** The URL without user:password or signed-URL secrets, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    for (const key of [...parsed.searchParams.keys()]) {
      if (SECRET_QUERY_KEY.test(key)) parsed.searchParams.set(key, '***');
    }
    const out = parsed.toString();
    // URL adds a slash to a bare origin; keep the address as it was written.
    return !url.endsWith('/') && parsed.pathname === '/' && out.endsWith('/') ? out.slice(0, -1) : out;
  } catch {
    return url;
  }
}

/** fetch refuses `https://user:pass@host/…`; those credentials are sent as basic auth instead. */
function splitUserInfo(url: string): { plainUrl: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { plainUrl: url, headers: {} };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return {
    plainUrl: parsed.toString(),
    headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
  };
}

function requestInit(url: string, init: RequestInit): { plainUrl: string; init: RequestInit } {
  const { plainUrl, headers } = splitUserInfo(url);
  return {
    plainUrl,
    init: {
      ...init,
      headers: { ...trackingAuthHeaders(), ...headers, ...(init.headers as Record<string, string> | undefined) },
    },
  };
}

/**
 * fetchWithRetry's `onRetry` when the download's caller listens: who did not answer (the server,
 * else the URL, credentials removed), why, which retry of how many, and what sets the count.
 */
function retrying(url: string, endpoint: MlflowEndpoint): { onRetry?: (notice: RetryNotice) => void } {
  const sink = progressSink();
  if (sink === undefined) return {};
  const who = endpoint.server ? `The MLflow server at ${redact(endpoint.server)}` : redact(url);
  return {
    onRetry: (notice) => {
      const why = notice.error === undefined ? notice.reason : networkReason(notice.error, url).text;
      const wait = notice.delaySeconds >= 1 ? ` in ${Math.round(notice.delaySeconds)} s` : '';
      sink({
        message: `${who} did not answer (${why}); retry ${notice.retry} of ${notice.maxRetries}${wait} (MLFLOW_HTTP_REQUEST_MAX_RETRIES sets how many)`,
      });
    },
  };
}

/** A call to MLflow's REST API; resolves to the answer's JSON. */
export async function mlflowApiRequest<T>(url: string, init: RequestInit, endpoint: MlflowEndpoint): Promise<T> {
  const method = (init.method ?? 'GET').toUpperCase();
  const request = requestInit(url, init);
  let response: Response;
  try {
    response = await fetchWithRetry(request.plainUrl, request.init, retrying(url, endpoint));
  } catch (error) {
    throw describeHttpFailure(error, url, method, endpoint, 'api');
  }
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw notMlflowServerError(url, method, endpoint, response.status, response.statusText, response, text);
  }
}

/**
 * GETs a file and streams it to `target`. The request has no overall deadline (a large model may
 * take long); instead it fails when no bytes arrive for the HTTP timeout (`MLFLOW_HTTP_REQUEST_TIMEOUT`,
 * default 120 s), so a stalled server cannot hang a download forever.
 */
export async function downloadToFile(url: string, target: string, endpoint: MlflowEndpoint = {}): Promise<void> {
  const idleSeconds = retrySettingsFromEnvironment().timeoutSeconds;
  const stall = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (idleSeconds <= 0) return;
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(stalledError(url, idleSeconds)), idleSeconds * 1000);
  };
  arm();
  const request = requestInit(url, { signal: stall.signal });
  try {
    let response: Response;
    try {
      response = await fetchWithRetry(request.plainUrl, request.init, {
        timeoutSeconds: 0,
        ...retrying(url, endpoint),
      });
    } catch (error) {
      if (stall.signal.aborted) throw stall.signal.reason;
      throw describeHttpFailure(error, url, 'GET', endpoint, 'file');
    }
    arm();
    if (response.body === null) return;
    const watch = new Transform({
      transform(chunk, _encoding, callback) {
        arm();
        callback(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
        watch,
        createWriteStream(target),
        { signal: stall.signal },
      );
    } catch (error) {
      if (stall.signal.aborted) throw stall.signal.reason;
      throw new BerthError(`Downloading ${redact(url)} failed: ${(error as Error).message}`, {
        code: 'TEMPORARILY_UNAVAILABLE',
        cause: error,
      });
    }
  } finally {
    clearTimeout(timer);
  }
}

function stalledError(url: string, seconds: number): BerthError {
  return new BerthError(`Downloading ${redact(url)} stalled: no data arrived for ${seconds} seconds.`, {
    code: 'DEADLINE_EXCEEDED',
    suggestions: ['To wait longer, set MLFLOW_HTTP_REQUEST_TIMEOUT (or BERTH_HTTP_REQUEST_TIMEOUT) to more seconds.'],
  });
}

/** An HttpError from core (or anything fetch threw) → the error a user can act on. */
function describeHttpFailure(
  error: unknown,
  url: string,
  method: string,
  endpoint: MlflowEndpoint,
  kind: 'api' | 'file',
): BerthError {
  if (!HttpError.isInstance(error)) {
    if (BerthError.isInstance(error)) return error;
    return unreachableError(url, method, endpoint, error, undefined);
  }
  if (error.statusCode === undefined) return unreachableError(url, method, endpoint, error.cause ?? error, error);
  const body = error.responseBody ?? '';
  const mlflow = parseMlflowErrorBody(body);
  if (mlflow !== undefined) {
    // MLflow's message is the whole story; the HTTP exchange behind it would only repeat it.
    return new BerthError(mlflow.message ?? `${method} ${redact(url)} answered ${error.statusCode}`, {
      code: mlflow.errorCode,
      details: { status: error.statusCode },
    });
  }
  if (kind === 'api') return notMlflowServerError(url, method, endpoint, error.statusCode, '', undefined, body);
  const status = `${error.statusCode}${statusTextOf(error.statusCode)}`;
  if (error.statusCode === 404) {
    return new BerthError(`Nothing at ${redact(url)} (404 Not Found).`, {
      code: 'RESOURCE_DOES_NOT_EXIST',
      details: { status: 404 },
    });
  }
  const excerpt = shortExcerpt(body);
  return new BerthError(`GET ${redact(url)} answered ${status}${excerpt ? `: ${excerpt}` : ''}`, {
    code: error.code,
    details: { status: error.statusCode },
    cause: error,
  });
}

function statusTextOf(status: number): string {
  const text = STATUS_TEXT[status];
  return text ? ` ${text}` : '';
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Network failures named the way a user can check them. */
function unreachableError(
  url: string,
  method: string,
  endpoint: MlflowEndpoint,
  cause: unknown,
  httpError: HttpError | undefined,
): BerthError {
  const timedOut = httpError?.code === 'DEADLINE_EXCEEDED';
  const reason = timedOut ? timeoutReason(httpError) : networkReason(cause, url);
  const where = endpoint.server
    ? `the MLflow tracking server at ${redact(endpoint.server)}${endpoint.source ? ` (${endpoint.source})` : ''}`
    : redact(url);
  const retries = httpError?.details?.retries;
  const tried =
    typeof retries === 'number' && retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
  const suggestions = [
    timedOut
      ? 'To wait longer, set MLFLOW_HTTP_REQUEST_TIMEOUT (or BERTH_HTTP_REQUEST_TIMEOUT) to more seconds.'
      : (reason.suggestion ??
        (endpoint.server
          ? `Check that the server is running and that ${endpoint.source ?? 'MLFLOW_TRACKING_URI'} is its address (e.g. http://127.0.0.1:5000 for \`mlflow server --port 5000\`).`
          : 'Check the address and that the server is running.')),
  ];
  if (!timedOut && !reason.tls) {
    suggestions.push(
      'Retries follow MLFLOW_HTTP_REQUEST_MAX_RETRIES (default 7) and MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR.',
    );
  }
  // No `cause`: the message already names it, and the CLI would print it a second time.
  return new BerthError(`Could not reach ${where}: ${reason.text}; ${method} ${redact(url)} failed${tried}.`, {
    code: timedOut ? 'DEADLINE_EXCEEDED' : 'TEMPORARILY_UNAVAILABLE',
    suggestions,
  });
}

interface NetworkReason {
  text: string;
  tls: boolean;
  /** What to do, when it is specific to the cause. */
  suggestion?: string;
}

function timeoutReason(error: HttpError | undefined): NetworkReason {
  const seconds = /after ([\d.]+) seconds/.exec(error?.message ?? '')?.[1];
  return { text: `no answer within ${seconds ?? 'the timeout of'} seconds`, tls: false };
}

interface SystemCause {
  code?: string;
  message?: string;
  hostname?: string;
}

/** The innermost cause with a code: fetch wraps the socket error (sometimes in an AggregateError). */
function systemCause(error: unknown): SystemCause | undefined {
  let current: unknown = error;
  let found: SystemCause | undefined;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    const candidate = current as SystemCause & { cause?: unknown; errors?: unknown[] };
    if (typeof candidate.code === 'string') found = candidate;
    current = candidate.cause ?? candidate.errors?.[0];
  }
  return found;
}

const TLS_CODE = /CERT|SSL|TLS|EPROTO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

export function networkReason(error: unknown, url: string): NetworkReason {
  const cause = systemCause(error);
  const code = cause?.code ?? '';
  const host = cause?.hostname ?? hostOf(url);
  switch (code) {
    case 'ECONNREFUSED':
      return { text: 'connection refused (ECONNREFUSED)', tls: false };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return { text: `unknown host '${host}' (${code})`, tls: false };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return { text: `the connection was closed before an answer (${code})`, tls: false };
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { text: `the connection timed out (${code})`, tls: false };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { text: `host '${host}' is unreachable (${code})`, tls: false };
  }
  const message = opensslReason(cause?.message ?? (error instanceof Error ? error.message : String(error)));
  if (TLS_CODE.test(code) || /certificate|ssl|tls/i.test(message)) {
    const plainHttp = code === 'ERR_SSL_WRONG_VERSION_NUMBER';
    return {
      text: `TLS failed: ${message}${code && !message.includes(code) ? ` (${code})` : ''}${plainHttp ? ' — the server may not speak TLS' : ''}`,
      tls: true,
      suggestion: plainHttp
        ? 'If the server listens on plain http, write the address with http://.'
        : 'If the server uses a private certificate authority, point NODE_EXTRA_CA_CERTS at its certificate (PEM).',
    };
  }
  return { text: code && !message.includes(code) ? `${message} (${code})` : message, tls: false };
}

/** OpenSSL's `<id>:error:<code>:<library>:<function>:<reason>:<file>:<line>:` → its reason. */
function opensslReason(message: string): string {
  const parts = message.trim().split(':');
  return parts.length >= 6 && parts[1] === 'error' ? (parts[5] as string) : message.trim();
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Something answered, but not with MLflow's JSON: say so, with the status and a short excerpt. */
function notMlflowServerError(
  url: string,
  method: string,
  endpoint: MlflowEndpoint,
  status: number,
  statusText: string,
  response: Response | undefined,
  body: string,
): BerthError {
  const base = endpoint.server ?? new URL(url).origin;
  const route = url.startsWith(base) ? url.slice(base.length).split('?')[0] : redact(url);
  const type = /^\s*</.test(body)
    ? 'an HTML page'
    : (response?.headers.get('content-type')?.split(';')[0] ?? (body.trim() === '' ? undefined : 'text'));
  const excerpt = shortExcerpt(body);
  const answered = `${status}${statusText ? ` ${statusText}` : statusTextOf(status)}`;
  if (body.includes('--no-serve-artifacts')) {
    // MLflow's own plain-text answer on its artifact routes when it does not proxy artifacts.
    return new BerthError(
      `The MLflow tracking server at ${redact(base)} does not serve artifacts (it runs with --no-serve-artifacts), so it cannot resolve mlflow-artifacts: URIs: ${method} ${route} answered ${answered}.`,
      {
        code: 'INVALID_PARAMETER_VALUE',
        details: { status },
        suggestions: ["Use the model's runs:/ or models:/ URI, whose artifact location the server records."],
      },
    );
  }
  return new BerthError(
    `${redact(base)}${endpoint.source ? ` (${endpoint.source})` : ''} is not an MLflow tracking server: ${method} ${route} answered ${answered}${type ? ` with ${type}` : ''}${excerpt ? ` "${excerpt}"` : ''}.`,
    {
      code: 'INVALID_PARAMETER_VALUE',
      details: { status, notMlflowServer: true },
      suggestions: [
        `${endpoint.source ?? 'MLFLOW_TRACKING_URI'} must be the address \`mlflow server\` listens on, e.g. http://127.0.0.1:5000 (no /api path, no UI page).`,
      ],
    },
  );
}

const EXCERPT_LENGTH = 80;

/** A few words of a body: tags stripped, whitespace collapsed, at most EXCERPT_LENGTH characters. */
export function shortExcerpt(body: string): string {
  const looksHtml = /^\s*</.test(body);
  const text = (looksHtml ? body.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ') : body)
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 1)}…` : text;
}
