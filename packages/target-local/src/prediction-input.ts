import { BerthError, type PredictionInput } from '@berth/core';

/** A scoring-protocol request body: JSON for objects, text/csv for `{csv}`. */
export function encodePrediction(
  inputs: PredictionInput,
  params: Record<string, unknown> | undefined,
): { body: string; contentType: string } {
  if (isCsv(inputs)) return { body: inputs.csv, contentType: 'text/csv' };
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw BerthError.invalidParameterValue(
      'Prediction input must be a scoring-protocol object ({dataframe_split}, {dataframe_records}, {instances}, {inputs}) or {csv}.',
    );
  }
  const body = params === undefined ? inputs : { ...inputs, params: { ...(inputs.params as object), ...params } };
  return { body: JSON.stringify(body), contentType: 'application/json' };
}

export function isCsv(inputs: PredictionInput): inputs is { csv: string } {
  return typeof (inputs as { csv?: unknown }).csv === 'string';
}

/** Splits a batch into requests of at most `rows` rows each, keeping the input's own format. */
export function splitPrediction(inputs: PredictionInput, rows: number): PredictionInput[] {
  if (isCsv(inputs)) {
    const lines = inputs.csv.split(/\r?\n/).filter((line) => line.trim() !== '');
    const [header, ...data] = lines;
    if (header === undefined) return [inputs];
    return chunk(data, rows).map((part) => ({ csv: `${[header, ...part].join('\n')}\n` }));
  }
  const body = inputs as Record<string, unknown>;
  const { params, ...rest } = body;
  const withParams = (part: Record<string, unknown>) => (params === undefined ? part : { ...part, params });
  const split = body.dataframe_split as { columns?: unknown; data?: unknown; index?: unknown } | undefined;
  if (split && Array.isArray(split.data)) {
    const index = Array.isArray(split.index) ? chunk(split.index, rows) : undefined;
    return chunk(split.data, rows).map((data, i) =>
      withParams({ ...rest, dataframe_split: { ...split, data, ...(index ? { index: index[i] } : {}) } }),
    );
  }
  for (const key of ['dataframe_records', 'instances', 'inputs'] as const) {
    const value = body[key];
    if (Array.isArray(value)) return chunk(value, rows).map((part) => withParams({ ...rest, [key]: part }));
    if (key !== 'dataframe_records' && isColumns(value)) {
      const length = Math.max(...Object.values(value).map((column) => column.length));
      const parts: PredictionInput[] = [];
      for (let start = 0; start < length; start += rows) {
        const columns = Object.fromEntries(
          Object.entries(value).map(([name, column]) => [name, column.slice(start, start + rows)]),
        );
        parts.push(withParams({ ...rest, [key]: columns }));
      }
      return parts;
    }
  }
  return [inputs];
}

function isColumns(value: unknown): value is Record<string, unknown[]> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0 &&
    Object.values(value).every(Array.isArray)
  );
}

function chunk<T>(items: T[], size: number): T[][] {
  if (items.length === 0) return [[]];
  const parts: T[][] = [];
  for (let start = 0; start < items.length; start += size) parts.push(items.slice(start, start + size));
  return parts;
}
