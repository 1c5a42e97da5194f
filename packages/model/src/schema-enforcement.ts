/**
 * MLflow's schema enforcement (`_enforce_schema`, `_enforce_mlflow_datatype`,
 * `_enforce_tensor_spec`, `_enforce_params_schema`) over Berth's columnar data: named columns are
 * checked, reordered and stripped of extras; types may only widen safely; tensors must match dtype
 * and shape. Failures are INVALID_PARAMETER_VALUE with MLflow's messages.
 */
import { BerthError } from '@berth/core';
import { buildTensor } from './column-builder.js';
import {
  allocate,
  type Column,
  columnDType,
  type DType,
  elementCount,
  isNumericDType,
  type ModelInput,
  namedRecord,
  readElement,
  type Tensor,
  type TypedArray,
  UNNAMED_TENSOR,
} from './model-data.js';
import {
  COLUMN_TYPE_DTYPE,
  type ColSpec,
  type ColumnType,
  type ComplexType,
  type ParamSpec,
  type Schema,
  schemaText,
  shapeText,
  type TensorSpec,
} from './model-signature.js';
import { pythonClass, pythonTypeName } from './python-type-name.js';

class SchemaViolation extends Error {}

function pythonList(names: readonly string[]): string {
  return `[${names.map((name) => `'${name}'`).join(', ')}]`;
}

/** numpy's name of a dtype in messages (pandas keeps strings and bytes in object columns). */
function numpyName(dtype: DType): string {
  if (dtype === 'string' || dtype === 'bytes' || dtype === 'object') return 'object';
  if (dtype === 'datetime64') return 'datetime64[ns]';
  return dtype;
}

const ITEM_SIZE: Partial<Record<DType, number>> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
};

function isSigned(dtype: DType): boolean {
  return dtype === 'int8' || dtype === 'int16' || dtype === 'int32' || dtype === 'int64';
}
function isUnsigned(dtype: DType): boolean {
  return dtype === 'uint8' || dtype === 'uint16' || dtype === 'uint32' || dtype === 'uint64';
}
function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** numpy's `can_cast(from, to, 'safe')` for the integer and float dtypes. */
function widensSafely(from: DType, to: DType): boolean {
  const fromSize = ITEM_SIZE[from] ?? 0;
  const toSize = ITEM_SIZE[to] ?? 0;
  if (isSigned(from) && isSigned(to)) return toSize >= fromSize;
  if (isUnsigned(from) && isUnsigned(to)) return toSize >= fromSize;
  if (isUnsigned(from) && isSigned(to)) return toSize > fromSize;
  if (isFloat(from) && isFloat(to)) return toSize >= fromSize;
  return false;
}

function onlyZeroOneOrNull(values: TypedArray | unknown[]): boolean {
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (value !== 0 && value !== 1 && value !== 0n && value !== 1n && value !== null) return false;
  }
  return true;
}

function castTyped(values: TypedArray | unknown[], to: DType): TypedArray {
  const target = allocate(to, values.length) as TypedArray;
  const bigTarget = to === 'int64' || to === 'uint64';
  for (let index = 0; index < values.length; index++) {
    const value = values[index] as number | bigint | null;
    if (bigTarget) target[index] = typeof value === 'bigint' ? value : BigInt(value ?? 0);
    else target[index] = value === null ? Number.NaN : Number(value);
  }
  return target;
}

