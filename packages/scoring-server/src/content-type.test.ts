import { describe, expect, it } from 'vitest';
import { negotiateContentType } from './content-type.js';

describe('negotiateContentType (MLflow §4.2)', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=UTF-8', 'json'],
    ['application/json;charset=utf-8', 'json'],
    ['Application/JSON', 'json'],
    ['text/csv', 'csv'],
    ['text/csv; charset=utf-8', 'csv'],
  ])('accepts %s as %s', (header, format) => {
    expect(negotiateContentType(header)).toEqual({ ok: true, format });
  });

  it('refuses a charset other than UTF-8', () => {
    expect(negotiateContentType('application/json; charset=latin-1')).toEqual({
      ok: false,
      status: 415,
      message: 'The scoring server only supports UTF-8',
    });
  });

  it('refuses unknown parameters, naming them (MLflow 1.x format=pandas-split requests)', () => {
    const decision = negotiateContentType('application/json; format=pandas-split');
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.status).toBe(415);
    expect(decision.message).toMatch(
      /^Unrecognized content type parameters: \{'format'\}\. IMPORTANT: The MLflow Model scoring protocol has changed/,
    );
  });

  it('refuses other types with the list of supported ones', () => {
    const decision = negotiateContentType('text/plain');
    expect(decision).toEqual({
      ok: false,
      status: 415,
      message:
        "This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got 'text/plain'.",
    });
  });

  it('answers a missing header with 415 (MLflow crashes with 500)', () => {
    for (const header of [undefined, '', '  ']) {
      const decision = negotiateContentType(header);
      expect(decision.ok).toBe(false);
      if (!decision.ok) expect(decision.status).toBe(415);
    }
  });
});
