/**
 * Names of the external-data files an ONNX model refers to, read straight from the protobuf
 * (ModelProto.graph → initializer/TensorProto.external_data "location", including subgraphs), so an
 * HTTP download without a directory listing can fetch the side files too.
 */

interface Field {
  number: number;
  wireType: number;
  value: number | Uint8Array;
}

function readVarint(bytes: Uint8Array, offset: number): [number, number] {
  let result = 0;
  let shift = 0;
  let position = offset;
  for (;;) {
    if (position >= bytes.length) throw new Error('truncated varint');
    const byte = bytes[position++] as number;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, position];
    shift += 7;
    if (shift > 63) throw new Error('varint too long');
  }
}

function* fields(bytes: Uint8Array): Generator<Field> {
  let offset = 0;
  while (offset < bytes.length) {
    const [key, afterKey] = readVarint(bytes, offset);
    const number = Math.floor(key / 8);
    const wireType = key & 7;
    offset = afterKey;
    if (wireType === 0) {
      const [value, next] = readVarint(bytes, offset);
      offset = next;
      yield { number, wireType, value };
    } else if (wireType === 1) {
      offset += 8;
    } else if (wireType === 2) {
      const [length, next] = readVarint(bytes, offset);
      const value = bytes.subarray(next, next + length);
      offset = next + length;
      yield { number, wireType, value };
    } else if (wireType === 5) {
      offset += 4;
    } else throw new Error(`unsupported wire type ${wireType}`);
  }
}

const decoder = new TextDecoder();

function tensorLocations(tensor: Uint8Array, out: Set<string>): void {
  for (const field of fields(tensor)) {
    if (field.number !== 13 || !(field.value instanceof Uint8Array)) continue; // external_data
    let key = '';
    let value = '';
    for (const entry of fields(field.value)) {
      if (entry.value instanceof Uint8Array) {
        if (entry.number === 1) key = decoder.decode(entry.value);
        if (entry.number === 2) value = decoder.decode(entry.value);
      }
    }
    if (key === 'location' && value !== '') out.add(value);
  }
}

function graphLocations(graph: Uint8Array, out: Set<string>): void {
  for (const field of fields(graph)) {
    if (!(field.value instanceof Uint8Array)) continue;
    if (field.number === 5) tensorLocations(field.value, out); // initializer
    if (field.number === 1) nodeLocations(field.value, out); // node (subgraphs in attributes)
  }
}

function nodeLocations(node: Uint8Array, out: Set<string>): void {
  for (const field of fields(node)) {
    if (field.number !== 5 || !(field.value instanceof Uint8Array)) continue; // attribute
    for (const attribute of fields(field.value)) {
      if (!(attribute.value instanceof Uint8Array)) continue;
      if (attribute.number === 5) tensorLocations(attribute.value, out); // t
      if (attribute.number === 6 || attribute.number === 11) graphLocations(attribute.value, out); // g, graphs
      if (attribute.number === 10) tensorLocations(attribute.value, out); // tensors
    }
  }
}

/** Relative paths of external-data files; [] when the model keeps its weights inline. */
export function externalDataLocations(model: Uint8Array): string[] {
  const out = new Set<string>();
  for (const field of fields(model)) {
    if (field.number === 7 && field.value instanceof Uint8Array) graphLocations(field.value, out);
  }
  return [...out];
}
