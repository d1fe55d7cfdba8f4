import { DropoutArgumentError } from '../errors.js';
import { type BufferArg } from '../gpu/buffers.js';
import { planDropBlockBackward, planDropBlockForward } from './dropblock.js';
import { type PlannedCall } from './functional.js';
import { Dropout, type DropoutModuleOptions, type DropoutRecord, type ForwardCallOptions } from './module.js';

/** Options of {@link DropBlock2d} and {@link DropBlock3d}. */
export interface DropBlockModuleOptions extends Omit<DropoutModuleOptions, 'mode' | 'noiseShape'> {
  /** Block edge (torchvision's block_size); the effective size must be odd. */
  blockSize: number;
  /** Default 1e-6. */
  eps?: number;
}

abstract class DropBlockBase extends Dropout {
  /** Block edge (torchvision's block_size). */
  readonly blockSize: number;
  /** Added to the kept count in the scale numel / (eps + kept). */
  readonly eps: number;
  /** Rank of the inputs. */
  protected abstract readonly rank: 4 | 5;
  /** The constructor options this layer takes. */
  static override readonly optionNames: readonly string[] = ['p', 'generator', 'workgroupSize', 'dtype', 'blockSize', 'eps'];
  constructor(device: GPUDevice, options: DropBlockModuleOptions) {
    super(device, options);
    if (typeof options !== 'object' || options === null) throw new DropoutArgumentError('options', options, 'an options object with blockSize');
    this.blockSize = options.blockSize;
    this.eps = options.eps ?? 1e-6;
  }

  protected override drawsIn(training: boolean): boolean {
    return training && this.p > 0;
  }

  protected override planForward(x: BufferArg, y: BufferArg, size: number | readonly number[], options: ForwardCallOptions, training: boolean, key: { seed: bigint; offset: bigint }): { planned: PlannedCall | null; record: DropoutRecord } {
    if (!Array.isArray(size) || size.length !== this.rank) throw new DropoutArgumentError('size', size, `a shape of rank ${this.rank}`);
    const planned = planDropBlockForward(this.device, { x, y, shape: size, p: this.p, blockSize: this.blockSize, eps: this.eps, training, ...key, mask: options.mask, encoder: options.encoder, workgroupSize: this.workgroupSize, dtype: this.dtype });
    return { planned, record: { size, noiseShape: undefined, p: this.p, mode: this.mode, training, seed: key.seed, offset: key.offset, mask: options.mask } };
  }

  protected override planBackward(dy: BufferArg, dx: BufferArg, r: DropoutRecord, encoder: GPUCommandEncoder | undefined): PlannedCall | null {
    return planDropBlockBackward(this.device, { dy, dx, shape: r.size as readonly number[], p: r.p, blockSize: this.blockSize, eps: this.eps, training: r.training, seed: r.seed, offset: r.offset, mask: r.mask, encoder, workgroupSize: this.workgroupSize, dtype: this.dtype });
  }
}

/**
 * torchvision.ops.DropBlock2d for (N, C, H, W) feature maps.
 * @example await new DropBlock2d(device, { p: 0.1, blockSize: 7 }).forward(x, y, [N, C, H, W]);
 */
export class DropBlock2d extends DropBlockBase {
  /** The class's name in messages (minification-safe). */
  static override readonly layerName: string = 'DropBlock2d';
  /** Rank of the inputs: (N, C, H, W). */
  protected readonly rank = 4;
}

/**
 * torchvision.ops.DropBlock3d for (N, C, D, H, W) feature maps.
 * @example await new DropBlock3d(device, { p: 0.1, blockSize: 3 }).forward(x, y, [N, C, D, H, W]);
 */
export class DropBlock3d extends DropBlockBase {
  /** The class's name in messages (minification-safe). */
  static override readonly layerName: string = 'DropBlock3d';
  /** Rank of the inputs: (N, C, D, H, W). */
  protected readonly rank = 5;
}
