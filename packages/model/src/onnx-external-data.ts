import { fields } from './onnx-protobuf.js';

/**
 * Names of the external-data files an ONNX model refers to, read straight from the protobuf
 * (ModelProto.graph → initializer/TensorProto.external_data "location", including subgraphs), so an
 * HTTP download without a directory listing can fetch the side files too.
 */

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
