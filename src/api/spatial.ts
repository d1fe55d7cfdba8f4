import { DropoutArgumentError } from '../errors.js';
import { checkShape } from '../shape.js';

const warned = new Set<string>();

/** PyTorch 1.13 warns (and runs) when dropout2d / dropout3d get a rank outside their own; so do we, once per case. */
function warnOnce(spatialDims: 2 | 3, rank: number): void {
  const expected = spatialDims === 2 ? 4 : 5;
  if (rank === expected || (spatialDims === 3 && rank === 4) || warned.has(`${spatialDims}:${rank}`)) return;
  warned.add(`${spatialDims}:${rank}`);
  const reading = spatialDims === 2
    ? rank === 3 ? 'read as (N, C, L): channel-wise 1-D dropout, as PyTorch 1.13 does (use dropout1d)' : `read as (N, C, ...): one mask value per (sample, channel)${rank === 2 ? ', i.e. element-wise' : ''}, as PyTorch 1.13 does`
    : `read as unbatched (C, ...): one mask value per index of the first dimension${rank === 1 ? ', i.e. element-wise' : ''}, as PyTorch 1.13 does`;
  const why = spatialDims === 2 && rank === 3 ? 'PyTorch 1.13 warns that this reading will change' : `PyTorch 1.13 warns that this rank is deprecated (it expects ${spatialDims === 2 ? '3-D or 4-D' : '4-D or 5-D'} inputs)`;
  console.warn(`webgpu-dropout: ${spatialDims}-D spatial dropout of a ${rank}-D input is ${reading}; ${why}. Warned once.`);
}

/**
 * The noise shape of PyTorch's Dropout1d/2d/3d (and FeatureAlphaDropout): one mask value per
 * (sample, channel), shared over the spatial dimensions.
 * - 1-D: (N, C, L) → (N, C, 1); unbatched (C, L) → (C, 1)
 * - 2-D: (N, C, H, W) → (N, C, 1, 1); a 3-D input is read as (N, C, L), and any other rank >= 2 as
 *   (N, C, ...), as PyTorch 1.13 does (with a one-time warning for ranks other than 4)
 * - 3-D: (N, C, D, H, W) → (N, C, 1, 1, 1); unbatched (C, D, H, W) → (C, 1, 1, 1); any other rank
 *   is read as unbatched (C, ...), as PyTorch 1.13 does (with a one-time warning)
 * With `channelsLast` the channel is the last dimension instead ((N, H, W, C) → (N, 1, 1, C)), as
 * TensorFlow.js's spatialDropout layers use.
 * `spatialDims` 0 means any rank >= 2 with the channel second (FeatureAlphaDropout).
 * @example spatialNoiseShape(2, [8, 16, 32, 32]) // [8, 16, 1, 1]
 */
export function spatialNoiseShape(spatialDims: 0 | 1 | 2 | 3, shape: readonly number[], channelsLast = false): number[] {
  const ranks: Record<number, number[]> = { 0: [2, 3, 4, 5, 6, 7, 8], 1: [2, 3], 2: [2, 3, 4, 5, 6, 7, 8], 3: [1, 2, 3, 4, 5, 6, 7, 8] };
  if (spatialDims !== 0 && spatialDims !== 1 && spatialDims !== 2 && spatialDims !== 3) throw new DropoutArgumentError('spatialDims', spatialDims, '0, 1, 2 or 3');
  if (typeof channelsLast !== 'boolean') throw new DropoutArgumentError('channelsLast', channelsLast, 'true or false');
  const checked = checkShape('shape', shape);
  const rank = checked.length;
  if (!ranks[spatialDims]!.includes(rank)) {
    throw new DropoutArgumentError('shape', shape, `a shape of rank ${ranks[spatialDims]!.join(' or ')} for ${spatialDims ? `${spatialDims}-D spatial` : 'feature'} dropout`);
  }
  if (spatialDims === 2 || spatialDims === 3) warnOnce(spatialDims, rank);
  // Unbatched inputs have one dimension fewer than batched ones (2-D dropout of a 3-D input is
  // batched 1-D dropout, as in PyTorch; 3-D dropout unsqueezes anything but a 5-D input).
  const batched = spatialDims === 0 || spatialDims === 2 || rank === spatialDims + 2;
  const channel = channelsLast ? rank - 1 : batched ? 1 : 0;
  return checked.map((size, d) => (d === channel || (batched && d === 0) ? size : 1));
}
