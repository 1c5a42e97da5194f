/**
 * MLflow model signatures: the `inputs`/`outputs`/`params` JSON strings of an `MLmodel`, parsed and
 * checked with MLflow's schema rules (no mixing of column and tensor specs, names all present or all
 * absent, …). Enforcement against data lives in `schema-enforcement.ts`.
 */
import { BerthError } from '@berth/core';
import { z } from 'zod';
import type { DType } from './model-data.js';

export const COLUMN_TYPES = ['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Complex MLflow types (`Array`, `Object`, `Map`, `AnyType`) kept as their JSON. */
export type ComplexType =
  | { type: 'array'; items: ColumnType | ComplexType }
  | { type: 'object'; properties: Record<string, { type: ColumnType | ComplexType; required: boolean }> }
  | { type: 'map'; values: ColumnType | ComplexType }
  | { type: 'any' }
  | { type: 'sparkml_vector' };

export interface ColSpec {
  name?: string;
  type: ColumnType | ComplexType;
  required: boolean;
}

export interface TensorSpec {
  name?: string;
  dtype: DType;
  shape: number[];
}

export type Schema = { kind: 'columns'; specs: ColSpec[] } | { kind: 'tensors'; specs: TensorSpec[] };

export interface ParamSpec {
  name: string;
  type: ColumnType;
  default: unknown;
  shape: number[] | null;
}

export interface ModelSignature {
  inputs?: Schema;
  outputs?: Schema;
  params?: ParamSpec[];
}

/** numpy dtype of each column type, as MLflow's `DataType.to_numpy()` gives it. */
export const COLUMN_TYPE_DTYPE: Record<ColumnType, DType> = {
  boolean: 'bool',
  integer: 'int32',
  long: 'int64',
  float: 'float32',
  double: 'float64',
  string: 'string',
  binary: 'bytes',
  datetime: 'datetime64',
};

const complexType: z.ZodType<ComplexType> = z.lazy(() =>
  z.union([
    z.object({ type: z.literal('array'), items: itemType }),
    z.object({
      type: z.literal('object'),
      properties: z.record(z.string(), propertySpec),
    }),
    z.object({ type: z.literal('map'), values: itemType }),
    z.object({ type: z.literal('any') }),
    z.object({ type: z.literal('sparkml_vector') }),
  ]),
) as z.ZodType<ComplexType>;

// An object's property is an item spec plus `required` (default true).
const propertySpec = z.unknown().transform((value, context) => {
  const item = itemType.safeParse(value);
  if (!item.success) {
    context.addIssue({ code: 'custom', message: `bad property spec ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  const required = (value as { required?: unknown }).required !== false;
  return { type: item.data, required };
});

// An array's `items` is itself a spec object: `{"type": "double"}` or a complex type.
const itemType: z.ZodType<ColumnType | ComplexType> = z.lazy(() =>
  z.union([z.object({ type: z.enum(COLUMN_TYPES) }).transform((item) => item.type), complexType]),
) as z.ZodType<ColumnType | ComplexType>;

const numpyDtypeNames: Record<string, DType> = {
  float64: 'float64',
  float32: 'float32',
  // No half-precision arrays in JS: float16 tensors are held as float32 and encoded to half
  // precision where they enter a model (the onnx flavor does it for float16 inputs).
  float16: 'float32',
  half: 'float32',
  float: 'float64',
  double: 'float64',
  int64: 'int64',
  int32: 'int32',
  int16: 'int16',
  int8: 'int8',
  uint64: 'uint64',
  uint32: 'uint32',
  uint16: 'uint16',
  uint8: 'uint8',
  bool: 'bool',
  str: 'string',
  object: 'object',
  bytes: 'bytes',
};

const tensorSpecJson = z.object({
  type: z.literal('tensor'),
  name: z.string().optional(),
  'tensor-spec': z.object({ dtype: z.string(), shape: z.array(z.number().int()) }),
});

const colSpecJson = z.object({
  type: z.union([z.enum(COLUMN_TYPES), z.enum(['array', 'object', 'map', 'any', 'sparkml_vector'])]),
  name: z.string().optional(),
  required: z.boolean().optional().default(true),
  items: z.unknown().optional(),
  properties: z.unknown().optional(),
  values: z.unknown().optional(),
});

const paramSpecJson = z.object({
  name: z.string(),
  type: z.enum(COLUMN_TYPES),
  default: z.unknown(),
  shape: z
    .array(z.number().int())
    .nullable()
    .optional()
    .transform((shape) => shape ?? null),
});

function invalidSignature(message: string): BerthError {
  return BerthError.invalidParameterValue(`Invalid model signature: ${message}`);
}

function parseJsonPart(part: unknown, what: string): unknown {
  if (typeof part !== 'string') return part;
  try {
    return JSON.parse(part);
  } catch (error) {
    throw invalidSignature(`the '${what}' part is not valid JSON (${(error as Error).message}).`);
  }
}

function parseColSpec(raw: z.infer<typeof colSpecJson>): ColSpec {
  const base = { ...(raw.name === undefined ? {} : { name: raw.name }), required: raw.required };
  if ((COLUMN_TYPES as readonly string[]).includes(raw.type)) return { ...base, type: raw.type as ColumnType };
  const complex = complexType.safeParse(raw);
  if (!complex.success) throw invalidSignature(`bad ${raw.type} type: ${z.prettifyError(complex.error)}`);
  return { ...base, type: complex.data };
}

/** Parses MLflow's schema JSON (a list of ColSpecs or TensorSpecs) and applies its rules. */
export function parseSchema(json: unknown, what = 'inputs'): Schema {
  const list = parseJsonPart(json, what);
  if (!Array.isArray(list)) throw invalidSignature(`'${what}' must be a list of column or tensor specs.`);
  if (list.length === 0) throw invalidSignature('Creating Schema with empty inputs is not allowed.');
  const isTensor = list.map((spec) => typeof spec === 'object' && spec !== null && spec.type === 'tensor');
  if (isTensor.some(Boolean) && !isTensor.every(Boolean)) {
    throw invalidSignature('Please choose either TensorSpec or ColSpec to represent the schema, not both.');
  }
  const schema: Schema = isTensor[0]
    ? { kind: 'tensors', specs: list.map((spec) => parseTensorSpec(spec)) }
    : { kind: 'columns', specs: list.map((spec) => parseColSpecJson(spec)) };
  checkNames(schema);
  return schema;
}

function parseTensorSpec(json: unknown): TensorSpec {
  const parsed = tensorSpecJson.safeParse(json);
  if (!parsed.success) throw invalidSignature(`bad tensor spec ${JSON.stringify(json)}.`);
  const raw = parsed.data;
  const dtype = numpyDtypeNames[raw['tensor-spec'].dtype.replace(/^(np\.|numpy\.)/, '')];
  if (dtype === undefined) throw invalidSignature(`unsupported tensor dtype '${raw['tensor-spec'].dtype}'.`);
  return { ...(raw.name === undefined ? {} : { name: raw.name }), dtype, shape: raw['tensor-spec'].shape };
}

function parseColSpecJson(json: unknown): ColSpec {
  const parsed = colSpecJson.safeParse(json);
  if (!parsed.success) throw invalidSignature(`bad column spec ${JSON.stringify(json)}.`);
  return parseColSpec(parsed.data);
}

function checkNames(schema: Schema): void {
  const named = schema.specs.map((spec) => spec.name !== undefined);
  if (named.some(Boolean) && !named.every(Boolean)) {
    throw invalidSignature('Creating Schema with a combination of named and unnamed inputs is not allowed.');
  }
  if (named[0]) return;
  if (schema.kind === 'tensors' && schema.specs.length > 1) {
    throw invalidSignature('Creating Schema with multiple unnamed TensorSpecs is not supported.');
  }
  if (schema.kind === 'columns' && schema.specs.some((spec) => !spec.required)) {
    throw invalidSignature('Creating Schema with unnamed optional inputs is not supported.');
  }
}

export function parseParamsSchema(json: unknown): ParamSpec[] {
  const list = parseJsonPart(json, 'params');
  if (!Array.isArray(list)) throw invalidSignature("'params' must be a list of param specs.");
  return list.map((spec) => {
    const parsed = paramSpecJson.safeParse(spec);
    if (!parsed.success) throw invalidSignature(`bad param spec ${JSON.stringify(spec)}.`);
    return parsed.data;
  });
}

/** `signature:` of an MLmodel (each part a JSON string, as MLflow writes it, or already parsed). */
export function parseSignature(raw: unknown): ModelSignature {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object') throw invalidSignature('the signature must be a mapping.');
  const parts = raw as Record<string, unknown>;
  const signature: ModelSignature = {};
  if (parts.inputs !== undefined && parts.inputs !== null) signature.inputs = parseSchema(parts.inputs, 'inputs');
  if (parts.outputs !== undefined && parts.outputs !== null) signature.outputs = parseSchema(parts.outputs, 'outputs');
  if (parts.params !== undefined && parts.params !== null) signature.params = parseParamsSchema(parts.params);
  return signature;
}

export function schemaToJSON(schema: Schema): unknown[] {
  if (schema.kind === 'tensors') {
    return schema.specs.map((spec) => ({
      type: 'tensor',
      'tensor-spec': { dtype: spec.dtype, shape: spec.shape },
      ...(spec.name === undefined ? {} : { name: spec.name }),
    }));
  }
  return schema.specs.map((spec) => ({
    ...(typeof spec.type === 'string' ? { type: spec.type } : spec.type),
    ...(spec.name === undefined ? {} : { name: spec.name }),
    required: spec.required,
  }));
}

/** The three JSON strings MLflow stores under `signature:` in an MLmodel. */
export function signatureToMLmodel(signature: ModelSignature): Record<string, string | null> {
  return {
    inputs: signature.inputs ? JSON.stringify(schemaToJSON(signature.inputs)) : null,
    outputs: signature.outputs ? JSON.stringify(schemaToJSON(signature.outputs)) : null,
    params: signature.params ? JSON.stringify(signature.params) : null,
  };
}

/** Python-style tuple text, as MLflow's messages print shapes: `(-1, 4)`, `(3,)`. */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function typeText(type: ColumnType | ComplexType): string {
  if (typeof type === 'string') return type;
  if (type.type === 'array') return `Array(${typeText(type.items)})`;
  if (type.type === 'map') return `Map(str -> ${typeText(type.values)})`;
  if (type.type === 'object') {
    return `Object(${Object.entries(type.properties)
      .map(([name, property]) => `${name}: ${typeText(property.type)}`)
      .join(', ')})`;
  }
  return type.type === 'any' ? 'Any' : 'SparkML vector';
}

/** MLflow's `repr(schema)`: `['a': double (required), 'b': long (optional)]`. */
export function schemaText(schema: Schema): string {
  const items =
    schema.kind === 'tensors'
      ? schema.specs.map(
          (spec) =>
            `${spec.name === undefined ? '' : `'${spec.name}': `}Tensor('${spec.dtype}', ${shapeText(spec.shape)})`,
        )
      : schema.specs.map(
          (spec) =>
            `${spec.name === undefined ? '' : `'${spec.name}': `}${typeText(spec.type)} (${spec.required ? 'required' : 'optional'})`,
        );
  return `[${items.join(', ')}]`;
}