/** One column against one ColSpec type; returns the (possibly widened) column. */
function enforceColumnType(column: Column, type: ColumnType | ComplexType): Column {
  const from = columnDType(column);
  if (typeof type !== 'string') {
    enforceComplexValues(column, type);
    return column;
  }
  const to = COLUMN_TYPE_DTYPE[type];
  if (from === to) return column;
  const incompatible = (hint = '') =>
    new SchemaViolation(
      `Incompatible input types for column ${column.name}. Can not safely convert ${numpyName(from)} to ${numpyName(to)}.${hint}`,
    );
  if (type === 'string') {
    if (from === 'string' || from === 'object') return column;
    throw incompatible();
  }
  if (type === 'binary') {
    if (from === 'bytes' || from === 'object' || from === 'string') return column;
    throw incompatible();
  }
  if (type === 'boolean') {
    if (from === 'object') return column;
    throw incompatible();
  }
  if (type === 'datetime') {
    if (from === 'string' || from === 'object') {
      for (const value of column.values as unknown[]) {
        if (value !== null && Number.isNaN(Date.parse(String(value)))) {
          throw new SchemaViolation(
            `Failed to convert column ${column.name} to type 'datetime64[ns]'. Error: '${String(value)}'`,
          );
        }
      }
      return { ...column, dtype: 'datetime64' };
    }
    throw incompatible();
  }
  // Numeric targets.
  if (!isNumericDType(from) || from === 'bool') throw incompatible();
  if (widensSafely(from, to)) return { ...column, dtype: to, values: castTyped(column.values, to) };
  if ((isSigned(from) || isUnsigned(from)) && to === 'float64' && (ITEM_SIZE[from] ?? 8) <= 6) {
    return { ...column, dtype: to, values: castTyped(column.values, to) };
  }
  if (from === 'int64' && isFloat(to) && onlyZeroOneOrNull(column.values)) {
    return { ...column, dtype: to, values: castTyped(column.values, to) };
  }
  if (isFloat(from) && (isSigned(to) || isUnsigned(to)) && integralWithNaN(column.values)) {
    throw incompatible(
      ' The column contains missing values (NaN) alongside integers; integer columns cannot hold missing values. ' +
        'Declare the column as `double` in the signature or fill the missing values.',
    );
  }
  throw incompatible();
}

function integralWithNaN(values: TypedArray | unknown[]): boolean {
  let sawNaN = false;
  for (let index = 0; index < values.length; index++) {
    const value = values[index] as number;
    if (Number.isNaN(value)) sawNaN = true;
    else if (!Number.isInteger(value)) return false;
  }
  return sawNaN;
}

function enforceComplexValues(column: Column, type: ComplexType): void {
  for (let index = 0; index < column.values.length; index++) {
    const value = column.values[index];
    if (value === null || value === undefined) continue;
    checkComplexValue(value, type, column.name);
  }
}

function scalarMatches(value: unknown, type: ColumnType): boolean {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
    case 'long':
      return typeof value === 'number' && Number.isInteger(value);
    case 'float':
    case 'double':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
    case 'binary':
      return typeof value === 'string' || value instanceof Uint8Array;
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
  }
}

function checkComplexValue(value: unknown, type: ColumnType | ComplexType, name: string): void {
  if (typeof type === 'string') {
    if (!scalarMatches(value, type)) {
      throw new SchemaViolation(
        `Failed to enforce schema for column ${name}: expected ${type}, got ${JSON.stringify(value)}`,
      );
    }
    return;
  }
  if (type.type === 'any' || type.type === 'sparkml_vector') return;
  if (type.type === 'array') {
    if (!Array.isArray(value))
      throw new SchemaViolation(`Expected data to be list or numpy array, got ${typeof value}`);
    for (const item of value) checkComplexValue(item, type.items, name);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SchemaViolation(`Expected data to be dictionary, got ${Array.isArray(value) ? 'list' : typeof value}`);
  }
  const record = value as Record<string, unknown>;
  if (type.type === 'map') {
    for (const item of Object.values(record)) checkComplexValue(item, type.values, name);
    return;
  }
  const missing = Object.entries(type.properties)
    .filter(([key, property]) => property.required && !(key in record))
    .map(([key]) => key);
  if (missing.length > 0) throw new SchemaViolation(`Missing required properties: ${pythonList(missing)}`);
  for (const [key, item] of Object.entries(record)) {
    const property = type.properties[key];
    if (property === undefined)
      throw new SchemaViolation(`Invalid properties not defined in the schema found: ${pythonList([key])}`);
    checkComplexValue(item, property.type, name);
  }
}

// ---------------------------------------------------------------------------------------------

