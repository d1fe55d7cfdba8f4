import { DropoutArgumentError } from '../errors.js';
import { type BufferArg } from '../gpu/buffers.js';
import { deviceState } from '../gpu/device-state.js';
import { run } from '../gpu/execute.js';
import { planDropConnect } from '../kernels/dropconnect.js';
import { checkCount } from '../rng/mask.js';
import { toU64 } from '../rng/seed.js';
import { dropRate } from '../rng/threshold.js';
import { type PlannedCall } from './functional.js';
import { checkOptions, checkTraining, OPTIONS } from '../spec/options.js';
import { checkDistinct, checkDtype, checkEncoder, tensorRange, type DType } from './validate.js';
import { planRepeatable } from './repeat.js';

/** What {@link dropConnectLinear} and {@link dropConnectLinearBackward} share: the layer's shape and the draw. */
export interface DropConnectLinearShape {
  /** x: batch × inFeatures values, row-major. */
  x: BufferArg;
  /** W: outFeatures × inFeatures values, row-major (torch.nn.Linear's weight). */
  weight: BufferArg;
  /** Rows of x, an integer >= 0. */
  batch: number;
  /** Columns of x and W, an integer >= 0. */
  inFeatures: number;
  /** Rows of W, an integer >= 0; outFeatures · inFeatures <= 2^36 (one draw). */
  outFeatures: number;
  /** Probability of dropping each weight, in [0, 1]. */
  p: number;
  /** Training (default true) draws the mask; eval uses W as it is (no mask, no scale). */
  training?: boolean;
  /** 64-bit seed of the draw. */
  seed: bigint | number;
  /** 64-bit offset of the draw. */
  offset: bigint | number;
  /** Encode into this encoder instead of submitting. */
  encoder?: GPUCommandEncoder;
  /** 'f32' (default) or 'f16' for every tensor (needs 'shader-f16'); arithmetic is f32. */
  dtype?: DType;
}

/** Options of {@link dropConnectLinear}. */
export interface DropConnectLinearOptions extends DropConnectLinearShape {
  /** b: outFeatures values, or none. */
  bias?: BufferArg;
  /** y: batch × outFeatures values. */
  y: BufferArg;
}

/** Options of {@link dropConnectLinearBackward}: at least one of dx, dWeight, dBias. */
export interface DropConnectLinearBackwardOptions extends DropConnectLinearShape {
  /** dy: batch × outFeatures values. */
  dy: BufferArg;
  /** dx = dy · (M ⊙ W) · scale: batch × inFeatures values. */
  dx?: BufferArg;
  /** dW = M ⊙ (dyᵀ · x) · scale: outFeatures × inFeatures values. */
  dWeight?: BufferArg;
  /** db = column sums of dy: outFeatures values. */
  dBias?: BufferArg;
}

function checkFeatures(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new DropoutArgumentError(name, value, 'an integer in [0, 2^32)');
  }
  return value;
}

function checkShapeOf(options: DropConnectLinearShape, operation: 'dropConnectLinear' | 'dropConnectLinearBackward') {
  checkOptions(options, operation, OPTIONS[operation]);
  const batch = checkFeatures('batch', options.batch);
  const inFeatures = checkFeatures('inFeatures', options.inFeatures);
  const outFeatures = checkFeatures('outFeatures', options.outFeatures);
  checkCount('outFeatures', outFeatures * inFeatures);
  const rate = dropRate(options.p);
  const training = checkTraining(options.training, true);
  const seed = toU64('seed', options.seed);
  const offset = toU64('offset', options.offset);
  const encoder = checkEncoder(options.encoder);
  return { batch, inFeatures, outFeatures, p: training ? rate.p : 0, seed, offset, encoder };
}

/**
 * DropConnect fused into a linear layer: y = x · (M ⊙ W)ᵀ · 1/(1 − p) + b, where M is the keep mask
 * `dropout()` would draw on W at (seed, offset) (element o · inFeatures + i), drawn inside the
 * matmul kernel: no masked copy of W is written. In eval (training false) y = x · Wᵀ + b.
 * x, W, b and y must each fit one storage binding, in distinct buffers.
 * @throws DropoutArgumentError for a bad shape, p, seed, offset or buffer; DropoutUnsupportedError for f16 without 'shader-f16'
 * @example
 * await dropConnectLinear(device, { x, weight, bias, y, batch: 32, inFeatures: 512, outFeatures: 256, p: 0.5, training: true, seed: 1n, offset: 0n });
 */
