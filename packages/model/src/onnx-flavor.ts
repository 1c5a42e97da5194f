/**
 * The `onnx` flavor, run with onnxruntime-node (imported on first use). Mirrors MLflow's
 * `_OnnxModelWrapper`: a single-input model takes the whole frame or the lone tensor; several
 * inputs are fed by name; `tensor(float)` inputs get float64 data cast to float32; one output per
 * output name.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { buildTensor } from './column-builder.js';
import type { FlavorRunner } from './flavor.js';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import {
  allocate,
  type Column,
  columnDType,
  type DType,
  isNumericDType,
  type ModelInput,
  type ModelOutput,
  namedRecord,
  type Tensor,
  type TypedArray,
  UNNAMED_TENSOR,
} from './model-data.js';
import { ModelEvaluationError } from './model-evaluation-error.js';
import { externalDataLocations } from './onnx-external-data.js';
import { toOrtSessionOptions } from './onnx-session-options.js';
import { exposeZipMapInputs, findZipMaps, type ZipMapOutput, zipRows } from './onnx-zipmap.js';
import { commonDType } from './schema-enforcement.js';

type OrtModule = typeof import('onnxruntime-node');
let ortModule: Promise<OrtModule> | undefined;

function loadOrt(): Promise<OrtModule> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

interface InputInfo {
  name: string;
  type: string;
  rank: number | undefined;
}

export async function loadOnnxFlavor(directory: string, flavor: Record<string, unknown>): Promise<FlavorRunner> {
  const ort = await loadOrt();
  const file = path.join(directory, typeof flavor.data === 'string' ? flavor.data : 'model.onnx');
  const options = toOrtSessionOptions(flavor.onnx_session_options);
  let session: InferenceSession;
  try {
    // By path, so external-data side files next to model.onnx resolve.
    session = await ort.InferenceSession.create(file, options);
  } catch (error) {
    throw new BerthError(`Failed to load the ONNX model at "${file}": ${(error as Error).message}`, {
      code: 'INVALID_PARAMETER_VALUE',
      cause: error,
    });
  }
  const inputs: InputInfo[] = session.inputMetadata.map((meta) => ({
    name: meta.name,
    type: meta.isTensor ? meta.type : 'object',
    rank: meta.isTensor ? meta.shape.length : undefined,
  }));
  // Non-tensor outputs (a ZipMap's sequence of maps) cannot cross into JS: fetch tensors only, and
  // rebuild ZipMap outputs from their input tensor (see onnx-zipmap.ts).
  let zipMaps: ZipMapOutput[] = [];
  if (session.outputMetadata.some((meta) => !meta.isTensor)) {
    const exposed = await exposeZipMaps(ort, file, options);
    if (exposed) {
      await session.release();
      session = exposed.session;
      zipMaps = exposed.zipMaps;
    }
  }
  const zipMapInputs = new Set(zipMaps.map((zipMap) => zipMap.input));
  const fetches = session.outputMetadata
    .filter((meta) => meta.isTensor && !zipMapInputs.has(meta.name))
    .map((meta) => meta.name);
  const outputOrder = session.outputNames.filter(
    (name) => fetches.includes(name) || zipMaps.some((zipMap) => zipMap.output === name),
  );
  fetches.push(...zipMaps.map((zipMap) => zipMap.input));
  const zipMapByOutput = new Map(zipMaps.map((zipMap) => [zipMap.output, zipMap]));
  if (fetches.length === 0) {
    throw BerthError.invalidParameterValue(
      `The ONNX model at "${file}" has no tensor outputs (outputs: ${session.outputNames.join(', ')}); onnxruntime-node can only return tensors.`,
    );
  }
  return {
    async predict(input, _params, orientation): Promise<ModelOutput> {
      let results: InferenceSession.ReturnType;
      try {
        results = await session.run(buildFeeds(ort, input, inputs), fetches);
      } catch (error) {
        throw ModelEvaluationError.wrap(error);
      }
      const tensors: Record<string, Tensor> = namedRecord();
      for (const name of outputOrder) {
        const zipMap = zipMapByOutput.get(name);
        if (zipMap === undefined) {
          tensors[name] = fromOrt(results[name] as OrtTensor);
          continue;
        }
        const probabilities = results[zipMap.input] as OrtTensor;
        const rows = Number(probabilities.dims[0] ?? 0);
        tensors[name] = {
          dtype: 'object',
          shape: [rows],
          data: zipRows(probabilities.data as Float32Array, rows, zipMap.labels),
        };
      }
      return { kind: 'tensors', orientation, tensors };
    },
    async close() {
      await session.release();
    },
  };
}

async function exposeZipMaps(
  ort: OrtModule,
  file: string,
  options: InferenceSession.SessionOptions,
): Promise<{ session: InferenceSession; zipMaps: ZipMapOutput[] } | undefined> {
  const bytes = new Uint8Array(await readFile(file));
  const zipMaps = findZipMaps(bytes);
  // A model loaded from bytes cannot find external-data side files; skl2onnx models have none.
  if (zipMaps.length === 0 || externalDataLocations(bytes).length > 0) return undefined;
  try {
    return { session: await ort.InferenceSession.create(exposeZipMapInputs(bytes, zipMaps), options), zipMaps };
  } catch {
    return undefined;
  }
}

const ORT_OUTPUT_DTYPES: ReadonlySet<string> = new Set<DType>([
  'float64',
  'float32',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint64',
  'uint32',
  'uint16',
  'uint8',
  'bool',
  'string',
]);

function fromOrt(value: OrtTensor): Tensor {
  const shape = value.dims.map(Number);
  const type = value.type as string;
  if (type === 'float16') {
    // Raw half bit patterns on Node 20 (no Float16Array); answered as float32 values.
    const data = value.data as Uint16Array | Float32Array;
    return {
      dtype: 'float32',
      shape,
      data: data instanceof Uint16Array ? fromFloat16Bits(data) : Float32Array.from(data),
    };
  }
  const dtype = ORT_OUTPUT_DTYPES.has(type) ? (type as DType) : 'object';
  const data = value.data as TypedArray | string[];
  return { dtype, shape, data: Array.isArray(data) ? data.slice() : data };
}

function buildFeeds(ort: OrtModule, input: ModelInput, inputs: InputInfo[]): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  const toFeed = (info: InputInfo, tensor: Tensor) => {
    feeds[info.name] =
      info.type === 'float16' && isNumericDType(tensor.dtype) && tensor.dtype !== 'bool'
        ? new ort.Tensor('float16', toFloat16Bits(tensor.data as ArrayLike<number | bigint>), tensor.shape)
        : toOrt(ort, castForInput(tensor, info.type), info.name);
  };
  if (input.kind === 'tensors') {
    const entries = Object.entries(input.tensors);
    if (inputs.length === 1) {
      const info = inputs[0] as InputInfo;
      const tensor =
        input.tensors[info.name] ?? (entries.length === 1 ? (entries[0] as [string, Tensor])[1] : undefined);
      if (tensor === undefined) throw missingInputs([info.name]);
      toFeed(info, tensor);
      return feeds;
    }
    if (entries.length === 1 && entries[0]?.[0] === UNNAMED_TENSOR) throw unmappableArray(inputs);
    const missing = inputs.filter((info) => !(info.name in input.tensors)).map((info) => info.name);
    if (missing.length > 0) throw missingInputs(missing);
    for (const info of inputs) toFeed(info, input.tensors[info.name] as Tensor);
    return feeds;
  }
  if (inputs.length === 1) {
    const info = inputs[0] as InputInfo;
    toFeed(
      info,
      floatFrameTensor(input.columns, input.rowCount, info) ?? frameTensor(input.columns, input.rowCount, info.rank),
    );
    return feeds;
  }
  const byName = new Map(input.columns.map((column) => [column.name, column]));
  const missing = inputs.filter((info) => !byName.has(info.name)).map((info) => info.name);
  if (missing.length > 0) throw missingInputs(missing);
  for (const info of inputs) toFeed(info, columnTensor(byName.get(info.name) as Column, input.rowCount, info.rank));
  return feeds;
}

function missingInputs(names: string[]): BerthError {
  return BerthError.invalidParameterValue(
    `Model is missing inputs [${names.map((name) => `'${name}'`).join(', ')}]. The ONNX model reads its inputs by name.`,
  );
}

function unmappableArray(inputs: InputInfo[]): BerthError {
  return BerthError.invalidParameterValue(
    `Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for MLflow ONNX models that have a single input. This model requires ${inputs.length} inputs. Please pass in data as either a dictionary or a DataFrame with the following tensors: [${inputs.map((info) => `'${info.name}'`).join(', ')}].`,
  );
}

/**
 * The common case of a frame of float columns fed to a `tensor(float)`/`tensor(double)` input:
 * fill the input's array in one pass. frameTensor + castForInput give the same values (float64 →
 * float32 rounds once either way) through an intermediate float64 array.
 */
