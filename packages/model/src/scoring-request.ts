/**
 * The request side of MLflow's scoring protocol (`POST /invocations`): JSON bodies in the
 * `dataframe_split`, `dataframe_records`, `instances` and `inputs` formats (+ `params`) and CSV,
 * turned into columns or tensors with MLflow's messages and error codes. Content-type negotiation
 * (415s, charset) is the server's job.
 */
import { isUtf8 } from 'node:buffer';
import { BerthError } from '@berth/core';
import { parse as parseCsv } from 'csv-parse/sync';
import {
  buildColumn,
  buildTensor,
  buildUntypedTensor,
  ConversionError,
  dataframeError,
  fillTyped,
  inferDType,
  isIntegerDType,
  nestedShape,
  raggedArrayError,
} from './column-builder.js';
import {
  allocate,
  type Column,
  type DType,
  isBigIntDType,
  isNumericDType,
  type ModelInput,
  namedRecord,
  type Tensor,
  type TypedArray,
  UNNAMED_TENSOR,
} from './model-data.js';
import { COLUMN_TYPE_DTYPE, type ColSpec, type ModelSignature, type Schema } from './model-signature.js';
import { pythonTypeName } from './python-type-name.js';

export interface ScoringRequest {
  input: ModelInput;
  params?: Record<string, unknown>;
  /**
   * A unified LLM payload (`messages`, `prompt` or `input` at the top level): MLflow answers these
   * without the `{"predictions": …}` wrapper (`predictionsToJSON(output, { wrap: false })`).
   */
  unwrapped?: true;
}

const LLM_FIELDS = ['messages', 'prompt', 'input'];

const INPUT_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

export const REQUIRED_INPUT_FORMAT =
  "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}";

export const SCORING_PROTOCOL_CHANGE_INFO =
  'IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, ' +
  'you are likely using an outdated scoring request format. To resolve the error, either update your request ' +
  "format or adjust your MLflow Model's requirements file to specify an older version of MLflow (for example, " +
  "change the 'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making a request using the MLflow " +
  'client (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order to use ' +
  'the new request format. For more information about the updated MLflow Model scoring protocol in MLflow 2.0, ' +
  'see https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.';

function badRequest(message: string, cause?: unknown): BerthError {
  return new BerthError(message, { code: 'BAD_REQUEST', ...(cause === undefined ? {} : { cause }) });
}

/**
 * Parses a scoring request body (its bytes, or text already decoded); throws BerthError
 * (BAD_REQUEST / INVALID_PARAMETER_VALUE) only. Bytes that are not UTF-8 are refused wherever
 * they are, even in a field the request does not use (MLflow's server fails on them with a 500).
 */
export function parseScoringRequest(
  body: string | Uint8Array,
  format: 'json' | 'csv',
  signature?: ModelSignature,
): ScoringRequest {
  const source = typeof body === 'string' ? body : utf8Text(body);
  // A UTF-8 byte-order mark before the body is read past, as MLflow's server does.
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  if (format === 'csv') return { input: parseCsvInput(text, signature?.inputs) };
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch (error) {
    decoded = parseJsonWithNonFinite(text, error as Error);
  }
  if (Array.isArray(decoded)) throw badRequest(`Invalid input. ${REQUIRED_INPUT_FORMAT}. Received a list.`);
  if (typeof decoded !== 'object' || decoded === null) {
    throw badRequest(
      `Invalid input. ${REQUIRED_INPUT_FORMAT}. Received unexpected input type '${pythonTypeName(decoded)}'.`,
    );
  }
  return parseJsonRequest(decoded as Record<string, unknown>, signature);
}

