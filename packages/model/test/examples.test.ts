import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModel, parseScoringRequest, predictionsToJSON } from '../src/index.js';
import { exampleModel } from './paths.js';
import { tempDir } from './temp-dir.js';

interface IrisExpected {
  input: number[][];
  probabilities: number[][];
  label: number[];
}

describe('iris example (sklearn LogisticRegression exported to ONNX)', () => {
  let model: LoadedModel;
  let expected: IrisExpected;

  beforeAll(async () => {
    model = await loadModel(exampleModel('iris'));
    expected = JSON.parse(await readFile(path.join(exampleModel('iris'), 'expected.json'), 'utf8'));
  });
  afterAll(() => model.close());

  it('matches sklearn predict_proba to 1e-6 on its serving input example', async () => {
    const body = await model.servingInputExample();
    expect(body).toBeDefined();
    const request = parseScoringRequest(body as string, 'json', model.signature);
    const output = await model.predict(request.input, request.params);
    const answer = JSON.parse(predictionsToJSON(output)) as {
      predictions: Array<{ probabilities: number[]; label: number }>;
    };
    expect(answer.predictions).toHaveLength(expected.probabilities.length);
    answer.predictions.forEach((row, index) => {
      expect(row.label).toBe(expected.label[index]);
      row.probabilities.forEach((p, k) => {
        expect(Math.abs(p - (expected.probabilities[index]?.[k] ?? Number.NaN))).toBeLessThan(1e-6);
      });
    });
  });

  it('serves dataframe_records with reordered columns and CSV the same way', async () => {
    const records = expected.input.map(([a, b, c, d]) => ({
      petal_width: d,
      sepal_length: a,
      sepal_width: b,
      petal_length: c,
    }));
    const fromRecords = parseScoringRequest(JSON.stringify({ dataframe_records: records }), 'json', model.signature);
    const csv = `petal_width,sepal_length,sepal_width,petal_length\n${records.map((r) => [r.petal_width, r.sepal_length, r.sepal_width, r.petal_length].join(',')).join('\n')}\n`;
    const fromCsv = parseScoringRequest(csv, 'csv', model.signature);
    const a = predictionsToJSON(await model.predict(fromRecords.input));
    const b = predictionsToJSON(await model.predict(fromCsv.input));
    expect(a).toBe(b);
    const rows = (JSON.parse(a) as { predictions: Array<{ label: number }> }).predictions;
    expect(rows.map((row) => row.label)).toEqual(expected.label);
  });
});

describe('iris-tensor example', () => {
  it('takes `inputs` as a 2-D list and answers a dict of outputs', async () => {
    const model = await loadModel(exampleModel('iris-tensor'));
    try {
      const body = (await model.servingInputExample()) as string;
      const request = parseScoringRequest(body, 'json', model.signature);
      const answer = JSON.parse(predictionsToJSON(await model.predict(request.input))) as {
        predictions: { probabilities: number[][]; label: number[] };
      };
      const expected = JSON.parse(
        await readFile(path.join(exampleModel('iris-tensor'), 'expected.json'), 'utf8'),
      ) as IrisExpected;
      expect(answer.predictions.label).toEqual(expected.label);
      expect(answer.predictions.probabilities[0]?.[0]).toBeCloseTo(expected.probabilities[0]?.[0] ?? 0, 6);
    } finally {
      await model.close();
    }
  });
});

describe('torch-cnn example (a PyTorch CNN exported by torch.onnx.export)', () => {
  it("matches PyTorch's own outputs to 1e-6, fed as named inputs or as instances", async () => {
    const directory = exampleModel('torch-cnn');
    const model = await loadModel(directory);
    try {
      const expected = JSON.parse(await readFile(path.join(directory, 'expected.json'), 'utf8')) as {
        input: number[][][][];
        probabilities: number[][];
      };
      const bodies = [(await model.servingInputExample()) as string, JSON.stringify({ instances: expected.input })];
      for (const body of bodies) {
        const request = parseScoringRequest(body, 'json', model.signature);
        const answer = JSON.parse(predictionsToJSON(await model.predict(request.input))) as {
          predictions: { probabilities: number[][] };
        };
        expect(answer.predictions.probabilities).toHaveLength(expected.probabilities.length);
        answer.predictions.probabilities.forEach((row, index) => {
          row.forEach((value, column) => {
            expect(value).toBeCloseTo(expected.probabilities[index]?.[column] ?? Number.NaN, 6);
          });
        });
      }
      // An image of the wrong size is refused by the signature before the model runs.
      const wrong = parseScoringRequest(JSON.stringify({ inputs: [[[0, 1]]] }), 'json', model.signature);
      await expect(model.predict(wrong.input)).rejects.toThrow(/Shape of input \(1, 1, 2\) does not match/);
    } finally {
      await model.close();
    }
  });
});

