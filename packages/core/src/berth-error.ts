/**
 * The error family shared by every Berth package. Codes and HTTP statuses follow MLflow's
 * `ERROR_CODE_TO_HTTP_STATUS`; the CLI maps codes to exit codes through `exitCodeFor`.
 *
 * Checks go through `BerthError.isInstance`, never `instanceof`: a target package may bring its
 * own copy of core, and a class from one copy is not an instance of the other's.
 */

const marker = Symbol.for('berth.error');

export const ERROR_CODES = {
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  ABORTED: 409,
  RESOURCE_CONFLICT: 409,
  ALREADY_EXISTS: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** HTTP status for an error code; unknown codes are 500, as in MLflow. */
export function httpStatusFor(code: string): number {
  return (ERROR_CODES as Record<string, number>)[code] ?? 500;
}

/**
 * Process exit codes of the `berth` CLI. 2 is reserved for usage errors (wrong flags), as in
 * commander and click; the rest group the error codes by what a script would do next.
 */
export const EXIT_CODES = {
  ok: 0,
  error: 1,
  usage: 2,
  invalidInput: 3,
  notFound: 4,
  conflict: 5,
  unavailable: 6,
  notImplemented: 7,
  unauthorized: 8,
  timeout: 9,
} as const;

export function exitCodeFor(code: string): number {
  switch (code) {
    case 'BAD_REQUEST':
    case 'INVALID_PARAMETER_VALUE':
      return EXIT_CODES.invalidInput;
    case 'RESOURCE_DOES_NOT_EXIST':
    case 'NOT_FOUND':
    case 'ENDPOINT_NOT_FOUND':
      return EXIT_CODES.notFound;
    case 'RESOURCE_ALREADY_EXISTS':
    case 'ALREADY_EXISTS':
    case 'RESOURCE_CONFLICT':
    case 'ABORTED':
      return EXIT_CODES.conflict;
    case 'TEMPORARILY_UNAVAILABLE':
    case 'REQUEST_LIMIT_EXCEEDED':
    case 'RESOURCE_EXHAUSTED':
      return EXIT_CODES.unavailable;
    case 'NOT_IMPLEMENTED':
      return EXIT_CODES.notImplemented;
    case 'UNAUTHENTICATED':
    case 'CUSTOMER_UNAUTHORIZED':
    case 'PERMISSION_DENIED':
      return EXIT_CODES.unauthorized;
    case 'DEADLINE_EXCEEDED':
      return EXIT_CODES.timeout;
    default:
      return EXIT_CODES.error;
  }
}

export interface BerthErrorOptions {
  code?: ErrorCode | (string & {});
  /** What the user can do next; the CLI prints each on its own line. */
  suggestions?: string[];
  cause?: unknown;
  /** Extra machine-readable detail, e.g. a server stack trace. */
  details?: Record<string, unknown>;
}

export class BerthError extends Error {
  readonly [marker] = true;
  readonly code: string;
  readonly suggestions: string[];
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.code = options.code ?? 'INTERNAL_ERROR';
    this.suggestions = options.suggestions ?? [];
    this.details = options.details;
  }

  get httpStatus(): number {
    return httpStatusFor(this.code);
  }

  get exitCode(): number {
    return exitCodeFor(this.code);
  }

  /** True for a BerthError from any copy of @berth/core. */
  static isInstance(value: unknown): value is BerthError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }

  /** MLflow's error JSON: `{error_code, message}`. */
  toJSON(): { error_code: string; message: string } & Record<string, unknown> {
    return { error_code: this.code, message: this.message, ...(this.details ?? {}) };
  }

  static invalidParameterValue(message: string, options: Omit<BerthErrorOptions, 'code'> = {}): BerthError {
    return new BerthError(message, { ...options, code: 'INVALID_PARAMETER_VALUE' });
  }
}
