import { describe, expect, it } from 'vitest';
import { concatInputs, inputRowCount, splitOutput } from './batching.js';
import type { ModelInput, ModelOutput } from './model-data.js';
import { predictionsToJSON } from './predictions-json.js';

const frame = (a: number[], b: string[]): ModelInput => ({
  kind: 'columns',
  rowCount: a.length,
  columns: [
    { name: 'a', dtype: 'float64', values: new Float64Array(a) },
    { name: 'b', dtype: 'string', values: b },
  ],
});

describe('concatInputs / splitOutput (dynamic batching)', () => {
  it('merges frames row-wise and splits the answer back per request', () => {
    const merged = concatInputs([frame([1, 2], ['x', 'y']), frame([3], ['z'])]);
    expect(merged).toEqual({
      kind: 'columns',
      rowCount: 3,
      columns: [
        { name: 'a', dtype: 'float64', values: new Float64Array([1, 2, 3]) },
        { name: 'b', dtype: 'string', values: ['x', 'y', 'z'] },
      ],
    });
    const output: ModelOutput = {
      kind: 'tensors',
      orientation: 'records',
      tensors: {
        p: { dtype: 'float32', shape: [3, 2], data: new Float32Array([0.5, 0.5, 0.25, 0.75, 1, 0]) },
        label: { dtype: 'int64', shape: [3], data: new BigInt64Array([0n, 1n, 0n]) },
      },
    };
    const [first, second] = splitOutput(output, [2, 1]);
    expect(JSON.parse(predictionsToJSON(first as ModelOutput))).toEqual({
      predictions: [
        { p: [0.5, 0.5], label: 0 },
        { p: [0.25, 0.75], label: 1 },
      ],
    });
    expect(JSON.parse(predictionsToJSON(second as ModelOutput))).toEqual({ predictions: [{ p: [1, 0], label: 0 }] });
  });

  it('merges tensors along the first axis and counts rows', () => {
    const a: ModelInput = {
      kind: 'tensors',
      tensors: { x: { dtype: 'float32', shape: [1, 2], data: new Float32Array([1, 2]) } },
    };
    const b: ModelInput = {
      kind: 'tensors',
      tensors: { x: { dtype: 'float32', shape: [2, 2], data: new Float32Array([3, 4, 5, 6]) } },
    };
    const merged = concatInputs([a, b]);
    expect(merged).toEqual({
      kind: 'tensors',
      tensors: { x: { dtype: 'float32', shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) } },
    });
    expect([a, b, merged].map(inputRowCount)).toEqual([1, 2, 3]);
  });

  it('refuses to merge different columns, dtypes or kinds', () => {
    expect(() =>
      concatInputs([
        frame([1], ['x']),
        { kind: 'columns', rowCount: 1, columns: [{ name: 'a', values: new Float64Array([1]) }] },
      ]),
    ).toThrow('different columns');
    const int = {
      kind: 'tensors',
      tensors: { x: { dtype: 'int64', shape: [1], data: new BigInt64Array([1n]) } },
    } as ModelInput;
    const float = {
      kind: 'tensors',
      tensors: { x: { dtype: 'float32', shape: [1], data: new Float32Array([1]) } },
    } as ModelInput;
    expect(() => concatInputs([int, float])).toThrow('differs in dtype or shape');
    expect(() => concatInputs([int, frame([1], ['x'])])).toThrow('mixed frame and tensor inputs');
  });

  it('splits list answers of js models and refuses a wrong row count', () => {
    expect(splitOutput({ kind: 'json', value: [1, 2, 3] }, [1, 2])).toEqual([
      { kind: 'json', value: [1] },
      { kind: 'json', value: [2, 3] },
    ]);
    expect(() => splitOutput({ kind: 'json', value: [1] }, [1, 2])).toThrow('expected a list of 3 rows');
  });
});

describe('worker-thread transfer', () => {
  it('inputs and outputs survive structuredClone with their typed arrays', () => {
    const input = frame([1.5, 2], ['x', 'y']);
    const clone = structuredClone(input);
    expect(clone).toEqual(input);
    expect(clone.kind === 'columns' && clone.columns[0]?.values).toBeInstanceOf(Float64Array);
    const output: ModelOutput = {
      kind: 'tensors',
      orientation: 'records',
      tensors: { label: { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 2n]) } },
    };
    expect(predictionsToJSON(structuredClone(output))).toBe('{"predictions":[{"label":1},{"label":2}]}');
  });
});