describe('iris-zipmap example (skl2onnx layout: LinearClassifier + ZipMap)', () => {
  it('answers output_probability as one {class: p} object per row, matching sklearn to 1e-6', async () => {
    const model = await loadModel(exampleModel('iris-zipmap'));
    try {
      const expected = JSON.parse(
        await readFile(path.join(exampleModel('iris-zipmap'), 'expected.json'), 'utf8'),
      ) as IrisExpected;
      const frame = parseScoringRequest(JSON.stringify({ dataframe_split: { data: expected.input } }), 'json');
      const rows = JSON.parse(predictionsToJSON(await model.predict(frame.input))).predictions as Array<{
        output_label: number;
        output_probability: Record<string, number>;
      }>;
      expect(rows.map((row) => row.output_label)).toEqual(expected.label);
      rows.forEach((row, index) => {
        expect(Object.keys(row.output_probability)).toEqual(['0', '1', '2']);
        Object.values(row.output_probability).forEach((p, k) => {
          expect(Math.abs(p - (expected.probabilities[index]?.[k] ?? Number.NaN))).toBeLessThan(1e-6);
        });
      });
      const tensors = parseScoringRequest((await model.servingInputExample()) as string, 'json');
      const answer = JSON.parse(predictionsToJSON(await model.predict(tensors.input))).predictions;
      expect(answer.output_label).toEqual(expected.label);
      expect(answer.output_probability).toHaveLength(expected.label.length);
    } finally {
      await model.close();
    }
  });
});

describe('iris-tensor fed frames', () => {
  it('a 4-column CSV or unnamed dataframe_split feeds the single (-1, 4) tensor, answered as tensors (MLflow)', async () => {
    const model = await loadModel(exampleModel('iris-tensor'));
    try {
      for (const [format, body] of [
        ['csv', 'a,b,c,d\n5.1,3.5,1.4,0.2\n6.9,3.2,5.7,2.3\n'],
        ['json', '{"dataframe_split": {"data": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7, 2.3]]}}'],
      ] as const) {
        const { input } = parseScoringRequest(body, format, model.signature);
        // A tensor signature turns the frame into a tensor, so the answer is {output: values}.
        const predictions = JSON.parse(predictionsToJSON(await model.predict(input))).predictions as {
          label: number[];
        };
        expect(predictions.label).toEqual([0, 2]);
      }
      const { input } = parseScoringRequest('a,b,c\n1,2,3\n', 'csv', model.signature);
      await expect(model.predict(input)).rejects.toThrow('Shape of input (1, 3) does not match expected shape (-1, 4)');
    } finally {
      await model.close();
    }
  });
});

describe('servingInputExample for models saved before serving_input_example.json existed', () => {
  it('builds the request from input_example.json (dataframe → dataframe_split, ndarray → inputs)', async () => {
    for (const [name, key] of [
      ['iris', 'dataframe_split'],
      ['iris-tensor', 'inputs'],
    ] as const) {
      const directory = path.join(await tempDir(), name);
      await cp(exampleModel(name), directory, { recursive: true });
      await rm(path.join(directory, 'serving_input_example.json'));
      const mlmodel = await readFile(path.join(directory, 'MLmodel'), 'utf8');
      await writeFile(path.join(directory, 'MLmodel'), mlmodel.replace(/ {2}serving_input_path: .*\n/, ''));
      const model = await loadModel(directory);
      expect(model.metadata.savedInputExampleInfo?.servingInputPath).toBeUndefined();
      const body = JSON.parse((await model.servingInputExample()) as string) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual([key]);
      const { input } = parseScoringRequest(JSON.stringify(body), 'json', model.signature);
      await expect(model.predict(input)).resolves.toMatchObject({ kind: 'tensors' });
      await model.close();
    }
  });
});
