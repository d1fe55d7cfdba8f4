import { DropoutArgumentError } from '../errors.js';
import { usageError, type BufferArg, type BufferRange } from '../gpu/buffers.js';
import { deviceState, ensureBuffer, type DeviceState } from '../gpu/device-state.js';
import { planRepeatable } from './repeat.js';
import { recordOnly, run, type KernelPlan } from '../gpu/execute.js';
import { BufferUsage } from '../gpu/usage.js';
import { planBroadcast } from '../kernels/broadcast.js';
import { type WorkgroupSize } from '../kernels/dropout-family.js';
import { planJob, type JobKind } from '../kernels/dropout.js';
import { checkCount } from '../rng/mask.js';
import { dropRate, type DropRate } from '../rng/threshold.js';
import { checkMode, transformFor, type Direction, type DropoutMode, type Transform } from '../rng/transform.js';
import { checkKey, checkOptions, checkTraining, OPTIONS } from '../spec/options.js';
import { checkNoiseShape, checkShape, collapse, product, type Collapsed } from '../shape.js';
import { checkDistinct, checkDtype, sameRange, type DType, checkEncoder, checkWorkgroupSize, maskRange, tensorRange } from './validate.js';

/** Options shared by {@link dropout} and {@link dropoutBackward}. */
export interface DropoutCallOptions {
  /** Number of f32 elements, an integer in [0, 2^36]. Give `n` or `shape` (or both, agreeing). */
  n?: number;
  /** Row-major shape (1 to 8 dimensions); needed with `noiseShape`. */
  shape?: readonly number[];
  /**
   * Shape of the mask, broadcast over `shape` (each dimension 1 or equal to shape's), like
   * TensorFlow's noiseShape / Flax's broadcast_dims: one mask value is shared along every
   * dimension of size 1. The mask contract applies to the mask-space index. Tensors with a noise
   * shape are limited to 2^32 - 1 elements.
   */
  noiseShape?: readonly number[];
  /** Drop probability in [0, 1]. */
  p: number;
  /**
   * Training mode; default true, as PyTorch's F.dropout. In eval mode the output is a copy of the
   * input (legacy mode: times 1 - p).
   */
  training?: boolean;
  /** 64-bit Philox key, integer in [0, 2^64 - 1]. */
  seed: bigint | number;
  /** 64-bit stream position of this draw, integer in [0, 2^64 - 1]; use a new one for every draw. */
  offset: bigint | number;
  /** Scaling convention: 'inverted' (default), 'legacy' or 'alpha' (see {@link DropoutMode}). */
  mode?: DropoutMode;
  /** Encode into this encoder instead of submitting (no extra submit; you submit it). */
  encoder?: GPUCommandEncoder;
  /** Invocations per workgroup: 64, 128 or 256 (default: 64, or 256 with a noise shape). Never changes the result. */
  workgroupSize?: WorkgroupSize;
  /**
   * Element type: 'f32' (default) or 'f16' — f16 needs the device feature 'shader-f16', a
   * byteOffset that is a multiple of 8 and room to the next multiple of 4 elements; arithmetic is
   * f32, the mask the same as for f32. Every kernel takes it (DropBlock, Gaussian, Monte Carlo and
   * the fused epilogue too); every tensor of a call has this type.
   */
  dtype?: DType;
}

export interface DropoutOptions extends DropoutCallOptions {
  /** Input: n f32 values (STORAGE usage). */
  x: BufferArg;
  /** Output: n f32 values (STORAGE usage): another buffer than x, or x itself at the same byteOffset (in place). */
  y: BufferArg;
  /**
   * If given, also write the packed keep mask: bit m & 31 of word m >> 5 for mask index m, over
   * ceil(maskSize / 32) u32 words (maskSize = n, or the noise shape's size).
   */
  mask?: BufferArg;
}

