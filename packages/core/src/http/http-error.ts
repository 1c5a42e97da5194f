import { BerthError, type BerthErrorOptions } from '../berth-error.js';

const marker = Symbol.for('berth.error.http');

export interface HttpErrorOptions extends BerthErrorOptions {
  url: string;
  statusCode?: number;
  responseBody?: string;
  isRetryable: boolean;
}

/** A failed HTTP exchange: the status and body the server sent, or why no answer came. */
export class HttpError extends BerthError {
  readonly [marker] = true;
  readonly url: string;
  /** Absent when no response arrived (timeout, connection refused). */
  readonly statusCode: number | undefined;
  readonly responseBody: string | undefined;
  /** Whether trying again later could succeed (429, 5xx from the retry set, network errors). */
  readonly isRetryable: boolean;

  constructor(message: string, options: HttpErrorOptions) {
    const { url, statusCode, responseBody, isRetryable, ...rest } = options;
    super(message, rest);
    this.name = 'HttpError';
    this.url = url;
    this.statusCode = statusCode;
    this.responseBody = responseBody;
    this.isRetryable = isRetryable;
  }

  static override isInstance(value: unknown): value is HttpError {
    return BerthError.isInstance(value) && (value as unknown as Record<symbol, unknown>)[marker] === true;
  }
}

/** An MLflow error body (`{"error_code": "…", "message": "…"}`), as a REST API or a scoring server sends it. */
export interface MlflowErrorBody {
  errorCode: string;
  /** Absent when the body carries only a code. */
  message: string | undefined;
}

/**
 * Reads MLflow's error JSON from a response body; undefined when the body is not one (an HTML
 * page, plain text, other JSON). The one parser of these bodies: `HttpError`'s code comes from it.
 */
export function parseMlflowErrorBody(body: string): MlflowErrorBody | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { error_code: code, message } = parsed as { error_code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !/^[A-Z_]+$/.test(code)) return undefined;
  return { errorCode: code, message: typeof message === 'string' ? message : undefined };
}

/** Error code for a status: the server's MLflow error JSON `error_code` when it sent one. */
export function errorCodeForResponse(statusCode: number, body: string): string {
  return (
    parseMlflowErrorBody(body)?.errorCode ??
    STATUS_CODES[statusCode] ??
    (statusCode >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST')
  );
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'RESOURCE_DOES_NOT_EXIST',
  409: 'RESOURCE_CONFLICT',
  429: 'REQUEST_LIMIT_EXCEEDED',
  501: 'NOT_IMPLEMENTED',
  503: 'TEMPORARILY_UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
