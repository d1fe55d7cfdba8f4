// What a DropBlock call means, shared by the GPU path and the CPU reference: torchvision's
// geometry (effective block size, seed probability, seed shape) and the eps option.
import { DropoutArgumentError } from '../errors.js';
import { checkShape, product } from '../shape.js';

/** A DropBlock call's geometry, as torchvision derives it (see {@link dropBlockGeometry}). */
export interface DropBlockGeometry {
  /** N·C */
  planes: number;
  /** D (1 for 2-D). */
  depth: number;
  /** H. */
  height: number;
  /** W. */
  width: number;
  /** Effective block size min(blockSize, H, W [, D]); odd. */
  blockSize: number;
  /** 1 for 2-D, else blockSize. */
  blockDepth: number;
  /** Seed probability: p · volume / (block volume · seed positions), as torchvision computes it. */
  gamma: number;
  /** Shape of the seed draw: (N·C, D - bd + 1, H - bs + 1, W - bs + 1). */
  seedShape: number[];
  /** N·C·D·H·W. */
  numel: number;
}

/** Validates a DropBlock call's shape, p and block size and derives its geometry. */
export function dropBlockGeometry(shape: unknown, p: number, blockSize: unknown, dims: 2 | 3): DropBlockGeometry {
  const s = checkShape('shape', shape);
  if (s.length !== dims + 2) throw new DropoutArgumentError('shape', shape, `an (N, C, ${dims === 2 ? 'H, W' : 'D, H, W'}) shape of rank ${dims + 2}`);
  // Any size: the effective one is min(blockSize, spatial sizes), as torchvision's.
  if (typeof blockSize !== 'number' || !Number.isSafeInteger(blockSize) || blockSize < 1) {
    throw new DropoutArgumentError('blockSize', blockSize, 'a positive integer');
  }
  const [n, c] = s as [number, number];
  const [depth, height, width] = dims === 2 ? [1, s[2]!, s[3]!] : [s[2]!, s[3]!, s[4]!];
  const numel = product(s);
  // A zero-size map (any dimension 0) has no blocks to drop: a no-op, whatever the block size.
  const bs = numel === 0 ? 1 : Math.min(blockSize, height, width, dims === 3 ? depth : Infinity);
  if (bs % 2 === 0) {
    throw new DropoutArgumentError('blockSize', blockSize, 'an odd effective block size', `min(blockSize, spatial sizes) = ${bs}; torchvision's DropBlock only works for odd sizes`);
  }
  const bd = dims === 3 ? bs : 1;
  const positions = (depth - bd + 1) * (height - bs + 1) * (width - bs + 1);
  // gamma <= p: bs · (L - bs + 1) >= L for every 1 <= bs <= L.
  const gamma = numel === 0 ? 0 : (p * depth * height * width) / (bs ** dims * positions);
  return {
    planes: n * c, depth, height, width, blockSize: bs, blockDepth: bd, gamma,
    seedShape: [n * c, depth - bd + 1, height - bs + 1, width - bs + 1], numel,
  };
}

/** DropBlock's eps: a finite number >= 0, default 1e-6 (torchvision's). */
export function checkEps(eps: unknown): number {
  if (eps === undefined) return 1e-6;
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new DropoutArgumentError('eps', eps, 'a finite number >= 0');
  return eps;
}
