import { BerthError } from '@berth/core';
import { describeInput, ModelEvaluationError, type ModelInput, UNEXPECTED_ERROR_MESSAGE } from '@berth/model';
import { RunnerFailure } from './model-runner.js';

/** MLflow's error JSON. */
export interface MlflowErrorBody {
  error_code: string;
  message: string;
  stack_trace?: string;
}

export interface ErrorReply {
  status: number;
  body: MlflowErrorBody;
}

/** The request timed out (MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT / --timeout). */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
  constructor(readonly seconds: number) {
    super(`Request processing time exceeded limit (${seconds} s)`);
  }
}

/**
 * The JSON of an error answer. `stack_trace` (MLflow sends it, with the server's file paths) is
 * left out unless the server runs with `debug` (`--debug` / `BERTH_DEBUG=1`); `error_code` and
 * `message` are the same either way.
 */
export function errorReplyJson(error: ErrorReply, stackTraces: boolean): string {
  if (stackTraces || error.body.stack_trace === undefined) return JSON.stringify(error.body);
  const { stack_trace: _omitted, ...body } = error.body;
  return JSON.stringify(body);
}

function stackOf(error: unknown): string {
  return error instanceof Error && error.stack ? error.stack : String(error);
}

/** Errors from parsing the request body: MLflow answers them with their code and a stack trace. */
export function parseErrorReply(error: unknown): ErrorReply {
  if (BerthError.isInstance(error)) {
    const body = error.toJSON() as MlflowErrorBody;
    return { status: error.httpStatus, body: { ...body, stack_trace: body.stack_trace ?? stackOf(error) } };
  }
  return {
    status: 400,
    body: {
      error_code: 'BAD_REQUEST',
      message: `Invalid input. ${(error as Error)?.message ?? error}`,
      stack_trace: stackOf(error),
    },
  };
}

/**
 * Errors from predict, with MLflow's rules: a BerthError keeps its code (schema errors are
 * INVALID_PARAMETER_VALUE → 400) and gets the "Failed to predict data" prefix; anything else the
 * model throws is a 400 BAD_REQUEST with a stack trace; a timeout is 504; a broken pool is 500.
 */
export function predictErrorReply(error: unknown, input: ModelInput | string): ErrorReply {
  if (error instanceof DeadlineExceeded) {
    return { status: 504, body: { error_code: 'DEADLINE_EXCEEDED', message: error.message } };
  }
  if (error instanceof RunnerFailure) {
    return { status: 500, body: { error_code: 'INTERNAL_ERROR', message: error.message } };
  }
  // What the model itself raised, already wrapped by its flavor: answered as MLflow answers a
  // foreign error, with no prefix.
  if (ModelEvaluationError.isInstance(error)) {
    const body = error.toJSON() as MlflowErrorBody;
    return { status: error.httpStatus, body: { ...body, stack_trace: body.stack_trace ?? stackOf(error) } };
  }
  if (BerthError.isInstance(error)) {
    const body = error.toJSON() as MlflowErrorBody;
    return {
      status: error.httpStatus,
      body: {
        ...body,
        message: `Failed to predict data '${typeof input === 'string' ? input : describeInput(input)}'. \nError: ${error.message}`,
      },
    };
  }
  return {
    status: 400,
    body: { error_code: 'BAD_REQUEST', message: UNEXPECTED_ERROR_MESSAGE, stack_trace: stackOf(error) },
  };
}
