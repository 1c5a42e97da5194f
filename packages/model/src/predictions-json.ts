/**
 * `{"predictions": …}` as MLflow writes it. A model fed a frame answers in records orientation
 * (`[{out1: v, out2: [..]}, …]`, one object per row; an `[N]` or `[N, 1]` output gives a scalar per
 * row), whatever the request orientation. A model fed tensors answers `{name: nested lists}`.
 * The rows are plain JS values handed to the native JSON.stringify once, which measured about twice
 * as fast as writing the text in JS. NaN and ±Infinity become null.
 */
import { generateFunction } from './generated-functions.js';
import {
  bigintToJson,
  type DType,
  dtypeOfValues,
  type ModelOutput,
  namedRecord,
  type Tensor,
  type TypedArray,
} from './model-data.js';

type Cell = (index: number) => unknown;

/** Reads one element as a JSON-able value. */
function elementReader(data: TypedArray | unknown[], dtype: DType): Cell {
  if (dtype === 'bool') return (index) => Boolean(data[index]);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return (index) => bigintToJson(data[index] as bigint);
  }
  if (Array.isArray(data)) return (index) => toJsonable(data[index]);
  return (index) => data[index];
}

function toJsonable(value: unknown): unknown {
  if (typeof value === 'bigint') return bigintToJson(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<unknown>, toJsonable);
  }
  return value;
}

/** Nested lists for `shape` starting at `offset`. */
function nested(read: Cell, shape: readonly number[], offset: number, depth: number): unknown {
  if (depth === shape.length) return read(offset);
  const size = shape[depth] ?? 0;
  let stride = 1;
  for (let axis = depth + 1; axis < shape.length; axis++) stride *= shape[axis] ?? 1;
  const out = new Array<unknown>(size);
  if (depth === shape.length - 1) {
    for (let index = 0; index < size; index++) out[index] = read(offset + index);
  } else {
    for (let index = 0; index < size; index++) out[index] = nested(read, shape, offset + index * stride, depth + 1);
  }
  return out;
}

export function tensorToJsonable(tensor: Tensor): unknown {
  return nested(elementReader(tensor.data, tensor.dtype), tensor.shape, 0, 0);
}

function isPlainNumbers(data: TypedArray | unknown[]): data is Float32Array | Float64Array | Int32Array {
  return (
    data instanceof Float32Array ||
    data instanceof Float64Array ||
    data instanceof Int32Array ||
    data instanceof Int16Array
  );
}

function rowReader(tensor: Tensor, rowCount: number): Cell {
  const read = elementReader(tensor.data, tensor.dtype);
  const rows = tensor.shape[0] ?? 1;
  const inner = tensor.shape.slice(1);
  let perRow = 1;
  for (const dimension of inner) perRow *= dimension;
  if (rows !== rowCount && rows * perRow === rowCount) {
    // An output with another row count (MLflow flattens with reshape(-1)): one element per row.
    return read;
  }
  const scalarRow = inner.length === 0 || (inner.length === 1 && inner[0] === 1);
  const data = tensor.data;
  if (scalarRow && isPlainNumbers(data)) return (row) => (row < rows ? data[row * perRow] : null);
  if (scalarRow) return (row) => (row < rows ? read(row * perRow) : null);
  if (inner.length === 1 && isPlainNumbers(data)) {
    // The common case (class probabilities): one flat list of numbers per row.
    // Array literals are packed from the start; JSON.stringify is fastest on those.
    if (perRow === 2) return (row) => (row < rows ? [data[row * 2], data[row * 2 + 1]] : null);
    if (perRow === 3) return (row) => (row < rows ? [data[row * 3], data[row * 3 + 1], data[row * 3 + 2]] : null);
    if (perRow === 4) {
      return (row) => (row < rows ? [data[row * 4], data[row * 4 + 1], data[row * 4 + 2], data[row * 4 + 3]] : null);
    }
    return (row) => {
      if (row >= rows) return null;
      const start = row * perRow;
      // push keeps the array packed; JSON.stringify takes a slower path for holey `new Array(n)`.
      const values: number[] = [];
      for (let index = 0; index < perRow; index++) values.push(data[start + index] as number);
      return values;
    };
  }
  return (row) => (row < rows ? nested(read, inner, row * perRow, 0) : null);
}

/**
 * The common layout — every output numeric, shaped [N] or [N, k] with small k, the same N — gets a
 * function compiled once per layout that builds all rows in one loop (`{"probabilities": [p0, p1,
 * p2], "label": Number(l)}` for a classifier). A server answers with one layout every time, so the
 * last plan is checked first; the generic readers below cost more per call than a small answer's
 * whole serialization.
 */
