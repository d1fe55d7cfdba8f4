import { gaussianSigma } from '../spec/gaussian.js';
import { type BufferArg } from '../gpu/buffers.js';
import { checkShape, product } from '../shape.js';
import { type PlannedCall } from './functional.js';
import { planGaussianDropout, planGaussianDropoutBackward } from './gaussian.js';
import { Dropout, type DropoutModuleOptions, type DropoutRecord, type ForwardCallOptions } from './module.js';

/**
 * Gaussian dropout (Keras GaussianDropout): multiplies by 1 + sqrt(p / (1 - p)) · z, z standard
 * normal, in training; the identity in eval. p in [0, 1]; p = 0 and p = 1 are the identity, as in TensorFlow.js's gaussianDropout layer. Backward rebuilds the same noise.
 * @example await new GaussianDropout(device, { p: 0.2 }).forward(x, y, n);
 */
export class GaussianDropout extends Dropout {
  /** The constructor options this layer takes. */
  static override readonly optionNames: readonly string[] = ['p', 'generator', 'workgroupSize', 'dtype'];
  /** The class's name in messages (minification-safe). */
  static override readonly layerName: string = 'GaussianDropout';
  constructor(device: GPUDevice, options: Omit<DropoutModuleOptions, 'mode' | 'noiseShape'> = {}) {
    gaussianSigma((options ?? {}).p ?? 0.5);
    super(device, options);
  }

  protected override forwardOptionNames(): readonly string[] {
    return ['encoder'];
  }

  protected override drawsIn(training: boolean): boolean {
    return training && this.p > 0;
  }

  protected override planForward(x: BufferArg, y: BufferArg, size: number | readonly number[], options: Omit<ForwardCallOptions, 'mask'>, training: boolean, key: { seed: bigint; offset: bigint }): { planned: PlannedCall | null; record: DropoutRecord } {
    const n = typeof size === 'number' ? size : product(checkShape('size', size));
    const planned = planGaussianDropout(this.device, { x, y, n, p: this.p, training, ...key, encoder: options.encoder, workgroupSize: this.workgroupSize, dtype: this.dtype });
    return { planned, record: { size, noiseShape: undefined, p: this.p, mode: this.mode, training, seed: key.seed, offset: key.offset, mask: undefined } };
  }

  protected override planBackward(dy: BufferArg, dx: BufferArg, record: DropoutRecord, encoder: GPUCommandEncoder | undefined): PlannedCall | null {
    const n = typeof record.size === 'number' ? record.size : product(record.size);
    return planGaussianDropoutBackward(this.device, { dy, dx, n, p: record.p, training: record.training, seed: record.seed, offset: record.offset, encoder, workgroupSize: this.workgroupSize, dtype: this.dtype });
  }
}
