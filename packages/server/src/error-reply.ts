import { BerthError, httpStatusFor } from '@berth/core';

export interface ErrorBody {
  error_code: string;
  message: string;
  suggestions?: string[];
  [key: string]: unknown;
}

export interface ErrorReply {
  status: number;
  body: ErrorBody;
}

/**
 * Berth's error JSON for anything a handler or a target threw: a BerthError keeps its code,
 * suggestions and details; anything else is INTERNAL_ERROR with its message. Never a stack trace.
 * `status` overrides the mapped status for transport-level refusals (413, 415).
 */
export function errorReply(error: unknown, status?: number): ErrorReply {
  if (BerthError.isInstance(error)) {
    const body: ErrorBody = { ...(error.details ?? {}), error_code: error.code, message: error.message };
    // A server-side stack in details would be exactly what this function promises never to send.
    delete body.stack_trace;
    delete body.stack;
    if (error.suggestions.length > 0) body.suggestions = [...error.suggestions];
    return { status: status ?? httpStatusFor(error.code), body };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: status ?? 500,
    body: { error_code: 'INTERNAL_ERROR', message: message || 'The target failed without a message.' },
  };
}

export function errorJson(code: string, message: string, suggestions?: string[]): ErrorBody {
  return suggestions && suggestions.length > 0
    ? { error_code: code, message, suggestions }
    : { error_code: code, message };
}