type RecordsPlan = (tensors: Record<string, Tensor>, rows: number) => unknown[];

interface PlanLayout {
  names: string[];
  kinds: string[];
  widths: number[];
}

const PLAIN_NUMBER_TYPES: ReadonlySet<string> = new Set([
  'float64',
  'float32',
  'int32',
  'int16',
  'int8',
  'uint32',
  'uint16',
  'uint8',
]);

let lastPlan: { layout: PlanLayout; plan: RecordsPlan } | undefined;

/** The layout of a records answer the plan can serve, or undefined (the generic path serves it). */
function planLayout(tensors: Record<string, Tensor>): { layout: PlanLayout; rows: number } | undefined {
  const names: string[] = [];
  const kinds: string[] = [];
  const widths: number[] = [];
  let rows = -1;
  for (const name in tensors) {
    const tensor = tensors[name] as Tensor;
    const { shape, dtype } = tensor;
    if (name === '__proto__' || shape.length === 0 || shape.length > 2) return undefined;
    const kind = PLAIN_NUMBER_TYPES.has(dtype) ? 'number' : dtype === 'int64' || dtype === 'uint64' ? 'bigint' : '';
    if (kind === '' || dtypeOfValues(tensor.data) !== dtype) return undefined;
    const width = shape.length === 2 ? (shape[1] as number) : 0;
    if (width > 16 || (shape.length === 2 && width < 1)) return undefined;
    const count = shape[0] as number;
    if (rows !== -1 && count !== rows) return undefined;
    rows = count;
    names.push(name);
    kinds.push(kind);
    widths.push(width);
  }
  if (names.length === 0 || names.length > 16) return undefined;
  return { layout: { names, kinds, widths }, rows };
}

function sameLayout(a: PlanLayout, b: PlanLayout): boolean {
  if (a.names.length !== b.names.length) return false;
  for (let index = 0; index < a.names.length; index++) {
    if (a.names[index] !== b.names[index] || a.kinds[index] !== b.kinds[index] || a.widths[index] !== b.widths[index]) {
      return false;
    }
  }
  return true;
}

/** The plan's function, or undefined where code generation is not allowed (the generic path serves). */
function compilePlan({ names, kinds, widths }: PlanLayout): RecordsPlan | undefined {
  const lines = names.map((name, index) => `const d${index} = tensors[${JSON.stringify(name)}].data;`);
  const cell = (index: number, at: string) =>
    kinds[index] === 'bigint' ? `big(d${index}[${at}])` : `d${index}[${at}]`;
  const fields = names.map((name, index) => {
    const width = widths[index] as number;
    // [N] and [N, 1] give a scalar per row, as MLflow's records do.
    if (width <= 1) return `${JSON.stringify(name)}: ${cell(index, 'row')}`;
    const items = Array.from({ length: width }, (_, item) => cell(index, `row * ${width} + ${item}`));
    return `${JSON.stringify(name)}: [${items.join(', ')}]`;
  });
  const body = `${lines.join(' ')} const out = new Array(rows); for (let row = 0; row < rows; row++) out[row] = {${fields.join(', ')}}; return out;`;
  const make = generateFunction<
    (big: (value: bigint) => number | string, tensors: Record<string, Tensor>, rows: number) => unknown[]
  >(['big', 'tensors', 'rows'], body);
  return make && ((tensors, rows) => make(bigintToJson, tensors, rows));
}

/**
 * The row count when `tensors` has exactly the layout of the last plan, else -1. Checked in place:
 * building a layout to compare (three arrays and two objects) cost more than the plan's own work for
 * a one-row answer.
 */
function rowsIfLayout(tensors: Record<string, Tensor>, { names, kinds, widths }: PlanLayout): number {
  let index = 0;
  let rows = -1;
  for (const name in tensors) {
    if (index >= names.length || name !== names[index]) return -1;
    const { shape, dtype, data } = tensors[name] as Tensor;
    const width = widths[index] as number;
    if (width === 0 ? shape.length !== 1 : shape.length !== 2 || shape[1] !== width) return -1;
    const numeric = kinds[index] === 'number';
    if (numeric ? !PLAIN_NUMBER_TYPES.has(dtype) : dtype !== 'int64' && dtype !== 'uint64') return -1;
    if (dtypeOfValues(data) !== dtype) return -1;
    const count = shape[0] as number;
    if (rows !== -1 && count !== rows) return -1;
    rows = count;
    index++;
  }
  return index === names.length ? rows : -1;
}

