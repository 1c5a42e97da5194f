/**
 * IEEE 754 half precision, as onnxruntime-node hands `float16` tensors over on Node 20: raw 16-bit
 * patterns in a Uint16Array (there is no Float16Array yet). JSON numbers are encoded with
 * round-to-nearest-even, as numpy's `astype(np.float16)` does; out-of-range values become ±Infinity.
 */

const float32 = new Float32Array(1);
const bits32 = new Uint32Array(float32.buffer);

export function toFloat16Bits(values: ArrayLike<number | bigint>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let index = 0; index < values.length; index++) out[index] = halfBits(Number(values[index]));
  return out;
}

function halfBits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  // Via float32 first would round twice; decompose the double directly.
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude === Number.POSITIVE_INFINITY || magnitude >= 65520) return sign | 0x7c00; // rounds up past max (65504)
  if (magnitude < 2 ** -24 / 2) return sign; // below half the smallest subnormal: ±0 (ties to even → 0)
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent -= 1; // log2 rounding at the edges
  if (exponent < -14) {
    // Subnormal: units of 2^-24, rounded to nearest even.
    return sign | roundHalfEven(magnitude / 2 ** -24);
  }
  const mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) return exponent + 1 > 15 ? sign | 0x7c00 : sign | ((exponent + 16) << 10);
  return sign | ((exponent + 15) << 10) | mantissa;
}

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function fromFloat16Bits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let index = 0; index < bits.length; index++) {
    const half = bits[index] as number;
    const sign = (half & 0x8000) << 16;
    const exponent = (half >> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0) {
      out[index] = (sign ? -1 : 1) * mantissa * 2 ** -24;
      continue;
    }
    // Normal, infinite or NaN: re-bias the exponent into a float32 bit pattern.
    bits32[0] = sign | ((exponent === 0x1f ? 0xff : exponent - 15 + 127) << 23) | (mantissa << 13);
    out[index] = float32[0] as number;
  }
  return out;
}
