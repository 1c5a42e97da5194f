const marker = Symbol.for('berth.usage-error');

/**
 * A malformed command line (wrong or missing flags). Berth's commands (`berth`, `berth-sagemaker`)
 * exit with 2 for it, like click's and commander's usage errors, so scripts can tell "you called
 * me wrong" from "the target failed". Not a BerthError: it has no HTTP status and never crosses
 * a server.
 */
export class UsageError extends Error {
  readonly [marker] = true;
  readonly exitCode = 2;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }

  /** True for a UsageError from any copy of @berth/core. */
  static isInstance(value: unknown): value is UsageError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