function floatFrameTensor(columns: Column[], rowCount: number, info: InputInfo): Tensor | undefined {
  const width = columns.length;
  if (width < 2 || (info.type !== 'float32' && info.type !== 'float64')) return undefined;
  for (const column of columns) {
    const dtype = columnDType(column);
    if (dtype !== 'float64' && dtype !== 'float32') return undefined;
    if (!(column.values instanceof Float64Array || column.values instanceof Float32Array)) return undefined;
  }
  const data = info.type === 'float32' ? new Float32Array(rowCount * width) : new Float64Array(rowCount * width);
  for (let position = 0; position < width; position++) {
    const values = (columns[position] as Column).values as Float64Array | Float32Array;
    for (let row = 0; row < rowCount; row++) data[row * width + position] = values[row] as number;
  }
  return { dtype: info.type, shape: [rowCount, width], data };
}

/** numpy's `df.values`: `[rows, ncols]`, or the column alone for a rank-1 input. */
function frameTensor(columns: Column[], rowCount: number, rank: number | undefined): Tensor {
  if (columns.length === 1) return columnTensor(columns[0] as Column, rowCount, rank);
  const dtype = commonDType(columns.map(columnDType));
  const width = columns.length;
  const data = allocate(dtype, rowCount * width);
  const big = dtype === 'int64' || dtype === 'uint64';
  for (let position = 0; position < width; position++) {
    const values = (columns[position] as Column).values;
    const sourceBig = values instanceof BigInt64Array || values instanceof BigUint64Array;
    if (big === sourceBig) {
      for (let row = 0; row < rowCount; row++) data[row * width + position] = values[row] as never;
    } else {
      for (let row = 0; row < rowCount; row++) {
        const value = values[row];
        data[row * width + position] = (big ? BigInt(value as number) : Number(value)) as never;
      }
    }
  }
  return { dtype, shape: [rowCount, width], data };
}

