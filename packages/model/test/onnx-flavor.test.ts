import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { loadMLmodel, loadModel, parseScoringRequest, predictionsToJSON, saveModel } from '../src/index.js';
import { ELEM, unaryModel } from './onnx-writer.js';
import { exampleModel } from './paths.js';
import { tempDir } from './temp-dir.js';

async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (error) {
    expect(BerthError.isInstance(error)).toBe(true);
    return error as BerthError;
  }
  throw new Error('expected a rejection');
}

const irisOnnx = path.join(exampleModel('iris'), 'model.onnx');

describe('onnx flavor (test_onnx_model_export)', () => {
  it('save/load round trip keeps signature and example; pyfunc output equals raw onnxruntime', async () => {
    const directory = path.join(await tempDir(), 'model');
    await saveModel(directory, {
      onnxModel: await readFile(irisOnnx),
      signature: {
        inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "input"}]',
      },
      inputExample: { inputs: [[5.1, 3.5, 1.4, 0.2]] },
      metadata: { team: 'berth' },
    });
    const metadata = await loadMLmodel(directory);
    expect(Object.keys(metadata.flavors).sort()).toEqual(['onnx', 'python_function']);
    expect(metadata.flavors.python_function?.loader_module).toBe('mlflow.onnx');
    expect(metadata.signature?.inputs?.kind).toBe('tensors');
    expect(metadata.savedInputExampleInfo).toEqual({
      artifactPath: 'input_example.json',
      type: 'ndarray',
      servingInputPath: 'serving_input_example.json',
    });
    expect(metadata.metadata).toEqual({ team: 'berth' });

    const model = await loadModel(directory);
    const body = (await model.servingInputExample()) as string;
    expect(JSON.parse(body)).toEqual({ inputs: [[5.1, 3.5, 1.4, 0.2]] });
    const { input } = parseScoringRequest(body, 'json', model.signature);
    const output = await model.predict(input);
    await model.close();

    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(irisOnnx);
    const raw = await session.run({ input: new ort.Tensor('float32', new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]) });
    await session.release();
    expect(output.kind === 'tensors' && output.tensors.probabilities?.data).toEqual(raw.probabilities?.data);
  });

  it('a float32 model takes float64 data through Berth (cast), while raw onnxruntime refuses it', async () => {
    const model = await loadModel(exampleModel('iris-tensor'));
    // No schema cast here: a float64 tensor straight to predict, as an in-process caller would.
    const unsigned = await loadModel(await copyWithoutSignature(exampleModel('iris-tensor')));
    const output = await unsigned.predict({
      kind: 'tensors',
      tensors: { input: { dtype: 'float64', shape: [1, 4], data: new Float64Array([5.1, 3.5, 1.4, 0.2]) } },
    });
    expect(output.kind === 'tensors' && output.tensors.label?.data).toEqual(new BigInt64Array([0n]));
    await unsigned.close();
    await model.close();

    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(irisOnnx);
    await expect(session.run({ input: new ort.Tensor('float64', new Float64Array(4), [1, 4]) })).rejects.toThrow(
      /Unexpected input data type/,
    );
    await session.release();
  });

  it('multiple inputs work from a dict of tensors and from a frame; an unnamed array is refused', async () => {
    const model = await loadModel(exampleModel('multi-input'));
    const fromFrame = parseScoringRequest(
      '{"dataframe_split": {"columns": ["b", "a"], "data": [[2, 1.5], [-1, 3]]}}',
      'json',
      model.signature,
    );
    expect(JSON.parse(predictionsToJSON(await model.predict(fromFrame.input)))).toEqual({
      predictions: [
        { sum: 3.5, product: 3 },
        { sum: 2, product: -3 },
      ],
    });
    const fromDict = parseScoringRequest('{"inputs": {"a": [1.5, 3], "b": [2, -1]}}', 'json', model.signature);
    expect(JSON.parse(predictionsToJSON(await model.predict(fromDict.input))).predictions).toHaveLength(2);
    await model.close();

    const unsigned = await loadModel(await copyWithoutSignature(exampleModel('multi-input')));
    const asTensors = parseScoringRequest('{"inputs": {"a": [1.5, 3], "b": [2, -1]}}', 'json');
    expect(JSON.parse(predictionsToJSON(await unsigned.predict(asTensors.input)))).toEqual({
      predictions: { sum: [3.5, 2], product: [3, -3] },
    });
    const array = parseScoringRequest('{"inputs": [[1, 2]]}', 'json');
    const error = await rejection(unsigned.predict(array.input));
    expect(error.message).toContain('Unable to map numpy array input to the expected model input.');
    expect(error.message).toContain('This model requires 2 inputs');
    await unsigned.close();
  });

  it('loads external data that sits beside model.onnx', async () => {
    const directory = exampleModel('linear-external');
    expect((await stat(path.join(directory, 'model.onnx.data'))).size).toBeGreaterThan(0);
    const expected = JSON.parse(await readFile(path.join(directory, 'expected.json'), 'utf8')) as { y: number[][] };
    const model = await loadModel(directory);
    const { input } = parseScoringRequest((await model.servingInputExample()) as string, 'json', model.signature);
    const answer = JSON.parse(predictionsToJSON(await model.predict(input))) as { predictions: { y: number[][] } };
    answer.predictions.y.flat().forEach((value, index) => {
      expect(value).toBeCloseTo(expected.y.flat()[index] as number, 5);
    });
    await model.close();
  });

  it('applies flavor session options (optimized_model_filepath is written) and validates them like MLflow', async () => {
    const root = await tempDir();
    const optimized = path.join(root, 'optimized.onnx');
    const directory = path.join(root, 'model');
    await saveModel(directory, {
      onnxModel: irisOnnx,
      onnxSessionOptions: {
        intra_op_num_threads: 1,
        inter_op_num_threads: 1,
        execution_mode: 'SEQUENTIAL',
        graph_optimization_level: 99,
        optimized_model_filepath: optimized,
        extra_session_config: { 'session.intra_op.allow_spinning': '0' },
      },
    });
    const model = await loadModel(directory);
    expect((await stat(optimized)).size).toBeGreaterThan(0);
    await model.close();

    for (const [options, message] of [
      [
        { not_an_option: 1 },
        'Key not_an_option in onnx_session_options is not a valid ONNX Runtime session options key',
      ],
      [{ execution_mode: 'sideways' }, "should be 'parallel' or 'sequential'"],
      [{ graph_optimization_level: 5 }, 'should be 0, 1, 2, or 99'],
      [{ intra_op_num_threads: -1 }, 'should be >= 0'],
      [{ extra_session_config: 'x' }, 'should be a dict'],
    ] as const) {
      const bad = path.join(await tempDir(), 'model');
      await expect(saveModel(bad, { onnxModel: irisOnnx, onnxSessionOptions: options })).rejects.toThrow(message);
    }
  });

  it('an ONNX failure (wrong width) is BAD_REQUEST with a stack_trace, as MLflow answers', async () => {
    const unsigned = await loadModel(await copyWithoutSignature(exampleModel('iris-tensor')));
    const error = await rejection(unsigned.predict(parseScoringRequest('{"inputs": [[1.0, 2.0]]}', 'json').input));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('Encountered an unexpected error while evaluating the model.');
    expect(String(error.toJSON().stack_trace)).toContain('invalid dimensions');
    await unsigned.close();
  });
});

