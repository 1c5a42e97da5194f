import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import type { Column, ModelInput } from './model-data.js';
import { parseSignature } from './model-signature.js';
import { parseScoringRequest } from './scoring-request.js';

function parseError(
  body: string,
  format: 'json' | 'csv' = 'json',
  signature?: ReturnType<typeof parseSignature>,
): BerthError {
  try {
    parseScoringRequest(body, format, signature);
  } catch (error) {
    expect(BerthError.isInstance(error)).toBe(true);
    return error as BerthError;
  }
  throw new Error(`expected ${body} to be rejected`);
}

function columns(input: ModelInput): Column[] {
  if (input.kind !== 'columns') throw new Error(`expected columns, got ${input.kind}`);
  return input.columns;
}

describe('parseScoringRequest: MLflow errors (test_scoring_server)', () => {
  it('malformed JSON is BAD_REQUEST "Invalid input. Ensure that input is a valid JSON formatted string."', () => {
    const error = parseError('{"dataframe_split": ');
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('Invalid input. Ensure that input is a valid JSON formatted string.');
  });

  it.each([
    '1',
    '"1"',
    '[1]',
    '{"not_a_format": [1]}',
    '{"dataframe_split": {"data": []}, "inputs": [1]}',
    '{}',
    'null',
  ])('%s needs exactly one input field', (body) => {
    const error = parseError(body);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('The input must be a JSON dictionary with exactly one of the input fields');
  });

  it('records content under dataframe_split and split content under dataframe_records', () => {
    expect(parseError('{"dataframe_split": [{"a": 1}]}').message).toContain(
      'Dataframe split format must be a dictionary. Got list',
    );
    expect(parseError('{"dataframe_records": {"columns": ["a"], "data": [[1]]}}').message).toContain(
      'Dataframe records format must be a list of records. Got dictionary.',
    );
  });

  it('split without data or with extra keys', () => {
    expect(parseError('{"dataframe_split": {"columns": ["a"]}}').message).toContain(
      "Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields.",
    );
    expect(parseError('{"dataframe_split": {"data": [[1]], "extra": 1}}').message).toContain("Got ['data', 'extra']");
  });

  it('an index whose length differs from the data is not a valid split representation', () => {
    const error = parseError(
      '{"dataframe_split": {"columns": ["a", "b"], "index": [0, 1], "data": [[1, 2], [3, 4], [5, 6]]}}',
    );
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(
      "Provided dataframe_split field is not a valid dataframe representation in 'split' format",
    );
  });

  it('a column named twice is kept by the parser, as pandas keeps it (the schema check refuses it)', () => {
    const { input } = parseScoringRequest(
      '{"dataframe_split": {"columns": ["a", "b", "a"], "data": [[1, 2, 3]]}}',
      'json',
    );
    expect(input.kind === 'columns' && input.columns.map((column) => column.name)).toEqual(['a', 'b', 'a']);
  });

  it('split rows shorter than the columns are padded with missing values, as pandas pads them', () => {
    const { input } = parseScoringRequest(
      '{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3]]}}',
      'json',
    );
    expect(input.kind === 'columns' && Array.from(input.columns[1]?.values ?? [])).toEqual([2, Number.NaN]);
  });

  it('split rows wider than the columns are rejected', () => {
    expect(parseError('{"dataframe_split": {"columns": ["a"], "data": [[1, 2], [3]]}}').message).toContain(
      'not a valid dataframe representation',
    );
  });

  it('an empty CSV is BAD_REQUEST with the pandas hint', () => {
    const error = parseError('', 'csv');
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('Failed to parse input as a Pandas DataFrame.');
  });

  it('signature_name is not supported with tf-serving formats', () => {
    expect(parseError('{"instances": [[1]], "signature_name": "x"}').message).toContain(
      '"signature_name" parameter is currently not supported',
    );
  });

  it('params must be a dictionary for a model with a params schema, and are ignored without one', () => {
    const withParams = parseSignature({
      inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
      params: '[{"name": "k", "type": "long", "default": 1, "shape": null}]',
    });
    const error = parseError('{"inputs": [1], "params": [1, 2]}', 'json', withParams);
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain("Parameters must be a dictionary. Got type 'list'");
    for (const params of ['[1, 2]', '"x"', '3']) {
      expect(parseScoringRequest(`{"inputs": [1], "params": ${params}}`, 'json').params).toBeUndefined();
    }
  });

  it('a dict for an un-named tensor signature is refused', () => {
    const signature = parseSignature({
      inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]',
    });
    expect(parseError('{"inputs": {"a": [[1, 2]]}}', 'json', signature).message).toContain(
      'This model contains an un-named model signature which expects a single n-dimensional array',
    );
  });

  it('instances with different keys per row have unequal lengths', () => {
    expect(parseError('{"instances": [{"a": 1, "b": 2}, {"a": 3}]}').message).toContain(
      'The length of values for each input/column name are not the same',
    );
  });
});

