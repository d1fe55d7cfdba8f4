import { DropoutArgumentError } from '../errors.js';

const U64_MAX = (1n << 64n) - 1n;

/** A 64-bit value as two u32 words, low word first (the order the WGSL uniforms use). */
export type U64Words = readonly [lo: number, hi: number];

/**
 * Accepts a non-negative integer below 2^64 as a bigint, or as a number that is a safe integer.
 * Numbers past 2^53 are refused rather than silently rounded.
 */
export function toU64(name: string, value: unknown): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > U64_MAX) throw new DropoutArgumentError(name, value, 'an integer in [0, 2^64 - 1]');
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || !Number.isSafeInteger(value)) {
      throw new DropoutArgumentError(name, value, 'an integer in [0, 2^53 - 1] as a number, or a bigint in [0, 2^64 - 1]');
    }
    return BigInt(value);
  }
  throw new DropoutArgumentError(name, value, 'a number or bigint integer in [0, 2^64 - 1]');
}

export function u64Words(value: bigint): U64Words {
  // Below 2^53 (every offset a counter reaches) without BigInt arithmetic, which allocates.
  if (value >= 0n && value <= 9007199254740991n) {
    const n = Number(value);
    return [n % 4294967296, Math.floor(n / 4294967296)];
  }
  return [Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn)];
}

export function addU64(a: bigint, b: bigint): bigint {
  return (a + b) & U64_MAX;
}
