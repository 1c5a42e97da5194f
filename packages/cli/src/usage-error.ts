/**
 * A malformed command line (wrong or missing flags). Exits with 2, like click's and commander's
 * usage errors, so scripts can tell "you called me wrong" from "the target failed".
 */
export class UsageError extends Error {
  readonly exitCode = 2;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }

  static isInstance(value: unknown): value is UsageError {
    return value instanceof UsageError;
  }
}