/** Column input for a column schema: from named 1-D tensors, or a 2-D unnamed tensor. */
function tensorsToColumns(tensors: Record<string, Tensor>): Extract<ModelInput, { kind: 'columns' }> {
  const entries = Object.entries(tensors);
  if (entries.length === 1 && (entries[0]?.[1].shape.length ?? 0) === 2) {
    const tensor = (entries[0] as [string, Tensor])[1];
    const [rows = 0, width = 0] = tensor.shape;
    const columns: Column[] = [];
    for (let position = 0; position < width; position++) {
      const values = allocate(tensor.dtype, rows);
      for (let row = 0; row < rows; row++) values[row] = tensor.data[row * width + position] as never;
      columns.push({ name: String(position), dtype: tensor.dtype, values });
    }
    return { kind: 'columns', rowCount: rows, columns };
  }
  if (entries.length === 1 && entries[0]?.[1].shape.length === 0) {
    const [name, tensor] = entries[0];
    return {
      kind: 'columns',
      rowCount: 1,
      columns: [{ name: name === UNNAMED_TENSOR ? '0' : name, dtype: tensor.dtype, values: tensor.data }],
    };
  }
  const columns: Column[] = [];
  let rowCount: number | undefined;
  for (const [name, tensor] of entries) {
    if (tensor.shape.length > 1) {
      // A multi-dimensional value per row stays a list of nested values (an array column).
      const rows = tensor.shape[0] ?? 0;
      const per = rows === 0 ? 0 : elementCount(tensor.shape) / rows;
      const values: unknown[] = [];
      for (let row = 0; row < rows; row++)
        values.push(Array.from(tensor.data.slice(row * per, (row + 1) * per) as ArrayLike<unknown>));
      columns.push({ name, dtype: 'object', values });
    } else columns.push({ name, dtype: tensor.dtype, values: tensor.data });
    const length = tensor.shape[0] ?? 1;
    if (rowCount !== undefined && rowCount !== length) {
      throw new SchemaViolation('The length of values for each input/column name are not the same');
    }
    rowCount = length;
  }
  return { kind: 'columns', rowCount: rowCount ?? 0, columns };
}

function enforceColumnSchema(input: ModelInput, schema: Extract<Schema, { kind: 'columns' }>): ModelInput {
  const frame = input.kind === 'columns' ? input : tensorsToColumns(input.tensors);
  const named = schema.specs[0]?.name !== undefined;
  if (!named) {
    const expected = schema.specs.length;
    if (frame.columns.length < expected) {
      throw new SchemaViolation(
        `Model inference is missing inputs. The model signature declares ${expected} inputs  but the provided value only has ${frame.columns.length} inputs. Note: the inputs were not named in the signature so we can only verify their count.`,
      );
    }
    const columns = schema.specs.map((spec, position) =>
      enforceColumnType(frame.columns[position] as Column, spec.type),
    );
    return { kind: 'columns', rowCount: frame.rowCount, columns };
  }
  const specs = schema.specs as Array<ColSpec & { name: string }>;
  const names = frame.columns.map((column) => column.name);
  const duplicates = [...new Set(names.filter((name, position) => names.indexOf(name) !== position))];
  if (duplicates.length > 0) {
    // pandas keeps both columns; the model would see only one of them.
    throw new SchemaViolation(`Duplicate input columns ${pythonList(duplicates)}: each column must be named once.`);
  }
  // The usual request names exactly the signature's columns, in its order: no lookup needed.
  if (
    frame.columns.length === specs.length &&
    specs.every((spec, position) => frame.columns[position]?.name === spec.name)
  ) {
    const columns: Column[] = new Array(specs.length);
    for (let position = 0; position < specs.length; position++) {
      columns[position] = enforceColumnType(frame.columns[position] as Column, (specs[position] as ColSpec).type);
    }
    return { kind: 'columns', rowCount: frame.rowCount, columns };
  }
  const byName = new Map(frame.columns.map((column) => [column.name, column]));
  const missing = specs.filter((spec) => spec.required && !byName.has(spec.name)).map((spec) => spec.name);
  if (missing.length > 0) {
    const expectedNames = new Set(specs.map((spec) => spec.name));
    const extra = frame.columns.map((column) => column.name).filter((name) => !expectedNames.has(name));
    const note = extra.length > 0 ? ` Note that there were extra inputs: ${pythonList(extra)}.` : '';
    throw new SchemaViolation(`Model is missing inputs ${pythonList(missing)}.${note}`);
  }
  const columns: Column[] = [];
  for (const spec of specs) {
    const column = byName.get(spec.name);
    if (column !== undefined) columns.push(enforceColumnType(column, spec.type));
  }
  return { kind: 'columns', rowCount: frame.rowCount, columns };
}

