/** Just enough protobuf to read and patch ONNX models without a schema library. */

export interface Field {
  number: number;
  wireType: number;
  value: number | Uint8Array;
}

export function readVarint(bytes: Uint8Array, offset: number): [number, number] {
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

export function* fields(bytes: Uint8Array): Generator<Field> {
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

export function encodeVarint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

/** A length-delimited field (wire type 2). */
export function lengthDelimited(number: number, payload: Uint8Array): Uint8Array {
  const head = [...encodeVarint(number * 8 + 2), ...encodeVarint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

export function varintField(number: number, value: number): Uint8Array {
  return new Uint8Array([...encodeVarint(number * 8), ...encodeVarint(value)]);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
