/**
 * Open Inference Protocol v2 (KServe V2) REST shapes: request → ModelInput, ModelOutput → response,
 * and model metadata from the MLflow signature. Datatypes follow the OIP table; FP16 arrives as
 * JSON numbers and is held as float32 (Node 20 has no Float16Array).
 */
import type { DType, ModelInput, ModelOutput, ModelSignature, Tensor, TypedArray } from '@berth/model';
import { z } from 'zod';

export const OIP_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type OipDatatype = (typeof OIP_DATATYPES)[number];

/** An OIP request error: answered as `{"error": message}` with `status`. */
export class OipError extends Error {
  override readonly name = 'OipError';
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const parameterValue = z.union([z.string(), z.number(), z.boolean()]);
const inferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: z.record(z.string(), parameterValue).optional(),
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().nonnegative()),
        datatype: z.enum(OIP_DATATYPES),
        parameters: z.record(z.string(), parameterValue).optional(),
        data: z.unknown(),
      }),
    )
    .min(1),
  outputs: z
    .array(z.object({ name: z.string(), parameters: z.record(z.string(), parameterValue).optional() }))
    .optional(),
});
export type InferRequest = z.infer<typeof inferRequestSchema>;

export function parseInferRequest(body: string): InferRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new OipError(`Invalid JSON in the inference request: ${(error as Error).message}`);
  }
  const parsed = inferRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new OipError(`Invalid inference request${where}: ${issue?.message ?? 'malformed'}`);
  }
  return parsed.data;
}

const dtypeOfDatatype: Record<OipDatatype, DType> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float32',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

export function datatypeOf(dtype: DType): OipDatatype {
  switch (dtype) {
    case 'bool':
      return 'BOOL';
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return dtype.toUpperCase() as OipDatatype;
    case 'float32':
      return 'FP32';
    case 'float64':
      return 'FP64';
    default:
      return 'BYTES';
  }
}

function flatten(data: unknown, out: unknown[]): void {
  if (Array.isArray(data)) for (const item of data) flatten(item, out);
  else out.push(data);
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/** Builds the typed storage for one OIP input, checking element count and element types. */
export function tensorFromOip(input: InferRequest['inputs'][number]): Tensor {
  const flat: unknown[] = [];
  flatten(input.data, flat);
  const expected = elementCount(input.shape);
  if (flat.length !== expected) {
    throw new OipError(
      `Input '${input.name}' has ${flat.length} elements in 'data' but its shape [${input.shape.join(', ')}] needs ${expected}`,
    );
  }
  const dtype = dtypeOfDatatype[input.datatype];
  return { dtype, shape: [...input.shape], data: fillStorage(input.name, input.datatype, dtype, flat) };
}

function fillStorage(name: string, datatype: OipDatatype, dtype: DType, flat: unknown[]): TypedArray | unknown[] {
  const bad = (value: unknown): never => {
    throw new OipError(`Input '${name}' of datatype ${datatype} holds an invalid element: ${JSON.stringify(value)}`);
  };
  if (datatype === 'BYTES') {
    for (const value of flat) if (typeof value !== 'string') bad(value);
    return flat;
  }
  if (datatype === 'BOOL') {
    const out = new Uint8Array(flat.length);
    flat.forEach((value, index) => {
      if (typeof value === 'boolean') out[index] = value ? 1 : 0;
      else if (value === 0 || value === 1) out[index] = value;
      else bad(value);
    });
    return out;
  }
  if (dtype === 'int64' || dtype === 'uint64') {
    const out = dtype === 'int64' ? new BigInt64Array(flat.length) : new BigUint64Array(flat.length);
    flat.forEach((value, index) => {
      if (typeof value === 'number' && Number.isInteger(value)) out[index] = BigInt(value);
      else if (typeof value === 'string' && /^-?\d+$/.test(value)) out[index] = BigInt(value);
      else bad(value);
    });
    return out;
  }
  const constructors = {
    uint8: Uint8Array,
    uint16: Uint16Array,
    uint32: Uint32Array,
    int8: Int8Array,
    int16: Int16Array,
    int32: Int32Array,
    float32: Float32Array,
    float64: Float64Array,
  } as const;
  const out = new constructors[dtype as keyof typeof constructors](flat.length);
  const integer = !dtype.startsWith('float');
  flat.forEach((value, index) => {
    if (typeof value !== 'number' || (integer && !Number.isInteger(value))) bad(value);
    out[index] = value as number;
  });
  return out;
}

/** OIP inputs → the model's input: columns for a column signature, named tensors otherwise. */
export function modelInputFromOip(request: InferRequest, signature: ModelSignature | undefined): ModelInput {
  const schema = signature?.inputs;
  const tensors = request.inputs.map((input) => ({ name: input.name, tensor: tensorFromOip(input) }));
  if (schema?.kind === 'columns') {
    const rowCount = tensors[0]?.tensor.shape[0] ?? 0;
    const columns = tensors.map(({ name, tensor }) => {
      const [rows = 0, ...rest] = tensor.shape;
      if (rows !== rowCount || rest.some((dimension) => dimension !== 1)) {
        throw new OipError(
          `Input '${name}' has shape [${tensor.shape.join(', ')}]; this model takes columns, so every input needs shape [${rowCount}] or [${rowCount}, 1]`,
        );
      }
      return { name, dtype: tensor.dtype, values: tensor.data };
    });
    return { kind: 'columns', rowCount, columns };
  }
  const unnamed = schema?.kind === 'tensors' && schema.specs.length === 1 && schema.specs[0]?.name === undefined;
  if (unnamed) {
    if (tensors.length !== 1) {
      throw new OipError(`This model takes a single unnamed tensor; the request has ${tensors.length} inputs`);
    }
    return { kind: 'tensors', tensors: { '': (tensors[0] as { tensor: Tensor }).tensor } };
  }
  const record: Record<string, Tensor> = {};
  for (const { name, tensor } of tensors) record[name] = tensor;
  return { kind: 'tensors', tensors: record };
}

export interface OipOutput {
  name: string;
  datatype: OipDatatype;
  shape: number[];
  data: unknown[];
}

function plainValues(tensor: Tensor): unknown[] {
  const out = new Array<unknown>(tensor.data.length);
  for (let index = 0; index < tensor.data.length; index++) {
    const value = tensor.data[index];
    if (typeof value === 'bigint') {
      const asNumber = Number(value);
      out[index] = Number.isSafeInteger(asNumber) ? asNumber : value.toString();
    } else if (tensor.dtype === 'bool') out[index] = value === 1 || value === true;
    else out[index] = value;
  }
  return out;
}

function jsonOutput(name: string, value: unknown): OipOutput {
  const shape: number[] = [];
  let cursor: unknown = value;
  while (Array.isArray(cursor)) {
    shape.push(cursor.length);
    cursor = cursor[0];
  }
  const data: unknown[] = [];
  flatten(value, data);
  const first = data[0];
  const datatype: OipDatatype = typeof first === 'boolean' ? 'BOOL' : typeof first === 'number' ? 'FP64' : 'BYTES';
  const cleaned =
    datatype === 'BYTES' ? data.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))) : data;
  return { name, datatype, shape: shape.length === 0 ? [1] : shape, data: cleaned };
}

