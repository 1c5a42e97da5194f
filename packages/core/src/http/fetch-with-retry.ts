import { setTimeout as sleep } from 'node:timers/promises';
import { errorCodeForResponse, HttpError } from './http-error.js';
import {
  DEFAULT_RETRY_CODES,
  type RetrySettings,
  retrySettingsFromEnvironment,
  validateRetrySettings,
} from './retry-settings.js';

export interface FetchWithRetryOptions extends Partial<RetrySettings> {
  /** Statuses worth retrying; default 429, 500, 502, 503. */
  retryCodes?: readonly number[];
  /** Throw an HttpError for a final status of 400 or above (default true); false returns the response. */
  raiseOnStatus?: boolean;
  /** Upper bound of one wait, seconds (urllib3's `backoff_max`, 120). Also caps `Retry-After`. */
  maxBackoffSeconds?: number;
  /** Source of jitter, for tests; default `Math.random`. */
  random?: () => number;
  /**
   * The fetch to call; default the global one. A caller that needs its own connection settings
   * (a CA bundle, client certificates, a pool it can close) passes undici's `fetch` bound to its
   * own dispatcher, and keeps this one retry policy.
   */
  fetch?: (input: string | URL, init: RequestInit) => Promise<Response>;
  /**
   * Told before each retry waits, so a caller can say why a request is taking long (the default
   * policy can wait about four minutes on a server that refuses connections).
   */
  onRetry?: (notice: RetryNotice) => void;
}

/** A retry about to wait: what failed, which retry this is, and how long until it is sent. */
export interface RetryNotice {
  /** 1 for the first retry. */
  retry: number;
  /** Retries the policy allows this request. */
  maxRetries: number;
  /** Seconds until the retry is sent. */
  delaySeconds: number;
  /** The request's method, upper case. */
  method: string;
  /** The request's URL, as given. */
  url: string;
  /** What failed: `HTTP 503 Service Unavailable`, or the connection error (`fetch failed (ECONNREFUSED)`). */
  reason: string;
  /** The error fetch threw, when the request failed without an answer. */
  error?: unknown;
}

const MAX_BODY_IN_MESSAGE = 2000;

/**
 * `fetch` with MLflow's retry policy for deployment clients: 429/500/502/503 and connection
 * failures are retried for every method (POST included, as MLflow does), with exponential backoff
 * plus jitter, or as long as `Retry-After` says. Each attempt has its own timeout, which also
 * covers reading the body. Settings come from the options, else the environment
 * (`BERTH_HTTP_REQUEST_*`, falling back to `MLFLOW_HTTP_REQUEST_*`).
 *
 * A request body must be replayable (string, bytes, Blob, FormData, URLSearchParams); a stream
 * body is sent once, without retries.
 */
