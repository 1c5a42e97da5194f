// Baseline for the serving bench: bare node:http + in-process onnxruntime-node, the least a server
// can do for the iris model — parse the dataframe_split body, one run, stringify records.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modelDirectory] = process.argv.slice(2);
const require = createRequire(path.resolve(import.meta.dirname, '../../packages/model/package.json'));
const ort = require('onnxruntime-node');

export async function createBaseline(directory) {
  const session = await ort.InferenceSession.create(path.join(directory, 'model.onnx'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  return async function score(bodyText) {
    const rows = JSON.parse(bodyText).dataframe_split.data;
    const input = new Float32Array(rows.length * 4);
    for (let row = 0; row < rows.length; row++) {
      const values = rows[row];
      for (let column = 0; column < 4; column++) input[row * 4 + column] = values[column];
    }
    const output = await session.run({ input: new ort.Tensor('float32', input, [rows.length, 4]) });
    const probabilities = output.probabilities.data;
    const labels = output.label.data;
    const predictions = new Array(rows.length);
    for (let row = 0; row < rows.length; row++) {
      predictions[row] = {
        probabilities: [probabilities[row * 3], probabilities[row * 3 + 1], probabilities[row * 3 + 2]],
        label: Number(labels[row]),
      };
    }
    return JSON.stringify({ predictions });
  };
}

if (modelDirectory && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const score = await createBaseline(modelDirectory);
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      score(Buffer.concat(chunks).toString('utf8')).then(
        (text) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(text);
        },
        (error) => {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error_code: 'BAD_REQUEST', message: String(error) }));
        },
      );
    });
  });
  server.keepAliveTimeout = 72_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
}
