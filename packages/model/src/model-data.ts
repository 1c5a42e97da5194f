/**
 * The data that crosses Berth's serving engine: parsed requests (`ModelInput`) and model results
 * (`ModelOutput`). Plain objects and typed arrays only, so both survive `structuredClone` and
 * `postMessage` to a worker thread.
 */

export type TypedArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/**
 * Element types, named as numpy names them because MLflow's messages quote numpy names
 * ("Can not safely convert int64 to float32"). `string`, `bytes`, `datetime64` and `object` hold
 * their values in a plain array; the numeric ones and `bool` in a typed array.
 */
export type DType =
  | 'float64'
  | 'float32'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint64'
  | 'uint32'
  | 'uint16'
  | 'uint8'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'datetime64'
  | 'object';

export interface Column {
  name: string;
  /** Optional for callers that build input by hand; inferred from `values` when absent. */
  dtype?: DType;
  values: TypedArray | unknown[];
}

export interface Tensor {
  dtype: DType;
  shape: number[];
  /** Row-major; a plain array for string/object tensors and for ragged input kept as-is. */
  data: TypedArray | unknown[];
}

/** Name of the tensor that an unnamed request (`{"inputs": [[…]]}`) produces. */
export const UNNAMED_TENSOR = '';

export type ModelInput =
  | { kind: 'columns'; rowCount: number; columns: Column[] }
  | { kind: 'tensors'; tensors: Record<string, Tensor> };

/**
 * What a model returns. `orientation: 'records'` (the input was a frame) is answered as MLflow
 * answers a DataFrame: one object per row with one key per output. `'tensors'` (the input was a
 * tensor feed) is answered as a dict of nested lists. `json` is anything a `js` model returned.
 */
export type ModelOutput =
  | { kind: 'tensors'; orientation: 'records' | 'tensors'; tensors: Record<string, Tensor> }
  | { kind: 'json'; value: unknown };

export function dtypeOfValues(values: TypedArray | unknown[]): DType {
  if (Array.isArray(values)) return 'object';
  if (values instanceof Float64Array) return 'float64';
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof BigInt64Array) return 'int64';
  if (values instanceof BigUint64Array) return 'uint64';
  if (values instanceof Int32Array) return 'int32';
  if (values instanceof Uint32Array) return 'uint32';
  if (values instanceof Int16Array) return 'int16';
  if (values instanceof Uint16Array) return 'uint16';
  if (values instanceof Int8Array) return 'int8';
  return 'uint8';
}

export function columnDType(column: Column): DType {
  return column.dtype ?? dtypeOfValues(column.values);
}

const typedArrayConstructors = {
  float64: Float64Array,
  float32: Float32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

export type NumericDType = keyof typeof typedArrayConstructors;

export function isNumericDType(dtype: DType): dtype is NumericDType {
  return dtype in typedArrayConstructors;
}

export function isBigIntDType(dtype: DType): dtype is 'int64' | 'uint64' {
  return dtype === 'int64' || dtype === 'uint64';
}

/** A zeroed typed array for a numeric dtype, or a plain array for the others. */
export function allocate(dtype: DType, length: number): TypedArray | unknown[] {
  if (isNumericDType(dtype)) return new typedArrayConstructors[dtype](length);
  return new Array<unknown>(length);
}

export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dimension of shape) count *= dimension;
  return count;
}

/**
 * A 64-bit integer as JSON can carry it: a number when it is exact as a double, else its decimal
 * string (JSON.stringify refuses bigints). The one such conversion in Berth.
 */
export function bigintToJson(value: bigint): number | string {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
}

/** Reads one element as a JS number/boolean/string (bigint → number when it is safe). */
export function readElement(values: TypedArray | unknown[], index: number, dtype: DType): unknown {
  const value = values[index];
  if (typeof value === 'bigint') return bigintToJson(value);
  if (dtype === 'bool') return value === 1 || value === true;
  return value;
}

/**
 * An empty object for names that come from outside (output, input and column names): nothing is
 * inherited, so `__proto__`, `constructor` or `toString` are ordinary keys — as with
 * `Object.create(null)` — but the object stays in V8's fast mode. `Object.create(null)` objects are
 * dictionaries: enumerating and reading a two-key one measured 10–15× slower, and every request
 * builds a few of them (its inputs, the model's outputs, batch slices).
 */
const NamedRecord = function NamedRecord() {} as unknown as new () => Record<string, never>;
NamedRecord.prototype = Object.freeze(Object.create(null));

export function namedRecord<T>(): Record<string, T> {
  return new NamedRecord() as Record<string, T>;
}