export async function fetchWithRetry(
  url: string | URL,
  init: RequestInit = {},
  options: FetchWithRetryOptions = {},
): Promise<Response> {
  const settings = resolveSettings(options);
  const retryCodes = new Set(options.retryCodes ?? DEFAULT_RETRY_CODES);
  const maxBackoff = options.maxBackoffSeconds ?? 120;
  const random = options.random ?? Math.random;
  const target = String(url);
  const method = (init.method ?? 'GET').toUpperCase();
  const maxRetries = isReplayable(init.body) ? settings.maxRetries : 0;
  const userSignal = init.signal ?? undefined;
  const send = options.fetch ?? fetch;
  const notify = (retry: number, delaySeconds: number, reason: string, error?: unknown) =>
    options.onRetry?.({ retry, maxRetries, delaySeconds, method, url: target, reason, ...(error ? { error } : {}) });

  for (let retry = 0; ; retry++) {
    const timeout = settings.timeoutSeconds > 0 ? AbortSignal.timeout(settings.timeoutSeconds * 1000) : undefined;
    const signal = combineSignals(userSignal, timeout);
    let response: Response;
    try {
      response = await send(url, { ...init, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (userSignal?.aborted) throw userSignal.reason ?? error;
      if (timeout?.aborted) throw timeoutError(target, method, settings.timeoutSeconds, error);
      if (retry < maxRetries) {
        const delay = backoffSeconds(retry + 1, settings, maxBackoff, random);
        notify(retry + 1, delay, describeFailure(error), error);
        await wait(delay, userSignal);
        continue;
      }
      throw new HttpError(`API request to ${method} ${target} failed with exception ${describeFailure(error)}`, {
        url: target,
        isRetryable: true,
        code: 'TEMPORARILY_UNAVAILABLE',
        cause: error,
        ...retryDetail(retry),
      });
    }

    if (retryCodes.has(response.status) && retry < maxRetries) {
      const retryAfter = settings.respectRetryAfter ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
      await response.body?.cancel().catch(() => undefined);
      const delay = Math.min(retryAfter ?? backoffSeconds(retry + 1, settings, maxBackoff, random), maxBackoff);
      notify(retry + 1, delay, `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
      await wait(delay, userSignal);
      continue;
    }
    if (response.status >= 400 && options.raiseOnStatus !== false) {
      let body: string;
      try {
        body = await response.text();
      } catch (error) {
        if (timeout?.aborted) throw timeoutError(target, method, settings.timeoutSeconds, error);
        throw error;
      }
      throw statusError(response, body, target, method, retryCodes, retry);
    }
    return response;
  }
}

function resolveSettings(options: FetchWithRetryOptions): RetrySettings {
  const explicit = Object.fromEntries(
    (['maxRetries', 'backoffFactor', 'backoffJitter', 'timeoutSeconds', 'respectRetryAfter'] as const)
      .filter((key) => options[key] !== undefined)
      .map((key) => [key, options[key]]),
  ) as Partial<RetrySettings>;
  // The environment is read (and validated) only for settings the caller did not give.
  const needsEnvironment = Object.keys(explicit).length < 5;
  const base = needsEnvironment ? retrySettingsFromEnvironment() : ({} as RetrySettings);
  return validateRetrySettings({ ...base, ...explicit });
}

/** urllib3's schedule: the first retry at once, then `factor * 2^(n-1)` plus up to `jitter` seconds. */
export function backoffSeconds(
  retryNumber: number,
  settings: Pick<RetrySettings, 'backoffFactor' | 'backoffJitter'>,
  maxBackoff = 120,
  random: () => number = Math.random,
): number {
  if (retryNumber <= 1) return 0;
  const value = settings.backoffFactor * 2 ** (retryNumber - 1) + random() * settings.backoffJitter;
  return Math.max(0, Math.min(maxBackoff, value));
}

/** `Retry-After` as seconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/** Sleeps; a caller's abort ends the wait with the caller's own reason, as fetch would. */
async function wait(seconds: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(seconds * 1000, undefined, signal ? { signal } : {});
  } catch (error) {
    throw signal?.aborted ? (signal.reason ?? error) : error;
  }
}

function isReplayable(body: RequestInit['body']): boolean {
  return (
    !(body instanceof ReadableStream) && !(typeof body === 'object' && body !== null && Symbol.asyncIterator in body)
  );
}

function combineSignals(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

function timeoutError(url: string, method: string, seconds: number, cause: unknown): HttpError {
  return new HttpError(
    `API request to ${method} ${url} failed with timeout exception after ${seconds} seconds. To wait longer, set the environment variable BERTH_HTTP_REQUEST_TIMEOUT (seconds; MLFLOW_HTTP_REQUEST_TIMEOUT also works) to a larger value.`,
    { url, isRetryable: false, code: 'DEADLINE_EXCEEDED', cause },
  );
}

function statusError(
  response: Response,
  body: string,
  url: string,
  method: string,
  retryCodes: Set<number>,
  retries: number,
): HttpError {
  const shown = body.length > MAX_BODY_IN_MESSAGE ? `${body.slice(0, MAX_BODY_IN_MESSAGE)}… (truncated)` : body;
  const after = retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
  return new HttpError(
    `API request to ${method} ${url} failed with status ${response.status}${
      response.statusText ? ` ${response.statusText}` : ''
    }${after}. Response text: ${shown}`,
    {
      url,
      statusCode: response.status,
      responseBody: body,
      isRetryable: retryCodes.has(response.status),
      code: errorCodeForResponse(response.status, body),
      ...retryDetail(retries),
    },
  );
}

function retryDetail(retries: number): { details?: Record<string, unknown> } {
  return retries > 0 ? { details: { retries } } : {};
}

/** Node's fetch says only "fetch failed"; the useful part (ECONNREFUSED …) is in `cause`. */
function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const detail = cause?.code ?? cause?.message;
  return detail ? `${message} (${detail})` : message;
}
