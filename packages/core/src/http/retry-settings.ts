import { BerthError } from '../berth-error.js';

/** MLflow's `MLFLOW_DEPLOYMENT_CLIENT_REQUEST_RETRY_CODES`: timeouts (504) are deliberately not retried. */
export const DEFAULT_RETRY_CODES: readonly number[] = [429, 500, 502, 503];

export interface RetrySettings {
  /** Retries after the first attempt, 0..10. Env `BERTH_HTTP_REQUEST_MAX_RETRIES`, default 7. */
  maxRetries: number;
  /** Seconds; the n-th retry waits `factor * 2^(n-1)` (the first retry goes at once). Env `…_BACKOFF_FACTOR`, default 2. */
  backoffFactor: number;
  /** Up to this many random seconds added to each backoff. Env `…_BACKOFF_JITTER`, default 1.0. */
  backoffJitter: number;
  /** Per attempt, seconds; 0 turns the timeout off. Env `BERTH_HTTP_REQUEST_TIMEOUT`, default 120. */
  timeoutSeconds: number;
  /** Wait as the server's `Retry-After` says. Env `BERTH_HTTP_RESPECT_RETRY_AFTER_HEADER`, default true. */
  respectRetryAfter: boolean;
}

/** Each setting from `BERTH_<NAME>`, else MLflow's `MLFLOW_<NAME>`, else MLflow's default; validated. */
export function retrySettingsFromEnvironment(environment: NodeJS.ProcessEnv = process.env): RetrySettings {
  const read = (name: string) => {
    const berth = environment[`BERTH_${name}`];
    if (berth !== undefined && berth !== '') return { variable: `BERTH_${name}`, value: berth };
    const mlflow = environment[`MLFLOW_${name}`];
    if (mlflow !== undefined && mlflow !== '') return { variable: `MLFLOW_${name}`, value: mlflow };
    return undefined;
  };
  const number = (name: string, fallback: number) => {
    const found = read(name);
    if (!found) return fallback;
    const value = Number(found.value);
    return Number.isFinite(value) ? value : invalid(found.variable, found.value, 'a number');
  };
  const retryAfter = read('HTTP_RESPECT_RETRY_AFTER_HEADER');
  const settings = {
    maxRetries: number('HTTP_REQUEST_MAX_RETRIES', 7),
    backoffFactor: number('HTTP_REQUEST_BACKOFF_FACTOR', 2),
    backoffJitter: number('HTTP_REQUEST_BACKOFF_JITTER', 1),
    timeoutSeconds: number('HTTP_REQUEST_TIMEOUT', 120),
    respectRetryAfter: retryAfter ? !/^(false|0|no)$/i.test(retryAfter.value) : true,
  };
  return validateRetrySettings(settings, (key) => ENVIRONMENT_NAMES[key]);
}

const ENVIRONMENT_NAMES: Record<keyof RetrySettings, string> = {
  maxRetries: 'BERTH_HTTP_REQUEST_MAX_RETRIES',
  backoffFactor: 'BERTH_HTTP_REQUEST_BACKOFF_FACTOR',
  backoffJitter: 'BERTH_HTTP_REQUEST_BACKOFF_JITTER',
  timeoutSeconds: 'BERTH_HTTP_REQUEST_TIMEOUT',
  respectRetryAfter: 'BERTH_HTTP_RESPECT_RETRY_AFTER_HEADER',
};

/** Rejects values MLflow rejects (retries 0..10, backoff factor 0..<120), instead of silently capping. */
export function validateRetrySettings(
  settings: RetrySettings,
  nameOf: (key: keyof RetrySettings) => string = (key) => key,
): RetrySettings {
  const { maxRetries, backoffFactor, backoffJitter, timeoutSeconds } = settings;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10) {
    invalid(nameOf('maxRetries'), maxRetries, 'an integer from 0 to 10');
  }
  if (!(backoffFactor >= 0 && backoffFactor < 120))
    invalid(nameOf('backoffFactor'), backoffFactor, 'from 0 to below 120');
  if (!(backoffJitter >= 0 && Number.isFinite(backoffJitter)))
    invalid(nameOf('backoffJitter'), backoffJitter, '0 or more');
  if (!(timeoutSeconds >= 0 && Number.isFinite(timeoutSeconds))) {
    invalid(nameOf('timeoutSeconds'), timeoutSeconds, 'a number of seconds, 0 or more');
  }
  return settings;
}

function invalid(name: string, value: unknown, expected: string): never {
  throw BerthError.invalidParameterValue(`Invalid ${name}: ${JSON.stringify(value)}; it must be ${expected}.`);
}
