/** Minimal ONNX writer for tests: single-node graphs with typed inputs (field numbers from onnx.proto). */
import { concatBytes, lengthDelimited, varintField } from '../src/onnx-protobuf.js';

const encoder = new TextEncoder();
const str = (number: number, value: string) => lengthDelimited(number, encoder.encode(value));

export const ELEM = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  double: 11,
} as const;

function valueInfo(name: string, elemType: number, dims: Array<number | string>): Uint8Array {
  const dimensions = dims.map((dim) => lengthDelimited(1, typeof dim === 'number' ? varintField(1, dim) : str(2, dim)));
  const shape = lengthDelimited(2, concatBytes(dimensions));
  const tensorType = lengthDelimited(1, concatBytes([varintField(1, elemType), shape]));
  return concatBytes([str(1, name), lengthDelimited(2, tensorType)]);
}

/** `y = op(x)` for a unary op (Identity, Abs, Neg, …) over `elemType` tensors of shape [N]. */
export function unaryModel(op: string, elemType: number, inputName = 'x', outputName = 'y'): Uint8Array {
  const node = concatBytes([str(1, inputName), str(2, outputName), str(3, 'node'), str(4, op)]);
  const graph = concatBytes([
    lengthDelimited(1, node),
    str(2, 'g'),
    lengthDelimited(11, valueInfo(inputName, elemType, ['N'])),
    lengthDelimited(12, valueInfo(outputName, elemType, ['N'])),
  ]);
  const opset = concatBytes([str(1, ''), varintField(2, 13)]);
  return concatBytes([varintField(1, 8), str(2, 'berth-test'), lengthDelimited(7, graph), lengthDelimited(8, opset)]);
}