export interface DropoutBackwardOptions extends DropoutCallOptions {
  /** Gradient of the output: n f32 values. */
  dy: BufferArg;
  /** Gradient of the input, written: n f32 values; another buffer than dy, or dy itself at the same byteOffset (in place). */
  dx: BufferArg;
  /** A packed mask written by the forward call; without it the mask is rebuilt from (seed, offset). */
  mask?: BufferArg;
}

/** A validated call: what every variant's functional form starts from. */
export interface Call {
  state: DeviceState;
  n: number;
  noise: Collapsed | null;
  maskSize: number;
  rate: DropRate;
  mode: DropoutMode;
  training: boolean;
  seed: bigint;
  offset: bigint;
  encoder: GPUCommandEncoder | undefined;
  /** As asked; undefined means each family's default. */
  workgroupSize: WorkgroupSize | undefined;
  dtype: DType;
  operation: string;
}

function sizeOf(options: DropoutCallOptions): { n: number; noise: Collapsed | null; maskSize: number } {
  if (options.shape === undefined) {
    if (options.noiseShape !== undefined) throw new DropoutArgumentError('shape', undefined, 'the tensor shape, needed with noiseShape');
    const n = checkCount('n', options.n);
    return { n, noise: null, maskSize: n };
  }
  const shape = checkShape('shape', options.shape);
  const n = product(shape);
  if (options.n !== undefined && checkCount('n', options.n) !== n) throw new DropoutArgumentError('n', options.n, `the product of shape [${shape.join(', ')}] = ${n}, or undefined`);
  if (options.noiseShape === undefined) return { n, noise: null, maskSize: n };
  const noiseShape = checkNoiseShape(options.noiseShape, shape);
  if (n >= 2 ** 32) throw new DropoutArgumentError('shape', options.shape, 'at most 2^32 - 1 elements when a noiseShape is given', `it has ${n}`);
  const noise = collapse(shape, noiseShape);
  // A noise shape equal to the shape is plain element-wise dropout.
  return noise.sizes.every((_, i) => noise.strides[i] !== 0) ? { n, noise: null, maskSize: n } : { n, noise, maskSize: noise.maskSize };
}

/** The checks every functional call starts with; `training` defaults to `trainingDefault` (PyTorch's default for the call). */
export function call(device: GPUDevice, options: DropoutCallOptions, operation: string, trainingDefault = true): Call {
  if (typeof options !== 'object' || options === null) throw new DropoutArgumentError('options', options, `an options object for ${operation}`);
  const state = deviceState(device);
  return {
    state,
    ...sizeOf(options),
    rate: dropRate(options.p),
    mode: checkMode(options.mode),
    training: checkTraining(options.training, trainingDefault),
    ...checkKey(options),
    encoder: checkEncoder(options.encoder),
    workgroupSize: checkWorkgroupSize(options.workgroupSize),
    dtype: checkDtype(options.dtype, state.device, operation),
    operation,
  };
}

/** The identity as a buffer copy (nothing to record in place). */
export function copyPlan(src: BufferRange, dst: BufferRange): KernelPlan {
  if (sameRange(src, dst)) return recordOnly(() => {}); // in place: the identity has nothing to copy
  for (const [range, bit] of [[src, BufferUsage.COPY_SRC], [dst, BufferUsage.COPY_DST]] as const) {
    if ((range.buffer.usage & bit) === 0) throw usageError(range.name, range.buffer.usage, bit, 'eval mode and p = 0 copy the input');
  }
  return recordOnly(({ encoder }) => encoder.copyBufferToBuffer(src.buffer, src.byteOffset, dst.buffer, dst.byteOffset, src.byteLength));
}

/**
 * The identity (eval mode, p = 0) from src to dst: a buffer copy, or for f16 a multiply by 1 (exact
 * for every f16 value), because 2n bytes need not be a multiple of 4 as copyBufferToBuffer wants.
 */