function utf8Text(bytes: Uint8Array): string {
  if (!isUtf8(bytes)) {
    throw badRequest('Invalid input. The request body is not valid UTF-8. Send the JSON or CSV body encoded as UTF-8.');
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};
/**
 * A non-finite token becomes the string NUL + token (written as the escape `\u0000`: NUL cannot
 * appear raw in JSON text, so no string of the request itself starts with it unescaped).
 */
const NON_FINITE_MARK = '\\u0000';

/**
 * JSON with Python's `NaN`, `Infinity` and `-Infinity` tokens, which Python's `json` writes for
 * missing and infinite values (MLflow's own client sends them) and MLflow's server reads. Only
 * tried when JSON.parse refused the body; a body that is still not JSON gets MLflow's message
 * with JSON.parse's reason for the original text.
 */
function parseJsonWithNonFinite(text: string, original: Error): unknown {
  const refused = () =>
    badRequest(
      `Invalid input. Ensure that input is a valid JSON formatted string. Error: '${original.message}'`,
      original,
    );
  let rewritten = '';
  let from = 0;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      continue;
    }
    const token = text.startsWith('NaN', i)
      ? 'NaN'
      : text.startsWith('Infinity', i)
        ? 'Infinity'
        : text.startsWith('-Infinity', i)
          ? '-Infinity'
          : undefined;
    if (token === undefined) continue;
    rewritten += `${text.slice(from, i)}"${NON_FINITE_MARK}${token}"`;
    i += token.length - 1;
    from = i + 1;
    found = true;
  }
  if (!found) throw refused();
  try {
    return JSON.parse(rewritten + text.slice(from), (_key, value) =>
      typeof value === 'string' && value.charCodeAt(0) === 0 && value.slice(1) in NON_FINITE
        ? NON_FINITE[value.slice(1)]
        : value,
    );
  } catch {
    throw refused();
  }
}

function parseJsonRequest(request: Record<string, unknown>, signature?: ModelSignature): ScoringRequest {
  const fields = INPUT_FIELDS.filter((field) => Object.hasOwn(request, field));
  if (fields.length === 0 && LLM_FIELDS.some((field) => Object.hasOwn(request, field))) {
    return parseLlmRequest(request, signature);
  }
  if (fields.length !== 1) {
    const keys = Object.keys(request)
      .map((key) => `'${key}'`)
      .join(', ');
    throw badRequest(
      `Invalid input. ${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [${keys}]. ${SCORING_PROTOCOL_CHANGE_INFO}`,
    );
  }
  const params = parseParamsField(request.params, signature);
  const schema = signature?.inputs;
  const field = fields[0] as (typeof INPUT_FIELDS)[number];
  const value = request[field];
  let input: ModelInput;
  if (field === 'dataframe_split') input = parseDataframeSplit(value, schema);
  else if (field === 'dataframe_records') input = parseDataframeRecords(value, schema);
  else {
    if (Object.hasOwn(request, 'signature_name')) {
      throw badRequest('"signature_name" parameter is currently not supported');
    }
    input = field === 'instances' ? parseInstances(value, schema) : parseInputs(value, schema);
  }
  return params === undefined ? { input } : { input, params };
}

/**
 * Keys named in the params schema are params; everything else is data, passed as a one-row frame
 * with one object column per key (MLflow passes the dict itself).
 */
function parseLlmRequest(request: Record<string, unknown>, signature?: ModelSignature): ScoringRequest {
  const paramNames = new Set((signature?.params ?? []).map((spec) => spec.name));
  const params: Record<string, unknown> = namedRecord();
  const columns: Column[] = [];
  for (const [key, value] of Object.entries(request)) {
    if (paramNames.has(key)) params[key] = value;
    else columns.push({ name: key, dtype: 'object', values: [value] });
  }
  const input: ModelInput = { kind: 'columns', rowCount: 1, columns };
  return Object.keys(params).length > 0 ? { input, params, unwrapped: true } : { input, unwrapped: true };
}

function parseParamsField(params: unknown, signature: ModelSignature | undefined): Record<string, unknown> | undefined {
  if (params === undefined || params === null) return undefined;
  if (typeof params !== 'object' || Array.isArray(params)) {
    // MLflow checks params against the model's params schema only; without one they are ignored.
    if (signature?.params === undefined) return undefined;
    throw BerthError.invalidParameterValue(`Parameters must be a dictionary. Got type '${pythonTypeName(params)}'.`);
  }
  return params as Record<string, unknown>;
}

/** Column specs by name, built once per schema (schemaDType asks for every column of every request). */
const specsBySchema = new WeakMap<Schema, Map<string, ColSpec>>();
function columnSpecs(schema: Schema | undefined): Map<string, ColSpec> {
  if (schema === undefined) return new Map();
  let specs = specsBySchema.get(schema);
  if (specs === undefined) {
    specs = new Map<string, ColSpec>();
    if (schema.kind === 'columns')
      for (const spec of schema.specs) if (spec.name !== undefined) specs.set(spec.name, spec);
    specsBySchema.set(schema, specs);
  }
  return specs;
}

