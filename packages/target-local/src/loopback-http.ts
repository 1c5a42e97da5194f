import type { FetchWithRetryOptions } from '@berth/core/http';

/**
 * Requests to the local target's own processes (scoring servers, routers), all through core's
 * `fetchWithRetry` — the project's one HTTP client and retry policy. Control calls are not
 * retried and carry their own deadline; predictions use the policy as configured
 * (`BERTH_HTTP_REQUEST_*` / `MLFLOW_HTTP_REQUEST_*`). Loaded on first use: listing never needs it.
 */

export interface LoopbackAnswer {
  status: number;
  text: string;
}

/** One attempt, answered within `timeoutMs`; a status of 400 or above is returned, not thrown. */
export function controlRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<LoopbackAnswer> {
  return loopbackRequest(url, init, { maxRetries: 0, timeoutSeconds: timeoutMs / 1000 });
}

/**
 * Predictions against this machine's servers: a restarting server is back within a second or
 * two, and a 500 is the model's own answer, so by default they retry connection failures and
 * 429/502/503 three times over about 3 s — unless the environment sets MLflow's retry variables,
 * which then apply as they do for every other target.
 */
export function predictionPolicy(environment: NodeJS.ProcessEnv = process.env): FetchWithRetryOptions {
  const set = (name: string) => Boolean(environment[`BERTH_${name}`] || environment[`MLFLOW_${name}`]);
  return {
    retryCodes: [429, 502, 503],
    ...(set('HTTP_REQUEST_MAX_RETRIES') ? {} : { maxRetries: 3 }),
    ...(set('HTTP_REQUEST_BACKOFF_FACTOR') ? {} : { backoffFactor: 0.5 }),
    ...(set('HTTP_REQUEST_BACKOFF_JITTER') ? {} : { backoffJitter: 0.1 }),
  };
}

/** A request under core's retry policy (from the environment unless `policy` says otherwise). */
export async function loopbackRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  policy: FetchWithRetryOptions = {},
): Promise<LoopbackAnswer> {
  const { fetchWithRetry } = await import('@berth/core/http');
  const response = await fetchWithRetry(url, init, { ...policy, raiseOnStatus: false });
  return { status: response.status, text: await response.text() };
}

/** `{error_code, message}` of an MLflow-style error body; anything else is shown as (at most 2,000 characters of) text. */
export function errorFromBody(text: string): { code: string | undefined; message: string } {
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof parsed.message === 'string') {
      return { code: typeof parsed.error_code === 'string' ? parsed.error_code : undefined, message: parsed.message };
    }
  } catch {
    // not JSON
  }
  return { code: undefined, message: text.trim().slice(0, 2000) };
}