/** ModelOutput → OIP outputs; `wanted` filters by name (unknown names are a 400). */
export function oipOutputs(output: ModelOutput, wanted: string[] | undefined): OipOutput[] {
  let all: OipOutput[];
  if (output.kind === 'tensors') {
    all = Object.entries(output.tensors).map(([name, tensor]) => ({
      name,
      datatype: datatypeOf(tensor.dtype),
      shape: [...tensor.shape],
      data: plainValues(tensor),
    }));
  } else {
    const value = output.value;
    const isRecord = typeof value === 'object' && value !== null && !Array.isArray(value);
    all = isRecord
      ? Object.entries(value as Record<string, unknown>).map(([name, item]) => jsonOutput(name, item))
      : [jsonOutput('predictions', value)];
  }
  if (!wanted) return all;
  return wanted.map((name) => {
    const found = all.find((candidate) => candidate.name === name);
    if (!found) {
      throw new OipError(
        `Requested output '${name}' is not produced by this model; outputs: ${all.map((o) => o.name).join(', ')}`,
      );
    }
    return found;
  });
}

interface TensorMetadata {
  name: string;
  datatype: OipDatatype;
  shape: number[];
}

function schemaMetadata(schema: ModelSignature['inputs'], prefix: string): TensorMetadata[] {
  if (!schema) return [];
  if (schema.kind === 'tensors') {
    return schema.specs.map((spec, index) => ({
      name: spec.name ?? `${prefix}-${index}`,
      datatype: datatypeOf(spec.dtype),
      shape: [...spec.shape],
    }));
  }
  const columnDatatype: Record<string, OipDatatype> = {
    boolean: 'BOOL',
    integer: 'INT32',
    long: 'INT64',
    float: 'FP32',
    double: 'FP64',
  };
  return schema.specs.map((spec, index) => ({
    name: spec.name ?? `${prefix}-${index}`,
    datatype: typeof spec.type === 'string' ? (columnDatatype[spec.type] ?? 'BYTES') : 'BYTES',
    shape: [-1],
  }));
}

export function modelMetadata(
  name: string,
  version: string | undefined,
  flavor: string,
  signature: ModelSignature | undefined,
): Record<string, unknown> {
  return {
    name,
    ...(version ? { versions: [version] } : {}),
    platform: flavor === 'onnx' ? 'onnx_onnxv1' : `berth_${flavor}`,
    inputs: schemaMetadata(signature?.inputs, 'input'),
    outputs: schemaMetadata(signature?.outputs, 'output'),
  };
}
