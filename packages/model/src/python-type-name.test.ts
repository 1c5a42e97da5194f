import { expect, it } from 'vitest';
import { pythonClass, pythonTypeName } from './python-type-name.js';

it("names a JSON value's type as Python's type(value).__name__ does", () => {
  expect([null, [1], 3, 2.5, 7n, 'x', true, { a: 1 }].map(pythonTypeName)).toEqual([
    'NoneType',
    'list',
    'int',
    'float',
    'int',
    'str',
    'bool',
    'dict',
  ]);
  expect(pythonClass(false)).toBe("<class 'bool'>");
});
