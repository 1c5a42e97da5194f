import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError, type PredictionInput } from '@berth/core';
import { z } from 'zod';

/**
 * The example's model format, so that every command works before you connect a real backend: a
 * folder holding `model.json` with a linear model. Replace this file with what your target
 * deploys (MLflow model directories, container images, …).
 */
const linearModelSchema = z.strictObject({
  columns: z.array(z.string()).min(1),
  weights: z.array(z.number()).min(1),
  bias: z.number(),
});

export type LinearModel = z.infer<typeof linearModelSchema>;

/** Reads `<model>/model.json`; a path or a `file:` URI. Anything wrong is INVALID_PARAMETER_VALUE. */
export async function loadLinearModel(modelUri: string): Promise<LinearModel> {
  const directory = modelUri.startsWith('file:') ? fileURLToPath(modelUri) : modelUri;
  const file = join(directory, 'model.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw BerthError.invalidParameterValue(`Cannot read the model at '${modelUri}': ${(error as Error).message}`, {
      suggestions: ['A model is a folder with a model.json: {"columns": [...], "weights": [...], "bias": 0}.'],
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw BerthError.invalidParameterValue(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const result = linearModelSchema.safeParse(parsed);
  if (!result.success || result.data.columns.length !== result.data.weights.length) {
    const problem = result.success ? 'columns and weights differ in length' : result.error.issues[0]?.message;
    throw BerthError.invalidParameterValue(`${file} is not a linear model: ${problem}.`);
  }
  return result.data;
}

/**
 * The rows of a scoring-protocol body as numbers in the model's column order:
 * `{dataframe_split: {columns, data}}`, `{dataframe_records: [...]}`, `{inputs}`/`{instances}`
 * (rows of numbers) or `{csv}` (a header line, then rows).
 */
export function rowsOf(model: LinearModel, inputs: PredictionInput): number[][] {
  const body = inputs as Record<string, unknown>;
  let rows: unknown[][];
  if (typeof body.csv === 'string') rows = csvRows(model, body.csv);
  else if (isRecord(body.dataframe_split)) rows = splitRows(model, body.dataframe_split);
  else if (Array.isArray(body.dataframe_records))
    rows = body.dataframe_records.map((record) => recordRow(model, record));
  else if (Array.isArray(body.inputs ?? body.instances)) rows = (body.inputs ?? body.instances) as unknown[][];
  else {
    throw BerthError.invalidParameterValue(
      'Inputs must be {"dataframe_split": …}, {"dataframe_records": …}, {"inputs": [[…]]}, {"instances": [[…]]} or CSV.',
    );
  }
  return rows.map((row, index) => numericRow(model, row, index));
}

export function predictLinear(model: LinearModel, rows: number[][]): number[] {
  return rows.map((row) => row.reduce((sum, value, i) => sum + value * (model.weights[i] ?? 0), model.bias));
}

// #if explain
/** Per-row, per-column contributions (weight × value); with the bias they add up to the prediction. */
export function explainLinear(model: LinearModel, rows: number[][]) {
  return {
    columns: model.columns,
    baseValue: model.bias,
    attributions: rows.map((row) => row.map((value, i) => value * (model.weights[i] ?? 0))),
    predictions: predictLinear(model, rows),
  };
}

// #endif
function splitRows(model: LinearModel, split: Record<string, unknown>): unknown[][] {
  if (!Array.isArray(split.data))
    throw BerthError.invalidParameterValue('dataframe_split needs "data": a list of rows.');
  const columns = Array.isArray(split.columns) ? (split.columns as unknown[]) : model.columns;
  return split.data.map((row) => {
    if (!Array.isArray(row)) throw BerthError.invalidParameterValue('Each dataframe_split row must be a list.');
    return recordRow(model, Object.fromEntries(columns.map((column, i) => [String(column), row[i]])));
  });
}

function recordRow(model: LinearModel, record: unknown): unknown[] {
  if (!isRecord(record)) throw BerthError.invalidParameterValue('Each record must be an object of column values.');
  return model.columns.map((column) => {
    if (!(column in record)) throw BerthError.invalidParameterValue(`Input is missing the column '${column}'.`);
    return record[column];
  });
}

function csvRows(model: LinearModel, csv: string): unknown[][] {
  const [header, ...lines] = csv.trim().split(/\r?\n/);
  const columns = (header ?? '').split(',').map((cell) => cell.trim());
  return lines.map((line) => {
    const cells = line.split(',').map((cell) => Number(cell.trim()));
    return recordRow(model, Object.fromEntries(columns.map((column, i) => [column, cells[i]])));
  });
}

function numericRow(model: LinearModel, row: unknown, index: number): number[] {
  const values = Array.isArray(row) ? row : [];
  if (
    values.length !== model.columns.length ||
    !values.every((value) => typeof value === 'number' && Number.isFinite(value))
  ) {
    throw BerthError.invalidParameterValue(
      `Row ${index} must hold ${model.columns.length} numbers (${model.columns.join(', ')}); got ${JSON.stringify(row)}.`,
    );
  }
  return values as number[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