// ---------------------------------------------------------------------------------------------

function enforceTensor(tensor: Tensor, spec: TensorSpec): Tensor {
  if (spec.dtype === 'object' && spec.shape.length === 1 && spec.shape[0] === -1) return tensor;
  const rankMatches = tensor.shape.length === spec.shape.length;
  if (!rankMatches || spec.shape.some((dimension, axis) => dimension !== -1 && dimension !== tensor.shape[axis])) {
    throw new SchemaViolation(
      `Shape of input ${shapeText(tensor.shape)} does not match expected shape ${shapeText(spec.shape)}`,
    );
  }
  const actual = tensor.dtype === 'string' ? 'object' : tensor.dtype;
  const expected = spec.dtype === 'string' ? 'object' : spec.dtype;
  if (actual !== expected) {
    throw new SchemaViolation(
      `dtype of input ${numpyName(tensor.dtype)} does not match expected dtype ${numpyName(spec.dtype)}`,
    );
  }
  return tensor;
}

/** One frame → tensor of `[rows, ncols]` (numpy's `df.values` with a common dtype). */
function frameToMatrix(columns: Column[], rowCount: number, dtype?: DType): Tensor {
  const dtypes = columns.map(columnDType);
  const common = dtype ?? commonDType(dtypes);
  const width = columns.length;
  const data = allocate(common, rowCount * width);
  columns.forEach((column, position) => {
    const values = column.values;
    const big = common === 'int64' || common === 'uint64';
    const sourceBig = typeof values[0] === 'bigint';
    for (let row = 0; row < rowCount; row++) {
      const value = values[row];
      data[row * width + position] = (
        big && !sourceBig ? BigInt(value as number) : !big && sourceBig ? Number(value) : value
      ) as never;
    }
  });
  return { dtype: common, shape: [rowCount, width], data };
}

export function commonDType(dtypes: DType[]): DType {
  const unique = [...new Set(dtypes)];
  if (unique.length === 1) return unique[0] as DType;
  if (unique.length === 0) return 'float64';
  if (unique.every((dtype) => isNumericDType(dtype) && dtype !== 'bool')) {
    if (unique.every((dtype) => isSigned(dtype) || isUnsigned(dtype))) return 'int64';
    return 'float64';
  }
  return 'object';
}

/** A frame column for a named tensor spec: `[rows, ...spec.shape[1:]]`. */
function columnToTensor(column: Column, rowCount: number, spec: TensorSpec): Tensor {
  const dtype = columnDType(column);
  if (spec.shape.length <= 1) return { dtype, shape: [rowCount], data: column.values };
  if (spec.shape[0] !== -1 || spec.shape.slice(1).some((dimension) => dimension === -1)) {
    throw new SchemaViolation(
      `For pandas dataframe input, the first dimension of shape must be a variable dimension and other dimensions must be fixed, but in model signature the shape of input ${spec.name} is ${shapeText(spec.shape)}.`,
    );
  }
  if (dtype !== 'object') return { dtype, shape: [rowCount, ...spec.shape.slice(1)], data: column.values };
  const tensor = buildTensor(
    Array.from(column.values as unknown[]),
    isNumericDType(spec.dtype) ? spec.dtype : undefined,
  );
  return tensor;
}

