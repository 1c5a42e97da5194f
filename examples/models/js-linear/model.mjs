// A `js`-flavor model for Berth: score = scale * (w1*x1 + w2*x2 + bias), one number per row.
// Berth imports this file only when code execution is allowed (allowCode / --allow-code).
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export async function load(modelDir) {
  const weights = JSON.parse(await readFile(path.join(modelDir, 'weights.json'), 'utf8'));
  return {
    predict(input, params = {}) {
      if (input.kind !== 'columns')
        throw new Error('js-linear expects a frame (dataframe_split, dataframe_records or CSV)');
      const x1 = input.columns.find((column) => column.name === 'x1').values;
      const x2 = input.columns.find((column) => column.name === 'x2').values;
      const scale = params.scale ?? 1;
      const scores = new Float64Array(input.rowCount);
      for (let row = 0; row < input.rowCount; row++) {
        scores[row] = scale * (weights.x1 * x1[row] + weights.x2 * x2[row] + weights.bias);
      }
      // A ModelOutput: answered in records orientation like an ONNX model fed a frame.
      return {
        kind: 'tensors',
        orientation: 'records',
        tensors: { score: { dtype: 'float64', shape: [input.rowCount], data: scores } },
      };
    },
  };
}
