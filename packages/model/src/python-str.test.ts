import { expect, it } from 'vitest';
import { pythonStr } from './onnx-flavor.js';

// A string input of an ONNX model gets what onnxruntime's Python binding feeds for each item of
// MLflow's object column: str(item).
it('turns JSON values of a string column into what Python str() prints', () => {
  expect([5, 2.5, true, false, null, undefined, Number.NaN, Number.POSITIVE_INFINITY].map(pythonStr)).toEqual([
    '5',
    '2.5',
    'True',
    'False',
    'None',
    'nan',
    'nan',
    'inf',
  ]);
  expect(pythonStr(['red', 1, null])).toBe("['red', 1, None]");
  expect(pythonStr({ a: 1, "it's": 'x' })).toBe("{'a': 1, 'it\\'s': 'x'}");
  expect(pythonStr('red')).toBe('red');
});
