import { describe, expect, it } from 'vitest';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';

describe('float16', () => {
  it('encodes numbers as numpy astype(float16) does', () => {
    // Bit patterns printed by numpy 1.24: np.array([...], np.float64).astype(np.float16).view(np.uint16)
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [1.25, 0x3d00],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [1e6, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000], // a tie: rounds to even (zero)
      [3 * 2 ** -25, 0x0002], // a tie between 1 and 2 units: even (2)
      [6.1e-5, 0x03ff], // the largest subnormal
      [65519.99, 0x7bff],
      [2 ** -14 * 1.5, 0x0600],
      [Math.PI, 0x4248],
      [-1e-7, 0x8002],
      [1e-8, 0x0000],
      [0.1, 0x2e66],
      [1 + 2 ** -11, 0x3c00], // tie at the last mantissa bit: even (down)
      [1 + 3 * 2 ** -11, 0x3c02], // tie: even (up)
    ];
    for (const [value, bits] of cases) expect([value, toFloat16Bits([value])[0]]).toEqual([value, bits]);
    expect(((toFloat16Bits([Number.NaN])[0] as number) & 0x7fff) > 0x7c00).toBe(true);
  });

  it('decodes bit patterns, and round-trips every finite half', () => {
    expect(Array.from(fromFloat16Bits(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0x7bff])))).toEqual([
      1,
      -2,
      2 ** -24,
      Infinity,
      65504,
    ]);
    expect(Number.isNaN(fromFloat16Bits(new Uint16Array([0x7e00]))[0])).toBe(true);
    const all = new Uint16Array(0x10000).map((_, index) => index);
    const finite = all.filter((bits) => (bits & 0x7c00) !== 0x7c00);
    expect(Array.from(toFloat16Bits(fromFloat16Bits(finite)))).toEqual(Array.from(finite));
  });
});
