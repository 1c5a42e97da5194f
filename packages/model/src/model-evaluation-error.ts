import { BerthError } from '@berth/core';

const marker = Symbol.for('berth.model-evaluation-error');

/** MLflow's message for an error a model raised while predicting. */
export const UNEXPECTED_ERROR_MESSAGE =
  'Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.';

/**
 * An error the model itself raised while predicting (not Berth's checks), wrapped as MLflow
 * answers it: BAD_REQUEST with MLflow's message and the original stack trace. Servers answer it
 * as it is, without their own "Failed to predict data" prefix; they recognise it by this class
 * (`isInstance`, across copies), not by its message.
 */
export class ModelEvaluationError extends BerthError {
  readonly [marker] = true;

  constructor(stackTrace: string, options: { cause?: unknown } = {}) {
    super(UNEXPECTED_ERROR_MESSAGE, {
      code: 'BAD_REQUEST',
      cause: options.cause,
      details: { stack_trace: stackTrace },
    });
    this.name = 'ModelEvaluationError';
  }

  /** Wraps what a model threw; a BerthError is the model's own answer and is passed on instead. */
  static wrap(error: unknown): BerthError {
    if (BerthError.isInstance(error)) return error;
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return new ModelEvaluationError(text, { cause: error });
  }

  static override isInstance(value: unknown): value is ModelEvaluationError {
    return BerthError.isInstance(value) && (value as unknown as Record<symbol, unknown>)[marker] === true;
  }
}
