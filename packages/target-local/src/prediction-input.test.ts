import { describe, expect, it } from 'vitest';
import { encodePrediction, splitPrediction } from './prediction-input.js';

describe('prediction inputs', () => {
  it('encodes JSON bodies with params and CSV as text/csv', () => {
    expect(encodePrediction({ inputs: [[1]] }, { k: 1 })).toEqual({
      body: '{"inputs":[[1]],"params":{"k":1}}',
      contentType: 'application/json',
    });
    expect(encodePrediction({ csv: 'a,b\n1,2\n' }, undefined)).toEqual({ body: 'a,b\n1,2\n', contentType: 'text/csv' });
  });

  it('splits every row-oriented format into chunks, keeping columns and params', () => {
    const split = splitPrediction({ dataframe_split: { columns: ['x'], data: [[1], [2], [3]] }, params: { p: 1 } }, 2);
    expect(split).toEqual([
      { dataframe_split: { columns: ['x'], data: [[1], [2]] }, params: { p: 1 } },
      { dataframe_split: { columns: ['x'], data: [[3]] }, params: { p: 1 } },
    ]);
    expect(splitPrediction({ dataframe_records: [{ x: 1 }, { x: 2 }] }, 1)).toHaveLength(2);
    expect(splitPrediction({ inputs: { a: [1, 2, 3], b: [4, 5, 6] } }, 2)).toEqual([
      { inputs: { a: [1, 2], b: [4, 5] } },
      { inputs: { a: [3], b: [6] } },
    ]);
    expect(splitPrediction({ csv: 'x,y\n1,2\n3,4\n5,6\n' }, 2)).toEqual([
      { csv: 'x,y\n1,2\n3,4\n' },
      { csv: 'x,y\n5,6\n' },
    ]);
  });
});
