// Comparison helpers. Masks and values compare bit for bit: y = f32(x * scale) is correctly
// rounded in WGSL and reproduced with Math.fround on the CPU. The one allowance is WGSL's
// permission to flush subnormal f32 results (and inputs) to zero.
const MIN_NORMAL = 2 ** -126;

export interface Mismatch {
  index: number;
  expected: number;
  actual: number;
}

function sameF32(expected: number, actual: number, expectedBits: number, actualBits: number): boolean {
  if (expectedBits === actualBits) return true;
  return Math.abs(expected) < MIN_NORMAL && Math.abs(actual) < MIN_NORMAL;
}

/** Mismatching indices of two f32 arrays (bitwise, flushed subnormals allowed), at most `limit`. */
export function diffF32(expected: Float32Array, actual: Float32Array, limit = 20): Mismatch[] {
  const out: Mismatch[] = [];
  const eb = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const ab = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  if (expected.length !== actual.length) return [{ index: -1, expected: expected.length, actual: actual.length }];
  for (let i = 0; i < expected.length && out.length < limit; i++) {
    if (!sameF32(expected[i]!, actual[i]!, eb[i]!, ab[i]!)) out.push({ index: i, expected: expected[i]!, actual: actual[i]! });
  }
  return out;
}

export function diffU32(expected: Uint32Array, actual: Uint32Array, limit = 20): Mismatch[] {
  const out: Mismatch[] = [];
  if (expected.length !== actual.length) return [{ index: -1, expected: expected.length, actual: actual.length }];
  for (let i = 0; i < expected.length && out.length < limit; i++) {
    if (expected[i] !== actual[i]) out.push({ index: i, expected: expected[i]!, actual: actual[i]! });
  }
  return out;
}

/** A readable table of the first mismatches, for assertion messages. */
export function table(mismatches: Mismatch[], hex = false): string {
  const fmt = (v: number): string => (hex ? `0x${(v >>> 0).toString(16).padStart(8, '0')}` : String(v));
  return mismatches.map((m) => `  [${m.index}] expected ${fmt(m.expected)} got ${fmt(m.actual)}`).join('\n');
}
