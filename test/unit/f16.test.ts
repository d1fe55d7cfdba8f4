import { describe, expect, test } from 'vitest';
import { fromF16Bits, toF16Bits } from '../../src/cpu/f16.js';
import { dropoutCPU, dropoutF16CPU } from '../../src/cpu/reference.js';
import { toF16Array } from '../../src/cpu/f16.js';

describe('f16 conversions', () => {
  test.each([
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [Infinity, 0x7c00],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [0.1, 0x2e66],
    [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [65519, 0x7bff],
  ])('%s → 0x%s', (value, bits) => {
    expect(toF16Bits(value)).toBe(bits);
  });

  test('NaN stays NaN; every f16 round-trips', () => {
    expect(Number.isNaN(fromF16Bits(toF16Bits(NaN)))).toBe(true);
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff)) continue; // NaNs
      expect(toF16Bits(fromF16Bits(h))).toBe(h);
    }
  });
});

describe('f16 CPU reference', () => {
  test('the mask is the f32 mask; values are f16(f32(x · scale))', () => {
    const x = toF16Array(Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100));
    const key = { p: 0.3, seed: 5n, offset: 2n };
    const { y, mask } = dropoutF16CPU(x, key);
    const ref = dropoutCPU(Float32Array.from(x, fromF16Bits), key);
    expect(mask).toEqual(ref.mask);
    expect(y).toEqual(toF16Array(ref.y));
  });
});