describe('parseScoringRequest: JSON → dtypes without a schema', () => {
  it('split: integers → int64, fractions → float64, strings stay strings (the "95120" case)', () => {
    const { input } = parseScoringRequest(
      JSON.stringify({
        dataframe_split: {
          columns: ['zip', 'score', 'count', 'flag'],
          data: [
            ['95120', 1.5, 3, true],
            ['10001', 2, 4, false],
          ],
        },
      }),
      'json',
    );
    const [zip, score, count, flag] = columns(input);
    expect(zip?.dtype).toBe('string');
    expect(zip?.values).toEqual(['95120', '10001']);
    expect(score?.dtype).toBe('float64');
    expect(score?.values).toBeInstanceOf(Float64Array);
    expect(Array.from(score?.values as Float64Array)).toEqual([1.5, 2]);
    expect(count?.dtype).toBe('int64');
    expect(Array.from(count?.values as BigInt64Array)).toEqual([3n, 4n]);
    expect(flag?.dtype).toBe('bool');
    expect(input.kind === 'columns' && input.rowCount).toBe(2);
  });

  it('null among numbers makes a float64 column with NaN', () => {
    const { input } = parseScoringRequest('{"dataframe_records": [{"a": 1}, {"a": null}, {"b": 2}]}', 'json');
    const [a, b] = columns(input);
    expect(a?.dtype).toBe('float64');
    expect(Number.isNaN(((a as Column).values as Float64Array)[1])).toBe(true);
    expect(Number.isNaN(((a as Column).values as Float64Array)[2])).toBe(true);
    expect(b?.name).toBe('b');
  });

  it('split without columns names them 0..n-1 as pandas does', () => {
    const { input } = parseScoringRequest('{"dataframe_split": {"data": [[1, 2]]}}', 'json');
    expect(columns(input).map((column) => column.name)).toEqual(['0', '1']);
  });

  it('inputs: a nested list is one unnamed tensor; a dict is named tensors', () => {
    const list = parseScoringRequest('{"inputs": [[1.5, 2], [3, 4]]}', 'json').input;
    expect(list).toEqual({
      kind: 'tensors',
      tensors: { '': { dtype: 'float64', shape: [2, 2], data: new Float64Array([1.5, 2, 3, 4]) } },
    });
    const dict = parseScoringRequest('{"inputs": {"a": [1, 2], "b": [[1], [2]]}, "params": {"k": 1}}', 'json');
    expect(dict.params).toEqual({ k: 1 });
    expect(dict.input.kind === 'tensors' && dict.input.tensors.b?.shape).toEqual([2, 1]);
    expect(dict.input.kind === 'tensors' && dict.input.tensors.a?.dtype).toBe('int64');
  });

  it('ragged inputs become an object tensor', () => {
    const { input } = parseScoringRequest('{"inputs": [[1, 2], [3]]}', 'json');
    expect(input.kind === 'tensors' && input.tensors['']).toEqual({ dtype: 'object', shape: [2], data: [[1, 2], [3]] });
  });

  it('CSV reads ints, floats, strings and NA like pandas.read_csv', () => {
    const { input } = parseScoringRequest('a,b,c,d\n1,1.0,x,\n2,2.5,y,3\n', 'csv');
    const [a, b, c, d] = columns(input);
    expect(a?.dtype).toBe('int64');
    expect(b?.dtype).toBe('float64');
    expect(c?.dtype).toBe('string');
    expect(d?.dtype).toBe('float64');
    expect(Number.isNaN(((d as Column).values as Float64Array)[0])).toBe(true);
  });
});