export function identityPlan(c: Call, src: BufferRange, dst: BufferRange): KernelPlan {
  if (c.dtype === 'f16' && !sameRange(src, dst)) return job(c, 'draw', src, dst, null, c.n, dropRate(0), { kind: 'scale', scale: 1 });
  return copyPlan(src, dst);
}

function maskScratch(c: Call): BufferRange {
  const byteLength = 4 * Math.ceil(c.maskSize / 32);
  return { buffer: ensureBuffer(c.state, 'mask scratch', Math.max(16, byteLength), 0x80), byteOffset: 0, byteLength, name: 'mask scratch' };
}

export function job(c: Call, kind: JobKind, src: BufferRange | null, dst: BufferRange | null, mask: BufferRange | null, n: number, rate: DropRate, t?: Transform): KernelPlan {
  const scale = t?.kind === 'mask' || t?.kind === 'scale' ? t.scale : rate.scale;
  return planJob(c.state, {
    kind, src, dst, mask, n, rate: scale === rate.scale ? rate : { ...rate, scale }, affine: t?.kind === 'mask' ? t.affine : undefined, f16: c.dtype === 'f16',
    seed: c.seed, offset: c.offset, workgroupSize: c.workgroupSize ?? 64, operation: c.operation,
  });
}

const KEEP_ALL = dropRate(0);

/** Plans the whole call: the mask (drawn, read or rebuilt) and its application. */
export function plansFor(c: Call, direction: Direction, src: BufferRange, dst: BufferRange, mask: BufferRange | null, forced?: Transform): KernelPlan[] {
  const t = forced ?? transformFor(c.mode, direction, c.rate, c.training);
  const keepAll = KEEP_ALL;
  if (t.kind === 'identity') {
    const fill = direction === 'forward' && mask ? [job(c, 'fill-mask', null, null, mask, c.maskSize, keepAll)] : [];
    return [identityPlan(c, src, dst), ...fill];
  }
  if (t.kind === 'scale') {
    const draw = job(c, 'draw', src, dst, c.noise ? null : (direction === 'forward' ? mask : null), c.n, keepAll, t);
    const fill = c.noise && direction === 'forward' && mask ? [job(c, 'fill-mask', null, null, mask, c.maskSize, keepAll)] : [];
    return [draw, ...fill];
  }
  const readMask = direction === 'backward' && mask !== null && !t.rate.dropsAll;
  if (!c.noise) {
    if (readMask) return [job(c, 'apply-mask', src, dst, mask, c.n, t.rate, t)];
    return [job(c, 'draw', src, dst, direction === 'forward' ? mask : null, c.n, t.rate, t)];
  }
  const bits = mask && (direction === 'forward' || readMask) ? mask : maskScratch(c);
  const draw = readMask ? [] : [job(c, 'draw', null, null, bits, c.maskSize, t.rate)];
  const apply = planBroadcast(c.state, {
    src, dst, mask: bits, n: c.n, collapsed: c.noise, scale: t.scale, affine: t.affine, f16: c.dtype === 'f16',
    workgroupSize: c.workgroupSize ?? 256, operation: c.operation,
  });
  return [...draw, apply];
}

/** A validated call's plans, ready for the shared path (null: nothing to record). */
export interface PlannedCall {
  state: DeviceState;
  operation: string;
  encoder: GPUCommandEncoder | undefined;
  plans: KernelPlan[];
}

export function planned(c: Call, plans: KernelPlan[]): PlannedCall {
  return { state: c.state, operation: c.operation, encoder: c.encoder, plans };
}

function planCall(c: Call, direction: Direction, srcArg: BufferArg, dstArg: BufferArg, maskArg: BufferArg | undefined): PlannedCall | null {
  const [srcName, dstName] = direction === 'forward' ? ['x', 'y'] : ['dy', 'dx'];
  const src = tensorRange(srcName, srcArg, c.n, c.dtype);
  const dst = tensorRange(dstName, dstArg, c.n, c.dtype);
  const mask = maskRange(maskArg, c.maskSize);
  checkDistinct([src, dst, mask]);
  if (c.n === 0) return null;
  return planned(c, plansFor(c, direction, src, dst, mask));
}

