import { describe, expect, it } from 'vitest';
import { BerthError, ERROR_CODES, EXIT_CODES, exitCodeFor, httpStatusFor } from './berth-error.js';
import { HttpError } from './http/http-error.js';
import { TargetNotFoundError } from './target-registry.js';

describe('BerthError', () => {
  it('maps MLflow’s codes to HTTP statuses; unknown codes are 500', () => {
    expect(httpStatusFor('INVALID_PARAMETER_VALUE')).toBe(400);
    expect(httpStatusFor('RESOURCE_ALREADY_EXISTS')).toBe(400);
    expect(httpStatusFor('RESOURCE_DOES_NOT_EXIST')).toBe(404);
    expect(httpStatusFor('RESOURCE_CONFLICT')).toBe(409);
    expect(httpStatusFor('REQUEST_LIMIT_EXCEEDED')).toBe(429);
    expect(httpStatusFor('CANCELLED')).toBe(499);
    expect(httpStatusFor('NOT_IMPLEMENTED')).toBe(501);
    expect(httpStatusFor('TEMPORARILY_UNAVAILABLE')).toBe(503);
    expect(httpStatusFor('DEADLINE_EXCEEDED')).toBe(504);
    expect(httpStatusFor('SOMETHING_NEW')).toBe(500);
    expect(Object.keys(ERROR_CODES)).toHaveLength(21);
  });

  it('maps codes to CLI exit codes', () => {
    expect(exitCodeFor('INVALID_PARAMETER_VALUE')).toBe(EXIT_CODES.invalidInput);
    expect(exitCodeFor('RESOURCE_DOES_NOT_EXIST')).toBe(EXIT_CODES.notFound);
    expect(exitCodeFor('RESOURCE_ALREADY_EXISTS')).toBe(EXIT_CODES.conflict);
    expect(exitCodeFor('NOT_IMPLEMENTED')).toBe(EXIT_CODES.notImplemented);
    expect(exitCodeFor('INTERNAL_ERROR')).toBe(EXIT_CODES.error);
    expect(new BerthError('x', { code: 'DEADLINE_EXCEEDED' }).exitCode).toBe(EXIT_CODES.timeout);
  });

  it('defaults to INTERNAL_ERROR and serialises as MLflow’s error JSON', () => {
    const error = new BerthError('went wrong', { details: { stack_trace: 'at x' }, suggestions: ['retry'] });
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.httpStatus).toBe(500);
    expect(error.toJSON()).toEqual({ error_code: 'INTERNAL_ERROR', message: 'went wrong', stack_trace: 'at x' });
    expect(error.suggestions).toEqual(['retry']);
    const cause = new Error('root');
    expect(BerthError.invalidParameterValue('bad', { cause }).cause).toBe(cause);
  });

  it('recognises errors from another copy of core by the Symbol.for marker, not instanceof', () => {
    // What a second copy of @berth/core's BerthError looks like from here: an object with the marker.
    const fromOtherCopy = Object.assign(new Error('from the other copy'), {
      [Symbol.for('berth.error')]: true,
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    expect(fromOtherCopy instanceof BerthError).toBe(false);
    expect(BerthError.isInstance(fromOtherCopy)).toBe(true);
    expect(BerthError.isInstance({ [Symbol.for('berth.error')]: true })).toBe(true);
    expect(BerthError.isInstance(new Error('plain'))).toBe(false);
    expect(BerthError.isInstance({ code: 'INTERNAL_ERROR', message: 'look-alike' })).toBe(false);
    expect(BerthError.isInstance(null)).toBe(false);
    expect(BerthError.isInstance('BerthError')).toBe(false);
  });

  it('tells its subclasses apart across copies too', () => {
    const notFound = new TargetNotFoundError('x:/y', 'x', []);
    const http = new HttpError('boom', { url: 'http://127.0.0.1/', isRetryable: false, statusCode: 500 });
    expect(TargetNotFoundError.isInstance(notFound)).toBe(true);
    expect(TargetNotFoundError.isInstance(http)).toBe(false);
    expect(HttpError.isInstance(http)).toBe(true);
    expect(HttpError.isInstance(notFound)).toBe(false);
    expect(BerthError.isInstance(notFound) && BerthError.isInstance(http)).toBe(true);
    const httpFromOtherCopy = { [Symbol.for('berth.error')]: true, [Symbol.for('berth.error.http')]: true };
    expect(HttpError.isInstance(httpFromOtherCopy)).toBe(true);
  });
});