describe('parseScoringRequest: casting by the signature (JSON with a schema keeps all types)', () => {
  const signature = parseSignature({
    inputs: JSON.stringify([
      { type: 'integer', name: 'i' },
      { type: 'long', name: 'l' },
      { type: 'float', name: 'f' },
      { type: 'double', name: 'd' },
      { type: 'boolean', name: 'b' },
      { type: 'string', name: 's' },
      { type: 'binary', name: 'bin' },
    ]),
  });

  it('ints become doubles in a double column; overflow wraps to int32 min; float32 loses precision; booleans forced', () => {
    const body = {
      dataframe_split: {
        columns: ['i', 'l', 'f', 'd', 'b', 's', 'bin'],
        data: [[2147483648, 1, 0.1, 5, 1, 'x', Buffer.from('hi').toString('base64')]],
      },
    };
    const cols = columns(parseScoringRequest(JSON.stringify(body), 'json', signature).input);
    const byName = Object.fromEntries(cols.map((column) => [column.name, column]));
    expect(byName.i?.values).toEqual(new Int32Array([-2147483648]));
    expect(byName.l?.values).toEqual(new BigInt64Array([1n]));
    expect(byName.f?.values).toEqual(new Float32Array([0.1]));
    expect(((byName.f as Column).values as Float32Array)[0]).not.toBe(0.1);
    expect(byName.d?.values).toEqual(new Float64Array([5]));
    expect(byName.b?.dtype).toBe('bool');
    expect(byName.b?.values).toEqual(new Uint8Array([1]));
    expect(byName.s?.values).toEqual(['x']);
    expect(Buffer.from(((byName.bin as Column).values as Uint8Array[])[0] as Uint8Array).toString()).toBe('hi');
  });

  it('the same types through records, inputs (dict of columns) and CSV', () => {
    const record = { i: 1, l: 2, f: 1.5, d: 3, b: true, s: 'x', bin: '' };
    const viaRecords = columns(
      parseScoringRequest(JSON.stringify({ dataframe_records: [record] }), 'json', signature).input,
    );
    const viaInputs = columns(
      parseScoringRequest(
        JSON.stringify({ inputs: Object.fromEntries(Object.entries(record).map(([k, v]) => [k, [v]])) }),
        'json',
        signature,
      ).input,
    );
    const viaCsv = columns(parseScoringRequest('i,l,f,d,b,s,bin\n1,2,1.5,3,True,x,\n', 'csv', signature).input);
    for (const parsed of [viaRecords, viaInputs, viaCsv]) {
      expect(parsed.map((column) => column.dtype)).toEqual([
        'int32',
        'int64',
        'float32',
        'float64',
        'bool',
        'string',
        'bytes',
      ]);
    }
  });

  it('a non-numeric string in a numeric column is a BAD_REQUEST naming the value', () => {
    const error = parseError('{"dataframe_split": {"columns": ["d"], "data": [["abc"]]}}', 'json', signature);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain("could not convert string to float64: 'abc'");
  });

  it('with a single named column, a plain `inputs` list is that column', () => {
    const single = parseSignature({ inputs: '[{"type": "string", "name": "text"}]' });
    const cols = columns(parseScoringRequest('{"inputs": ["a", "b"]}', 'json', single).input);
    expect(cols).toEqual([{ name: 'text', dtype: 'string', values: ['a', 'b'] }]);
  });

  it('a URL-like string column stays a string, not a path', () => {
    const single = parseSignature({ inputs: '[{"type": "string", "name": "url"}]' });
    const cols = columns(
      parseScoringRequest('{"dataframe_records": [{"url": "file:///etc/passwd"}]}', 'json', single).input,
    );
    expect(cols[0]?.values).toEqual(['file:///etc/passwd']);
  });
});

