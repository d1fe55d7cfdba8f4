// CPU reference of the fused kernels. Values: y = keep ? f32(x * scale) : +0, where the f32
// product is correctly rounded (float64 holds the exact product of two f32s, then fround
// rounds once), exactly as WGSL's f32 multiply. Masks come from src/rng/mask.ts.
import { DropoutArgumentError } from '../errors.js';
import { keepMask, maskBit, checkCount, type DrawKey } from '../rng/mask.js';
import { dropRate } from '../rng/threshold.js';

export interface CpuDropoutOptions extends DrawKey {
  /** Drop probability in [0, 1]. */
  p: number;
  /** Training mode; in eval mode the output is a copy of the input. Default true. */
  training?: boolean;
}

export interface CpuDropoutResult {
  y: Float32Array;
  /** Packed keep mask (bit e & 31 of word e >> 5); all ones when nothing is dropped. */
  mask: Uint32Array;
}

function checkArray(name: string, value: unknown): Float32Array {
  if (!(value instanceof Float32Array)) throw new DropoutArgumentError(name, value, 'a Float32Array');
  return value;
}

/** Applies a packed mask: out[e] = bit(e) ? f32(input[e] * scale) : 0. */
export function applyMaskCPU(input: Float32Array, mask: Uint32Array, p: number): Float32Array {
  checkArray('input', input);
  const n = input.length;
  if (!(mask instanceof Uint32Array) || mask.length < Math.ceil(n / 32)) {
    throw new DropoutArgumentError('mask', mask, `a Uint32Array of at least ceil(n / 32) = ${Math.ceil(n / 32)} words`);
  }
  const { scale } = dropRate(p);
  const out = new Float32Array(n);
  for (let e = 0; e < n; e++) out[e] = maskBit(mask, e) ? Math.fround(input[e]! * scale) : 0;
  return out;
}

/**
 * Inverted dropout on the CPU, bit-exact with the GPU kernels for the same (seed, offset, p).
 * @example
 * const { y, mask } = dropoutCPU(new Float32Array([1, 2, 3]), { p: 0.5, seed: 1n, offset: 0n });
 */
export function dropoutCPU(x: Float32Array, options: CpuDropoutOptions): CpuDropoutResult {
  checkArray('x', x);
  const n = checkCount('x.length', x.length);
  const rate = dropRate(options.p);
  if (options.training === false || rate.keepsAll) {
    const mask = keepMask(options, 0, n);
    return { y: Float32Array.from(x), mask };
  }
  const mask = keepMask(options, rate.p, n);
  return { y: applyMaskCPU(x, mask, rate.p), mask };
}

/** Backward of {@link dropoutCPU}: dx = keep ? f32(dy * scale) : 0 (identity in eval mode). */
export function dropoutBackwardCPU(dy: Float32Array, options: CpuDropoutOptions): Float32Array {
  return dropoutCPU(dy, options).y;
}