export function dropConnectLinear(device: GPUDevice, options: DropConnectLinearOptions): Promise<void> {
  return run(() => planDropConnectLinear(device, options));
}

/** Plans a {@link dropConnectLinear} call without running it. */
export function planDropConnectLinear(device: GPUDevice, options: DropConnectLinearOptions): PlannedCall | null {
  const operation = 'dropConnectLinear';
  return planRepeatable(device, operation, options, () => planForwardAfresh(device, options, operation));
}

function planForwardAfresh(device: GPUDevice, options: DropConnectLinearOptions, operation: 'dropConnectLinear'): PlannedCall | null {
  const s = checkShapeOf(options, operation);
  const state = deviceState(device);
  const dtype = checkDtype(options.dtype, device, operation);
  const x = tensorRange('x', options.x, s.batch * s.inFeatures, dtype);
  const weight = tensorRange('weight', options.weight, s.outFeatures * s.inFeatures, dtype);
  const bias = options.bias === undefined ? null : tensorRange('bias', options.bias, s.outFeatures, dtype);
  const y = tensorRange('y', options.y, s.batch * s.outFeatures, dtype);
  checkDistinct([x, weight, bias, y], null);
  if (s.batch === 0 || s.outFeatures === 0) return null;
  return {
    state, operation, encoder: s.encoder,
    plans: [planDropConnect(state, { direction: 'forward', x, weight, third: bias, out: y, dWeight: null, dBias: null, ...s, f16: dtype === 'f16', operation })],
  };
}

/**
 * The backward of {@link dropConnectLinear} for the same (seed, offset, p, training): any of
 * dx = dy · (M ⊙ W) · scale, dW = M ⊙ (dyᵀ · x) · scale (the mask rebuilt inside the kernel) and
 * db = the column sums of dy, in one pass.
 * @throws DropoutArgumentError for a bad shape, p, seed, offset or buffer, or no gradient asked for
 * @example
 * await dropConnectLinearBackward(device, { dy, x, weight, dx, dWeight, dBias, batch: 32, inFeatures: 512, outFeatures: 256, p: 0.5, training: true, seed: 1n, offset: 0n });
 */
export function dropConnectLinearBackward(device: GPUDevice, options: DropConnectLinearBackwardOptions): Promise<void> {
  return run(() => planDropConnectLinearBackward(device, options));
}

/** Plans a {@link dropConnectLinearBackward} call without running it. */
export function planDropConnectLinearBackward(device: GPUDevice, options: DropConnectLinearBackwardOptions): PlannedCall | null {
  const operation = 'dropConnectLinearBackward';
  return planRepeatable(device, operation, options, () => planBackwardAfresh(device, options, operation));
}

function planBackwardAfresh(device: GPUDevice, options: DropConnectLinearBackwardOptions, operation: 'dropConnectLinearBackward'): PlannedCall | null {
  const s = checkShapeOf(options, operation);
  const state = deviceState(device);
  const dtype = checkDtype(options.dtype, device, operation);
  if (options.dx === undefined && options.dWeight === undefined && options.dBias === undefined) {
    throw new DropoutArgumentError('dx', undefined, 'at least one of dx, dWeight or dBias');
  }
  const dy = tensorRange('dy', options.dy, s.batch * s.outFeatures, dtype);
  const x = tensorRange('x', options.x, s.batch * s.inFeatures, dtype);
  const weight = tensorRange('weight', options.weight, s.outFeatures * s.inFeatures, dtype);
  const dx = options.dx === undefined ? null : tensorRange('dx', options.dx, s.batch * s.inFeatures, dtype);
  const dWeight = options.dWeight === undefined ? null : tensorRange('dWeight', options.dWeight, s.outFeatures * s.inFeatures, dtype);
  const dBias = options.dBias === undefined ? null : tensorRange('dBias', options.dBias, s.outFeatures, dtype);
  checkDistinct([dy, x, weight, dx, dWeight, dBias], null);
  if (s.outFeatures === 0 || (s.inFeatures === 0 && dBias === null)) return null;
  return {
    state, operation, encoder: s.encoder,
    plans: [planDropConnect(state, { direction: 'backward', x, weight, third: dy, out: dx, dWeight, dBias, ...s, f16: dtype === 'f16', operation })],
  };
}
