import { BerthError } from './berth-error.js';

export type PredictionsFormat = 'records' | 'columns' | 'arrays';

/**
 * The answer of a scoring server's `/invocations`: `{"predictions": …}` plus whatever else the
 * server sent. Mirrors MLflow's `PredictionsResponse` without pandas: `getPredictions` turns the
 * predictions into records, columns, or nested arrays.
 */
export class PredictionsResponse {
  readonly predictions: unknown;
  readonly raw: Record<string, unknown>;

  constructor(body: Record<string, unknown>) {
    if (!('predictions' in body)) {
      throw new BerthError(
        `Invalid response. Predictions response contents must be a dictionary containing a 'predictions' field. Instead, received: ${JSON.stringify(body)}`,
      );
    }
    this.raw = body;
    this.predictions = body.predictions;
  }

  static fromJSON(json: string): PredictionsResponse {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (cause) {
      throw new BerthError('Predictions response contents are not valid JSON', { cause });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('predictions' in parsed)) {
      throw new BerthError(
        `Invalid response. Predictions response contents must be a dictionary containing a 'predictions' field. Instead, received: ${JSON.stringify(parsed)}`,
      );
    }
    return new PredictionsResponse(parsed as Record<string, unknown>);
  }

  toJSON(): Record<string, unknown> {
    return this.raw;
  }

  toString(): string {
    return JSON.stringify(this.raw);
  }

  /**
   * - `records`: a list of row objects (a list of scalars becomes rows of column `0`);
   * - `columns`: column name → list of values;
   * - `arrays`: nested arrays, rows first (records become their values in column order).
   */
  getPredictions(format: PredictionsFormat = 'records'): unknown {
    const records = toRecords(this.predictions);
    switch (format) {
      case 'records':
        return records;
      case 'columns': {
        const columns: Record<string, unknown[]> = {};
        for (const name of columnNames(records)) columns[name] = records.map((row) => row[name] ?? null);
        return columns;
      }
      case 'arrays': {
        if (Array.isArray(this.predictions) && !this.predictions.some(isPlainObject)) return this.predictions;
        const names = columnNames(records);
        return records.map((row) => names.map((name) => row[name] ?? null));
      }
      default:
        throw BerthError.invalidParameterValue(`Unrecognized predictions format: '${String(format)}'`, {
          suggestions: ["Use one of 'records', 'columns' or 'arrays'."],
        });
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function columnNames(records: Record<string, unknown>[]): string[] {
  const names = new Set<string>();
  for (const row of records) for (const key of Object.keys(row)) names.add(key);
  return [...names];
}

function toRecords(predictions: unknown): Record<string, unknown>[] {
  if (Array.isArray(predictions)) {
    return predictions.map((item) => (isPlainObject(item) ? item : { '0': item }));
  }
  if (isPlainObject(predictions)) {
    const values = Object.values(predictions);
    // A dict of columns (MLflow's DataFrame(dict)); a dict of scalars is one row.
    if (values.length > 0 && values.every(Array.isArray)) {
      const length = Math.max(...values.map((v) => (v as unknown[]).length));
      return Array.from({ length }, (_, i) =>
        Object.fromEntries(Object.entries(predictions).map(([k, v]) => [k, (v as unknown[])[i] ?? null])),
      );
    }
    return [predictions];
  }
  return [{ '0': predictions }];
}
