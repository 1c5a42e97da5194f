/**
 * Turns JSON values into typed columns and tensors.
 *
 * JSON → dtype rules (no schema), as pandas would infer them from the parsed JSON:
 * - a column of integral numbers → int64 (BigInt64Array). JSON.parse cannot tell `5.0` from `5`,
 *   so an integral `5.0` counts as an integer;
 * - numbers with at least one fractional value, or numbers mixed with null → float64 (null → NaN);
 * - booleans only → bool; strings only → string; anything else (mixed, nested) → object.
 * With a schema, values are cast to the schema's dtype at parse time, as MLflow casts a DataFrame
 * by its schema (`5` in a `double` column becomes 5.0; overflow wraps like numpy's astype).
 */
import { BerthError } from '@berth/core';
import { allocate, type DType, isBigIntDType, isNumericDType, type TypedArray } from './model-data.js';

export class ConversionError extends Error {}

const MAX_RANK = 64;

/** The dtype pandas infers for a list of JSON scalars. */
export function inferDType(values: ArrayLike<unknown>): DType {
  let sawInteger = false;
  let sawFraction = false;
  let sawNull = false;
  let sawBoolean = false;
  let sawString = false;
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (typeof value === 'number') {
      if (Number.isInteger(value)) sawInteger = true;
      else sawFraction = true;
    } else if (value === null || value === undefined) sawNull = true;
    else if (typeof value === 'boolean') sawBoolean = true;
    else if (typeof value === 'string') sawString = true;
    else return 'object';
  }
  const kinds = Number(sawInteger || sawFraction) + Number(sawBoolean) + Number(sawString);
  if (kinds > 1) return 'object';
  if (sawInteger || sawFraction) return sawFraction || sawNull ? 'float64' : 'int64';
  if (sawBoolean) return sawNull ? 'object' : 'bool';
  if (sawString) return 'string';
  // Only nulls (or empty): pandas gives object for None-only columns; empty frames are float64-free.
  return values.length === 0 ? 'float64' : 'object';
}

function toNumber(value: unknown, dtype: DType): number {
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    const parsed = trimmed === '' ? Number.NaN : Number(trimmed);
    if (!Number.isNaN(parsed) || /^nan$/i.test(trimmed)) return parsed;
    throw new ConversionError(`could not convert string to ${dtype}: '${value}'`);
  }
  throw new ConversionError(`Can not convert ${JSON.stringify(value) ?? String(value)} to ${dtype}`);
}

const INTEGER_DTYPES = new Set<DType>(['int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8']);

function toInteger(value: unknown, dtype: DType): number {
  // numpy casts a string to an integer with Python's int(): "2.5" or "1e3" is refused.
  if (typeof value === 'string' && !/^\s*[-+]?\d+(_\d+)*\s*$/.test(value)) {
    throw new ConversionError(`invalid literal for int() with base 10: '${value}'`);
  }
  const number = toNumber(typeof value === 'string' ? value.replaceAll('_', '') : value, dtype);
  if (!Number.isFinite(number)) {
    throw new ConversionError('Cannot convert non-finite values (NA or inf) to integer');
  }
  if (dtype === 'int64' && (number >= 2 ** 63 || number < -(2 ** 63))) {
    // numpy refuses what int64 cannot hold (BigInt64Array would wrap it silently).
    throw new ConversionError('Python int too large to convert to C long');
  }
  return Math.trunc(number);
}

/** Fills `target` from JSON scalars, casting to `dtype` the way numpy's astype would. */
export function fillTyped(target: TypedArray, offset: number, values: ArrayLike<unknown>, dtype: DType): void {
  if (dtype === 'float64' || dtype === 'float32') {
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      target[offset + index] = typeof value === 'number' ? value : toNumber(value, dtype);
    }
  } else if (isBigIntDType(dtype)) {
    for (let index = 0; index < values.length; index++) {
      target[offset + index] = BigInt(toInteger(values[index], dtype));
    }
  } else if (dtype === 'bool') {
    // numpy's astype(bool) is truthiness; MLflow's tests expect booleans to be forced.
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      // NaN (a key a record left out) is truthy in Python.
      target[offset + index] =
        value === 'False' || value === 'false'
          ? 0
          : value || (typeof value === 'number' && Number.isNaN(value))
            ? 1
            : 0;
    }
  } else {
    for (let index = 0; index < values.length; index++) target[offset + index] = toInteger(values[index], dtype);
  }
}