function columnTensor(column: Column, rowCount: number, rank: number | undefined): Tensor {
  const dtype = columnDType(column);
  if (dtype === 'object' && column.values.length > 0 && Array.isArray(column.values[0])) {
    return buildTensor(Array.from(column.values as unknown[]));
  }
  return { dtype, shape: rank === 1 ? [rowCount] : [rowCount, 1], data: column.values };
}

const ORT_FLOAT_TYPES = new Set(['float32', 'float64']);

const INTEGER_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
};

/**
 * MLflow casts float64 feeds for `tensor(float)` inputs to float32 (JSON numbers are float64).
 * Berth also feeds integer data to float inputs, since JSON cannot say `5.0` (see README).
 */
function castForInput(tensor: Tensor, type: string): Tensor {
  if (type === 'string' && (tensor.dtype === 'object' || tensor.dtype === 'string')) {
    const data = tensor.data as unknown[];
    if (data.every((item) => typeof item === 'string')) return tensor;
    return { dtype: 'string', shape: tensor.shape, data: Array.from(data, pythonStr) };
  }
  if (tensor.dtype === type) return tensor;
  if (
    ORT_FLOAT_TYPES.has(type) &&
    (tensor.dtype === 'float64' || tensor.dtype === 'float32' || isIntegerTyped(tensor.data))
  ) {
    const data = type === 'float32' ? new Float32Array(tensor.data.length) : new Float64Array(tensor.data.length);
    for (let index = 0; index < data.length; index++) data[index] = Number(tensor.data[index]);
    return { dtype: type as DType, shape: tensor.shape, data };
  }
  const range = INTEGER_RANGES[type];
  if (range !== undefined && isIntegerTyped(tensor.data)) {
    // JSON integers arrive as int64; feed int32/int16/… inputs when every value fits (no silent wrap).
    const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
    if (values.every((value) => value >= range[0] && value <= range[1])) {
      const data = allocate(type as DType, values.length) as TypedArray;
      const big = type === 'int64' || type === 'uint64';
      values.forEach((value, index) => {
        data[index] = (big ? BigInt(value) : value) as never;
      });
      return { dtype: type as DType, shape: tensor.shape, data };
    }
  }
  return tensor;
}

/**
 * What a value of a string column becomes in MLflow: pandas keeps an object column as it is and
 * onnxruntime's Python binding feeds each item as `str(item)` — so a number, a boolean, a null
 * (None) or a missing record key (NaN) reaches the model as Python would print it.
 */
export function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  return pythonRepr(value);
}

function pythonRepr(value: unknown): string {
  if (value === null) return 'None';
  if (value === undefined) return 'nan';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${pythonRepr(key)}: ${pythonRepr(item)}`)
      .join(', ')}}`;
  }
  return String(value);
}

function isIntegerTyped(data: TypedArray | unknown[]): boolean {
  return (
    data instanceof BigInt64Array ||
    data instanceof BigUint64Array ||
    data instanceof Int32Array ||
    data instanceof Int16Array ||
    data instanceof Int8Array ||
    data instanceof Uint32Array ||
    data instanceof Uint16Array ||
    (data instanceof Uint8Array && !(data instanceof Uint8ClampedArray))
  );
}

function toOrt(ort: OrtModule, tensor: Tensor, name: string): OrtTensor {
  const type = tensor.dtype === 'string' || tensor.dtype === 'object' ? 'string' : tensor.dtype;
  try {
    return new ort.Tensor(type as 'float32', tensor.data as Float32Array, tensor.shape);
  } catch (error) {
    throw ModelEvaluationError.wrap(
      new Error(`Cannot build input tensor '${name}' of type ${type}: ${(error as Error).message}`),
    );
  }
}
