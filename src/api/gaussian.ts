import { gaussianSigma } from '../spec/gaussian.js';
import { DropoutArgumentError } from '../errors.js';
import { checkOptions, OPTIONS } from '../spec/options.js';
import { run } from '../gpu/execute.js';
import { planGaussian } from '../kernels/gaussian.js';
import { type Direction } from '../rng/transform.js';
import { call, identityPlan, planned, type DropoutBackwardOptions, type DropoutOptions, type PlannedCall } from './functional.js';
import { checkDistinct, tensorRange } from './validate.js';
import { planRepeatable } from './repeat.js';

/** Options of {@link gaussianDropout}: those of {@link dropout} without mask, noise shape and mode. */
export type GaussianDropoutOptions = Omit<DropoutOptions, 'mask' | 'noiseShape' | 'mode' | 'shape'>;
/** Options of {@link gaussianDropoutBackward}. */
export type GaussianDropoutBackwardOptions = Omit<DropoutBackwardOptions, 'mask' | 'noiseShape' | 'mode' | 'shape'>;

function planGaussianCall(device: GPUDevice, options: GaussianDropoutOptions | GaussianDropoutBackwardOptions, direction: Direction): PlannedCall | null {
  const operation = direction === 'forward' ? 'gaussianDropout' : 'gaussianDropoutBackward';
  return planRepeatable(device, operation, options, () => planGaussianAfresh(device, options, direction, operation));
}

function planGaussianAfresh(device: GPUDevice, options: GaussianDropoutOptions | GaussianDropoutBackwardOptions, direction: Direction, operation: 'gaussianDropout' | 'gaussianDropoutBackward'): PlannedCall | null {
  checkOptions(options, operation, OPTIONS[operation]);
  const sigma = gaussianSigma(options.p);
  const c = call(device, { ...options, p: 0 }, operation);
  if (c.n >= 2 ** 34) throw new DropoutArgumentError('n', c.n, 'at most 2^34 - 1 elements for Gaussian dropout');
  const [srcArg, dstArg] = 'x' in options ? [options.x, options.y] : [options.dy, options.dx];
  const src = tensorRange(direction === 'forward' ? 'x' : 'dy', srcArg, c.n, c.dtype);
  const dst = tensorRange(direction === 'forward' ? 'y' : 'dx', dstArg, c.n, c.dtype);
  checkDistinct([src, dst]);
  if (c.n === 0) return null;
  return planned(c, [!c.training || sigma === 0
    ? identityPlan(c, src, dst)
    : planGaussian(c.state, { src, dst, n: c.n, sigma, seed: c.seed, offset: c.offset, f16: c.dtype === 'f16', workgroupSize: c.workgroupSize ?? 256, operation })]);
}

/** Plans a {@link gaussianDropout} call without running it. */
export function planGaussianDropout(device: GPUDevice, options: GaussianDropoutOptions): PlannedCall | null {
  return planGaussianCall(device, options, 'forward');
}

/** Plans a {@link gaussianDropoutBackward} call without running it. */
export function planGaussianDropoutBackward(device: GPUDevice, options: GaussianDropoutBackwardOptions): PlannedCall | null {
  return planGaussianCall(device, options, 'backward');
}

/**
 * Gaussian (multiplicative) dropout, as Keras's and TensorFlow.js's GaussianDropout:
 * y = x · (1 + sqrt(p / (1 - p)) · z), z standard normal from the same Philox generator
 * (docs/family.md, "Gaussian noise contract"); eval mode, p = 0 and p = 1 copy x (TensorFlow.js's
 * gaussianDropout layer adds noise only for 0 < rate < 1; at p = 1 the variance p / (1 - p) would be
 * infinite). p in [0, 1].
 * @example await gaussianDropout(device, { x, y, n, p: 0.2, training: true, seed: 1n, offset: 0n });
 */
export function gaussianDropout(device: GPUDevice, options: GaussianDropoutOptions): Promise<void> {
  return run(() => planGaussianDropout(device, options));
}

/**
 * Backward of {@link gaussianDropout}: dx = dy · (1 + sigma · z) with the forward's noise, rebuilt
 * from (seed, offset).
 * @example await gaussianDropoutBackward(device, { dy, dx, n, p: 0.2, training: true, seed: 1n, offset: 0n });
 */
export function gaussianDropoutBackward(device: GPUDevice, options: GaussianDropoutBackwardOptions): Promise<void> {
  return run(() => planGaussianDropoutBackward(device, options));
}