function enforceTensorSchema(input: ModelInput, schema: Extract<Schema, { kind: 'tensors' }>): ModelInput {
  const named = schema.specs[0]?.name !== undefined;
  if (input.kind === 'columns') {
    if (input.rowCount === 0) throw new SchemaViolation('Input DataFrame is empty.');
    if (!named) {
      const spec = schema.specs[0] as TensorSpec;
      const matrix =
        input.columns.length === 1 && spec.shape.length !== 2
          ? columnToTensor(input.columns[0] as Column, input.rowCount, spec)
          : frameToMatrix(input.columns, input.rowCount);
      return { kind: 'tensors', tensors: { [UNNAMED_TENSOR]: enforceTensor(matrix, spec) } };
    }
    const byName = new Map(input.columns.map((column) => [column.name, column]));
    const lone = schema.specs.length === 1 ? (schema.specs[0] as TensorSpec) : undefined;
    if (lone !== undefined && !byName.has(lone.name as string) && lone.shape.length === 2) {
      // Berth extension: a frame without the one named 2-D tensor's column (CSV, unnamed split) is that tensor.
      return {
        kind: 'tensors',
        tensors: { [lone.name as string]: enforceTensor(frameToMatrix(input.columns, input.rowCount), lone) },
      };
    }
    const missing = schema.specs.filter((spec) => !byName.has(spec.name as string)).map((spec) => spec.name as string);
    if (missing.length > 0) throw new SchemaViolation(`Model is missing inputs ${pythonList(missing)}.`);
    const tensors: Record<string, Tensor> = namedRecord();
    for (const spec of schema.specs) {
      tensors[spec.name as string] = enforceTensor(
        columnToTensor(byName.get(spec.name as string) as Column, input.rowCount, spec),
        spec,
      );
    }
    return { kind: 'tensors', tensors };
  }
  const entries = Object.entries(input.tensors);
  if (!named) {
    if (entries.length !== 1) {
      throw new SchemaViolation(
        `This model contains a tensor-based model signature with no input names, which suggests a numpy array input, but an input of type dict with ${entries.length} tensors was found.`,
      );
    }
    return {
      kind: 'tensors',
      tensors: { [UNNAMED_TENSOR]: enforceTensor((entries[0] as [string, Tensor])[1], schema.specs[0] as TensorSpec) },
    };
  }
  const lone = entries.length === 1 && entries[0]?.[0] === UNNAMED_TENSOR ? entries[0][1] : undefined;
  if (lone !== undefined && schema.specs.length === 1) {
    const spec = schema.specs[0] as TensorSpec;
    return { kind: 'tensors', tensors: { [spec.name as string]: enforceTensor(lone, spec) } };
  }
  const missing = schema.specs
    .filter((spec) => !((spec.name as string) in input.tensors))
    .map((spec) => spec.name as string);
  if (missing.length > 0) throw new SchemaViolation(`Model is missing inputs ${pythonList(missing)}.`);
  const tensors: Record<string, Tensor> = namedRecord();
  for (const spec of schema.specs)
    tensors[spec.name as string] = enforceTensor(input.tensors[spec.name as string] as Tensor, spec);
  return { kind: 'tensors', tensors };
}

