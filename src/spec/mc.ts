// What Monte Carlo dropout means, shared by the GPU path and the CPU reference: the sample count
// and the f32 constants of the mean and variance.
import { DropoutArgumentError } from '../errors.js';

/** K: an integer in [1, 65535]; at least 2 for the unbiased variance. */
export function checkSamples(samples: unknown, unbiased: boolean): number {
  if (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 1 || samples > 65535) {
    throw new DropoutArgumentError('samples', samples, 'an integer in [1, 65535]');
  }
  if (unbiased && samples < 2) throw new DropoutArgumentError('samples', samples, 'at least 2 for the unbiased variance');
  return samples;
}

/** f32 constants the kernel uses: 1/K and the variance factor. */
export function mcConstants(samples: number, unbiased: boolean): { invK: number; varFactor: number } {
  return { invK: Math.fround(1 / samples), varFactor: unbiased ? Math.fround(samples / (samples - 1)) : 1 };
}