/** dtype a schema asks for in a named column (undefined: infer); unnamed schemas map by position. */
function schemaDType(schema: Schema | undefined, name: string, position: number): DType | undefined {
  if (schema === undefined) return undefined;
  if (schema.kind === 'tensors') {
    // A tensor schema fed a DataFrame: each column takes the tensor's dtype (MLflow reshapes columns).
    const named = schema.specs.find((candidate) => candidate.name === name);
    // A named tensor of rank > 1 arrives as a column of lists: read as objects, reshaped later.
    if (named !== undefined && named.shape.length > 1) return undefined;
    const spec = named ?? (schema.specs.length === 1 ? schema.specs[0] : undefined);
    return spec && isNumericDType(spec.dtype) ? spec.dtype : undefined;
  }
  const spec = schema.specs[0]?.name === undefined ? schema.specs[position] : columnSpecs(schema).get(name);
  if (spec === undefined || typeof spec.type !== 'string') return spec === undefined ? undefined : 'object';
  return COLUMN_TYPE_DTYPE[spec.type];
}

// ---------------------------------------------------------------------------------------------
// dataframe_split — the hot path: rows are read straight into one typed array per column.

function parseDataframeSplit(value: unknown, schema: Schema | undefined): ModelInput {
  if (Array.isArray(value)) throw badRequest('Dataframe split format must be a dictionary. Got list.');
  if (typeof value !== 'object' || value === null) {
    throw badRequest(`Dataframe split format must be a dictionary. Got ${pythonTypeName(value)}.`);
  }
  const split = value as Record<string, unknown>;
  const keys = Object.keys(split);
  if (!('data' in split) || keys.some((key) => key !== 'data' && key !== 'columns' && key !== 'index')) {
    throw badRequest(
      `Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got [${keys.map((key) => `'${key}'`).join(', ')}].'`,
    );
  }
  if (
    schema?.kind === 'tensors' &&
    schema.specs[0]?.name === undefined &&
    Array.isArray(split.data) &&
    split.data.some(holdsNestedCell)
  ) {
    // pandas holds list cells as objects; MLflow refuses them when it enforces an unnamed tensor
    // schema (a named one reads each column of lists as its tensor).
    throw BerthError.invalidParameterValue(
      `Failed to enforce schema of data with schema ${describeTensors(schema)}. Error: a DataFrame column of lists cannot be read as a tensor; send the tensor as 'inputs' or 'instances'.`,
    );
  }
  let frame: ModelInput;
  try {
    frame = splitToColumns(split.data, split.columns, split.index, schema);
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    throw dataframeError('split', error);
  }
  const first = frame.kind === 'columns' ? frame.columns[0] : undefined;
  if (frame.kind === 'columns' && frame.rowCount === 0 && first !== undefined && schema?.kind === 'tensors') {
    // MLflow casts a split for a tensor signature column by column, reading each column's first
    // value: an empty frame fails there, as a request error.
    const dtype = schema.specs[0]?.dtype ?? 'float64';
    throw badRequest(
      `Invalid input. Data is not compatible with model signature. Failed to convert column ${first.name} to type '${dtype}'. Error: 'IndexError('single positional indexer is out-of-bounds')'`,
    );
  }
  return frame;
}

function holdsNestedCell(row: unknown): boolean {
  return Array.isArray(row) && row.some((cell) => typeof cell === 'object' && cell !== null);
}

function describeTensors(schema: Schema): string {
  return schema.kind === 'tensors'
    ? `[${schema.specs.map((spec) => `${spec.name === undefined ? '' : `'${spec.name}': `}Tensor('${spec.dtype}', (${spec.shape.join(', ')}${spec.shape.length === 1 ? ',' : ''}))`).join(', ')}]`
    : '';
}

function splitToColumns(data: unknown, columnsField: unknown, index: unknown, schema: Schema | undefined): ModelInput {
  if (!Array.isArray(data)) throw new ConversionError('DataFrame constructor not properly called!');
  // pandas treats a flat list as one column, which several column names cannot label.
  const flat = data.length > 0 && data.every((row) => !Array.isArray(row));
  if (flat && Array.isArray(columnsField) && columnsField.length !== 1) {
    throw new ConversionError(
      `Shape of passed values is (${data.length}, 1), indices imply (${data.length}, ${columnsField.length})`,
    );
  }
  const rows = flat ? data.map((item) => [item]) : data;
  const rowCount = rows.length;
  // pandas pads rows shorter than the widest with missing values (NaN, None).
  let width = 0;
  for (let row = 0; row < rowCount; row++) {
    const current = rows[row];
    if (!Array.isArray(current)) throw new ConversionError('DataFrame constructor not properly called!');
    if (current.length > width) width = current.length;
  }
  if (rowCount === 0 && Array.isArray(columnsField)) width = columnsField.length;
  if (Array.isArray(columnsField) && columnsField.length > width) width = columnsField.length;
  const names = columnNames(columnsField, width);
  if (index !== undefined && index !== null) {
    if (!Array.isArray(index)) throw new ConversionError('Index(...) must be called with a collection of some kind');
    if (index.length !== rowCount) {
      throw new ConversionError(
        `Shape of passed values is (${rowCount}, ${width}), indices imply (${index.length}, ${width})`,
      );
    }
  }
  const columns: Column[] = names.map((name, position) =>
    readSplitColumn(rows as unknown[][], position, name, schemaDType(schema, name, position)),
  );
  return { kind: 'columns', rowCount, columns };
}

