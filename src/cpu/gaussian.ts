// CPU twin of shaders/gaussian.wgsl: the same Philox words and Box–Muller mapping, in float64.
// The GPU's f32 sin/cos/log differ by about r · 2^-11 in z (WGSL accuracy), which is the
// tolerance the tests use; the Philox words themselves are identical.
import { DropoutArgumentError } from '../errors.js';
import { checkKey, checkLength, checkOptions, checkTraining, OPTIONS } from '../spec/options.js';
import { checkCount, type DrawKey } from '../rng/mask.js';
import { philox4x32 } from '../rng/philox.js';
import { toU64, u64Words } from '../rng/seed.js';
import { GAUSSIAN_STREAM, gaussianSigma } from '../spec/gaussian.js';

export { GAUSSIAN_STREAM, gaussianSigma } from '../spec/gaussian.js';

/** The standard-normal z of elements 0 … n-1 of a draw. */
export function gaussianNoiseCPU(key: DrawKey, n: number): Float64Array {
  checkCount('n', n);
  const seed = u64Words(toU64('seed', key.seed));
  const [lo, hi] = u64Words(toU64('offset', key.offset));
  const z = new Float64Array(n);
  const w = new Uint32Array(4);
  for (let block = 0; block * 4 < n; block++) {
    philox4x32([block, GAUSSIAN_STREAM, lo, hi], seed, w);
    for (let pair = 0; pair < 2; pair++) {
      const u1 = (Math.floor(w[2 * pair]! / 256) + 0.5) / 2 ** 24;
      const u2 = Math.floor(w[2 * pair + 1]! / 256) / 2 ** 24;
      const r = Math.sqrt(-2 * Math.log(u1));
      const t = 2 * Math.PI * u2 - Math.PI;
      const e = 4 * block + 2 * pair;
      if (e < n) z[e] = r * Math.cos(t);
      if (e + 1 < n) z[e + 1] = r * Math.sin(t);
    }
  }
  return z;
}

/**
 * Gaussian dropout on the CPU: y = x · (1 + sigma · z) in training, y = x in eval. Also the
 * backward (dx = dy · (1 + sigma · z)), which is the same function of dy.
 * @example const y = gaussianDropoutCPU(x, { p: 0.2, seed: 1n, offset: 0n });
 */
export function gaussianDropoutCPU(x: Float32Array, options: DrawKey & { p: number; training?: boolean }): Float32Array {
  if (!(x instanceof Float32Array)) throw new DropoutArgumentError('x', x, 'a Float32Array');
  checkOptions(options, 'gaussianDropoutCPU', OPTIONS.gaussianDropout);
  checkLength((options as { n?: unknown }).n, x.length);
  const sigma = gaussianSigma(options.p);
  const training = checkTraining(options.training, true);
  checkKey(options);
  if (!training || sigma === 0) return Float32Array.from(x);
  const z = gaussianNoiseCPU(options, x.length);
  return x.map((v, e) => Math.fround(v * (1 + sigma * z[e]!)));
}
