import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import type { Column, ModelInput, Tensor } from './model-data.js';
import { parseSchema, parseSignature } from './model-signature.js';
import { enforceInputSchema, enforceParams } from './schema-enforcement.js';

const frame = (...columns: Column[]): ModelInput => ({
  kind: 'columns',
  rowCount: columns[0]?.values.length ?? 0,
  columns,
});
const colSchema = (specs: object[]) => parseSchema(JSON.stringify(specs));

function enforcementError(input: ModelInput, schema: ReturnType<typeof parseSchema>): BerthError {
  try {
    enforceInputSchema(input, schema);
  } catch (error) {
    expect(BerthError.isInstance(error)).toBe(true);
    expect((error as BerthError).code).toBe('INVALID_PARAMETER_VALUE');
    return error as BerthError;
  }
  throw new Error('expected a schema error');
}

describe('column schemas (test_pyfunc_schema_enforcement)', () => {
  const schema = colSchema([
    { type: 'long', name: 'a' },
    { type: 'double', name: 'b' },
  ]);

  it('a missing column: "Model is missing inputs [...]" noting extra inputs', () => {
    const error = enforcementError(
      frame({ name: 'a', values: new BigInt64Array([1n]) }, { name: 'c', values: new Float64Array([1]) }),
      schema,
    );
    expect(error.message).toContain("Model is missing inputs ['b']. Note that there were extra inputs: ['c'].");
    expect(error.message).toContain("Failed to enforce schema of data '");
    expect(error.message).toContain("with schema '['a': long (required), 'b': double (required)]'");
  });

  it('extra columns are dropped and columns reordered to the schema', () => {
    const out = enforceInputSchema(
      frame(
        { name: 'extra', values: ['x'] },
        { name: 'b', values: new Float64Array([2]) },
        { name: 'a', values: new BigInt64Array([1n]) },
      ),
      schema,
    );
    expect(out.kind === 'columns' && out.columns.map((column) => column.name)).toEqual(['a', 'b']);
  });

  it.each([
    ['int64', new BigInt64Array([1n]), 'integer'],
    ['uint32', new Uint32Array([1]), 'integer'],
    ['float64', new Float64Array([1.5]), 'float'],
    ['int32', new Int32Array([1]), 'float'],
    ['int64', new BigInt64Array([5n]), 'double'],
    ['float64', new Float64Array([1.5]), 'long'],
  ] as const)('%s → %s is refused as unsafe', (from, values, type) => {
    const error = enforcementError(frame({ name: 'x', values }), colSchema([{ type, name: 'x' }]));
    expect(error.message).toContain(`Incompatible input types for column x. Can not safely convert ${from} to`);
  });

  it.each([
    [new Int32Array([1]), 'long', BigInt64Array],
    [new Uint32Array([1]), 'long', BigInt64Array],
    [new Float32Array([1.5]), 'double', Float64Array],
    [new Int32Array([7]), 'double', Float64Array],
  ] as const)('%o → %s widens safely', (values, type, expected) => {
    const out = enforceInputSchema(frame({ name: 'x', values }), colSchema([{ type, name: 'x' }]));
    expect(out.kind === 'columns' && out.columns[0]?.values).toBeInstanceOf(expected);
  });

  it('an int64 column of only 0 and 1 may feed a double', () => {
    const out = enforceInputSchema(
      frame({ name: 'x', values: new BigInt64Array([0n, 1n]) }),
      colSchema([{ type: 'double', name: 'x' }]),
    );
    expect(out.kind === 'columns' && Array.from(out.columns[0]?.values as Float64Array)).toEqual([0, 1]);
  });

  it('object columns pass a string column; optional columns may be missing', () => {
    const schemaWithOptional = colSchema([
      { type: 'string', name: 's' },
      { type: 'double', name: 'o', required: false },
    ]);
    const out = enforceInputSchema(frame({ name: 's', values: ['a', 'b'] }), schemaWithOptional);
    expect(out.kind === 'columns' && out.columns.map((column) => column.name)).toEqual(['s']);
  });

  it('integral floats with NaN into an integer column get the missing-value hint', () => {
    const error = enforcementError(
      frame({ name: 'x', values: new Float64Array([1, Number.NaN]) }),
      colSchema([{ type: 'long', name: 'x' }]),
    );
    expect(error.message).toContain('missing values');
  });

  it('unnamed schemas only count columns', () => {
    const unnamed = colSchema([{ type: 'double' }, { type: 'double' }, { type: 'double' }]);
    const error = enforcementError(
      frame({ name: '0', values: new Float64Array([1]) }, { name: '1', values: new Float64Array([1]) }),
      unnamed,
    );
    expect(error.message).toContain('the provided value only has 2 inputs.');
    const widened = enforcementError(
      frame(
        { name: '0', values: new BigInt64Array([5n]) },
        { name: '1', values: new Float64Array([1]) },
        { name: '2', values: new Float64Array([1]) },
      ),
      unnamed,
    );
    expect(widened.message).toContain('Can not safely convert int64 to float64');
  });

  it('array, object and map columns are checked element by element; any passes', () => {
    const complex = colSchema([
      { type: 'array', items: { type: 'double' }, name: 'arr' },
      { type: 'object', properties: { k: { type: 'string' } }, name: 'obj' },
      { type: 'map', values: { type: 'long' }, name: 'map' },
      { type: 'any', name: 'anything' },
    ]);
    const good = frame(
      { name: 'arr', values: [[1, 2.5]] },
      { name: 'obj', values: [{ k: 'v' }] },
      { name: 'map', values: [{ a: 1 }] },
      { name: 'anything', values: [{ whatever: [1] }] },
    );
    expect(enforceInputSchema(good, complex).kind).toBe('columns');
    const bad = frame(
      { name: 'arr', values: [[1, 'x']] },
      { name: 'obj', values: [{ k: 'v' }] },
      { name: 'map', values: [{ a: 1 }] },
      { name: 'anything', values: [1] },
    );
    expect(enforcementError(bad, complex).message).toContain('expected double');
    const missing = frame(
      { name: 'arr', values: [[1]] },
      { name: 'obj', values: [{}] },
      { name: 'map', values: [{ a: 1 }] },
      { name: 'anything', values: [1] },
    );
    expect(enforcementError(missing, complex).message).toContain("Missing required properties: ['k']");
  });

  it('MLFLOW_DISABLE_SCHEMA_DETAILS hides the data', () => {
    process.env.MLFLOW_DISABLE_SCHEMA_DETAILS = 'true';
    try {
      const error = enforcementError(frame({ name: 'a', values: new BigInt64Array([1n]) }), schema);
      expect(error.message).toBe('Failed to enforce model input schema. Please check your input data.');
    } finally {
      delete process.env.MLFLOW_DISABLE_SCHEMA_DETAILS;
    }
  });
});