function columnNames(columnsField: unknown, width: number): string[] {
  if (columnsField === undefined || columnsField === null)
    return Array.from({ length: width }, (_, position) => String(position));
  if (!Array.isArray(columnsField))
    throw new ConversionError('Index(...) must be called with a collection of some kind');
  if (columnsField.length !== width) {
    throw new ConversionError(`${columnsField.length} columns passed, passed data had ${width} columns`);
  }
  // pandas keeps duplicate names (a tensor model reads the frame by position); a column
  // signature refuses them when the schema is enforced.
  return columnsField.map((name) => (typeof name === 'string' ? name : JSON.stringify(name)));
}

function readSplitColumn(rows: unknown[][], position: number, name: string, dtype: DType | undefined): Column {
  const rowCount = rows.length;
  if (dtype === 'float64' || (dtype === undefined && rowCount > 0)) {
    // Optimistic numeric read: one pass into a Float64Array, falling back when a non-number shows up.
    const values = new Float64Array(rowCount);
    let fractional = false;
    let numeric = true;
    for (let row = 0; row < rowCount; row++) {
      const value = (rows[row] as unknown[])[position];
      if (typeof value !== 'number') {
        numeric = false;
        break;
      }
      values[row] = value;
      if (!fractional && !Number.isInteger(value)) fractional = true;
    }
    if (numeric) {
      if (dtype === 'float64' || fractional) return { name, dtype: 'float64', values };
      return { name, dtype: 'int64', values: BigInt64Array.from(values, (item) => BigInt(item)) };
    }
  }
  const raw = new Array<unknown>(rowCount);
  for (let row = 0; row < rowCount; row++) raw[row] = (rows[row] as unknown[])[position];
  if (dtype !== undefined && isNumericDType(dtype)) {
    const typed = allocate(dtype, rowCount) as TypedArray;
    fillTyped(typed, 0, raw, dtype);
    return { name, dtype, values: typed };
  }
  return { name, ...buildColumn(raw, dtype) };
}

// ---------------------------------------------------------------------------------------------
// dataframe_records

function parseDataframeRecords(value: unknown, schema: Schema | undefined): ModelInput {
  if (!Array.isArray(value)) {
    throw badRequest(
      pythonTypeName(value) === 'dict'
        ? 'Dataframe records format must be a list of records. Got dictionary.'
        : `Dataframe records format must be a list of records. Got ${pythonTypeName(value)}.`,
    );
  }
  try {
    if (value.every((record) => Array.isArray(record))) return splitToColumns(value, undefined, undefined, schema);
    return recordsToColumns(value, schema);
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    throw dataframeError('records', error);
  }
}

function recordsToColumns(records: unknown[], schema: Schema | undefined): ModelInput {
  const order: string[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new ConversionError(`Each record must be an object; got ${pythonTypeName(record)}`);
    }
    for (const key of Object.keys(record)) {
      if (!seen.has(key)) {
        seen.add(key);
        order.push(key);
      }
    }
  }
  const columns: Column[] = order.map((name, position) => {
    const dtype = schemaDType(schema, name, position);
    // pandas fills a key a record leaves out with NaN (an explicit null stays None): in a boolean
    // column NaN casts to True, None to False, as numpy's astype(bool) does.
    const missing = dtype === 'bool' ? Number.NaN : null;
    const raw = records.map((record) => {
      const item = (record as Record<string, unknown>)[name];
      return item === undefined ? missing : item;
    });
    return { name, ...buildColumn(raw, dtype) };
  });
  return { kind: 'columns', rowCount: records.length, columns };
}

