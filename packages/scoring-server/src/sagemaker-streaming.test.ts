import type { ModelInput } from '@berth/model';
import { describe, expect, it } from 'vitest';
import { chunkRowsOf, DEFAULT_CHUNK_ROWS, sliceRows, streamTypeOf } from './sagemaker-streaming.js';

describe('streamTypeOf', () => {
  it('finds a JSON Lines type anywhere in Accept, ignoring parameters and case', () => {
    expect(streamTypeOf('application/jsonlines')).toBe('application/jsonlines');
    expect(streamTypeOf('text/csv, Application/X-NDJSON;q=0.9')).toBe('application/x-ndjson');
    expect(streamTypeOf('application/json')).toBeUndefined();
    expect(streamTypeOf(undefined)).toBeUndefined();
  });
});

describe('chunkRowsOf', () => {
  it('reads chunk_rows among other custom attributes; default otherwise; refuses bad values', () => {
    expect(chunkRowsOf(undefined)).toBe(DEFAULT_CHUNK_ROWS);
    expect(chunkRowsOf('trace=abc; chunk_rows=7')).toBe(7);
    expect(chunkRowsOf('trace=abc')).toBe(DEFAULT_CHUNK_ROWS);
    expect(() => chunkRowsOf('chunk_rows=0')).toThrow("chunk_rows must be an integer from 1 to 1000000; got '0'");
    expect(() => chunkRowsOf('chunk_rows=1.5')).toThrow(/got '1.5'/);
  });
});

describe('sliceRows', () => {
  it('cuts columns into consecutive slices that keep dtype and order', () => {
    const input: ModelInput = {
      kind: 'columns',
      rowCount: 5,
      columns: [
        { name: 'a', dtype: 'float32', values: Float32Array.from([1, 2, 3, 4, 5]) },
        { name: 'b', dtype: 'string', values: ['v', 'w', 'x', 'y', 'z'] },
      ],
    };
    const slices = sliceRows(input, 2);
    expect(slices.map((slice) => (slice.kind === 'columns' ? slice.rowCount : -1))).toEqual([2, 2, 1]);
    const last = slices[2] as Extract<ModelInput, { kind: 'columns' }>;
    expect(Array.from(last.columns[0]?.values as Float32Array)).toEqual([5]);
    expect(last.columns[0]?.values).toBeInstanceOf(Float32Array);
    expect(last.columns[1]?.values).toEqual(['z']);
  });

  it('cuts tensors on their first axis; leaves unsliceable or small inputs whole', () => {
    const input: ModelInput = {
      kind: 'tensors',
      tensors: { x: { dtype: 'float64', shape: [3, 2], data: Float64Array.from([1, 2, 3, 4, 5, 6]) } },
    };
    const slices = sliceRows(input, 2) as Array<Extract<ModelInput, { kind: 'tensors' }>>;
    expect(slices.map((slice) => slice.tensors.x?.shape)).toEqual([
      [2, 2],
      [1, 2],
    ]);
    expect(Array.from(slices[1]?.tensors.x?.data as Float64Array)).toEqual([5, 6]);
    const ragged: ModelInput = {
      kind: 'tensors',
      tensors: {
        x: { dtype: 'float64', shape: [3], data: Float64Array.from([1, 2, 3]) },
        y: { dtype: 'float64', shape: [2], data: Float64Array.from([1, 2]) },
      },
    };
    expect(sliceRows(ragged, 1)).toEqual([ragged]);
    expect(sliceRows(input, 3)).toEqual([input]);
  });
});
