// PyTorch's functional names (torch.nn.functional.dropout1d/2d/3d, alpha_dropout,
// feature_alpha_dropout; torchvision.ops.drop_block2d/3d) over the kernels of dropout() and
// dropBlock(), with PyTorch's defaults: p = 0.5, training true (false for the alpha forms).
import { DropoutArgumentError } from '../errors.js';
import { type BufferArg } from '../gpu/buffers.js';
import { type DropoutMode } from '../rng/transform.js';
import { checkOptions, checkTraining } from '../spec/options.js';
import { run } from '../gpu/execute.js';
import { planDropBlockForward, type DropBlockOptions } from './dropblock.js';
import { planDropout, planDropoutBackward, type DropoutCallOptions, type PlannedCall } from './functional.js';
import { spatialNoiseShape } from './spatial.js';

/** Options shared by the PyTorch-named functional forms: {@link dropout}'s, with PyTorch's defaults for p and training. */
export interface FamilyCallOptions extends Pick<DropoutCallOptions, 'seed' | 'offset' | 'encoder' | 'workgroupSize' | 'dtype'> {
  /** Drop probability in [0, 1]; default 0.5, as PyTorch. */
  p?: number;
  /** Training mode; default true for dropout1d/2d/3d, false for alphaDropout/featureAlphaDropout, as PyTorch. */
  training?: boolean;
}

/** Options of {@link dropout1d}, {@link dropout2d}, {@link dropout3d} and {@link featureAlphaDropout}. */
export interface SpatialCallOptions extends FamilyCallOptions {
  /** Row-major input shape, e.g. (N, C, H, W); see {@link spatialNoiseShape} for each form's ranks. */
  shape: readonly number[];
  /** The channel is the last dimension ((N, H, W, C)) instead of the second. */
  channelsLast?: boolean;
}

/** Tensors of a forward call: x read, y written, and optionally the packed mask written. */
export interface ForwardTensors {
  /** Input. */
  x: BufferArg;
  /** Output (may be x itself: in place). */
  y: BufferArg;
  /** If given, the packed keep mask over the noise shape is written here. */
  mask?: BufferArg;
}

/** Tensors of a backward call: dy read, dx written, and optionally the forward's packed mask read. */
export interface BackwardTensors {
  /** Gradient of the output. */
  dy: BufferArg;
  /** Gradient of the input, written. */
  dx: BufferArg;
  /** The forward's packed mask; without it the mask is rebuilt from (seed, offset). */
  mask?: BufferArg;
}

const COMMON = ['p', 'training', 'seed', 'offset', 'encoder', 'workgroupSize', 'dtype', 'mask'];

type Form = { operation: string; spatialDims: 0 | 1 | 2 | 3 | null; mode: DropoutMode; training: boolean };

/** Plans one call of a PyTorch-named form as the dropout() / dropoutBackward() call it is. */
function planFamily(device: GPUDevice, options: SpatialCallOptions & Partial<ForwardTensors & BackwardTensors>, form: Form, backward: boolean): PlannedCall | null {
  const tensors = backward ? ['dy', 'dx'] : ['x', 'y'];
  checkOptions(options, form.operation, [...tensors, ...COMMON, ...(form.spatialDims === null ? ['n', 'shape'] : ['shape', 'channelsLast'])]);
  const { p, training, channelsLast, shape, x, y, dy, dx, ...rest } = options as SpatialCallOptions & { n?: number } & Partial<ForwardTensors & BackwardTensors>;
  const size = form.spatialDims === null
    ? (shape === undefined ? { n: (options as { n?: number }).n } : { shape })
    : { shape, noiseShape: spatialNoiseShape(form.spatialDims, shape, channelsLast ?? false) };
  const common = { ...rest, ...size, p: p ?? 0.5, mode: form.mode, training: checkTraining(training, form.training) };
  if (backward) return planDropoutBackward(device, { ...common, dy: dy!, dx: dx! }, form.operation);
  return planDropout(device, { ...common, x: x!, y: y! }, form.operation);
}

/** The forms and their planners, for prepare(). */
export const familyPlanners: [unknown, (device: GPUDevice, options: never) => PlannedCall | null][] = [];

