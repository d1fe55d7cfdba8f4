import { DropoutArgumentError } from '../errors.js';

const TWO32 = 0x100000000;

/**
 * Everything the kernels derive from the drop probability p, computed once on the host.
 * The keep rule is `u >= threshold` for the element's 32-bit uniform u (README, "Mask contract").
 */
export interface DropRate {
  /** The drop probability as given, in [0, 1]. */
  readonly p: number;
  /** round(p * 2^32), in [0, 2^32]; 2^32 means every element is dropped. */
  readonly threshold: number;
  /** f32(1 / (1 - p)), the inverted-dropout scale; 0 when everything is dropped. */
  readonly scale: number;
  /** Top byte rule: a first byte >= keepFrom is kept outright. */
  readonly keepFrom: number;
  /** A first byte equal to tieByte needs the next bytes; 0x100 when the threshold's low 24 bits are 0. */
  readonly tieByte: number;
  /** threshold = 2^32 (p = 1, or within 2^-33 of it): every element is dropped. */
  readonly dropsAll: boolean;
  /** threshold = 0 (p = 0, or below 2^-33): every element is kept. */
  readonly keepsAll: boolean;
}

/**
 * Validates p and derives the kernel constants.
 * @param p - drop probability, a number in [0, 1]
 * @param name - the argument name errors report (default `'p'`)
 * @throws {@link DropoutArgumentError} if p is not a number in [0, 1] (NaN included)
 * @example dropRate(0.5) // { p: 0.5, threshold: 2147483648, scale: 2, keepFrom: 128, tieByte: 256, … }
 */
export function dropRate(p: unknown, name = 'p'): DropRate {
  if (typeof p !== 'number' || Number.isNaN(p) || p < 0 || p > 1) {
    throw new DropoutArgumentError(name, p, 'a number in [0, 1]');
  }
  const threshold = Math.round(p * TWO32); // exact: scaling by 2^32 is lossless, so |T/2^32 - p| <= 2^-33
  const dropsAll = threshold >= TWO32;
  const keepsAll = threshold === 0;
  const top = Math.floor(threshold / 0x1000000);
  const lowZero = threshold % 0x1000000 === 0;
  return {
    p,
    threshold: dropsAll ? TWO32 : threshold,
    scale: dropsAll ? 0 : Math.fround(1 / (1 - p)),
    keepFrom: dropsAll ? 0x100 : lowZero ? top : top + 1,
    tieByte: dropsAll || lowZero ? 0x100 : top,
    dropsAll,
    keepsAll,
  };
}
