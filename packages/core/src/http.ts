/**
 * `@berth/core/http`: the retrying HTTP helper remote targets share. A separate entry so that
 * importing `@berth/core` does not load it.
 */
export {
  type FetchWithRetryOptions,
  fetchWithRetry,
  parseRetryAfter,
  type RetryNotice,
} from './http/fetch-with-retry.js';
export { HttpError, type HttpErrorOptions, type MlflowErrorBody, parseMlflowErrorBody } from './http/http-error.js';
export {
  DEFAULT_RETRY_CODES,
  type RetrySettings,
  retrySettingsFromEnvironment,
} from './http/retry-settings.js';
