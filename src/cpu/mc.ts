// CPU twin of shaders/mc.wgsl: K draws at offsets offset … offset + K - 1 and, per element, the
// mean and variance computed with the same f32 operations in the same order.
import { DropoutArgumentError } from '../errors.js';
import { checkKey, checkLength, checkMcTraining, checkOptions, OPTIONS } from '../spec/options.js';
import { keepMask, maskBit, type DrawKey } from '../rng/mask.js';
import { addU64, toU64 } from '../rng/seed.js';
import { dropRate } from '../rng/threshold.js';
import { checkSamples, mcConstants } from '../spec/mc.js';

export { checkSamples, mcConstants } from '../spec/mc.js';

/** Options of {@link mcDropoutCPU}. */
export interface McOptions extends DrawKey {
  /** Drop probability in [0, 1]. */
  p: number;
  /** Monte Carlo dropout always samples: true or undefined (false is refused with a typed error). */
  training?: boolean;
  /** K, an integer in [1, 65535]. */
  samples: number;
  /** Unbiased (K - 1) variance instead of the population one; default false. */
  unbiased?: boolean;
}

/**
 * Monte Carlo dropout on the CPU: the K sample outputs (sample-major) and the per-element mean and
 * variance, bit-exact with the GPU.
 * @example const { mean, variance } = mcDropoutCPU(x, { p: 0.1, samples: 20, seed: 1n, offset: 0n });
 */
export function mcDropoutCPU(x: Float32Array, options: McOptions): {
  /** The K outputs, sample-major (K · n values). */
  samples: Float32Array;
  /** Per-element mean over the samples. */
  mean: Float32Array;
  /** Per-element variance over the samples. */
  variance: Float32Array;
} {
  if (!(x instanceof Float32Array)) throw new DropoutArgumentError('x', x, 'a Float32Array');
  checkOptions(options, 'mcDropoutCPU', OPTIONS.mcDropout);
  checkLength((options as { n?: unknown }).n, x.length);
  checkMcTraining(options.training);
  const unbiased = options.unbiased ?? false;
  if (typeof unbiased !== 'boolean') throw new DropoutArgumentError('unbiased', unbiased, 'true or false');
  const k = checkSamples(options.samples, unbiased);
  checkKey(options);
  const rate = dropRate(options.p);
  const { invK, varFactor } = mcConstants(k, options.unbiased ?? false);
  const n = x.length;
  const counts = new Uint32Array(n);
  const samples = new Float32Array(k * n);
  const offset = toU64('offset', options.offset);
  for (let s = 0; s < k; s++) {
    const mask = keepMask({ seed: options.seed, offset: addU64(offset, BigInt(s)) }, rate.p, n);
    for (let e = 0; e < n; e++) {
      if (!maskBit(mask, e)) continue;
      counts[e]!++;
      samples[s * n + e] = Math.fround(x[e]! * rate.scale);
    }
  }
  const f32 = Math.fround;
  const mean = new Float32Array(n);
  const variance = new Float32Array(n);
  for (let e = 0; e < n; e++) {
    const v = counts[e]! > 0 ? f32(x[e]! * rate.scale) : 0;
    const f = f32(f32(counts[e]!) * invK);
    mean[e] = f32(v * f);
    variance[e] = f32(f32(f32(v * v) * f32(f * f32(1 - f))) * varFactor);
  }
  return { samples, mean, variance };
}
