// Shapes and noise shapes: validation, and the collapsed form the broadcast kernel walks.
import { DropoutArgumentError } from './errors.js';
import { MAX_ELEMENTS_PER_DRAW } from './rng/layout.js';

/** Dimensions the broadcast kernel's uniforms hold. */
export const MAX_RANK = 8;

/** Row-major shape: an array of 1 to 8 non-negative integers. */
export function checkShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > MAX_RANK) {
    throw new DropoutArgumentError(name, shape, `an array of 1 to ${MAX_RANK} dimension sizes`);
  }
  let count = 1;
  shape.forEach((d: unknown, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new DropoutArgumentError(`${name}[${i}]`, d, 'a non-negative integer');
    count *= d;
  });
  if (count > MAX_ELEMENTS_PER_DRAW) throw new DropoutArgumentError(name, shape, `a shape of at most 2^36 elements`, `it has ${count}`);
  return shape as number[];
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A noise shape for `shape`: same rank, each dimension 1 (shared) or equal to the shape's. */
export function checkNoiseShape(noiseShape: unknown, shape: readonly number[]): number[] {
  const checked = checkShape('noiseShape', noiseShape);
  if (checked.length !== shape.length) {
    throw new DropoutArgumentError('noiseShape', noiseShape, `an array of rank ${shape.length} like shape [${shape.join(', ')}]`);
  }
  checked.forEach((d, i) => {
    if (d !== 1 && d !== shape[i]) throw new DropoutArgumentError(`noiseShape[${i}]`, d, `1 or shape[${i}] = ${shape[i]}`);
  });
  return checked;
}

export interface Collapsed {
  /** Collapsed dimension sizes, innermost first. */
  sizes: number[];
  /** Mask-space strides of those dimensions; 0 where the mask is shared. */
  strides: number[];
  /** Elements in the mask space. */
  maskSize: number;
}

/**
 * Drops size-1 dimensions and merges neighbours that are both shared or both not, so e.g. the
 * channel mask of (N, C, H, W) becomes sizes [H·W, N·C], strides [0, 1].
 */
export function collapse(shape: readonly number[], noiseShape: readonly number[]): Collapsed {
  const groups: { size: number; shared: boolean }[] = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const shared = noiseShape[d] === 1;
    const last = groups.at(-1);
    if (last && last.shared === shared) last.size *= size;
    else groups.push({ size, shared });
  });
  const sizes: number[] = [];
  const strides: number[] = [];
  let maskStride = 1;
  for (const group of groups.reverse()) {
    sizes.push(group.size);
    strides.push(group.shared ? 0 : maskStride);
    if (!group.shared) maskStride *= group.size;
  }
  return { sizes, strides, maskSize: product(noiseShape) };
}
