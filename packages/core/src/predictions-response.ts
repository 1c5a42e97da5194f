import { BerthError } from './berth-error.js';

/** `dataframe` and `ndarray` are MLflow's names, accepted as aliases of `records` and `arrays`. */
export type PredictionsFormat = 'records' | 'columns' | 'arrays' | 'dataframe' | 'ndarray';

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

  /**
   * From a `/invocations` response body. Takes the JSON text (as MLflow's `from_json`) or the
   * already-parsed object, since targets often hold the parsed body.
   */
  static fromJSON(json: string | Record<string, unknown>): PredictionsResponse {
    let parsed: unknown = json;
    if (typeof json === 'string') {
      try {
        parsed = JSON.parse(json);
      } catch (cause) {
        throw new BerthError('Predictions response contents are not valid JSON', { cause });
      }
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
      case 'dataframe':
        return records;
      case 'columns': {
        const columns: Record<string, unknown[]> = {};
        for (const name of columnNames(records)) columns[name] = records.map((row) => row[name] ?? null);
        return columns;
      }
      case 'arrays':
      case 'ndarray': {
        if (Array.isArray(this.predictions) && !this.predictions.some(isPlainObject)) return this.predictions;
        const names = columnNames(records);
        return records.map((row) => names.map((name) => row[name] ?? null));
      }
      default:
        throw BerthError.invalidParameterValue(`Unrecognized predictions format: '${String(format)}'`, {
          suggestions: ["Use one of 'records', 'columns' or 'arrays' (MLflow's 'dataframe' and 'ndarray' also work)."],
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
    return predictions.map((item) => {
      if (isPlainObject(item)) return item;
      // A row given as a list has positional columns, as pandas names them.
      if (Array.isArray(item)) return Object.fromEntries(item.map((value, index) => [String(index), value]));
      return { '0': item };
    });
  }
  if (isPlainObject(predictions)) {
    const values = Object.values(predictions);
    // A dict of columns (MLflow's DataFrame(dict), scalars repeated down the column);
    // a dict with no list values is one row.
    if (values.some(Array.isArray)) {
      const length = Math.max(...values.filter(Array.isArray).map((v) => (v as unknown[]).length));
      return Array.from({ length }, (_, i) =>
        Object.fromEntries(Object.entries(predictions).map(([k, v]) => [k, Array.isArray(v) ? (v[i] ?? null) : v])),
      );
    }
    return [predictions];
  }
  return [{ '0': predictions }];
}
