import { describe, expect, it } from 'vitest';
import { BerthError } from './berth-error.js';
import { type PredictionsFormat, PredictionsResponse } from './predictions-response.js';

describe('PredictionsResponse', () => {
  it('parses a scoring-server answer and round-trips it', () => {
    const response = PredictionsResponse.fromJSON('{"predictions": [1, 2, 3], "model": "m"}');
    expect(response.predictions).toEqual([1, 2, 3]);
    expect(response.toJSON()).toEqual({ predictions: [1, 2, 3], model: 'm' });
    expect(JSON.stringify(response)).toBe('{"predictions":[1,2,3],"model":"m"}');
    expect(String(response)).toBe('{"predictions":[1,2,3],"model":"m"}');
  });

  it('also takes an already-parsed body, with the same check', () => {
    expect(PredictionsResponse.fromJSON({ predictions: [4] }).predictions).toEqual([4]);
    expect(() => PredictionsResponse.fromJSON({ outputs: [4] })).toThrow(
      "must be a dictionary containing a 'predictions' field",
    );
  });

  it('rejects invalid JSON with MLflow’s message', () => {
    const error = (() => {
      try {
        PredictionsResponse.fromJSON('{"predictions": [1,');
      } catch (caught) {
        return caught as BerthError;
      }
    })();
    expect(BerthError.isInstance(error)).toBe(true);
    expect(error?.message).toBe('Predictions response contents are not valid JSON');
  });

  it.each(['[1, 2]', '{"outputs": [1]}', '"text"', 'null'])('rejects %s without a predictions field', (json) => {
    expect(() => PredictionsResponse.fromJSON(json)).toThrow(
      `Invalid response. Predictions response contents must be a dictionary containing a 'predictions' field. Instead, received: ${JSON.stringify(JSON.parse(json))}`,
    );
  });

  it('gives records, columns and arrays for a list of scalars', () => {
    const response = new PredictionsResponse({ predictions: [0, 1, 1] });
    expect(response.getPredictions()).toEqual([{ '0': 0 }, { '0': 1 }, { '0': 1 }]);
    expect(response.getPredictions('columns')).toEqual({ '0': [0, 1, 1] });
    expect(response.getPredictions('arrays')).toEqual([0, 1, 1]);
  });

  it('gives records, columns and arrays for records', () => {
    const response = new PredictionsResponse({
      predictions: [
        { label: 0, probability: 0.9 },
        { label: 2, probability: 0.6 },
      ],
    });
    expect(response.getPredictions('records')).toEqual([
      { label: 0, probability: 0.9 },
      { label: 2, probability: 0.6 },
    ]);
    expect(response.getPredictions('columns')).toEqual({ label: [0, 2], probability: [0.9, 0.6] });
    expect(response.getPredictions('arrays')).toEqual([
      [0, 0.9],
      [2, 0.6],
    ]);
    expect(response.getPredictions('dataframe')).toEqual(response.getPredictions('records'));
  });

  it('reads a dict of columns (scalars repeated) and a dict of scalars (one row), as pandas does', () => {
    expect(new PredictionsResponse({ predictions: { a: [1, 2], b: 'x' } }).getPredictions()).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'x' },
    ]);
    expect(new PredictionsResponse({ predictions: { a: 1, b: 'x' } }).getPredictions('columns')).toEqual({
      a: [1],
      b: ['x'],
    });
    expect(new PredictionsResponse({ predictions: 'one answer' }).getPredictions()).toEqual([{ '0': 'one answer' }]);
  });

  it('keeps nested arrays as arrays and names their columns by position', () => {
    const response = new PredictionsResponse({
      predictions: [
        [0.1, 0.9],
        [0.8, 0.2],
      ],
    });
    expect(response.getPredictions('ndarray')).toEqual([
      [0.1, 0.9],
      [0.8, 0.2],
    ]);
    expect(response.getPredictions('columns')).toEqual({ '0': [0.1, 0.8], '1': [0.9, 0.2] });
  });

  it('rejects an unknown format with INVALID_PARAMETER_VALUE', () => {
    const response = new PredictionsResponse({ predictions: [1] });
    let error: unknown;
    try {
      response.getPredictions('parquet' as PredictionsFormat);
    } catch (caught) {
      error = caught;
    }
    expect((error as BerthError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((error as BerthError).message).toBe("Unrecognized predictions format: 'parquet'");
  });
});
