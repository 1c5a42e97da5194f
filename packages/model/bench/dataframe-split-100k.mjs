// 100k-row `dataframe_split` through Berth (parseScoringRequest → predict → predictionsToJSON)
// against the bare minimum in the same process: JSON.parse → Float32Array → ort run → JSON.stringify.
// Run after a build:  node packages/model/bench/dataframe-split-100k.mjs [rows] [rounds]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { loadModel, parseScoringRequest, predictionsToJSON } from '../dist/index.js';

const rows = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 11);
const modelDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/models/iris');
const columns = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const data = Array.from({ length: rows }, (_, row) => [
  4 + (row % 40) / 10,
  2 + (row % 25) / 10,
  1 + (row % 60) / 10,
  (row % 25) / 10,
]);
const body = JSON.stringify({ dataframe_split: { columns, data } });

const session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'), {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});
async function baseline() {
  const parsed = JSON.parse(body).dataframe_split;
  const input = new Float32Array(parsed.data.length * 4);
  for (let row = 0; row < parsed.data.length; row++)
    for (let k = 0; k < 4; k++) input[row * 4 + k] = parsed.data[row][k];
  const out = await session.run({ input: new ort.Tensor('float32', input, [parsed.data.length, 4]) });
  const probabilities = out.probabilities.data;
  const label = out.label.data;
  const predictions = new Array(parsed.data.length);
  for (let row = 0; row < predictions.length; row++) {
    predictions[row] = {
      probabilities: [probabilities[row * 3], probabilities[row * 3 + 1], probabilities[row * 3 + 2]], // specialised to 3 classes
      label: Number(label[row]),
    };
  }
  return JSON.stringify({ predictions });
}

const model = await loadModel(modelDir);
const phases = { parse: 0, predict: 0, json: 0 };
async function berth() {
  let start = performance.now();
  const request = parseScoringRequest(body, 'json', model.signature);
  phases.parse += performance.now() - start;
  start = performance.now();
  const output = await model.predict(request.input, request.params);
  phases.predict += performance.now() - start;
  start = performance.now();
  const text = predictionsToJSON(output);
  phases.json += performance.now() - start;
  return text;
}

// Warm both paths, then alternate baseline/Berth round by round so load spikes hit both alike.
await baseline();
await berth();
phases.parse = phases.predict = phases.json = 0;
const samples = { base: [], ours: [] };
let lastBase;
let lastOurs;
for (let round = 0; round < rounds; round++) {
  let start = performance.now();
  lastBase = await baseline();
  samples.base.push(performance.now() - start);
  start = performance.now();
  lastOurs = await berth();
  samples.ours.push(performance.now() - start);
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(samples.base);
const ours = median(samples.ours);
const b1 = { result: lastBase };
const m1 = { result: lastOurs };
const ourRows = JSON.parse(m1.result).predictions;
const same = JSON.parse(b1.result).predictions.every((row, index) => row.label === ourRows[index].label);
const perRound = (value) => (value / rounds).toFixed(1);
console.log(`rows=${rows} body=${(body.length / 1e6).toFixed(1)} MB rounds=${rounds}`);
console.log(`baseline (JSON.parse + ort.run + JSON.stringify), median: ${base.toFixed(1)} ms`);
console.log(`berth (parseScoringRequest + predict + predictionsToJSON), median: ${ours.toFixed(1)} ms`);
console.log(
  `  mean phases: parse ${perRound(phases.parse)} ms, predict ${perRound(phases.predict)} ms, json ${perRound(phases.json)} ms`,
);
console.log(`ratio berth/baseline: ${(ours / base).toFixed(2)}x (goal <= 1.5x); same labels: ${same}`);
await model.close();
await session.release();