// ---------------------------------------------------------------------------------------------
// instances / inputs (TF-serving forms)

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseInstances(value: unknown, schema: Schema | undefined): ModelInput {
  refuseNullForUnnamedTensor(value, schema);
  // A dict of columns or named tensors, as `inputs` takes it (MLflow casts both fields the same way).
  if (isPlainObject(value)) return parseInputs(value, schema);
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    // Row form: each key becomes a column/tensor of the stacked values.
    const keys = [...new Set(value.flatMap((record) => Object.keys(record)))];
    const stacked: Record<string, unknown[]> = namedRecord();
    for (const key of keys) {
      const items = value.filter((record) => key in record).map((record) => record[key]);
      stacked[key] = items;
    }
    const lengths = new Set(Object.values(stacked).map((items) => items.length));
    if (lengths.size > 1) throw badRequest('The length of values for each input/column name are not the same');
    return dictToInput(stacked, schema);
  }
  return valueToInput(value, schema);
}

/** MLflow's answer to `null` for a model whose signature is one unnamed tensor. */
function refuseNullForUnnamedTensor(value: unknown, schema: Schema | undefined): void {
  if (value === null && schema?.kind === 'tensors' && schema.specs[0]?.name === undefined) {
    throw badRequest(
      "Invalid input. Failed to parse input data. This model contains an un-named  model signature which expects a single n-dimensional array or a single value as input, however, an input of type <class 'NoneType'> was found.",
    );
  }
}

function parseInputs(value: unknown, schema: Schema | undefined): ModelInput {
  refuseNullForUnnamedTensor(value, schema);
  if (isPlainObject(value)) {
    if (schema?.kind === 'tensors' && schema.specs[0]?.name === undefined) {
      throw badRequest(
        'Failed to parse input data. This model contains an un-named model signature which expects a single n-dimensional array or a single value as input, however, an input of type dict was found.',
      );
    }
    return dictToInput(value, schema);
  }
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    if (schema?.kind === 'tensors') {
      // MLflow keeps the list of records as it is; its tensor schema check refuses it.
      throw BerthError.invalidParameterValue(
        `Failed to enforce schema of data with schema ${describeTensors(schema)}. Error: a list of records cannot be read as tensors; send a dict of tensors ({"inputs": {"name": [...]}}).`,
      );
    }
    return parseDataframeRecordsLike(value, schema);
  }
  return valueToInput(value, schema);
}

function parseDataframeRecordsLike(records: unknown[], schema: Schema | undefined): ModelInput {
  try {
    return recordsToColumns(records, schema);
  } catch (error) {
    throw badRequest(`Failed to parse input data. Error: '${(error as Error).message}'`, error);
  }
}

/** A dict of name → values: columns for a column schema, named tensors otherwise. */
function dictToInput(dict: Record<string, unknown>, schema: Schema | undefined): ModelInput {
  try {
    if (schema?.kind === 'columns') return dictToColumns(dict, schema);
    const tensors: Record<string, Tensor> = namedRecord();
    for (const [name, item] of Object.entries(dict)) {
      const spec = schema?.kind === 'tensors' ? schema.specs.find((candidate) => candidate.name === name) : undefined;
      tensors[name] =
        schema === undefined
          ? buildUntypedTensor(item)
          : buildTensor(item, spec && isNumericDType(spec.dtype) ? spec.dtype : undefined);
    }
    return { kind: 'tensors', tensors };
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    throw badRequest(`Failed to parse input data. Error: '${(error as Error).message}'`, error);
  }
}

function dictToColumns(dict: Record<string, unknown>, schema: Schema): ModelInput {
  const entries = Object.entries(dict);
  // A dict of scalars is one row (MLflow turns it into a one-row DataFrame).
  const lists = entries.map(([, item]) => (Array.isArray(item) ? item : [item]));
  const rowCount = lists[0]?.length ?? 0;
  if (lists.some((list) => list.length !== rowCount)) {
    // MLflow reads the dict as it is and refuses it when it enforces the column schema.
    throw BerthError.invalidParameterValue(
      'Failed to enforce schema of data: the length of values for each input/column name are not the same',
    );
  }
  const columns = entries.map(([name], position) => ({
    name,
    ...buildColumn(lists[position] as unknown[], schemaDType(schema, name, position)),
  }));
  return { kind: 'columns', rowCount, columns };
}

