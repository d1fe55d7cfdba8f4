import { checkEps, dropBlockGeometry } from '../spec/dropblock.js';
import { checkOptions, OPTIONS } from '../spec/options.js';
import { DropoutArgumentError } from '../errors.js';
import { type BufferArg, type BufferRange } from '../gpu/buffers.js';
import { ensureBuffer } from '../gpu/device-state.js';
import { run, type KernelPlan } from '../gpu/execute.js';
import { planDropBlock } from '../kernels/dropblock.js';
import { planJob } from '../kernels/dropout.js';
import { type WorkgroupSize } from '../kernels/dropout-family.js';
import { dropRate } from '../rng/threshold.js';
import { type Direction } from '../rng/transform.js';
import { call, identityPlan, job, planned, type PlannedCall } from './functional.js';
import { checkDistinct, maskRange, tensorRange, type DType } from './validate.js';
import { planRepeatable } from './repeat.js';

/** Options of {@link dropBlock} and {@link dropBlockBackward}. */
export interface DropBlockOptions {
  /** (N, C, H, W) for 2-D DropBlock, (N, C, D, H, W) for 3-D. */
  shape: readonly number[];
  /** Drop probability in [0, 1]: the expected fraction of dropped elements, as in torchvision. */
  p: number;
  /** Block edge, a positive integer; the effective size min(blockSize, spatial sizes) must be odd (as torchvision needs). */
  blockSize: number;
  /** Added to the kept count in the scale numel / (eps + kept); default 1e-6. */
  eps?: number;
  /** Training mode; default true (torchvision's); in eval mode the output is a copy of the input. */
  training?: boolean;
  /** 64-bit seed of the draw, an integer in [0, 2^64 - 1]. */
  seed: bigint | number;
  /** 64-bit offset of the draw, an integer in [0, 2^64 - 1]; use a new one for every draw. */
  offset: bigint | number;
  /** Encode into this encoder instead of submitting. */
  encoder?: GPUCommandEncoder;
  /** Invocations per workgroup: 64, 128 or 256 (default 256 here). Never changes the result. */
  workgroupSize?: WorkgroupSize;
  /** 'f32' (default) or 'f16' (needs 'shader-f16'; see {@link DropoutCallOptions.dtype}); the mask does not depend on it. */
  dtype?: DType;
}

function planDropBlockCall(device: GPUDevice, options: DropBlockOptions, direction: Direction, srcArg: BufferArg, dstArg: BufferArg, maskArg: BufferArg | undefined): PlannedCall | null {
  const operation = direction === 'forward' ? 'dropBlock' : 'dropBlockBackward';
  return planRepeatable(device, operation, options, () => planDropBlockAfresh(device, options, operation, direction, srcArg, dstArg, maskArg));
}