describe('unified LLM payloads', () => {
  it('messages/prompt/input need no wrapper; params-schema keys become params', () => {
    const signature = parseSignature({
      params: '[{"name": "temperature", "type": "double", "default": 0.1, "shape": null}]',
    });
    const request = parseScoringRequest(
      '{"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5, "max_tokens": 5}',
      'json',
      signature,
    );
    expect(request.unwrapped).toBe(true);
    expect(request.params).toEqual({ temperature: 0.5 });
    expect(columns(request.input).map((column) => [column.name, column.values])).toEqual([
      ['messages', [[{ role: 'user', content: 'hi' }]]],
      ['max_tokens', [5]],
    ]);
    // Without a params schema everything is data.
    expect(parseScoringRequest('{"prompt": "x", "temperature": 1}', 'json').params).toBeUndefined();
  });
});

describe('keys named __proto__ are data, not prototypes', () => {
  it('instances, inputs dicts and LLM payloads keep them as ordinary names', () => {
    const instances = parseScoringRequest('{"instances": [{"__proto__": 1, "a": 2}]}', 'json').input;
    expect(instances.kind === 'tensors' && Object.keys(instances.tensors)).toEqual(['__proto__', 'a']);
    const inputs = parseScoringRequest('{"inputs": {"__proto__": [1], "b": [2]}}', 'json').input;
    expect(inputs.kind === 'tensors' && Object.keys(inputs.tensors)).toEqual(['__proto__', 'b']);
    const signature = parseSignature({
      params: '[{"name": "__proto__", "type": "long", "default": 1, "shape": null}]',
    });
    const llm = parseScoringRequest('{"prompt": "x", "__proto__": 5}', 'json', signature);
    expect(Object.keys(llm.params ?? {})).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseScoringRequest: MLflow 3.6 conversion rules (seen against mlflow models serve)', () => {
  const tensorSignature = parseSignature({
    inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]',
  });
  const columnSignature = parseSignature({
    inputs:
      '[{"type": "string", "name": "colour", "required": true}, {"type": "float", "name": "x", "required": true}, {"type": "long", "name": "n", "required": true}]',
  });
  const floatColumns = parseSignature({
    inputs: '[{"type": "float", "name": "a", "required": true}, {"type": "float", "name": "b", "required": true}]',
  });

  it('skips a UTF-8 byte-order mark before JSON and CSV', () => {
    const json = parseScoringRequest('\uFEFF{"inputs": [[1, 2, 3]]}', 'json', tensorSignature).input;
    expect(json.kind).toBe('tensors');
    const csv = parseScoringRequest('\uFEFFa,b\n1,2\n', 'csv').input;
    expect(csv.kind === 'columns' && csv.columns.map((column) => column.name)).toEqual(['a', 'b']);
  });

  it("reads Python's NaN, Infinity and -Infinity tokens as numbers, and leaves them alone inside strings", () => {
    const { input } = parseScoringRequest(
      '{"dataframe_split": {"columns": ["a", "s"], "data": [[NaN, "NaN"], [Infinity, "x\\"Infinity"], [-Infinity, "-Infinity"]]}}',
      'json',
    );
    if (input.kind !== 'columns') throw new Error('expected columns');
    expect(Array.from(input.columns[0]?.values ?? [])).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    expect(input.columns[1]?.values).toEqual(['NaN', 'x"Infinity', '-Infinity']);
    // Still not JSON: refused with JSON.parse's reason for the original text.
    expect(parseError('{"inputs": [NaNa]}').message).toContain('Ensure that input is a valid JSON formatted string');
  });

  it('null for an un-named tensor signature is BAD_REQUEST, as MLflow words it', () => {
    for (const field of ['inputs', 'instances']) {
      const error = parseError(`{"${field}": null}`, 'json', tensorSignature);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain("an input of type <class 'NoneType'> was found");
    }
  });

  it("ragged inputs rows are BAD_REQUEST with numpy's message, for tensor and column signatures", () => {
    for (const signature of [tensorSignature, columnSignature]) {
      const error = parseError('{"inputs": [[1, 2, 3], [1, 2]]}', 'json', signature);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain(
        'inhomogeneous shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part.',
      );
    }
  });

  it("a word in inputs rows for a column signature whose first column is a number is BAD_REQUEST (numpy's cast)", () => {
    const error = parseError('{"inputs": [["abc", 1.5]]}', 'json', floatColumns);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain("could not convert string to float: 'abc'");
  });

  it('a CSV cell that is not a whole number in an integer column is refused as pandas refuses it', () => {
    const error = parseError('colour,x,n\nred,1.5,2.5\n', 'csv', columnSignature);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(
      'cannot safely convert passed user dtype of int64 for float64 dtyped data in column 2',
    );
    const whole = parseScoringRequest('colour,x,n\nred,1.5,2.0\n', 'csv', columnSignature).input;
    expect(whole.kind === 'columns' && Array.from(whole.columns[2]?.values ?? [])).toEqual([2n]);
  });

  it('an integer int64 cannot hold is refused, never wrapped', () => {
    const json = parseError(
      '{"dataframe_split": {"columns": ["colour", "x", "n"], "data": [["red", 1, 9223372036854775808]]}}',
      'json',
      columnSignature,
    );
    expect(json.code).toBe('BAD_REQUEST');
    expect(json.message).toContain('Python int too large to convert to C long');
    const csv = parseError('colour,x,n\nred,1.5,9223372036854775808\n', 'csv', columnSignature);
    expect(csv.code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('columns of different lengths in an inputs dict for a column signature are INVALID_PARAMETER_VALUE', () => {
    const error = parseError(
      '{"inputs": {"colour": ["red", "blue"], "x": [1.0], "n": [1, 2]}}',
      'json',
      columnSignature,
    );
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('an empty split for a tensor signature is BAD_REQUEST, as MLflow fails reading its first value', () => {
    const error = parseError('{"dataframe_split": {"columns": ["a", "b", "c"], "data": []}}', 'json', tensorSignature);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain("Failed to convert column a to type 'float32'");
  });
});

describe('parseScoringRequest: pandas.read_csv with the schema dtypes (MLflow passes them to read_csv)', () => {
  const typed = parseSignature({
    inputs:
      '[{"type": "integer", "name": "count", "required": true}, {"type": "boolean", "name": "ok", "required": true}, {"type": "double", "name": "w", "required": true}, {"type": "string", "name": "s", "required": true}]',
  });
  const csv = (rows: string[]) => ['count,ok,w,s', ...rows].join('\n') + '\n';
  const read = (rows: string[]) => columns(parseScoringRequest(csv(rows), 'csv', typed).input);
  const refused = (rows: string[]) => parseError(csv(rows), 'csv', typed);

  it('float: NA cells are NaN; inf, infinity, exponents and spaces read; a word is refused', () => {
    const w = read(['1,true,inf,a', '1,true,-Infinity,a', '1,true,,a', '1,true,1e3,a', '1,true, 4 ,a'])[2];
    expect(Array.from(w?.values ?? [])).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      1000,
      4,
    ]);
    const error = refused(['1,true,true,a', '1,true,2.5,a']);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain("could not convert string to float: 'true'");
    expect(refused(['1,true,1.5e400,a']).message).toContain(
      'cannot safely convert passed user dtype of float64 for object dtyped data in column 2',
    );
  });

  it('float or integer: a column of only true/false words reads as 1/0 (pandas reads it as bool first)', () => {
    const [count, , w] = read(['true,true,false,a', 'false,true,true,a']);
    expect(Array.from(count?.values ?? [])).toEqual([1, 0]);
    expect(Array.from(w?.values ?? [])).toEqual([0, 1]);
  });

  it('integer: NA, a fraction, inf and a word are each refused with pandas message; 2.0 and 1e3 read', () => {
    expect(refused([',true,1,a']).message).toContain('Integer column has NA values in column 0');
    expect(refused(['2.5,true,1,a']).message).toContain(
      'cannot safely convert passed user dtype of int32 for float64 dtyped data in column 0',
    );
    expect(refused(['inf,true,1,a']).message).toContain('for float64 dtyped data in column 0');
    expect(refused(['true,true,1,a', '3,true,1,a']).message).toContain(
      "invalid literal for int() with base 10: 'true'",
    );
    expect(Array.from(read(['2.0,true,1,a', '1e3,true,1,a', '-7,true,1,a'])[0]?.values ?? [])).toEqual([2, 1000, -7]);
  });

  it('bool: true/false words in any case, or only 0s and 1s; NA and anything else refused', () => {
    expect(Array.from(read(['1,TRUE,1,a', '1,false,1,a', '1,True,1,a'])[1]?.values ?? [])).toEqual([1, 0, 1]);
    expect(Array.from(read(['1,1,1,a', '1,0,1,a'])[1]?.values ?? [])).toEqual([1, 0]);
    expect(refused(['1,,1,a']).message).toContain('Bool column has NA values in column 1');
    expect(refused(['1,abc,1,a']).message).toContain(
      'cannot safely convert passed user dtype of bool for object dtyped data in column 1',
    );
    expect(refused(['1,2.5,1,a']).message).toContain('for float64 dtyped data in column 1');
    expect(refused(['1,-7,1,a']).message).toContain('for int64 dtyped data in column 1');
  });

  it('string: every cell as written, NA cells as null', () => {
    expect(read(['1,true,1,2.50', '1,true,1,', '1,true,1,NA', '1,true,1, x '])[3]?.values).toEqual([
      '2.50',
      null,
      null,
      ' x ',
    ]);
  });

  it('row lengths: short rows are padded; a first row one cell longer makes an index; a longer later row is refused', () => {
    const padded = read(['1,true,1.5,a', '2,false']);
    expect(Array.from(padded[2]?.values ?? [])).toEqual([1.5, Number.NaN]);
    const indexed = read(['9,1,true,1.5,a', '8,2,false,2.5,b']);
    expect(Array.from(indexed[0]?.values ?? [])).toEqual([1, 2]);
    expect(refused(['1,true,1.5,a', '1,true,1.5,a,extra']).message).toContain(
      'Error tokenizing data. C error: Expected 4 fields in line 3, saw 5',
    );
  });
});

describe('parseScoringRequest: JSON rules seen on models the comparison had not seen', () => {
  const typed = parseSignature({
    inputs:
      '[{"type": "integer", "name": "count", "required": true}, {"type": "boolean", "name": "ok", "required": true}, {"type": "double", "name": "w", "required": true}]',
  });
  const floats = parseSignature({
    inputs: '[{"type": "float", "name": "a", "required": true}, {"type": "float", "name": "b", "required": true}]',
  });
  const cube = parseSignature({
    inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2, 2]}}]',
  });

  it('a string in an integer column must be an integer literal, as Python int() reads it', () => {
    const error = parseError(
      '{"dataframe_split": {"columns": ["count", "ok", "w"], "data": [["2.5", true, 1]]}}',
      'json',
      typed,
    );
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain("invalid literal for int() with base 10: '2.5'");
    const ok = parseScoringRequest(
      '{"dataframe_split": {"columns": ["count", "ok", "w"], "data": [[" 3", true, 1]]}}',
      'json',
      typed,
    );
    expect(Array.from(columns(ok.input)[0]?.values ?? [])).toEqual([3]);
  });

  it('a key a record leaves out is NaN, which a boolean column reads as true; an explicit null is false', () => {
    const input = parseScoringRequest(
      '{"dataframe_records": [{"count": 1, "w": 1}, {"count": 1, "ok": null, "w": 1}]}',
      'json',
      typed,
    ).input;
    expect(Array.from(columns(input)[2]?.values ?? [])).toEqual([1, 0]);
  });

  it('instances takes a dict of columns as inputs does', () => {
    const input = parseScoringRequest('{"instances": {"a": [1, 2], "b": [3, 4]}}', 'json', floats).input;
    expect(columns(input).map((column) => Array.from(column.values))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('a flat split data list under several column names is refused, as pandas refuses its shape', () => {
    const error = parseError('{"dataframe_split": {"columns": ["a", "b"], "data": [1, 2, 3]}}', 'json', floats);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('Shape of passed values is (3, 1), indices imply (3, 2)');
  });

  it('null or a scalar for a column signature is cast to the first column type: BAD_REQUEST where it cannot be', () => {
    for (const body of ['{"inputs": null}', '{"instances": null}', '{"inputs": "abc"}']) {
      const error = parseError(body, 'json', typed);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain("to type `'count': integer (required)` defined in the model signature");
    }
    // float takes null (NaN); the schema check then refuses the frame (INVALID_PARAMETER_VALUE, later)
    expect(() => parseScoringRequest('{"inputs": null}', 'json', floats)).not.toThrow();
  });

  it('split rows of lists for a tensor signature are INVALID_PARAMETER_VALUE (the schema check refuses them)', () => {
    const error = parseError('{"dataframe_split": {"data": [[[1, 2], [3, 4]]]}}', 'json', cube);
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('bytes that are not UTF-8 are refused wherever they are, even in a field the request does not use', () => {
    const body = Buffer.concat([
      Buffer.from('{"x": "'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('", "inputs": [[1, 2]]}'),
    ]);
    const error = (() => {
      try {
        parseScoringRequest(body, 'json', floats);
      } catch (caught) {
        return caught as BerthError;
      }
      throw new Error('expected a refusal');
    })();
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('not valid UTF-8');
    expect(() => parseScoringRequest(Buffer.from('{"inputs": [[1, 2]]}'), 'json', floats)).not.toThrow();
  });
});

describe('parseScoringRequest: tensor rules seen on models the comparison had not seen', () => {
  const named = parseSignature({
    inputs:
      '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}, {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
  });
  const strings = parseSignature({ inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}]' });
  const oneD = parseSignature({ inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]' });

  it('instances takes a dict of named tensors as inputs does', () => {
    const input = parseScoringRequest('{"instances": {"a": [[1, 2]], "b": [3]}}', 'json', named).input;
    expect(input.kind === 'tensors' && Object.keys(input.tensors)).toEqual(['a', 'b']);
  });

  it('a DataFrame column of lists is read as its named tensor (records and split)', () => {
    for (const body of [
      '{"dataframe_records": [{"a": [1, 2], "b": 3}, {"a": [4, 5], "b": 6}]}',
      '{"dataframe_split": {"columns": ["a", "b"], "data": [[[1, 2], 3], [[4, 5], 6]]}}',
    ]) {
      const input = parseScoringRequest(body, 'json', named).input;
      expect(input.kind === 'columns' && input.columns.map((column) => column.dtype)).toEqual(['object', 'int64']);
    }
  });

  it('a list of records under inputs for a tensor signature is INVALID_PARAMETER_VALUE', () => {
    expect(parseError('{"inputs": [{"a": [1, 2], "b": 3}]}', 'json', named).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('an empty inputs list for a tensor signature is INVALID_PARAMETER_VALUE, whatever its rank', () => {
    expect(parseError('{"inputs": []}', 'json', oneD).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('ragged lists for a string tensor are refused as numpy refuses them', () => {
    const error = parseError('{"inputs": [["red"], "blue"]}', 'json', strings);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('inhomogeneous shape');
  });

  it('without a signature, tensors are numpy arrays: booleans among numbers are numbers, a null makes objects', () => {
    const mixed = parseScoringRequest('{"inputs": [[true, 0.5], [1, 2]]}', 'json').input;
    expect(mixed.kind === 'tensors' && Array.from(Object.values(mixed.tensors)[0]?.data ?? [])).toEqual([1, 0.5, 1, 2]);
    const nulls = parseScoringRequest('{"inputs": [[null, 0.5]]}', 'json').input;
    expect(nulls.kind === 'tensors' && Object.values(nulls.tensors)[0]?.dtype).toBe('object');
  });
});
