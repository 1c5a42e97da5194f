/**
 * ZipMap support. scikit-learn classifiers exported by skl2onnx end in a ZipMap node whose output
 * (a sequence of maps) onnxruntime-node cannot hand to JavaScript. MLflow answers it as one
 * `{label: probability}` object per row; Berth does the same by also exposing ZipMap's input (the
 * probability matrix) as a graph output and zipping the rows itself.
 */
import { concatBytes, type Field, fields, lengthDelimited, readVarint, varintField } from './onnx-protobuf.js';

export interface ZipMapOutput {
  /** The graph output produced by ZipMap (e.g. `output_probability`). */
  output: string;
  /** ZipMap's input, a [N, classes] tensor (e.g. `probabilities`). */
  input: string;
  labels: Array<number | string>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function text(field: Field): string {
  return field.value instanceof Uint8Array ? decoder.decode(field.value) : '';
}

function repeatedInts(field: Field, out: number[]): void {
  if (typeof field.value === 'number') {
    out.push(field.value);
    return;
  }
  // Packed encoding.
  let offset = 0;
  while (offset < field.value.length) {
    const [value, next] = readVarint(field.value, offset);
    out.push(value);
    offset = next;
  }
}

function graphOf(model: Uint8Array): Uint8Array | undefined {
  for (const field of fields(model)) if (field.number === 7 && field.value instanceof Uint8Array) return field.value;
  return undefined;
}

/** ZipMap nodes whose output is a graph output. */
export function findZipMaps(model: Uint8Array): ZipMapOutput[] {
  const graph = graphOf(model);
  if (graph === undefined) return [];
  const outputs = new Set<string>();
  const found: ZipMapOutput[] = [];
  for (const field of fields(graph)) {
    if (field.number === 12 && field.value instanceof Uint8Array) {
      for (const info of fields(field.value)) if (info.number === 1) outputs.add(text(info));
    }
  }
  for (const field of fields(graph)) {
    if (field.number !== 1 || !(field.value instanceof Uint8Array)) continue;
    const inputs: string[] = [];
    const nodeOutputs: string[] = [];
    let opType = '';
    const ints: number[] = [];
    const strings: string[] = [];
    for (const part of fields(field.value)) {
      if (part.number === 1) inputs.push(text(part));
      else if (part.number === 2) nodeOutputs.push(text(part));
      else if (part.number === 4) opType = text(part);
      else if (part.number === 5 && part.value instanceof Uint8Array) {
        let name = '';
        const attributeInts: number[] = [];
        const attributeStrings: string[] = [];
        for (const attribute of fields(part.value)) {
          if (attribute.number === 1) name = text(attribute);
          else if (attribute.number === 8) repeatedInts(attribute, attributeInts);
          else if (attribute.number === 9) attributeStrings.push(text(attribute));
        }
        if (name === 'classlabels_int64s') ints.push(...attributeInts);
        if (name === 'classlabels_strings') strings.push(...attributeStrings);
      }
    }
    const output = nodeOutputs[0];
    const input = inputs[0];
    if (opType === 'ZipMap' && output !== undefined && input !== undefined && outputs.has(output)) {
      found.push({ output, input, labels: strings.length > 0 ? strings : ints });
    }
  }
  return found;
}

/** The model with each ZipMap input added as a float graph output (appended fields merge in protobuf). */
export function exposeZipMapInputs(model: Uint8Array, zipMaps: ZipMapOutput[]): Uint8Array {
  const extraOutputs = zipMaps.map((zipMap) => {
    const tensorType = lengthDelimited(1, varintField(1, 1)); // TypeProto.tensor_type{elem_type: FLOAT}
    const valueInfo = concatBytes([lengthDelimited(1, encoder.encode(zipMap.input)), lengthDelimited(2, tensorType)]);
    return lengthDelimited(12, valueInfo);
  });
  const parts: Uint8Array[] = [];
  let offset = 0;
  // Copy every top-level field verbatim except the graph, which gets the extra outputs appended.
  while (offset < model.length) {
    const [key, afterKey] = readVarint(model, offset);
    const number = Math.floor(key / 8);
    const wireType = key & 7;
    let end = afterKey;
    if (wireType === 0) end = readVarint(model, afterKey)[1];
    else if (wireType === 1) end = afterKey + 8;
    else if (wireType === 5) end = afterKey + 4;
    else if (wireType === 2) {
      const [length, start] = readVarint(model, afterKey);
      end = start + length;
      if (number === 7) {
        parts.push(lengthDelimited(7, concatBytes([model.subarray(start, end), ...extraOutputs])));
        offset = end;
        continue;
      }
    }
    parts.push(model.subarray(offset, end));
    offset = end;
  }
  return concatBytes(parts);
}

/** `[{label: p, …}, …]` rows from a [N, classes] probability matrix. */
export function zipRows(
  data: ArrayLike<number>,
  rows: number,
  labels: Array<number | string>,
): Array<Record<string, number>> {
  const width = labels.length;
  const out: Array<Record<string, number>> = new Array(rows);
  for (let row = 0; row < rows; row++) {
    const map: Record<string, number> = Object.create(null);
    for (let column = 0; column < width; column++) map[String(labels[column])] = data[row * width + column] as number;
    out[row] = map;
  }
  return out;
}
