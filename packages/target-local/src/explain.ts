import { BerthError, type PredictionInput, type PredictionsResponse } from '@berth/core';
import { isCsv } from './prediction-input.js';

/**
 * Model-agnostic feature attributions for tabular models: interventional Shapley values computed
 * against the running deployment (only `/invocations` is used, so any model works).
 *
 * For a row x, a background sample B and the class c the model predicts for x, the value of a
 * feature set S is v(S) = mean over b in B of f(x_S, b_rest)[c] — the score with the features in S
 * taken from x and the rest from b. Feature j's attribution is its Shapley value in that game.
 * With up to 10 features every coalition is evaluated (exact); beyond that, 64 random feature
 * orderings are sampled (Štrumbelj & Kononenko). Attributions of a row add up to
 * f(x)[c] − baseValue, where baseValue = mean over b of f(b)[c].
 */

export interface TabularExplanation {
  method: string;
  columns: string[];
  /** Per row: index of the class explained (argmax of the model's scores; 0 for a single output). */
  predictedClass: number[];
  /** Per row: the model's score for that class. */
  prediction: number[];
  /** Per row: mean score of that class over the background. */
  baseValue: number[];
  /** Per row, per column: the attribution. */
  attributions: number[][];
}

const EXACT_FEATURE_LIMIT = 10;
const SAMPLED_PERMUTATIONS = 64;
const MAX_BACKGROUND = 20;
const ROWS_PER_REQUEST = 5_000;

interface Table {
  columns: string[];
  rows: unknown[][];
}

export async function explainTabular(
  inputs: PredictionInput,
  background: PredictionInput | undefined,
  invoke: (body: PredictionInput) => Promise<PredictionsResponse>,
): Promise<TabularExplanation> {
  const table = toTable(inputs);
  const reference = background === undefined ? table : toTable(background);
  if (reference.columns.join('\u0000') !== table.columns.join('\u0000')) {
    throw BerthError.invalidParameterValue('The background must have the same columns as the explained rows.');
  }
  const base = spread(reference.rows, MAX_BACKGROUND);
  const score = async (rows: unknown[][]): Promise<number[][]> => {
    const out: number[][] = [];
    for (let start = 0; start < rows.length; start += ROWS_PER_REQUEST) {
      const data = rows.slice(start, start + ROWS_PER_REQUEST);
      const response = await invoke({ dataframe_split: { columns: table.columns, data } });
      const scores = toScores(response.predictions);
      if (scores.length !== data.length) {
        throw new BerthError(
          `The model answered ${scores.length} predictions for ${data.length} rows; cannot explain it.`,
        );
      }
      out.push(...scores);
    }
    return out;
  };

  const own = await score(table.rows);
  const baseScores = await score(base);
  const d = table.columns.length;
  const exact = d <= EXACT_FEATURE_LIMIT;
  const result: TabularExplanation = {
    method: exact
      ? `interventional Shapley values, exact over all ${2 ** d} feature coalitions, background of ${base.length} rows`
      : `interventional Shapley values, ${SAMPLED_PERMUTATIONS} sampled feature orderings, background of ${base.length} rows`,
    columns: table.columns,
    predictedClass: [],
    prediction: [],
    baseValue: [],
    attributions: [],
  };
  for (let i = 0; i < table.rows.length; i++) {
    const row = table.rows[i] as unknown[];
    const scores = own[i] as number[];
    const c = argmax(scores);
    result.predictedClass.push(c);
    result.prediction.push(scores[c] ?? 0);
    result.baseValue.push(mean(baseScores.map((s) => s[c] ?? 0)));
    result.attributions.push(
      exact ? await exactShapley(row, base, c, score) : await sampledShapley(row, base, c, score),
    );
  }
  return result;
}

async function exactShapley(
  row: unknown[],
  base: unknown[][],
  c: number,
  score: (rows: unknown[][]) => Promise<number[][]>,
): Promise<number[]> {
  const d = row.length;
  const coalitions = 2 ** d;
  const rows: unknown[][] = [];
  for (let mask = 0; mask < coalitions; mask++)
    for (const b of base) rows.push(mix(row, b, (j) => (mask & (1 << j)) !== 0));
  const scores = await score(rows);
  const value = (mask: number) =>
    mean(scores.slice(mask * base.length, (mask + 1) * base.length).map((s) => s[c] ?? 0));
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  const phi = new Array<number>(d).fill(0);
  for (let mask = 0; mask < coalitions; mask++) {
    const size = popcount(mask);
    for (let j = 0; j < d; j++) {
      if ((mask & (1 << j)) !== 0) continue;
      const weight = (factorial(size) * factorial(d - size - 1)) / factorial(d);
      phi[j] = (phi[j] ?? 0) + weight * (value(mask | (1 << j)) - value(mask));
    }
  }
  return phi;
}