describe('flavor selection and the js flavor', () => {
  it('a model without onnx or js names what it has and what Berth can serve', async () => {
    const directory = await tempDir();
    await writeFile(
      path.join(directory, 'MLmodel'),
      'flavors:\n  sklearn: {}\n  python_function: {loader_module: mlflow.sklearn}\n',
    );
    const error = await rejection(loadModel(directory));
    expect(error.message).toContain('The model has flavors [sklearn, python_function]; Berth can serve: onnx, js');
    const named = await rejection(loadModel(directory, { flavor: 'python_function' }));
    expect(named.message).toContain(
      "Berth cannot serve the flavor 'python_function' with loader_module 'mlflow.sklearn'",
    );
    const sklearn = await rejection(loadModel(directory, { flavor: 'sklearn' }));
    expect(sklearn.message).toContain("Berth cannot serve the flavor 'sklearn'");
    // MLflow's default deployment flavor: a pyfunc over mlflow.onnx is served by the onnx flavor.
    const pyfunc = await loadModel(exampleModel('iris'), { flavor: 'python_function' });
    expect(pyfunc.flavor).toBe('onnx');
    await pyfunc.close();
    const absent = await rejection(loadModel(exampleModel('iris'), { flavor: 'js' }));
    expect(absent.message).toContain("does not have the flavor 'js'");
  });

  it("a missing MLmodel is RESOURCE_DOES_NOT_EXIST with MLflow's message", async () => {
    const directory = await tempDir();
    const error = await rejection(loadModel(directory));
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toBe(`Could not find an "MLmodel" configuration file at "${directory}"`);
  });

  it('js models run only with allowCode', async () => {
    const refused = await rejection(loadModel(exampleModel('js-linear')));
    expect(refused.code).toBe('PERMISSION_DENIED');
    expect(refused.suggestions.join(' ')).toContain('allowCode: true');

    const model = await loadModel(exampleModel('js-linear'), { allowCode: true });
    expect(model.flavor).toBe('js');
    const { input, params } = parseScoringRequest(
      (await model.servingInputExample()) as string,
      'json',
      model.signature,
    );
    expect(JSON.parse(predictionsToJSON(await model.predict(input, params)))).toEqual({
      predictions: [{ score: 0.5 }, { score: 6 }],
    });
    const scaled = await model.predict(input, { scale: 2 });
    expect(JSON.parse(predictionsToJSON(scaled)).predictions[1]).toEqual({ score: 12 });
    await expect(model.predict(input, { scale: 'big' })).rejects.toThrow('Invalid parameters found');
    await model.close();
  });
});