function decodeBase64(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** A column of JSON scalars, as the given dtype (or the inferred one). */
export function buildColumn(values: unknown[], dtype?: DType): { dtype: DType; values: TypedArray | unknown[] } {
  const target = dtype ?? inferDType(values);
  if (isNumericDType(target)) {
    const typed = allocate(target, values.length) as TypedArray;
    fillTyped(typed, 0, values, target);
    return { dtype: target, values: typed };
  }
  if (target === 'bytes') return { dtype: target, values: values.map(decodeBase64) };
  return { dtype: target, values };
}

/** Shape of a nested JSON list, or undefined when it is ragged or holds non-list objects at mixed depths. */
export function nestedShape(value: unknown): number[] | undefined {
  const shape: number[] = [];
  let cursor: unknown = value;
  while (Array.isArray(cursor)) {
    // numpy's limit; it also keeps the recursive checks below far from the stack limit.
    if (shape.length === MAX_RANK) throw new ConversionError(`the input is nested more than ${MAX_RANK} levels deep`);
    shape.push(cursor.length);
    if (cursor.length === 0) break;
    cursor = cursor[0];
  }
  return checkRectangular(value, shape, 0) ? shape : undefined;
}

function checkRectangular(value: unknown, shape: number[], depth: number): boolean {
  if (depth === shape.length) return !Array.isArray(value);
  if (!Array.isArray(value) || value.length !== shape[depth]) return false;
  for (const item of value) if (!checkRectangular(item, shape, depth + 1)) return false;
  return true;
}

function flatten(value: unknown, depth: number, out: unknown[]): void {
  if (depth === 0) {
    out.push(value);
    return;
  }
  for (const item of value as unknown[]) flatten(item, depth - 1, out);
}

/**
 * A JSON value as a tensor (numpy's `np.array(value[, dtype])`). Ragged lists become a 1-D object
 * tensor of their items, as numpy's object arrays do.
 */
export function buildTensor(
  value: unknown,
  dtype?: DType,
): { dtype: DType; shape: number[]; data: TypedArray | unknown[] } {
  const shape = nestedShape(value);
  if (shape === undefined) {
    // numpy's np.array(ragged, dtype=…) refuses; only an object array can hold ragged lists.
    if (dtype !== undefined && isNumericDType(dtype)) throw raggedArrayError(value);
    const items = value as unknown[];
    return { dtype: 'object', shape: [items.length], data: items.slice() };
  }
  const flat: unknown[] = [];
  flatten(value, shape.length, flat);
  const column = buildColumn(flat, dtype);
  return { dtype: column.dtype, shape, data: column.values };
}

/**
 * A JSON value as the tensor `np.array(value)` makes without a dtype (a model without a signature):
 * booleans among numbers are numbers (True is 1), and a null makes the array one of objects (not
 * NaN, as a pandas column would have it), which a numeric model input then refuses.
 */
export function buildUntypedTensor(value: unknown): { dtype: DType; shape: number[]; data: TypedArray | unknown[] } {
  const shape = nestedShape(value);
  if (shape === undefined) return buildTensor(value);
  const flat: unknown[] = [];
  flatten(value, shape.length, flat);
  let numbers = false;
  let booleans = false;
  let fraction = false;
  let other = false;
  for (const item of flat) {
    if (typeof item === 'number') {
      numbers = true;
      if (!Number.isInteger(item)) fraction = true;
    } else if (typeof item === 'boolean') booleans = true;
    else other = true;
  }
  if (other && flat.some((item) => item === null)) return { dtype: 'object', shape, data: flat };
  if (numbers && booleans && !other) {
    const column = buildColumn(flat, fraction ? 'float64' : 'int64');
    return { dtype: column.dtype, shape, data: column.values };
  }
  return buildTensor(value);
}

/** numpy's refusal of a ragged nested list given a dtype (`np.array(value, dtype=…)`). */
export function raggedArrayError(value: unknown): ConversionError {
  const prefix = homogeneousShape(value);
  return new ConversionError(
    `setting an array element with a sequence. The requested array has an inhomogeneous shape after ${prefix.length} dimensions. The detected shape was (${prefix.join(', ')}${prefix.length === 1 ? ',' : ''}) + inhomogeneous part.`,
  );
}

/** The leading dimensions in which every nested list has the same length (numpy's detected shape). */
function homogeneousShape(value: unknown): number[] {
  const shape: number[] = [];
  let level: unknown[] = [value];
  for (;;) {
    if (!level.every(Array.isArray)) return shape;
    const lists = level as unknown[][];
    const length = lists[0]?.length;
    if (length === undefined || lists.some((list) => list.length !== length)) return shape;
    shape.push(length);
    level = lists.flat(1);
    if (level.length === 0) return shape;
  }
}

/** Wraps a conversion failure as MLflow's BAD_REQUEST for a DataFrame format. */
export function dataframeError(format: 'split' | 'records', error: unknown): BerthError {
  const message = error instanceof Error ? error.message : String(error);
  return new BerthError(
    `Provided dataframe_${format} field is not a valid dataframe representation in '${format}' format. Error: '${message}'`,
    { code: 'BAD_REQUEST', cause: error },
  );
}

export function isIntegerDType(dtype: DType): boolean {
  return INTEGER_DTYPES.has(dtype);
}
