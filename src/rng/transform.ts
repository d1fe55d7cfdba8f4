// What a dropout call does to each element, as a function of the convention, direction, p and
// the training flag. Shared by the GPU host and the CPU reference so both agree by construction.
import { DropoutArgumentError } from '../errors.js';
import { dropRate, type DropRate } from './threshold.js';

/**
 * - `inverted` (default, PyTorch/Keras): kept values scaled by 1/(1-p) in training, eval is the identity.
 * - `legacy` (the original paper's convention): no scaling in training, outputs multiplied by (1-p) in eval.
 * - `alpha` (AlphaDropout for SELU networks): dropped units set to SELU's negative saturation,
 *   then an affine correction that keeps mean and variance.
 */
export type DropoutMode = 'inverted' | 'legacy' | 'alpha';
export type Direction = 'forward' | 'backward';

/** SELU's scale·alpha: the negative saturation value is -SELU_ALPHA_PRIME. */
export const SELU_ALPHA_PRIME = 1.7580993408473766;

export type Transform =
  /** output = input (a copy) */
  | { kind: 'identity' }
  /** output = f32(input * scale), nothing dropped */
  | { kind: 'scale'; scale: number }
  /** kept: f32(input * scale) (+ bias), dropped: +0 (or `dropped`) */
  | { kind: 'mask'; rate: DropRate; scale: number; affine?: { bias: number; dropped: number } };

export function checkMode(mode: unknown): DropoutMode {
  if (mode === undefined) return 'inverted';
  if (mode !== 'inverted' && mode !== 'legacy' && mode !== 'alpha') throw new DropoutArgumentError('mode', mode, `'inverted', 'legacy' or 'alpha'`);
  return mode;
}

/**
 * Alpha dropout's constants, computed in float64 and rounded once to f32 (PyTorch's formulas).
 * @param p - drop probability in [0, 1) (not validated here; the kernels validate it)
 * @returns `a` = f32(((1 - p)(1 + p·λα²))^-½), `bias` = f32(a·λα·p) and `dropped` =
 * f32(-f32(a·λα) + bias), the output of a dropped unit, rounded step by step as PyTorch does (λα = {@link SELU_ALPHA_PRIME}); kept units give a·x + bias
 * @example alphaConstants(0.1) // { a: 0.9…, bias: 0.1…, dropped: -1.4… }
 */
export function alphaConstants(p: number): {
  /** Scale of kept units. */
  a: number;
  /** Added to kept units. */
  bias: number;
  /** Output of dropped units. */
  dropped: number;
} {
  const alpha = SELU_ALPHA_PRIME;
  const a = 1 / Math.sqrt((alpha * alpha * p + 1) * (1 - p));
  // As ATen's alpha_dropout on f32: b = (noise - 1) · f32(α′a) + f32(α′a·p), each scalar cast to f32
  // and each step rounded, so a dropped unit gives f32(-f32(α′a) + f32(α′a·p)).
  const bias = Math.fround(alpha * a * p);
  return { a: Math.fround(a), bias, dropped: Math.fround(-Math.fround(alpha * a) + bias) };
}

export function transformFor(mode: DropoutMode, direction: Direction, rate: DropRate, training: boolean): Transform {
  if (!training) {
    if (mode === 'legacy' && rate.p > 0) return { kind: 'scale', scale: Math.fround(1 - rate.p) };
    return { kind: 'identity' };
  }
  if (rate.keepsAll) return { kind: 'identity' };
  if (rate.dropsAll) return { kind: 'mask', rate, scale: 0 }; // everything +0, values and gradients
  if (mode === 'legacy') return { kind: 'mask', rate, scale: 1 };
  if (mode === 'alpha') {
    const { a, bias, dropped } = alphaConstants(rate.p);
    return direction === 'forward' ? { kind: 'mask', rate, scale: a, affine: { bias, dropped } } : { kind: 'mask', rate, scale: a };
  }
  return { kind: 'mask', rate, scale: rate.scale };
}

export { dropRate };
