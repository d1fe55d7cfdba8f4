import { DropoutArgumentError, DropoutStateError } from '../errors.js';
import { type BufferArg } from '../gpu/buffers.js';
import { deviceState } from '../gpu/device-state.js';
import { type WorkgroupSize } from '../kernels/dropout-family.js';
import { PhiloxGenerator } from '../rng/generator.js';
import { checkCount } from '../rng/mask.js';
import { dropRate } from '../rng/threshold.js';
import { dropout, dropoutBackward } from './functional.js';
import { checkWorkgroupSize } from './validate.js';

/** What backward needs to know about a forward call. Keep it to run backward later. */
export interface DropoutRecord {
  readonly n: number;
  readonly p: number;
  readonly training: boolean;
  readonly seed: bigint;
  readonly offset: bigint;
  /** The packed mask buffer the forward call wrote, if any. */
  readonly mask: BufferArg | undefined;
}

export interface DropoutModuleOptions {
  /** Drop probability in [0, 1]; default 0.5 like torch.nn.Dropout. */
  p?: number;
  /** Source of (seed, offset) pairs; default a new PhiloxGenerator(0). Share one to order draws across modules. */
  generator?: PhiloxGenerator;
  /** Invocations per workgroup (64, 128 or 256); never changes results. */
  workgroupSize?: WorkgroupSize;
}

export interface ForwardCallOptions {
  /** Encode into this encoder instead of submitting. */
  encoder?: GPUCommandEncoder;
  /** Also write the packed mask here (ceil(n / 32) u32 words); backward then reads it. */
  mask?: BufferArg;
}

/**
 * A dropout layer with PyTorch's train/eval switch. Each training-mode forward draws a fresh
 * (seed, offset) from its generator and remembers it, so backward rebuilds the same mask.
 * @example
 * const drop = new Dropout(device, { p: 0.1, generator: new PhiloxGenerator(7n) });
 * await drop.forward(x, y, n);        // training mode by default
 * await drop.backward(dy, dx);        // same mask, rebuilt from (seed, offset)
 * drop.eval();
 * await drop.forward(x, y, n);        // y = x
 */
export class Dropout {
  readonly device: GPUDevice;
  readonly p: number;
  readonly generator: PhiloxGenerator;
  readonly workgroupSize: WorkgroupSize;
  #training = true;
  #last: DropoutRecord | null = null;

  constructor(device: GPUDevice, options: DropoutModuleOptions = {}) {
    deviceState(device);
    this.device = device;
    this.p = dropRate(options.p ?? 0.5).p;
    if (options.generator !== undefined && !(options.generator instanceof PhiloxGenerator)) {
      throw new DropoutArgumentError('generator', options.generator, 'a PhiloxGenerator');
    }
    this.generator = options.generator ?? new PhiloxGenerator(0n);
    this.workgroupSize = checkWorkgroupSize(options.workgroupSize);
  }

  /** True in training mode (the default). */
  get training(): boolean {
    return this.#training;
  }

  /** Sets training mode (like torch's `module.train(mode)`). */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new DropoutArgumentError('mode', mode, 'true or false');
    this.#training = mode;
    return this;
  }

  /** Eval mode: forward and backward are the identity. */
  eval(): this {
    return this.train(false);
  }

  /** The record of the latest forward call, or null before the first. */
  get lastRecord(): DropoutRecord | null {
    return this.#last;
  }

  /** y = dropout(x) over n f32 elements; returns the record backward uses. */
  async forward(x: BufferArg, y: BufferArg, n: number, options: ForwardCallOptions = {}): Promise<DropoutRecord> {
    checkCount('n', n);
    const training = this.#training;
    const draw = training && this.p > 0 && this.p < 1 ? this.generator.next() : { seed: this.generator.seed, offset: this.generator.offset };
    await dropout(this.device, { x, y, n, p: this.p, training, ...draw, mask: options.mask, encoder: options.encoder, workgroupSize: this.workgroupSize });
    const record: DropoutRecord = { n, p: this.p, training, seed: draw.seed, offset: draw.offset, mask: options.mask };
    this.#last = record;
    return record;
  }

  /**
   * dx = backward of the latest forward (or of `record`), using its mask: read from the packed mask
   * if that forward wrote one, else rebuilt from its (seed, offset).
   */
  async backward(dy: BufferArg, dx: BufferArg, options: { encoder?: GPUCommandEncoder; record?: DropoutRecord } = {}): Promise<void> {
    const record = options.record ?? this.#last;
    if (!record) throw new DropoutStateError('Dropout.backward() was called before any forward(): there is no mask to differentiate through');
    await dropoutBackward(this.device, {
      dy, dx, n: record.n, p: record.p, training: record.training, seed: record.seed, offset: record.offset,
      mask: record.mask, encoder: options.encoder, workgroupSize: this.workgroupSize,
    });
  }
}
