import { gaussianSigma } from '../cpu/gaussian.js';
import { type BufferArg } from '../gpu/buffers.js';
import { checkShape, product } from '../shape.js';
import { checkOptions } from '../spec/options.js';
import { gaussianDropout, gaussianDropoutBackward } from './gaussian.js';
import { Dropout, type DropoutModuleOptions, type DropoutRecord, type ForwardCallOptions } from './module.js';

/**
 * Gaussian dropout (Keras GaussianDropout): multiplies by 1 + sqrt(p / (1 - p)) · z, z standard
 * normal, in training; the identity in eval. p in [0, 1]; p = 0 and p = 1 are the identity, as in TensorFlow.js's gaussianDropout layer. Backward rebuilds the same noise.
 * @example await new GaussianDropout(device, { p: 0.2 }).forward(x, y, n);
 */
export class GaussianDropout extends Dropout {
  /** The constructor options this layer takes. */
  static override readonly optionNames: readonly string[] = ['p', 'generator', 'workgroupSize', 'dtype'];
  constructor(device: GPUDevice, options: Omit<DropoutModuleOptions, 'mode' | 'noiseShape'> = {}) {
    gaussianSigma((options ?? {}).p ?? 0.5);
    super(device, options);
  }

  override async forward(x: BufferArg, y: BufferArg, size: number | readonly number[], options: Omit<ForwardCallOptions, 'mask'> = {}): Promise<DropoutRecord> {
    checkOptions(options, 'GaussianDropout.forward', ['encoder']);
    const n = typeof size === 'number' ? size : product(checkShape('size', size));
    const training = this.training;
    return this.withDraw(training && this.p > 0, 1, async (key) => {
      await gaussianDropout(this.device, { x, y, n, p: this.p, training, ...key, encoder: options.encoder, workgroupSize: this.workgroupSize, dtype: this.dtype });
      return this.remember({ size, noiseShape: undefined, p: this.p, mode: this.mode, training, seed: key.seed, offset: key.offset, mask: undefined });
    });
  }

  override async backward(dy: BufferArg, dx: BufferArg, options: { encoder?: GPUCommandEncoder; record?: DropoutRecord } = {}): Promise<void> {
    checkOptions(options, 'GaussianDropout.backward', ['encoder', 'record']);
    const record = this.recordFor(options.record);
    const n = typeof record.size === 'number' ? record.size : product(record.size);
    await gaussianDropoutBackward(this.device, { dy, dx, n, p: record.p, training: record.training, seed: record.seed, offset: record.offset, encoder: options.encoder, workgroupSize: this.workgroupSize, dtype: this.dtype });
  }
}