async function copyWithoutSignature(source: string): Promise<string> {
  const directory = path.join(await tempDir(), 'model');
  await cp(source, directory, { recursive: true });
  const text = await readFile(path.join(directory, 'MLmodel'), 'utf8');
  await writeFile(path.join(directory, 'MLmodel'), text.replace(/^signature:\n(?: {2}.*\n| {4}.*\n)*/m, ''));
  const metadata = await loadMLmodel(directory);
  expect(metadata.signature).toBeUndefined();
  return directory;
}

describe('feeding JSON data to typed ONNX inputs', () => {
  it.each([
    ['int32', ELEM.int32, '{"inputs": [1, -2, 3]}', [1, -2, 3]],
    ['int64', ELEM.int64, '{"inputs": [1, -2, 3]}', [1, -2, 3]],
    ['double', ELEM.double, '{"inputs": [1, 2.5]}', [1, 2.5]],
    ['bool', ELEM.bool, '{"inputs": [true, false]}', [true, false]],
    ['string', ELEM.string, '{"inputs": ["a", "b"]}', ['a', 'b']],
    // Encoded to half precision on the way in (0.1 → 0x2e66), decoded on the way out.
    ['float16', ELEM.float16, '{"inputs": [0.5, -1.25, 0.1, 65504]}', [0.5, -1.25, 0.0999755859375, 65504]],
  ] as const)('an %s input takes JSON values (Identity round trip)', async (_name, elem, body, expected) => {
    const directory = path.join(await tempDir(), 'model');
    await saveModel(directory, { onnxModel: unaryModel('Identity', elem) });
    const model = await loadModel(directory);
    const answer = JSON.parse(predictionsToJSON(await model.predict(parseScoringRequest(body, 'json').input)));
    expect(answer).toEqual({ predictions: { y: expected } });
    await model.close();
  });

  it('a float16 tensor signature (a half-precision export) loads and takes JSON numbers', async () => {
    const directory = path.join(await tempDir(), 'model');
    await saveModel(directory, {
      onnxModel: unaryModel('Neg', ELEM.float16),
      signature: {
        inputs: [{ type: 'tensor', name: 'x', 'tensor-spec': { dtype: 'float16', shape: [-1] } }],
        outputs: [{ type: 'tensor', name: 'y', 'tensor-spec': { dtype: 'float16', shape: [-1] } }],
      },
    });
    const model = await loadModel(directory);
    const request = parseScoringRequest('{"inputs": {"x": [1.5, 3]}}', 'json', model.signature);
    const answer = JSON.parse(predictionsToJSON(await model.predict(request.input)));
    expect(answer).toEqual({ predictions: { y: [-1.5, -3] } });
    await model.close();
  });

  it('integers that do not fit an int32 input are refused, not wrapped', async () => {
    const directory = path.join(await tempDir(), 'model');
    await saveModel(directory, { onnxModel: unaryModel('Identity', ELEM.int32) });
    const model = await loadModel(directory);
    const error = await rejection(model.predict(parseScoringRequest('{"inputs": [4294967296]}', 'json').input));
    expect(error.code).toBe('BAD_REQUEST');
    expect(String(error.toJSON().stack_trace)).toContain('Unexpected input data type');
    await model.close();
  });
});
