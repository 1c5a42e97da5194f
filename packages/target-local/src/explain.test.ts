import { PredictionsResponse } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { explainTabular } from './explain.js';

/** A fake "deployment": a linear model answered through the same scoring-protocol body. */
function linear(weights: number[]) {
  return async (body: unknown) => {
    const rows = (body as { dataframe_split: { data: number[][] } }).dataframe_split.data;
    return new PredictionsResponse({
      predictions: rows.map((row) => row.reduce((sum, x, j) => sum + x * (weights[j] ?? 0), 0)),
    });
  };
}

describe('explainTabular', () => {
  it('gives w_j * (x_j - mean background_j) for a linear model (exact Shapley)', async () => {
    const input = { dataframe_split: { columns: ['a', 'b', 'c'], data: [[1, 2, 3]] } };
    const background = {
      dataframe_split: {
        columns: ['a', 'b', 'c'],
        data: [
          [0, 0, 0],
          [2, 2, 2],
        ],
      },
    };
    const result = await explainTabular(input, background, linear([1, -2, 0.5]));
    expect(result.method).toMatch(/exact/);
    const [row] = result.attributions;
    expect(row?.[0]).toBeCloseTo(1 * (1 - 1));
    expect(row?.[1]).toBeCloseTo(-2 * (2 - 1));
    expect(row?.[2]).toBeCloseTo(0.5 * (3 - 1));
    expect(result.prediction[0]).toBeCloseTo(1 - 4 + 1.5);
    expect(result.baseValue[0]).toBeCloseTo((0 + (2 - 4 + 1)) / 2);
  });

  it('samples orderings beyond 10 features and still adds up to prediction - base', async () => {
    const columns = Array.from({ length: 12 }, (_, i) => `f${i}`);
    const weights = columns.map((_, i) => i - 5);
    const input = { dataframe_split: { columns, data: [columns.map((_, i) => i)] } };
    const background = { dataframe_split: { columns, data: [columns.map(() => 0)] } };
    const result = await explainTabular(input, background, linear(weights));
    expect(result.method).toMatch(/sampled/);
    const sum = (result.attributions[0] ?? []).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo((result.prediction[0] ?? 0) - (result.baseValue[0] ?? 0));
    // for a linear model every ordering gives the same marginal: sampling is exact here too
    expect(result.attributions[0]?.[7]).toBeCloseTo((weights[7] as number) * 7);
  });

  it('explains the predicted class of a classifier answering records of probabilities', async () => {
    const invoke = async (body: unknown) => {
      const rows = (body as { dataframe_split: { data: number[][] } }).dataframe_split.data;
      return new PredictionsResponse({
        predictions: rows.map(([x = 0]) => ({ probabilities: [1 - x / 10, x / 10], label: x > 5 ? 1 : 0 })),
      });
    };
    const result = await explainTabular({ dataframe_records: [{ x: 9 }, { x: 1 }] }, undefined, invoke);
    expect(result.predictedClass).toEqual([1, 0]);
    expect(result.attributions[0]?.[0]).toBeCloseTo(0.9 - 0.5);
    expect(result.attributions[1]?.[0]).toBeCloseTo(0.9 - 0.5);
  });

  it('rejects input without named columns', async () => {
    await expect(explainTabular({ inputs: [[1, 2]] }, undefined, linear([1]))).rejects.toThrow(/tabular/);
  });
});
