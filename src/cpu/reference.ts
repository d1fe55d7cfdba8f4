// CPU reference of the kernels. Values: kept y = f32(x * scale) (alpha mode: f32(f32(x * a) + b)),
// dropped y = +0 (alpha mode: the constant c). The f32 product is correctly rounded: float64 holds
// the exact product of two f32s and Math.fround rounds it once, exactly as WGSL's f32 multiply.
// Masks come from src/rng/mask.ts; a noise shape maps each element to its mask-space index here
// by plain multi-index arithmetic, independently of the GPU's collapsed form.
import { DropoutArgumentError } from '../errors.js';
import { keepMask, maskBit, checkCount, type DrawKey } from '../rng/mask.js';
import { dropRate } from '../rng/threshold.js';
import { checkMode, transformFor, type Direction, type DropoutMode } from '../rng/transform.js';
import { checkNoiseShape, checkShape, product } from '../shape.js';
import { checkKey, checkLength, checkOptions, checkTraining, OPTIONS } from '../spec/options.js';
import { fromF16Array, toF16Array } from './f16.js';

export interface CpuDropoutOptions extends DrawKey {
  /** Drop probability in [0, 1]. */
  p: number;
  /** Training mode; default true (PyTorch's F.dropout default). */
  training?: boolean;
  /** 'inverted' (default), 'legacy' or 'alpha'. */
  mode?: DropoutMode;
  /** Row-major shape of x; needed with noiseShape. */
  shape?: readonly number[];
  /** Mask shape broadcast over `shape` (each dimension 1 or equal). */
  noiseShape?: readonly number[];
}

/** What {@link dropoutCPU} returns. */
export interface CpuDropoutResult {
  /** The output. */
  y: Float32Array;
  /** Packed keep mask over the mask space (bit m & 31 of word m >> 5). */
  mask: Uint32Array;
}

function checkArray(name: string, value: unknown): Float32Array {
  if (!(value instanceof Float32Array)) throw new DropoutArgumentError(name, value, 'a Float32Array');
  return value;
}

/** Mask-space index of every element: row-major over noiseShape, broadcast coordinates dropped. */
export function maskIndices(shape: readonly number[], noiseShape: readonly number[]): Uint32Array {
  const n = product(shape);
  const out = new Uint32Array(n);
  const rank = shape.length;
  const noiseStrides = new Array<number>(rank);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    noiseStrides[d] = noiseShape[d] === 1 ? 0 : stride;
    stride *= noiseShape[d]!;
  }
  const index = new Array<number>(rank).fill(0);
  for (let e = 0; e < n; e++) {
    let m = 0;
    for (let d = 0; d < rank; d++) m += index[d]! * noiseStrides[d]!;
    out[e] = m;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

function run(input: Float32Array, options: CpuDropoutOptions, direction: Direction): CpuDropoutResult {
  checkOptions(options, direction === 'forward' ? 'dropoutCPU' : 'dropoutBackwardCPU', direction === 'forward' ? OPTIONS.dropout : OPTIONS.dropoutBackward);
  const n = checkCount('length', input.length);
  checkLength((options as { n?: unknown }).n, n);
  const rate = dropRate(options.p);
  const mode = checkMode(options.mode);
  const t = transformFor(mode, direction, rate, checkTraining(options.training, true));
  checkKey(options);
  let indices: Uint32Array | null = null;
  let maskSize = n;
  if (options.noiseShape !== undefined) {
    const shape = checkShape('shape', options.shape);
    if (product(shape) !== n) throw new DropoutArgumentError('shape', options.shape, `a shape of ${n} elements, the input's length`);
    const noiseShape = checkNoiseShape(options.noiseShape, shape);
    indices = maskIndices(shape, noiseShape);
    maskSize = product(noiseShape);
  }
  if (t.kind !== 'mask') {
    const y = t.kind === 'identity' ? Float32Array.from(input) : input.map((v) => Math.fround(v * t.scale));
    return { y, mask: keepMask(options, 0, maskSize) };
  }
  const mask = keepMask(options, rate.p, maskSize);
  const y = new Float32Array(n);
  for (let e = 0; e < n; e++) {
    const kept = maskBit(mask, indices ? indices[e]! : e);
    if (!t.affine) y[e] = kept ? Math.fround(input[e]! * t.scale) : 0;
    else y[e] = kept ? Math.fround(Math.fround(input[e]! * t.scale) + t.affine.bias) : t.affine.dropped;
  }
  return { y, mask };
}

/**
 * Dropout on the CPU, bit-exact with the GPU kernels for the same (seed, offset, p, mode, shapes):
 * masks always, values save WGSL's allowance to flush subnormals (and, in alpha mode, to fuse
 * the multiply-add: within 1 ulp of |x·a| + |b|).
 * @example
 * const { y, mask } = dropoutCPU(new Float32Array([1, 2, 3]), { p: 0.5, seed: 1n, offset: 0n });
 */
export function dropoutCPU(x: Float32Array, options: CpuDropoutOptions): CpuDropoutResult {
  return run(checkArray('x', x), options, 'forward');
}

/** Backward of {@link dropoutCPU}: dx = keep ? f32(dy · scale) : 0 (identity in eval mode). */
export function dropoutBackwardCPU(dy: Float32Array, options: CpuDropoutOptions): Float32Array {
  return run(checkArray('dy', dy), options, 'backward').y;
}

/** Applies a packed mask: out[e] = bit(e) ? f32(input[e] * scale) : 0, scale = f32(1 / f32(1 - p)) (PyTorch's rounding). */
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
 * Dropout of an f16 tensor on the CPU (values as f16 bits): the GPU's f16 path computes in f32 and
 * rounds to f16 on store, so y = f16(f32(x · scale)); the mask is the f32 mask. Within 1 f16 ulp of
 * the GPU (WGSL does not pin the f32 → f16 rounding direction).
 * @example const { y } = dropoutF16CPU(toF16Array([1, 2, 3]), { p: 0.5, seed: 1n, offset: 0n });
 */
export function dropoutF16CPU(x: Uint16Array, options: CpuDropoutOptions): {
  /** The output, as f16 bits. */
  y: Uint16Array;
  /** The packed keep mask (the f32 mask). */
  mask: Uint32Array;
} {
  if (!(x instanceof Uint16Array)) throw new DropoutArgumentError('x', x, 'a Uint16Array of f16 bits');
  const { y, mask } = run(fromF16Array(x), options, 'forward');
  return { y: toF16Array(y), mask };
}
