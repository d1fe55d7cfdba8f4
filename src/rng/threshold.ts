import { DropoutArgumentError } from '../errors.js';

const TWO32 = 0x100000000;

/**
 * Everything the kernels derive from the drop probability p, computed once on the host. The keep
 * rule is `u >= threshold` for the element's 32-bit uniform u, drawn only as far as it decides:
 * a nibble, then for ties a byte, then 20 bits (docs/mask-contract.md).
 */
export interface DropRate {
  /** The drop probability as given, in [0, 1]. */
  readonly p: number;
  /** T = round(p * 2^32), in [0, 2^32]; 2^32 means every element is dropped. */
  readonly threshold: number;
  /**
   * f32(1 / f32(1 - p)), the inverted-dropout scale, rounded as PyTorch (and TensorFlow.js) round it:
   * 1 - p to f32 first, then its f32 reciprocal; 0 when everything is dropped.
   */
  readonly scale: number;
  /** T's top nibble, T >> 28 (16 when everything is dropped). A level-0 nibble above it keeps the element, below it drops it. */
  readonly topNibble: number;
  /** T's low 28 bits are not all 0: a nibble equal to topNibble ties and its tie byte decides. */
  readonly ties: boolean;
  /** T's bits 20–27, (T >> 20) & 255: a tie byte above it keeps, below it drops. */
  readonly tieByte: number;
  /** T's low 20 bits are not all 0: a tie byte equal to tieByte goes deeper. */
  readonly deep: boolean;
  /** T's low 20 bits: a deep element is kept iff its 20 deep bits are >= this. */
  readonly deepThreshold: number;
  /** threshold = 2^32 (p = 1, or within 2^-33 of it): every element is dropped. */
  readonly dropsAll: boolean;
  /** threshold = 0 (p = 0, or below 2^-33): every element is kept. */
  readonly keepsAll: boolean;
}

/**
 * The inverted-dropout scale for p in [0, 1) as PyTorch computes it for f32 tensors:
 * `noise.div_(1 - p)` casts the double 1 - p to f32, then divides in f32, so the kept value is
 * f32(x · f32(1 / f32(1 - p))) (docs/pytorch-parity.md). Division in float64 then rounding once is
 * the correctly rounded f32 quotient (float64 has more than 2·24 + 2 bits).
 * @example invertedScale(0.15) // 1.1764705181121826, where f32(1 / 0.85) is 1.1764706373214722
 */
export function invertedScale(p: number): number {
  return Math.fround(1 / Math.fround(1 - p));
}

/**
 * Validates p and derives the kernel constants.
 * @param p - drop probability, a number in [0, 1]
 * @param name - the argument name errors report (default `'p'`)
 * @throws {@link DropoutArgumentError} if p is not a number in [0, 1] (NaN included)
 * @example dropRate(0.5) // { p: 0.5, threshold: 2147483648, scale: 2, topNibble: 8, ties: false, … }
 */
export function dropRate(p: unknown, name = 'p'): DropRate {
  if (typeof p !== 'number' || Number.isNaN(p) || p < 0 || p > 1) {
    throw new DropoutArgumentError(name, p, 'a number in [0, 1]');
  }
  const rounded = Math.round(p * TWO32); // exact: scaling by 2^32 is lossless, so |T/2^32 - p| <= 2^-33
  const dropsAll = rounded >= TWO32;
  const threshold = dropsAll ? TWO32 : rounded;
  const low28 = threshold % 0x10000000;
  const low20 = threshold % 0x100000;
  return {
    p,
    threshold,
    scale: dropsAll ? 0 : invertedScale(p),
    topNibble: Math.floor(threshold / 0x10000000),
    ties: !dropsAll && low28 !== 0,
    tieByte: Math.floor(low28 / 0x100000),
    deep: !dropsAll && low20 !== 0,
    deepThreshold: low20,
    dropsAll,
    keepsAll: threshold === 0,
  };
}
