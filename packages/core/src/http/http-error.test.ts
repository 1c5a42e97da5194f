import { describe, expect, it } from 'vitest';
import { errorCodeForResponse, parseMlflowErrorBody } from './http-error.js';

describe('parseMlflowErrorBody', () => {
  it("reads MLflow's error JSON, with or without a message", () => {
    expect(
      parseMlflowErrorBody('{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run with id=x not found"}'),
    ).toEqual({ errorCode: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=x not found' });
    expect(parseMlflowErrorBody('{"error_code":"INTERNAL_ERROR"}')).toEqual({
      errorCode: 'INTERNAL_ERROR',
      message: undefined,
    });
  });

  it.each([
    '<!doctype html><title>404 Not Found</title>',
    '',
    'null',
    '[1]',
    '{"message":"no code"}',
    '{"error_code":"not a code","message":"x"}',
    '{"error_code":7}',
  ])('is undefined for %j', (body) => {
    expect(parseMlflowErrorBody(body)).toBeUndefined();
  });

  it('gives HttpError its code, else the status decides', () => {
    expect(errorCodeForResponse(400, '{"error_code":"INVALID_PARAMETER_VALUE","message":"m"}')).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect(errorCodeForResponse(404, '<html></html>')).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(errorCodeForResponse(418, 'teapot')).toBe('BAD_REQUEST');
    expect(errorCodeForResponse(599, '')).toBe('INTERNAL_ERROR');
  });
});
