/**
 * `{"predictions": …}` as MLflow writes it. A model fed a frame answers in records orientation
 * (`[{out1: v, out2: [..]}, …]`, one object per row; an `[N]` or `[N, 1]` output gives a scalar per
 * row), whatever the request orientation. A model fed tensors answers `{name: nested lists}`.
 * Built as a string directly: no per-row objects for large outputs.
 */
import { type DType, type ModelOutput, readElement, type Tensor, type TypedArray } from './model-data.js';

function scalarJSON(value: unknown, dtype: DType): string {
  if (dtype === 'bool') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    // NaN/Infinity are not JSON; MLflow's encoder writes NaN, which strict parsers reject. Use null.
    return Number.isFinite(value) ? String(value) : 'null';
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value, jsonReplacer) ?? 'null';
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<unknown>, (item) =>
      typeof item === 'bigint' ? Number(item) : item,
    );
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

function nestedJSON(
  data: TypedArray | unknown[],
  dtype: DType,
  shape: readonly number[],
  offset: number,
  depth: number,
): string {
  if (depth === shape.length) return scalarJSON(data[offset], dtype);
  const size = shape[depth] ?? 0;
  let stride = 1;
  for (let axis = depth + 1; axis < shape.length; axis++) stride *= shape[axis] ?? 1;
  const parts = new Array<string>(size);
  for (let index = 0; index < size; index++)
    parts[index] = nestedJSON(data, dtype, shape, offset + index * stride, depth + 1);
  return `[${parts.join(',')}]`;
}

export function tensorToJSON(tensor: Tensor): string {
  if (tensor.shape.length === 0) return scalarJSON(tensor.data[0], tensor.dtype);
  return nestedJSON(tensor.data, tensor.dtype, tensor.shape, 0, 0);
}

function isPlainNumbers(data: TypedArray | unknown[]): data is Float32Array | Float64Array | Int32Array {
  return (
    data instanceof Float32Array ||
    data instanceof Float64Array ||
    data instanceof Int32Array ||
    data instanceof Int16Array
  );
}

function recordsJSON(tensors: Record<string, Tensor>): string {
  const entries = Object.entries(tensors);
  const rowCount = Math.max(0, ...entries.map(([, tensor]) => tensor.shape[0] ?? 1));
  const writers = entries.map(([name, tensor]) => {
    const key = `${JSON.stringify(name)}:`;
    const rows = tensor.shape[0] ?? 1;
    const inner = tensor.shape.slice(1);
    let perRow = 1;
    for (const dimension of inner) perRow *= dimension;
    const scalarRow = inner.length === 0 || (inner.length === 1 && inner[0] === 1);
    if (rows !== rowCount && rows * perRow === rowCount) {
      // Outputs of a different row count (MLflow flattens with reshape(-1)): one element per row.
      return (row: number) => key + scalarJSON(readElement(tensor.data, row, tensor.dtype), tensor.dtype);
    }
    const data = tensor.data;
    if (inner.length === 1 && !scalarRow && isPlainNumbers(data)) {
      // The common case (e.g. class probabilities): a flat list of numbers per row.
      return (row: number) => {
        if (row >= rows) return `${key}null`;
        let text = `${key}[`;
        const start = row * perRow;
        for (let index = 0; index < perRow; index++) {
          const value = data[start + index] as number;
          text += (index === 0 ? '' : ',') + (Number.isFinite(value) ? value : 'null');
        }
        return `${text}]`;
      };
    }
    return (row: number) => {
      if (row >= rows) return `${key}null`;
      if (scalarRow) return key + scalarJSON(data[row * perRow], tensor.dtype);
      return key + nestedJSON(data, tensor.dtype, inner, row * perRow, 0);
    };
  });
  const rows = new Array<string>(rowCount);
  for (let row = 0; row < rowCount; row++) {
    let text = '{';
    for (let index = 0; index < writers.length; index++) {
      if (index > 0) text += ',';
      text += (writers[index] as (row: number) => string)(row);
    }
    rows[row] = `${text}}`;
  }
  return `[${rows.join(',')}]`;
}

function predictionsValueJSON(output: ModelOutput): string {
  if (output.kind === 'json') return JSON.stringify(output.value, jsonReplacer) ?? 'null';
  if (output.orientation === 'records') return recordsJSON(output.tensors);
  const parts = Object.entries(output.tensors).map(
    ([name, tensor]) => `${JSON.stringify(name)}:${tensorToJSON(tensor)}`,
  );
  return `{${parts.join(',')}}`;
}

/**
 * The body of a successful `/invocations` answer: `{"predictions": …}`, or the bare value with
 * `wrap: false` (unified LLM payloads, see `ScoringRequest.unwrapped`).
 */
export function predictionsToJSON(output: ModelOutput, options: { wrap?: boolean } = {}): string {
  const value = predictionsValueJSON(output);
  return options.wrap === false ? value : `{"predictions":${value}}`;
}