function form<O>(f: Form, backward: boolean): (device: GPUDevice, options: O) => Promise<void> {
  const plan = (device: GPUDevice, options: O): PlannedCall | null => planFamily(device, options as SpatialCallOptions & Partial<ForwardTensors & BackwardTensors>, f, backward);
  const kernel = (device: GPUDevice, options: O): Promise<void> => run(() => plan(device, options));
  familyPlanners.push([kernel, plan]);
  return kernel;
}

/**
 * torch.nn.functional.dropout1d: zeroes whole channels of an (N, C, L) or (C, L) input, the rest
 * scaled by 1 / (1 - p). Defaults p = 0.5, training = true.
 * @example await dropout1d(device, { x, y, shape: [N, C, L], p: 0.2, seed: 1n, offset: 0n });
 */
export const dropout1d: (device: GPUDevice, options: SpatialCallOptions & ForwardTensors) => Promise<void> = form({ operation: 'dropout1d', spatialDims: 1, mode: 'inverted', training: true }, false);

/**
 * Backward of {@link dropout1d} with the same options (dy and dx instead of x and y).
 * @example await dropout1dBackward(device, { dy, dx, shape: [N, C, L], p: 0.2, seed: 1n, offset: 0n });
 */
export const dropout1dBackward: (device: GPUDevice, options: SpatialCallOptions & BackwardTensors) => Promise<void> = form({ operation: 'dropout1dBackward', spatialDims: 1, mode: 'inverted', training: true }, true);

/**
 * torch.nn.functional.dropout2d: zeroes whole channels of an (N, C, H, W) input. Other ranks
 * behave as in PyTorch 1.13, with a one-time warning: 3-D is read as (N, C, L), 2-D and 5-D and
 * up as (N, C, ...). Defaults p = 0.5, training = true.
 * @example await dropout2d(device, { x, y, shape: [N, C, H, W], p: 0.2, seed: 1n, offset: 0n });
 */
export const dropout2d: (device: GPUDevice, options: SpatialCallOptions & ForwardTensors) => Promise<void> = form({ operation: 'dropout2d', spatialDims: 2, mode: 'inverted', training: true }, false);

/**
 * Backward of {@link dropout2d} with the same options (dy and dx instead of x and y).
 * @example await dropout2dBackward(device, { dy, dx, shape: [N, C, H, W], p: 0.2, seed: 1n, offset: 0n });
 */
export const dropout2dBackward: (device: GPUDevice, options: SpatialCallOptions & BackwardTensors) => Promise<void> = form({ operation: 'dropout2dBackward', spatialDims: 2, mode: 'inverted', training: true }, true);

/**
 * torch.nn.functional.dropout3d: zeroes whole channels of an (N, C, D, H, W) or (C, D, H, W)
 * input. Other ranks behave as in PyTorch 1.13, with a one-time warning: read as unbatched
 * (C, ...). Defaults p = 0.5, training = true.
 * @example await dropout3d(device, { x, y, shape: [N, C, D, H, W], p: 0.2, seed: 1n, offset: 0n });
 */
export const dropout3d: (device: GPUDevice, options: SpatialCallOptions & ForwardTensors) => Promise<void> = form({ operation: 'dropout3d', spatialDims: 3, mode: 'inverted', training: true }, false);

/**
 * Backward of {@link dropout3d} with the same options (dy and dx instead of x and y).
 * @example await dropout3dBackward(device, { dy, dx, shape: [N, C, D, H, W], p: 0.2, seed: 1n, offset: 0n });
 */
export const dropout3dBackward: (device: GPUDevice, options: SpatialCallOptions & BackwardTensors) => Promise<void> = form({ operation: 'dropout3dBackward', spatialDims: 3, mode: 'inverted', training: true }, true);

/** Options of {@link alphaDropout}: an element count or a shape. */
export interface AlphaCallOptions extends FamilyCallOptions {
  /** Number of elements (give n or shape). */
  n?: number;
  /** Row-major shape (give n or shape). */
  shape?: readonly number[];
}