async function sampledShapley(
  row: unknown[],
  base: unknown[][],
  c: number,
  score: (rows: unknown[][]) => Promise<number[][]>,
): Promise<number[]> {
  const d = row.length;
  const orders = Array.from({ length: SAMPLED_PERMUTATIONS }, () => shuffle([...Array(d).keys()]));
  const rows: unknown[][] = [];
  for (const order of orders) {
    for (let step = 0; step <= d; step++) {
      const inSet = new Set(order.slice(0, step));
      for (const b of base) rows.push(mix(row, b, (j) => inSet.has(j)));
    }
  }
  const scores = await score(rows);
  const phi = new Array<number>(d).fill(0);
  let offset = 0;
  for (const order of orders) {
    const values: number[] = [];
    for (let step = 0; step <= d; step++) {
      values.push(mean(scores.slice(offset, offset + base.length).map((s) => s[c] ?? 0)));
      offset += base.length;
    }
    order.forEach((j, step) => {
      phi[j] = (phi[j] ?? 0) + ((values[step + 1] ?? 0) - (values[step] ?? 0)) / orders.length;
    });
  }
  return phi;
}

function mix(row: unknown[], background: unknown[], fromRow: (j: number) => boolean): unknown[] {
  return row.map((value, j) => (fromRow(j) ? value : background[j]));
}

/** Tabular inputs: `dataframe_split`, `dataframe_records` or CSV with a header. */
export function toTable(inputs: PredictionInput): Table {
  if (isCsv(inputs)) {
    const lines = inputs.csv.split(/\r?\n/).filter((line) => line.trim() !== '');
    const [header, ...data] = lines;
    if (!header) throw BerthError.invalidParameterValue('The CSV input has no header row.');
    const cell = (text: string): unknown => (text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : text);
    return {
      columns: header.split(',').map((name) => name.trim()),
      rows: data.map((line) => line.split(',').map(cell)),
    };
  }
  const body = inputs as Record<string, unknown>;
  const split = body.dataframe_split as { columns?: unknown; data?: unknown } | undefined;
  if (split && Array.isArray(split.columns) && Array.isArray(split.data)) {
    return { columns: split.columns.map(String), rows: split.data as unknown[][] };
  }
  const records = body.dataframe_records;
  if (Array.isArray(records) && records.length > 0) {
    const columns = Object.keys(records[0] as object);
    return { columns, rows: records.map((record) => columns.map((name) => (record as Record<string, unknown>)[name])) };
  }
  throw BerthError.invalidParameterValue(
    'explain needs tabular input with named columns: {dataframe_split: {columns, data}}, {dataframe_records: [...]} or CSV.',
  );
}

/** One numeric score vector per row from any predictions shape (scalars, vectors, records, columns). */
export function toScores(predictions: unknown): number[][] {
  if (Array.isArray(predictions)) return predictions.map(rowScores);
  if (typeof predictions === 'object' && predictions !== null) {
    const entries = Object.entries(predictions);
    const preferred = entries.find(([key]) => /prob/i.test(key)) ?? entries[0];
    if (preferred && Array.isArray(preferred[1])) return preferred[1].map(rowScores);
  }
  throw new BerthError('The model does not answer numeric predictions; explain needs numeric scores.');
}

function rowScores(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.flat(Infinity).map(Number);
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    const preferred =
      entries.find(([key]) => /prob/i.test(key)) ?? entries.find(([, v]) => Array.isArray(v)) ?? entries[0];
    if (preferred) return rowScores(preferred[1]);
  }
  throw new BerthError(`Cannot read a numeric score from the prediction ${JSON.stringify(value)}.`);
}

function argmax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? -Infinity) > (values[best] ?? -Infinity)) best = i;
  return best;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

function popcount(mask: number): number {
  let count = 0;
  for (let m = mask; m !== 0; m &= m - 1) count++;
  return count;
}

/** Evenly spaced rows, so a sorted dataset still yields a representative background. */
function spread<T>(rows: T[], limit: number): T[] {
  if (rows.length <= limit) return rows;
  return Array.from({ length: limit }, (_, i) => rows[Math.floor((i * rows.length) / limit)] as T);
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