/** A list or scalar: one unnamed tensor, or the single column of a one-column named schema. */
function valueToInput(value: unknown, schema: Schema | undefined): ModelInput {
  if (schema?.kind === 'columns' && !Array.isArray(value)) refuseScalarForFirstColumn(value, schema);
  try {
    if (schema?.kind === 'columns') {
      const first = schema.specs[0];
      if (
        schema.specs.length === 1 &&
        first?.name !== undefined &&
        Array.isArray(value) &&
        value.every((item) => !Array.isArray(item))
      ) {
        return dictToColumns({ [first.name]: value }, schema);
      }
      if (Array.isArray(value) && value.every((row) => Array.isArray(row))) {
        // MLflow first makes one numpy array of the rows with the first column's type
        // (_cast_schema_type): ragged rows, or a word where that type is a number, fail there.
        if (new Set(value.map((row) => (row as unknown[]).length)).size > 1) throw raggedArrayError(value);
        const dtype = first !== undefined && typeof first.type === 'string' ? COLUMN_TYPE_DTYPE[first.type] : undefined;
        if (dtype !== undefined && isNumericDType(dtype) && dtype !== 'bool') {
          for (const row of value as unknown[][]) {
            for (const cell of row) {
              if (
                typeof cell === 'string' &&
                cell.trim() !== '' &&
                Number.isNaN(Number(cell)) &&
                !/^[-+]?(nan|inf(inity)?)$/i.test(cell.trim())
              ) {
                throw new ConversionError(`could not convert string to float: '${cell}'`);
              }
            }
          }
        }
        return splitToColumns(value, undefined, undefined, schema);
      }
    }
    const spec = schema?.kind === 'tensors' ? schema.specs[0] : undefined;
    if (schema?.kind === 'tensors' && Array.isArray(value) && value.length === 0) {
      // MLflow keeps an empty list as a list, which its tensor schema check refuses.
      throw BerthError.invalidParameterValue(
        `Failed to enforce schema of data '[]' with schema ${describeTensors(schema)}. Error: the input is an empty list; send at least one row.`,
      );
    }
    // np.array(ragged, dtype=str) refuses ragged lists as it does for numbers.
    if (spec?.dtype === 'string' && Array.isArray(value) && nestedShape(value) === undefined) {
      throw raggedArrayError(value);
    }
    const tensor =
      schema === undefined
        ? buildUntypedTensor(value)
        : buildTensor(value, spec && isNumericDType(spec.dtype) ? spec.dtype : undefined);
    const name = spec?.name ?? UNNAMED_TENSOR;
    return { kind: 'tensors', tensors: { [name]: tensor } };
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    throw badRequest(`Failed to parse input data. Error: '${(error as Error).message}'`, error);
  }
}

/**
 * A scalar (or null) for a column signature: MLflow casts it to the first column's type as numpy
 * would (`np.array([value], dtype)`) before anything else, and a value that type cannot hold
 * (null or a word for an integer, a word for a float) is a request error.
 */
function refuseScalarForFirstColumn(value: unknown, schema: Schema & { kind: 'columns' }): void {
  const first = schema.specs[0];
  if (first === undefined || typeof first.type !== 'string' || first.name === undefined) return;
  const dtype = COLUMN_TYPE_DTYPE[first.type];
  const numberLike = (text: string) => text.trim() !== '' && !Number.isNaN(Number(text.trim()));
  let fits = true;
  if (dtype !== undefined && isIntegerDType(dtype)) {
    fits =
      (typeof value === 'number' && Number.isFinite(value)) ||
      typeof value === 'boolean' ||
      (typeof value === 'string' && /^\s*[-+]?\d+(_\d+)*\s*$/.test(value));
  } else if (dtype === 'float32' || dtype === 'float64') {
    fits = typeof value !== 'string' || numberLike(value) || /^\s*[-+]?(nan|inf(inity)?)\s*$/i.test(value);
    if (typeof value === 'object' && value !== null) fits = false;
  }
  if (fits) return;
  const shown = value === null ? 'None' : typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
  const required = first.required === false ? 'optional' : 'required';
  throw badRequest(
    `Invalid input. Failed to convert data \`${shown}\` to type \`'${first.name}': ${first.type} (${required})\` defined in the model signature.`,
  );
}

// ---------------------------------------------------------------------------------------------
// CSV (pandas.read_csv semantics for the common cases)

const CSV_ERROR_PREFIX =
  'Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method.';