function recordsJsonable(tensors: Record<string, Tensor>): unknown[] {
  if (lastPlan !== undefined) {
    const rows = rowsIfLayout(tensors, lastPlan.layout);
    if (rows !== -1) return lastPlan.plan(tensors, rows);
  }
  const planned = planLayout(tensors);
  if (planned !== undefined) {
    let plan = lastPlan !== undefined && sameLayout(lastPlan.layout, planned.layout) ? lastPlan.plan : undefined;
    if (plan === undefined) {
      plan = compilePlan(planned.layout);
      if (plan !== undefined) lastPlan = { layout: planned.layout, plan };
    }
    if (plan !== undefined) return plan(tensors, planned.rows);
  }
  const entries = Object.entries(tensors);
  const rowCount = Math.max(0, ...entries.map(([, tensor]) => tensor.shape[0] ?? 1));
  const names = entries.map(([name]) => name);
  const readers = entries.map(([, tensor]) => rowReader(tensor, rowCount));
  const rows = new Array<unknown>(rowCount);
  const makeRow = rowConstructor(names);
  if (makeRow !== undefined && readers.length === 1) {
    const [first] = readers as [Cell];
    for (let row = 0; row < rowCount; row++) rows[row] = makeRow(first(row));
  } else if (makeRow !== undefined && readers.length === 2) {
    const [first, second] = readers as [Cell, Cell];
    for (let row = 0; row < rowCount; row++) rows[row] = makeRow(first(row), second(row));
  } else if (makeRow !== undefined) {
    const cells = new Array<unknown>(readers.length);
    for (let row = 0; row < rowCount; row++) {
      for (let index = 0; index < readers.length; index++) cells[index] = (readers[index] as Cell)(row);
      rows[row] = makeRow(...cells);
    }
  } else {
    for (let row = 0; row < rowCount; row++) {
      // A null prototype makes `__proto__` an ordinary key.
      const record = namedRecord<unknown>();
      for (let index = 0; index < names.length; index++) record[names[index] as string] = (readers[index] as Cell)(row);
      rows[row] = record;
    }
  }
  return rows;
}

/**
 * A constructor returning an object literal with the output names as keys: such objects share one
 * shape and JSON.stringify walks them about 30% faster than objects filled key by key. Names are
 * embedded as JSON string literals; `__proto__` (which a literal would treat as the prototype) and
 * very wide outputs use the generic path.
 */
function rowConstructor(names: string[]): RowConstructor | undefined {
  if (names.length === 0 || names.length > 64 || names.includes('__proto__')) return undefined;
  // A server answers with the same output names every time: check the last list first (comparing
  // a few names beats building the source text that finds it in generateFunction's cache).
  if (lastRow !== undefined && sameNames(lastRow.names, names)) return lastRow.make;
  const parameters = names.map((_, index) => `c${index}`);
  const body = `return {${names.map((name, index) => `${JSON.stringify(name)}: c${index}`).join(', ')}};`;
  const make = generateFunction<RowConstructor>(parameters, body);
  if (make !== undefined) lastRow = { names, make };
  return make;
}

function sameNames(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

let lastRow: { names: string[]; make: RowConstructor } | undefined;

type RowConstructor = (...cells: unknown[]) => unknown;

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint' || (ArrayBuffer.isView(value) && !(value instanceof DataView)))
    return toJsonable(value);
  return value;
}

function predictionsValue(output: ModelOutput): unknown {
  if (output.kind === 'json') return output.value;
  if (output.orientation === 'records') return recordsJsonable(output.tensors);
  const value: Record<string, unknown> = namedRecord();
  for (const [name, tensor] of Object.entries(output.tensors)) value[name] = tensorToJsonable(tensor);
  return value;
}

/**
 * The body of a successful `/invocations` answer: `{"predictions": …}`, or the bare value with
 * `wrap: false` (unified LLM payloads, see `ScoringRequest.unwrapped`).
 */
export function predictionsToJSON(output: ModelOutput, options: { wrap?: boolean } = {}): string {
  const value = predictionsValue(output);
  const replacer = output.kind === 'json' ? jsonReplacer : undefined;
  return (
    (options.wrap === false ? JSON.stringify(value, replacer) : JSON.stringify({ predictions: value }, replacer)) ??
    'null'
  );
}
