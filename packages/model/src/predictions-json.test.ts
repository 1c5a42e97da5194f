import { describe, expect, it } from 'vitest';
import type { ModelOutput, Tensor } from './model-data.js';
import { predictionsToJSON } from './predictions-json.js';

const records = (tensors: Record<string, Tensor>): ModelOutput => ({
  kind: 'tensors',
  orientation: 'records',
  tensors,
});

describe('predictionsToJSON', () => {
  it('writes one record per row with MLflow scalar rules and null for NaN', () => {
    const output = records({
      p: { dtype: 'float64', shape: [2, 5], data: new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, Number.NaN]) },
      one: { dtype: 'float32', shape: [2, 1], data: new Float32Array([0.5, 1.5]) },
      flag: { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) },
      name: { dtype: 'string', shape: [2], data: ['a', 'b'] },
      big: { dtype: 'int64', shape: [2], data: new BigInt64Array([2n ** 60n, -1n]) },
      cube: { dtype: 'int32', shape: [2, 1, 2], data: new Int32Array([1, 2, 3, 4]) },
    });
    expect(JSON.parse(predictionsToJSON(output))).toEqual({
      predictions: [
        { p: [1, 2, 3, 4, 5], one: 0.5, flag: true, name: 'a', big: '1152921504606846976', cube: [[1, 2]] },
        { p: [6, 7, 8, 9, null], one: 1.5, flag: false, name: 'b', big: -1, cube: [[3, 4]] },
      ],
    });
  });

  it('keeps awkward output names as plain keys (quotes, __proto__, many outputs)', () => {
    const column = (value: number): Tensor => ({ dtype: 'float64', shape: [1], data: new Float64Array([value]) });
    const awkward = records(
      Object.fromEntries([
        ['a"b\\c', column(1)],
        ['__proto__', column(2)],
        ['constructor', column(3)],
      ]),
    );
    expect(JSON.parse(predictionsToJSON(awkward)).predictions).toEqual([
      { 'a"b\\c': 1, constructor: 3, ['__proto__']: 2 },
    ]);
    const wide = records(Object.fromEntries(Array.from({ length: 70 }, (_, index) => [`o${index}`, column(index)])));
    expect(Object.keys(JSON.parse(predictionsToJSON(wide)).predictions[0])).toHaveLength(70);
  });

  it('answers tensor requests as a dict of nested lists, and js values as given', () => {
    const output: ModelOutput = {
      kind: 'tensors',
      orientation: 'tensors',
      tensors: { y: { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } },
    };
    expect(predictionsToJSON(output)).toBe('{"predictions":{"y":[[1,2],[3,4]]}}');
    expect(
      predictionsToJSON({ kind: 'json', value: { text: 'hi', ids: new Int32Array([1, 2]) } }, { wrap: false }),
    ).toBe('{"text":"hi","ids":[1,2]}');
  });
});