function parseCsvInput(body: string, schema: Schema | undefined): ModelInput {
  let records: string[][];
  try {
    // relax_quotes: pandas reads a quote inside an unquoted field as text (JSON sent as CSV
    // becomes a frame of odd column names, refused by the schema, as in MLflow).
    records = parseCsv(body, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: true,
    }) as string[][];
  } catch (error) {
    throw badRequest(`${CSV_ERROR_PREFIX} Error: '${(error as Error).message}'`, error);
  }
  const header = records[0];
  if (header === undefined || header.length === 0) {
    throw badRequest(`${CSV_ERROR_PREFIX} Error: 'No columns to parse from file'`);
  }
  const names = header.map((name, position) => (name === '' ? `Unnamed: ${position}` : name));
  let rows = records.slice(1);
  // pandas' row lengths: a first data row one cell longer than the header makes the first cell of
  // every row an index (dropped here); a later row longer than that is a tokenizing error; shorter
  // rows are padded with missing values.
  const indexed = rows[0] !== undefined && rows[0].length === names.length + 1;
  const expected = indexed ? names.length + 1 : names.length;
  const long = rows.findIndex((row) => row.length > expected);
  if (long !== -1) {
    throw badRequest(
      `${CSV_ERROR_PREFIX} Error: 'Error tokenizing data. C error: Expected ${expected} fields in line ${long + 2}, saw ${(rows[long] as string[]).length}\n'`,
    );
  }
  if (indexed) rows = rows.map((row) => row.slice(1));
  try {
    const columns = names.map((name, position) => {
      const raw = rows.map((row) => row[position] ?? '');
      return { name, ...csvColumn(raw, schemaDType(schema, name, position), position) };
    });
    return { kind: 'columns', rowCount: rows.length, columns };
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    throw badRequest(`${CSV_ERROR_PREFIX} Error: '${(error as Error).message}'`, error);
  }
}

