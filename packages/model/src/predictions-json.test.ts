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

  it('the compiled plan for numeric layouts answers as the generic path does, layout after layout', () => {
    // Numeric outputs of [N] / [N, 1] / [N, k] are written by a plan compiled per layout; the
    // expectations are what the generic path (and MLflow) give.
    const layouts: Record<string, Tensor>[] = [
      {
        probabilities: { dtype: 'float32', shape: [2, 3], data: new Float32Array([0.25, 0.5, 0.25, 1, 0, Number.NaN]) },
        label: { dtype: 'int64', shape: [2], data: new BigInt64Array([2n, 2n ** 62n]) },
      },
      { y: { dtype: 'float64', shape: [3, 1], data: new Float64Array([1.5, -0, Number.POSITIVE_INFINITY]) } },
      {
        a: { dtype: 'int32', shape: [2], data: new Int32Array([-7, 7]) },
        b: { dtype: 'uint8', shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) },
        'we"ird': { dtype: 'uint64', shape: [2, 1], data: new BigUint64Array([5n, 2n ** 64n - 1n]) },
      },
    ];
    const expected = [
      [
        { probabilities: [0.25, 0.5, 0.25], label: 2 },
        { probabilities: [1, 0, null], label: '4611686018427387904' },
      ],
      [{ y: 1.5 }, { y: 0 }, { y: null }],
      [
        { a: -7, b: [1, 2], 'we"ird': 5 },
        { a: 7, b: [3, 4], 'we"ird': '18446744073709551615' },
      ],
    ];
    // Twice round, so every layout is served by a fresh plan and by a plan compiled before.
    for (let round = 0; round < 2; round++) {
      layouts.forEach((tensors, index) => {
        expect(JSON.parse(predictionsToJSON(records(tensors))).predictions).toEqual(expected[index]);
      });
    }
    // Outputs of different row counts are flattened by the generic path (one element per row).
    const uneven = records({
      p: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) },
      q: { dtype: 'float32', shape: [1, 2], data: new Float32Array([3, 4]) },
    });
    expect(JSON.parse(predictionsToJSON(uneven)).predictions).toEqual([
      { p: 1, q: 3 },
      { p: 2, q: 4 },
    ]);
  });

  it('a plan is reused only for the same layout: each change from the last call is noticed', () => {
    const probabilities = (width: number): Tensor => ({
      dtype: 'float32',
      shape: [2, width],
      data: new Float32Array(Array.from({ length: 2 * width }, (_, index) => index)),
    });
    const label: Tensor = { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 2n]) };
    const steps: Array<[Record<string, Tensor>, unknown[]]> = [
      [
        { probabilities: probabilities(3), label },
        [
          { probabilities: [0, 1, 2], label: 1 },
          { probabilities: [3, 4, 5], label: 2 },
        ],
      ],
      // Same names, another width.
      [
        { probabilities: probabilities(2), label },
        [
          { probabilities: [0, 1], label: 1 },
          { probabilities: [2, 3], label: 2 },
        ],
      ],
      // Same names and shapes, a number where a bigint was (a reused plan would write "0.5").
      [
        {
          probabilities: probabilities(2),
          label: { dtype: 'float32', shape: [2], data: new Float32Array([0.5, 1.5]) },
        },
        [
          { probabilities: [0, 1], label: 0.5 },
          { probabilities: [2, 3], label: 1.5 },
        ],
      ],
      // [N] → [N, 2].
      [
        {
          probabilities: probabilities(2),
          label: { dtype: 'int64', shape: [2, 2], data: new BigInt64Array([1n, 2n, 3n, 4n]) },
        },
        [
          { probabilities: [0, 1], label: [1, 2] },
          { probabilities: [2, 3], label: [3, 4] },
        ],
      ],
      // One output more, then one fewer.
      [
        { probabilities: probabilities(2), label, extra: { dtype: 'int32', shape: [2], data: new Int32Array([7, 8]) } },
        [
          { probabilities: [0, 1], label: 1, extra: 7 },
          { probabilities: [2, 3], label: 2, extra: 8 },
        ],
      ],
      [{ probabilities: probabilities(2) }, [{ probabilities: [0, 1] }, { probabilities: [2, 3] }]],
      // Data that does not match its declared dtype is left to the generic path.
      [
        { probabilities: { dtype: 'float32', shape: [2, 2], data: new Float64Array([0, 1, 2, 3]) } },
        [{ probabilities: [0, 1] }, { probabilities: [2, 3] }],
      ],
    ];
    for (const [tensors, expected] of steps) {
      expect(JSON.parse(predictionsToJSON(records(tensors))).predictions).toEqual(expected);
    }
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