describe('tensor schemas', () => {
  const tensors = (entries: Record<string, Tensor>): ModelInput => ({ kind: 'tensors', tensors: entries });
  const named = parseSchema(
    JSON.stringify([
      { type: 'tensor', name: 'a', 'tensor-spec': { dtype: 'uint64', shape: [-1] } },
      { type: 'tensor', name: 'b', 'tensor-spec': { dtype: 'float32', shape: [-1, 5] } },
    ]),
  );

  it('named multi-input tensors pass when dtype and shape match', () => {
    const input = tensors({
      a: { dtype: 'uint64', shape: [1], data: new BigUint64Array([1n]) },
      b: { dtype: 'float32', shape: [1, 5], data: new Float32Array(5) },
    });
    expect(enforceInputSchema(input, named)).toEqual(input);
  });

  it('"dtype of input int32 does not match expected dtype uint64"', () => {
    const error = enforcementError(
      tensors({
        a: { dtype: 'int32', shape: [1], data: new Int32Array([1]) },
        b: { dtype: 'float32', shape: [1, 5], data: new Float32Array(5) },
      }),
      named,
    );
    expect(error.message).toContain('dtype of input int32 does not match expected dtype uint64');
  });

  it('"Shape of input (1, 4) does not match expected shape (-1, 5)"', () => {
    const error = enforcementError(
      tensors({
        a: { dtype: 'uint64', shape: [1], data: new BigUint64Array([1n]) },
        b: { dtype: 'float32', shape: [1, 4], data: new Float32Array(4) },
      }),
      named,
    );
    expect(error.message).toContain('Shape of input (1, 4) does not match expected shape (-1, 5)');
  });

  it('a frame for a named tensor schema reshapes each column; an empty frame is refused', () => {
    const single = parseSchema(
      JSON.stringify([{ type: 'tensor', name: 'x', 'tensor-spec': { dtype: 'float64', shape: [-1] } }]),
    );
    const out = enforceInputSchema(frame({ name: 'x', values: new Float64Array([1, 2]) }), single);
    expect(out).toEqual({
      kind: 'tensors',
      tensors: { x: { dtype: 'float64', shape: [2], data: new Float64Array([1, 2]) } },
    });
    expect(enforcementError({ kind: 'columns', rowCount: 0, columns: [] }, single).message).toContain(
      'Input DataFrame is empty.',
    );
  });

  it('an unnamed tensor fed a multi-column frame must be (-1, ncols)', () => {
    const unnamed = parseSchema(
      JSON.stringify([{ type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1, 3] } }]),
    );
    const input = frame({ name: 'p', values: new Float64Array([1]) }, { name: 'q', values: new Float64Array([2]) });
    expect(enforcementError(input, unnamed).message).toContain(
      'Shape of input (1, 2) does not match expected shape (-1, 3)',
    );
  });
});