const CSV_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** pandas.read_csv's default missing-value cells. */
export const CSV_NA = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);
const CSV_TRUE = new Set(['True', 'TRUE', 'true']);
const CSV_FALSE = new Set(['False', 'FALSE', 'false']);
/** What pandas' float parser reads: decimals with an exponent, inf/infinity, spaces around. */
const CSV_FLOAT = /^\s*[-+]?((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|inf(inity)?)\s*$/i;
const CSV_INTEGER = /^\s*[-+]?\d+\s*$/;

function csvFloat(cell: string): number {
  const text = cell.trim().toLowerCase().replace(/^\+/, '');
  if (text === 'inf' || text === 'infinity') return Number.POSITIVE_INFINITY;
  if (text === '-inf' || text === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/**
 * One CSV column read as `pandas.read_csv(dtype=…)` reads it with the dtype the column's schema asks
 * for (MLflow passes the schema's pandas types): each rule and its message is pandas'.
 * - float: missing cells are NaN; decimals, exponents, `inf`/`infinity` read; a column of only
 *   `true`/`false` cells reads as 1/0; any other word is refused.
 * - integer: a missing cell is refused; whole numbers read (`2.0`, `1e3` included; int32 wraps as
 *   pandas does); a fraction or `inf` is refused, and so is a word; a column of only `true`/`false`
 *   reads as 1/0.
 * - bool: `True`/`true`/`TRUE`/`False`/… or a column of only 0s and 1s; a missing cell or anything
 *   else is refused.
 * - string: every cell as written, missing cells as null.
 */
export function csvColumn(
  raw: string[],
  dtype: DType | undefined,
  position: number,
): { dtype: DType; values: TypedArray | unknown[] } {
  if (dtype === 'string') return { dtype, values: raw.map((cell) => (CSV_NA.has(cell) ? null : cell)) };
  if (dtype === 'float32' || dtype === 'float64') {
    return buildColumn(csvFloats(raw, dtype, position), dtype);
  }
  if (dtype !== undefined && isIntegerDType(dtype)) return csvIntegers(raw, dtype, position);
  if (dtype === 'bool') return buildColumn(csvBooleans(raw, position), 'bool');
  const values: unknown[] = raw.map((cell) => {
    if (CSV_NA.has(cell)) return null;
    if (CSV_NUMBER.test(cell.trim())) return Number(cell);
    if (cell === 'True' || cell === 'true') return true;
    if (cell === 'False' || cell === 'false') return false;
    return cell;
  });
  // pandas reads "1.0" as float; keep that distinction, which JSON.parse cannot see.
  const inferred = dtype ?? inferDType(values);
  if (dtype === undefined && inferred === 'int64' && raw.some((cell) => cell.includes('.') || /e/i.test(cell))) {
    return buildColumn(values, 'float64');
  }
  return buildColumn(values, inferred);
}

/** All present cells are true/false words (pandas then reads the column as bool first). */
function allBooleanWords(raw: string[]): boolean {
  let any = false;
  for (const cell of raw) {
    if (CSV_NA.has(cell)) continue;
    if (!CSV_TRUE.has(cell) && !CSV_FALSE.has(cell)) return false;
    any = true;
  }
  return any;
}

function csvFloats(raw: string[], dtype: DType, position: number): number[] {
  if (allBooleanWords(raw)) return raw.map((cell) => (CSV_NA.has(cell) ? Number.NaN : CSV_TRUE.has(cell) ? 1 : 0));
  return raw.map((cell) => {
    if (CSV_NA.has(cell)) return Number.NaN;
    if (!CSV_FLOAT.test(cell)) throw new ConversionError(`could not convert string to float: '${cell}'`);
    const value = csvFloat(cell);
    if (!Number.isFinite(value) && !/inf/i.test(cell)) {
      throw new ConversionError(
        `cannot safely convert passed user dtype of ${dtype} for object dtyped data in column ${position}`,
      );
    }
    return value;
  });
}

function csvIntegers(raw: string[], dtype: DType, position: number): { dtype: DType; values: TypedArray } {
  if (raw.some((cell) => CSV_NA.has(cell))) {
    throw new ConversionError(`Integer column has NA values in column ${position}`);
  }
  let integers: bigint[];
  if (allBooleanWords(raw)) integers = raw.map((cell) => (CSV_TRUE.has(cell) ? 1n : 0n));
  else {
    const word = raw.find((cell) => !CSV_INTEGER.test(cell) && !CSV_FLOAT.test(cell));
    if (word !== undefined) throw new ConversionError(`invalid literal for int() with base 10: '${word}'`);
    if (raw.some((cell) => !CSV_INTEGER.test(cell) && !Number.isInteger(csvFloat(cell)))) {
      throw new ConversionError(
        `cannot safely convert passed user dtype of ${dtype} for float64 dtyped data in column ${position}`,
      );
    }
    integers = raw.map((cell) => (CSV_INTEGER.test(cell) ? BigInt(cell.trim()) : BigInt(csvFloat(cell))));
  }
  if (dtype === 'int64' && integers.some((value) => value >= 2n ** 63n || value < -(2n ** 63n))) {
    if (integers.some((value) => value < 0n) || integers.some((value) => value >= 2n ** 64n)) {
      // pandas can hold such a column in no integer dtype.
      throw new ConversionError('Cannot convert to numerical dtype');
    }
    // pandas reads such a column as uint64; MLflow's schema check then refuses it.
    throw BerthError.invalidParameterValue(
      `Failed to enforce schema of data: column ${position} holds an integer that int64 cannot represent. Can not safely convert to int64.`,
    );
  }
  const typed = allocate(dtype, integers.length) as TypedArray;
  const bits = dtype === 'uint64' || dtype === 'int64' ? 64 : Number(/\d+/.exec(dtype)?.[0] ?? 64);
  const unsigned = dtype.startsWith('u');
  integers.forEach((value, index) => {
    const wrapped = unsigned ? BigInt.asUintN(bits, value) : BigInt.asIntN(bits, value);
    typed[index] = (isBigIntDType(dtype) ? wrapped : Number(wrapped)) as never;
  });
  return { dtype, values: typed };
}

function csvBooleans(raw: string[], position: number): boolean[] {
  if (raw.some((cell) => CSV_NA.has(cell)))
    throw new ConversionError(`Bool column has NA values in column ${position}`);
  if (raw.every((cell) => CSV_TRUE.has(cell) || CSV_FALSE.has(cell))) return raw.map((cell) => CSV_TRUE.has(cell));
  if (raw.every((cell) => CSV_INTEGER.test(cell) && /^\s*[-+]?0*[01]\s*$/.test(cell))) {
    return raw.map((cell) => /1\s*$/.test(cell));
  }
  const inferred = raw.every((cell) => CSV_INTEGER.test(cell))
    ? raw.some((cell) => BigInt(cell.trim()) >= 2n ** 63n)
      ? 'uint64'
      : 'int64'
    : raw.every((cell) => CSV_FLOAT.test(cell))
      ? 'float64'
      : 'object';
  throw new ConversionError(
    `cannot safely convert passed user dtype of bool for ${inferred} dtyped data in column ${position}`,
  );
}
