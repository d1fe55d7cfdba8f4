import { DropoutArgumentError } from '../errors.js';
import { type BufferArg } from '../gpu/buffers.js';
import { checkOptions } from '../spec/options.js';
import { dropBlock, dropBlockBackward } from './dropblock.js';
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

  override async forward(x: BufferArg, y: BufferArg, size: number | readonly number[], options: ForwardCallOptions = {}): Promise<DropoutRecord> {
    checkOptions(options, `${this.constructor.name}.forward`, ['encoder', 'mask']);
    if (!Array.isArray(size) || size.length !== this.rank) throw new DropoutArgumentError('size', size, `a shape of rank ${this.rank}`);
    const training = this.training;
    return this.withDraw(training && this.p > 0, 1, async (key) => {
      await dropBlock(this.device, { x, y, shape: size, p: this.p, blockSize: this.blockSize, eps: this.eps, training, ...key, mask: options.mask, encoder: options.encoder, workgroupSize: this.workgroupSize, dtype: this.dtype });
      return this.remember({ size, noiseShape: undefined, p: this.p, mode: this.mode, training, seed: key.seed, offset: key.offset, mask: options.mask });
    });
  }

  override async backward(dy: BufferArg, dx: BufferArg, options: { encoder?: GPUCommandEncoder; record?: DropoutRecord } = {}): Promise<void> {
    checkOptions(options, `${this.constructor.name}.backward`, ['encoder', 'record']);
    const r = this.recordFor(options.record);
    await dropBlockBackward(this.device, { dy, dx, shape: r.size as readonly number[], p: r.p, blockSize: this.blockSize, eps: this.eps, training: r.training, seed: r.seed, offset: r.offset, mask: r.mask, encoder: options.encoder, workgroupSize: this.workgroupSize, dtype: this.dtype });
  }
}

/**
 * torchvision.ops.DropBlock2d for (N, C, H, W) feature maps.
 * @example await new DropBlock2d(device, { p: 0.1, blockSize: 7 }).forward(x, y, [N, C, H, W]);
 */
export class DropBlock2d extends DropBlockBase {
  /** Rank of the inputs: (N, C, H, W). */
  protected readonly rank = 4;
}

/**
 * torchvision.ops.DropBlock3d for (N, C, D, H, W) feature maps.
 * @example await new DropBlock3d(device, { p: 0.1, blockSize: 3 }).forward(x, y, [N, C, D, H, W]);
 */
export class DropBlock3d extends DropBlockBase {
  /** Rank of the inputs: (N, C, D, H, W). */
  protected readonly rank = 5;
}
