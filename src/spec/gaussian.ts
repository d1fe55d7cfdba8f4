// What Gaussian dropout means, shared by the GPU path and the CPU reference: its Philox stream
// and sigma.
import { DropoutArgumentError } from '../errors.js';

/** Philox counter word 1 of Gaussian noise blocks (Bernoulli draws use levels 0..3). */
export const GAUSSIAN_STREAM = 0x100;

/**
 * sigma = sqrt(p / (1 - p)) as f32, for p in [0, 1); 0 at p = 1, where TensorFlow.js's
 * gaussianDropout layer applies no noise (it adds noise only for 0 < rate < 1), so the call is the
 * identity there, as it is at p = 0.
 */
export function gaussianSigma(p: unknown): number {
  if (typeof p !== 'number' || Number.isNaN(p) || p < 0 || p > 1) throw new DropoutArgumentError('p', p, 'a number in [0, 1] (p = 1 is the identity, as TensorFlow.js\'s gaussianDropout)');
  if (p === 1) return 0;
  return Math.fround(Math.sqrt(p / (1 - p)));
}
