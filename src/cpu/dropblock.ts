// CPU twin of shaders/dropblock.wgsl: torchvision's drop_block2d/3d on the Philox seed draw.
import { DropoutArgumentError } from '../errors.js';
import { keepMask, maskBit, type DrawKey } from '../rng/mask.js';
import { dropRate } from '../rng/threshold.js';
import { checkKey, checkOptions, checkTraining, OPTIONS } from '../spec/options.js';
import { checkEps, dropBlockGeometry, type DropBlockGeometry } from '../spec/dropblock.js';
import { product } from '../shape.js';

export { checkEps, dropBlockGeometry, type DropBlockGeometry } from '../spec/dropblock.js';

/** The block keep mask (packed, over the whole map) and its kept count. */
export function dropBlockMaskCPU(key: DrawKey, g: DropBlockGeometry): {
  /** The packed block keep mask over the whole map. */
  mask: Uint32Array;
  /** How many elements it keeps. */
  kept: number;
} {
  const seeds = keepMask(key, g.gamma, product(g.seedShape)); // a seed is an element this draw drops
  const [, sd, sh, sw] = g.seedShape as [number, number, number, number];
  const mask = new Uint32Array(Math.ceil(g.numel / 32));
  let kept = 0;
  let e = 0;
  for (let nc = 0; nc < g.planes; nc++) {
    for (let d = 0; d < g.depth; d++) {
      for (let h = 0; h < g.height; h++) {
        for (let w = 0; w < g.width; w++, e++) {
          let dropped = false;
          for (let i = Math.max(0, d - g.blockDepth + 1); i <= Math.min(d, sd - 1) && !dropped; i++) {
            for (let j = Math.max(0, h - g.blockSize + 1); j <= Math.min(h, sh - 1) && !dropped; j++) {
              for (let k = Math.max(0, w - g.blockSize + 1); k <= Math.min(w, sw - 1); k++) {
                if (!maskBit(seeds, ((nc * sd + i) * sh + j) * sw + k)) { dropped = true; break; }
              }
            }
          }
          if (!dropped) { mask[e >>> 5]! |= 1 << (e & 31); kept++; }
        }
      }
    }
  }
  return { mask, kept };
}

/**
 * torchvision's normalize_scale = numel / (eps + kept) as PyTorch evaluates it in f32: an int over a
 * tensor is the tensor's reciprocal times the int, f32(f32(1 / f32(f32(eps) + kept)) · numel)
 * (checked against PyTorch by scripts/dev/pytorch-crosscheck.mjs).
 */
export function dropBlockScale(numel: number, kept: number, eps: number): number {
  const denominator = Math.fround(Math.fround(eps) + Math.fround(kept));
  return Math.fround(Math.fround(1 / denominator) * Math.fround(numel));
}

/**
 * DropBlock on the CPU (training mode): y = keep ? f32(x · scale) : 0.
 * @example dropBlockCPU(x, { shape: [1, 1, 8, 8], p: 0.2, blockSize: 3, seed: 1n, offset: 0n })
 */
export function dropBlockCPU(x: Float32Array, options: DrawKey & { shape: readonly number[]; p: number; blockSize: number; eps?: number; training?: boolean }): {
  /** The output. */
  y: Float32Array;
  /** The packed block keep mask. */
  mask: Uint32Array;
  /** numel / (eps + kept), as PyTorch evaluates it in f32. */
  scale: number;
} {
  checkOptions(options, 'dropBlockCPU', OPTIONS.dropBlock);
  const p = dropRate(options.p).p;
  const dims = Array.isArray(options.shape) && options.shape.length === 5 ? 3 : 2;
  const g = dropBlockGeometry(options.shape, p, options.blockSize, dims);
  const eps = checkEps(options.eps);
  const training = checkTraining(options.training, true);
  checkKey(options);
  if (!(x instanceof Float32Array) || x.length !== g.numel) throw new DropoutArgumentError('x', x, `a Float32Array of ${g.numel} elements`);
  if (!training || p === 0) return { y: Float32Array.from(x), mask: keepMask(options, 0, g.numel), scale: 1 };
  const { mask, kept } = dropBlockMaskCPU(options, g);
  const scale = dropBlockScale(g.numel, kept, eps);
  return { y: x.map((v, e) => (maskBit(mask, e) ? Math.fround(v * scale) : 0)), mask, scale };
}