/** A short picture of the data for messages (MLflow prints the whole DataFrame; bodies can be huge). */
export function describeInput(input: ModelInput): string {
  const limit = 3;
  if (input.kind === 'columns') {
    const rows: string[] = [];
    for (let row = 0; row < Math.min(limit, input.rowCount); row++) {
      rows.push(
        `{${input.columns.map((column) => `${JSON.stringify(column.name)}: ${JSON.stringify(readElement(column.values, row, columnDType(column)), jsonSafe)}`).join(', ')}}`,
      );
    }
    const more = input.rowCount > limit ? `, … (${input.rowCount} rows)` : '';
    return `[${rows.join(', ')}${more}]`;
  }
  const parts = Object.entries(input.tensors).map(
    ([name, tensor]) =>
      `${name === UNNAMED_TENSOR ? '<unnamed>' : name}: ${numpyName(tensor.dtype)}${shapeText(tensor.shape)}`,
  );
  return `{${parts.join(', ')}}`;
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Enforces an input schema; returns the data the model should see (reordered, widened, reshaped). */
export function enforceInputSchema(input: ModelInput, schema: Schema): ModelInput {
  try {
    return schema.kind === 'columns' ? enforceColumnSchema(input, schema) : enforceTensorSchema(input, schema);
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    if (/^(true|1)$/i.test(process.env.MLFLOW_DISABLE_SCHEMA_DETAILS ?? '')) {
      throw BerthError.invalidParameterValue('Failed to enforce model input schema. Please check your input data.', {
        cause: error,
      });
    }
    throw BerthError.invalidParameterValue(
      `Failed to enforce schema of data '${describeInput(input)}' with schema '${schemaText(schema)}'. Error: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// params

function convertParamScalar(value: unknown, type: ColumnType): unknown {
  const fail = () => new SchemaViolation(`Can not safely convert ${pythonClass(value)} to DataType.${type}`);
  switch (type) {
    case 'datetime': {
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value;
      throw new SchemaViolation(
        `Failed to convert value \`${String(value)}\` from type \`${pythonClass(value)}\` to \`DataType.datetime\``,
      );
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      throw fail();
    case 'string':
      if (typeof value === 'string') return value;
      throw fail();
    case 'integer':
    case 'long':
      if (typeof value === 'number' && Number.isInteger(value)) {
        if (type === 'integer' && (value > 2147483647 || value < -2147483648)) throw fail();
        return value;
      }
      throw fail();
    case 'float':
    case 'double':
      if (typeof value === 'number') return value;
      throw fail();
    case 'binary':
      throw new SchemaViolation('Binary type is not supported for parameters');
  }
}

function convertParam(value: unknown, spec: ParamSpec): unknown {
  // null is a value for a scalar param; an array param takes only a list (MLflow's check).
  if ((value === null || value === undefined) && spec.shape === null) return null;
  if (spec.shape === null) {
    if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
      throw new SchemaViolation(
        `Value must be a scalar for type \`DataType.${spec.type}\`, but got \`${JSON.stringify(value)}\``,
      );
    }
    return convertParamScalar(value, spec.type);
  }
  if (!Array.isArray(value)) {
    throw new SchemaViolation(
      `Value must be a 1D array with shape (-1,) for param '${spec.name}': ${spec.type}, received ${pythonClass(value)}`,
    );
  }
  return value.map((item) => convertParamScalar(item, spec.type));
}

/**
 * Params against a params schema: unknown keys dropped, missing ones defaulted, values converted;
 * all failures reported together. Without a schema params are dropped (MLflow warns).
 */
export function enforceParams(
  params: Record<string, unknown> | undefined,
  specs: ParamSpec[] | undefined,
): { params: Record<string, unknown> | undefined; ignored: string[] } {
  if (specs === undefined) return { params: undefined, ignored: Object.keys(params ?? {}) };
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    throw BerthError.invalidParameterValue(`Parameters must be a dictionary. Got type '${pythonTypeName(params)}'.`);
  }
  const given = params ?? {};
  const result: Record<string, unknown> = namedRecord();
  const invalid: Array<[string, string]> = [];
  for (const spec of specs) {
    if (!(spec.name in given)) {
      result[spec.name] = spec.default;
      continue;
    }
    try {
      result[spec.name] = convertParam(given[spec.name], spec);
    } catch (error) {
      invalid.push([
        spec.name,
        `Failed to validate type and shape for '${spec.name}', error: ${(error as Error).message}`,
      ]);
    }
  }
  if (invalid.length > 0) {
    const text = invalid.map(([name, message]) => `('${name}', '${message}')`).join(', ');
    throw BerthError.invalidParameterValue(`Invalid parameters found: {${text}}`);
  }
  const known = new Set(specs.map((spec) => spec.name));
  return { params: result, ignored: Object.keys(given).filter((key) => !known.has(key)) };
}
