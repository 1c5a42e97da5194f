import { BerthError, type PredictionInput } from '@berth/core';
import { getSource } from '@berth/core/registry';

export type ContentType = 'json' | 'csv';

/** The keys of a body in MLflow's scoring protocol; a body with one of them is passed on as-is. */
const SCORING_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'];
/**
 * LLM bodies MLflow's scoring server and AI gateway take unwrapped (`{"messages": [...]}` for a
 * chat endpoint): passed on as-is, although a list value would otherwise read as a column.
 */
const LLM_KEYS = ['messages', 'prompt', 'input'];

/** `--content-type` wins; otherwise `.csv` (ignoring a URL's query) means CSV and anything else JSON. */
export function contentTypeFor(inputPath: string, explicit?: ContentType): ContentType {
  if (explicit) return explicit;
  const path = inputPath.replace(/[?#].*$/, '');
  return path.toLowerCase().endsWith('.csv') ? 'csv' : 'json';
}

/** Reads `-I` through core's dataset sources: a path, `file:`, `http(s):`, `-` for stdin, or a contributed type. */
export async function readPredictionInput(inputPath: string, explicit?: ContentType): Promise<PredictionInput> {
  const text = await readInputText(inputPath);
  if (contentTypeFor(inputPath, explicit) === 'csv') return { csv: text };
  return toPredictionBody(parseJsonInput(text, inputPath));
}

async function readInputText(inputPath: string): Promise<string> {
  const data = await (await getSource(inputPath)).load();
  return typeof data === 'string' ? data : new TextDecoder('utf-8').decode(data);
}

function parseJsonInput(text: string, inputPath: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw BerthError.invalidParameterValue(
      `The input ${inputPath === '-' ? 'on stdin' : `'${inputPath}'`} is not valid JSON: ${(cause as Error).message}`,
      { suggestions: ['For a CSV file pass --content-type csv.'] },
    );
  }
}

/**
 * A scoring-protocol body as the target expects it. MLflow's CLI read the file with
 * `pandas.read_json`, so its users have files holding a bare list of records or a dict of
 * columns; those are wrapped as `dataframe_records` / `dataframe_split` so they keep working.
 */
export function toPredictionBody(parsed: unknown): Record<string, unknown> {
  if (Array.isArray(parsed)) return fromRows(parsed);
  if (!isRecord(parsed)) throw inputShapeError(`got ${parsed === null ? 'null' : typeof parsed}`);
  if (SCORING_KEYS.some((key) => key in parsed) || LLM_KEYS.some((key) => key in parsed)) return parsed;
  const values = Object.values(parsed);
  const isColumnDict = values.length > 0 && values.every((value) => Array.isArray(value) || isRecord(value));
  // Anything else (e.g. {"prompt": "…"}) is a body the target may understand; pass it unchanged.
  return isColumnDict ? fromColumns(parsed as Record<string, unknown[] | Record<string, unknown>>) : parsed;
}

function fromRows(rows: unknown[]): Record<string, unknown> {
  if (rows.every(isRecord)) return { dataframe_records: rows };
  if (rows.some(isRecord)) throw inputShapeError('a list mixing records with other values');
  return { dataframe_split: { data: rows.map((row) => (Array.isArray(row) ? row : [row])) } };
}

/** `{"col": [v0, v1]}` or pandas' `{"col": {"0": v0, "1": v1}}` → rows in index order. */
function fromColumns(columns: Record<string, unknown[] | Record<string, unknown>>): Record<string, unknown> {
  const names = Object.keys(columns);
  const index: string[] = [];
  const seen = new Set<string>();
  for (const column of Object.values(columns)) {
    const keys = Array.isArray(column) ? column.map((_, i) => String(i)) : Object.keys(column);
    for (const key of keys) if (!seen.has(key)) seen.add(key) && index.push(key);
  }
  const lengths = new Set(
    Object.values(columns)
      .filter(Array.isArray)
      .map((column) => column.length),
  );
  if (lengths.size > 1) throw inputShapeError('columns of different lengths');
  const cell = (column: unknown[] | Record<string, unknown>, key: string) =>
    (Array.isArray(column) ? column[Number(key)] : column[key]) ?? null;
  const data = index.map((key) => names.map((name) => cell(columns[name] ?? [], key)));
  return { dataframe_split: { columns: names, data } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function inputShapeError(detail: string): BerthError {
  return BerthError.invalidParameterValue(`Unsupported JSON input (${detail}).`, {
    suggestions: [
      'Pass a scoring-protocol body such as {"dataframe_split": {"columns": […], "data": […]}} or {"inputs": …}, a list of records, or a dict of columns.',
    ],
  });
}