/**
 * Plans a {@link dropout} call without running it (what `prepare` compiles), or rekeys the plans
 * of the call it repeats (src/api/repeat.ts). `checked`: the options' keys were checked by the
 * caller (a layer, which built them). @internal
 */
export function planDropout(device: GPUDevice, options: DropoutOptions, operation = 'dropout', checked = false): PlannedCall | null {
  return planRepeatable(device, operation, options, () => {
    if (!checked) checkOptions(options, operation, OPTIONS.dropout);
    return planCall(call(device, options, operation), 'forward', options.x, options.y, options.mask);
  });
}

/** Plans a {@link dropoutBackward} call without running it (see {@link planDropout}). @internal */
export function planDropoutBackward(device: GPUDevice, options: DropoutBackwardOptions, operation = 'dropoutBackward', checked = false): PlannedCall | null {
  return planRepeatable(device, operation, options, () => {
    if (!checked) checkOptions(options, operation, OPTIONS.dropoutBackward);
    return planCall(call(device, options, operation), 'backward', options.dy, options.dx, options.mask);
  });
}

/**
 * Dropout on the GPU. By default inverted dropout: y = keep ? f32(x · f32(1 / f32(1 - p))) : 0 (PyTorch's
 * values to the bit, docs/pytorch-parity.md), with the keep mask
 * a pure function of (seed, offset, element index, p) — see docs/mask-contract.md. In eval
 * mode, and for p = 0, y is a copy of x (no dispatch; needs COPY_SRC on x and COPY_DST on y). For
 * p = 1, y is +0. `noiseShape` shares mask values along dimensions (spatial / recurrent dropout);
 * `mode` picks the legacy or alpha convention.
 *
 * The call model (every kernel function and layer method): the work is recorded and submitted
 * (or recorded into `encoder`) before the function returns, so it reaches the queue in the order
 * of your calls — no `await` is needed for ordering. The returned promise settles once WebGPU has
 * checked this call's work: it rejects with {@link DropoutArgumentError} for bad arguments
 * (nothing recorded), {@link DropoutGPUError} for a WebGPU error of this call only, or
 * {@link DropoutDeviceLostError}. A call you do not await that fails is an unhandled rejection.
 * @example
 * await dropout(device, { x, y, n: 1024, p: 0.1, training: true, seed: 42n, offset: 0n });
 * // or without waiting for the check: the download below still reads this call's output
 * dropout(device, { x, y, n: 1024, p: 0.1, training: true, seed: 42n, offset: 1n }).catch(reportError);
 * const values = await downloadFloat32(device, y, 1024);
 * // channel (spatial) dropout of an NCHW tensor:
 * await dropout(device, { x, y, shape: [8, 16, 32, 32], noiseShape: [8, 16, 1, 1], p: 0.2, training: true, seed: 42n, offset: 1n });
 */
export function dropout(device: GPUDevice, options: DropoutOptions): Promise<void> {
  return run(() => planDropout(device, options));
}

/**
 * Backward of {@link dropout}: the same mask as the forward call with the same (seed, offset, p,
 * shape, noiseShape, mode). dx = keep ? dy · scale : 0, where scale is 1/(1-p) (inverted), 1
 * (legacy) or alpha dropout's a. Pass `mask` to read the packed mask instead of rebuilding it;
 * both give bit-identical dx.
 * @example
 * await dropoutBackward(device, { dy, dx, n: 1024, p: 0.1, training: true, seed: 42n, offset: 0n });
 */
export function dropoutBackward(device: GPUDevice, options: DropoutBackwardOptions): Promise<void> {
  return run(() => planDropoutBackward(device, options));
}