function planDropBlockAfresh(device: GPUDevice, options: DropBlockOptions, operation: 'dropBlock' | 'dropBlockBackward', direction: Direction, srcArg: BufferArg, dstArg: BufferArg, maskArg: BufferArg | undefined): PlannedCall | null {
  checkOptions(options, operation, OPTIONS[operation]);
  const rank = Array.isArray(options.shape) ? options.shape.length : 0;
  const rate = dropRate(options.p);
  const g = dropBlockGeometry(options.shape, rate.p, options.blockSize, rank === 5 ? 3 : 2);
  const eps = checkEps(options.eps);
  const c = call(device, { ...options, shape: undefined, n: g.numel, p: rate.p }, operation);
  if (g.numel >= 2 ** 32) throw new DropoutArgumentError('shape', options.shape, 'at most 2^32 - 1 elements for DropBlock');
  const src = tensorRange(direction === 'forward' ? 'x' : 'dy', srcArg, c.n, c.dtype);
  const dst = tensorRange(direction === 'forward' ? 'y' : 'dx', dstArg, c.n, c.dtype);
  const words = Math.ceil(g.numel / 32);
  const mask = maskRange(maskArg, g.numel);
  checkDistinct([src, dst, mask]);
  if (c.n === 0) return null;
  // Only p = 0 exactly is the identity, as in torchvision: a p so small that no seed can be drawn
  // still scales by numel / (eps + numel), which the CPU twin does too.
  if (!c.training || rate.p === 0) {
    const fill = direction === 'forward' && mask ? [job(c, 'fill-mask', null, null, mask, g.numel, dropRate(0))] : [];
    return planned(c, [identityPlan(c, src, dst), ...fill]);
  }
  const readMask = direction === 'backward' && mask !== null;
  const blockMask = mask ?? { buffer: ensureBuffer(c.state, 'dropblock mask', 4 * words + 16, 0x80), byteOffset: 0, byteLength: 4 * words, name: 'dropblock mask' };
  let seedDraw: KernelPlan[] = [];
  let seeds: BufferRange | null = null;
  if (!readMask) {
    const seedCount = g.seedShape.reduce((a, b) => a * b, 1);
    const seedBytes = 4 * Math.ceil(seedCount / 32);
    seeds = { buffer: ensureBuffer(c.state, 'dropblock seeds', seedBytes + 16, 0x80), byteOffset: 0, byteLength: seedBytes, name: 'dropblock seeds' };
    seedDraw = [job(c, 'draw', null, null, seeds, seedCount, dropRate(g.gamma))];
  }
  const blocks = planDropBlock(c.state, { geometry: g, mask: blockMask, seeds, eps, workgroupSize: c.workgroupSize ?? 256, operation });
  const apply = planJob(c.state, {
    kind: 'apply-mask', src, dst, mask: blockMask, n: g.numel, rate, dynamicScale: blocks.scale, f16: c.dtype === 'f16',
    seed: c.seed, offset: c.offset, workgroupSize: c.workgroupSize ?? 64, operation,
  });
  return planned(c, [...seedDraw, blocks.plan, apply]);
}

/** Plans a {@link dropBlock} call without running it. */
export function planDropBlockForward(device: GPUDevice, options: DropBlockOptions & { x: BufferArg; y: BufferArg; mask?: BufferArg }): PlannedCall | null {
  // options?.: a missing options object is refused by planDropBlockCall as an argument error.
  return planDropBlockCall(device, options, 'forward', options?.x, options?.y, options?.mask);
}

/** Plans a {@link dropBlockBackward} call without running it. */
export function planDropBlockBackward(device: GPUDevice, options: DropBlockOptions & { dy: BufferArg; dx: BufferArg; mask?: BufferArg }): PlannedCall | null {
  return planDropBlockCall(device, options, 'backward', options?.dy, options?.dx, options?.mask);
}

/**
 * DropBlock (Ghiasi et al. 2018) with torchvision's drop_block2d/3d semantics: seeds drawn with
 * rate gamma = p · volume / (blockSize^dims · seed positions) from the same Philox generator, each
 * seed drops the block it is the corner of, and kept values are scaled by numel / (eps + kept).
 * Eval mode and p = 0 copy x. `mask` receives the packed block mask (ceil(numel / 32) words).
 * `y` may be `x` itself (same byteOffset) to run in place.
 * @example await dropBlock(device, { x, y, shape: [8, 64, 28, 28], p: 0.1, blockSize: 7, training: true, seed: 1n, offset: 0n });
 */
export function dropBlock(device: GPUDevice, options: DropBlockOptions & { x: BufferArg; y: BufferArg; mask?: BufferArg }): Promise<void> {
  return run(() => planDropBlockForward(device, options));
}

/**
 * Backward of {@link dropBlock}: dx = keep ? dy · scale : 0 with the forward's block mask and
 * scale — read from `mask` if given, else rebuilt from (seed, offset).
 * @example await dropBlockBackward(device, { dy, dx, shape, p: 0.1, blockSize: 7, training: true, seed: 1n, offset: 0n });
 */
export function dropBlockBackward(device: GPUDevice, options: DropBlockOptions & { dy: BufferArg; dx: BufferArg; mask?: BufferArg }): Promise<void> {
  return run(() => planDropBlockBackward(device, options));
}