describe('params schema', () => {
  const { params: specs } = parseSignature({
    params: JSON.stringify([
      { name: 'temperature', type: 'double', default: 0.5, shape: null },
      { name: 'max_tokens', type: 'long', default: 10, shape: null },
      { name: 'when', type: 'datetime', default: '2024-01-01T00:00:00', shape: null },
      { name: 'stops', type: 'string', default: ['.'], shape: [-1] },
    ]),
  });

  it('fills defaults and converts int → double', () => {
    expect(enforceParams({ temperature: 1 }, specs).params).toEqual({
      temperature: 1,
      max_tokens: 10,
      when: '2024-01-01T00:00:00',
      stops: ['.'],
    });
  });

  it('null is a value for a scalar param, but an array param is refused anything but a list', () => {
    expect(enforceParams({ temperature: null }, specs).params).toHaveProperty('temperature', null);
    expect(() => enforceParams({ stops: null }, specs)).toThrow(/Value must be a 1D array with shape \(-1,\)/);
  });

  it('drops unknown params and reports them', () => {
    const result = enforceParams({ unknown: 1 }, specs);
    expect(result.ignored).toEqual(['unknown']);
    expect(result.params).not.toHaveProperty('unknown');
  });

  it('collects every invalid param into one message', () => {
    let error: BerthError | undefined;
    try {
      enforceParams({ when: 'invalid_value1', max_tokens: 1.5, stops: 'x', temperature: [1] }, specs);
    } catch (caught) {
      error = caught as BerthError;
    }
    expect(error?.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error?.message).toContain('Invalid parameters found: {');
    expect(error?.message).toContain(
      "Failed to convert value `invalid_value1` from type `<class 'str'>` to `DataType.datetime`",
    );
    expect(error?.message).toContain("Can not safely convert <class 'float'> to DataType.long");
    expect(error?.message).toContain('Value must be a scalar for type `DataType.double`');
    expect(error?.message).toContain("('stops',");
  });

  it('without a params schema params are dropped (and named), not passed on', () => {
    expect(enforceParams({ a: 1 }, undefined)).toEqual({ params: undefined, ignored: ['a'] });
  });
});

describe('signature rules', () => {
  it.each([
    ['[]', 'empty inputs'],
    [
      '[{"type": "double", "name": "a"}, {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]',
      'not both',
    ],
    ['[{"type": "double", "name": "a"}, {"type": "double"}]', 'combination of named and unnamed'],
    ['[{"type": "double", "required": false}]', 'unnamed optional'],
    [
      '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}, {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]',
      'multiple unnamed TensorSpecs',
    ],
  ])('%s is rejected (%s)', (json, message) => {
    expect(() => parseSchema(json)).toThrow(message);
  });
});