/**
 * torch.nn.functional.alpha_dropout (for SELU networks), with PyTorch's defaults p = 0.5 and
 * training = **false** (the identity unless training is set), as PyTorch.
 * @example await alphaDropout(device, { x, y, n, p: 0.1, training: true, seed: 1n, offset: 0n });
 */
export const alphaDropout: (device: GPUDevice, options: AlphaCallOptions & ForwardTensors) => Promise<void> = form({ operation: 'alphaDropout', spatialDims: null, mode: 'alpha', training: false }, false);

/**
 * Backward of {@link alphaDropout} with the same options (dy and dx instead of x and y).
 * @example await alphaDropoutBackward(device, { dy, dx, n, p: 0.1, training: true, seed: 1n, offset: 0n });
 */
export const alphaDropoutBackward: (device: GPUDevice, options: AlphaCallOptions & BackwardTensors) => Promise<void> = form({ operation: 'alphaDropoutBackward', spatialDims: null, mode: 'alpha', training: false }, true);

/**
 * torch.nn.functional.feature_alpha_dropout: alpha dropout of whole channels of an (N, C, ...)
 * input, with PyTorch's defaults p = 0.5 and training = **false**.
 * @example await featureAlphaDropout(device, { x, y, shape: [N, C, H, W], p: 0.1, training: true, seed: 1n, offset: 0n });
 */
export const featureAlphaDropout: (device: GPUDevice, options: SpatialCallOptions & ForwardTensors) => Promise<void> = form({ operation: 'featureAlphaDropout', spatialDims: 0, mode: 'alpha', training: false }, false);

/**
 * Backward of {@link featureAlphaDropout} with the same options (dy and dx instead of x and y).
 * @example await featureAlphaDropoutBackward(device, { dy, dx, shape: [N, C, H, W], p: 0.1, training: true, seed: 1n, offset: 0n });
 */
export const featureAlphaDropoutBackward: (device: GPUDevice, options: SpatialCallOptions & BackwardTensors) => Promise<void> = form({ operation: 'featureAlphaDropoutBackward', spatialDims: 0, mode: 'alpha', training: false }, true);

function blockRank(options: unknown, rank: 4 | 5, operation: string): void {
  const shape = (options as { shape?: unknown } | null)?.shape;
  if (Array.isArray(shape) && shape.length !== rank) {
    throw new DropoutArgumentError('shape', shape, `an (N, C, ${rank === 4 ? 'H, W' : 'D, H, W'}) shape of rank ${rank} for ${operation}`);
  }
}

/**
 * torchvision.ops.drop_block2d on an (N, C, H, W) input: {@link dropBlock} under torchvision's
 * name (p and blockSize required, eps = 1e-6 and training = true by default, as torchvision).
 * Backward: {@link dropBlockBackward} with the same options.
 * @example await dropBlock2d(device, { x, y, shape: [N, C, H, W], p: 0.1, blockSize: 7, seed: 1n, offset: 0n });
 */
export function dropBlock2d(device: GPUDevice, options: DropBlockOptions & ForwardTensors): Promise<void> {
  return run(() => planDropBlock2d(device, options));
}

function planDropBlock2d(device: GPUDevice, options: DropBlockOptions & ForwardTensors): PlannedCall | null {
  blockRank(options, 4, 'dropBlock2d');
  return planDropBlockForward(device, options);
}

/**
 * torchvision.ops.drop_block3d on an (N, C, D, H, W) input: {@link dropBlock} under
 * torchvision's name. Backward: {@link dropBlockBackward} with the same options.
 * @example await dropBlock3d(device, { x, y, shape: [N, C, D, H, W], p: 0.1, blockSize: 3, seed: 1n, offset: 0n });
 */
export function dropBlock3d(device: GPUDevice, options: DropBlockOptions & ForwardTensors): Promise<void> {
  return run(() => planDropBlock3d(device, options));
}

function planDropBlock3d(device: GPUDevice, options: DropBlockOptions & ForwardTensors): PlannedCall | null {
  blockRank(options, 5, 'dropBlock3d');
  return planDropBlockForward(device, options);
}

familyPlanners.push([dropBlock2d, planDropBlock2d], [dropBlock3d, planDropBlock3d]);
