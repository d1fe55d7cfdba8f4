// IEEE binary16 conversions for the CPU reference of f16 tensors (Node 20 has no Float16Array).
// f32 → f16 rounds to nearest, ties to even, with subnormals, infinities and NaN.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f16 bits nearest to `value` (rounded to f32 first, as the GPU holds it). */
export function toF16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0); // Inf, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    // Subnormal: shift the implicit-1 mantissa right and round to nearest even.
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = full & ((1 << shift) - 1);
    let h = full >>> shift;
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // may carry into the exponent: still right
  return sign | h;
}

/** The value of f16 bits. */
export function fromF16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Converts a Float32Array to f16 bits, element by element. */
export function toF16Array(values: ArrayLike<number>): Uint16Array {
  return Uint16Array.from(values as ArrayLike<number>, (v) => toF16Bits(v));
}

/** Converts f16 bits to a Float32Array (exact: every f16 value is an f32). */
export function fromF16Array(bits: Uint16Array): Float32Array {
  return Float32Array.from(bits, (h) => fromF16Bits(h));
}
