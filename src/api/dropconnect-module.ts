import { DropoutArgumentError, DropoutStateError } from '../errors.js';
import { type BufferArg } from '../gpu/buffers.js';
import { deviceState } from '../gpu/device-state.js';
import { run } from '../gpu/execute.js';
import { PhiloxGenerator } from '../rng/generator.js';
import { dropRate } from '../rng/threshold.js';
import { planDropConnectLinear, planDropConnectLinearBackward } from './dropconnect.js';
import { checkDtype, type DType } from './validate.js';

/** Options of the {@link DropConnectLinear} layer. */
export interface DropConnectLinearModuleOptions {
  /** Columns of x and W, an integer >= 0. */
  inFeatures: number;
  /** Rows of W, an integer >= 0. */
  outFeatures: number;
  /** Probability of dropping each weight, in [0, 1]; default 0.5. */
  p?: number;
  /** Source of (seed, offset) pairs; default a new PhiloxGenerator(0). */
  generator?: PhiloxGenerator;
  /** 'f32' (default) or 'f16' (needs 'shader-f16'): the type of every tensor. */
  dtype?: DType;
}

/** What {@link DropConnectLinear.backward} needs to know about a forward call. */
export interface DropConnectRecord {
  /** Rows of x. */
  readonly batch: number;
  /** The drop probability used. */
  readonly p: number;
  /** Whether the forward ran in training mode (eval: the plain layer). */
  readonly training: boolean;
  /** The draw's seed. */
  readonly seed: bigint;
  /** The draw's offset. */
  readonly offset: bigint;
}

/**
 * A linear layer with DropConnect (Wan et al. 2013) fused into its matmul: y = x · (M ⊙ W)ᵀ · 1/(1 − p) + b
 * in training, with a fresh mask M over W's elements per forward (drawn from its generator, the
 * mask `dropout()` would draw on W); y = x · Wᵀ + b in eval. The layer holds no weights: you pass
 * W (outFeatures × inFeatures) and b. backward rebuilds the same mask from the recorded draw.
 * @example
 * const fc = new DropConnectLinear(device, { inFeatures: 512, outFeatures: 256, p: 0.5 });
 * await fc.forward(x, weight, y, { batch: 32, bias });
 * await fc.backward(dy, x, weight, { dx, dWeight, dBias });
 */
export class DropConnectLinear {
  /** The device every call of this layer runs on. */
  readonly device: GPUDevice;
  /** Columns of x and W. */
  readonly inFeatures: number;
  /** Rows of W. */
  readonly outFeatures: number;
  /** Drop probability, in [0, 1]. */
  readonly p: number;
  /** Source of this layer's draws: each training-mode forward takes the next one. */
  readonly generator: PhiloxGenerator;
  /** Element type of its tensors. */
  readonly dtype: DType;
  #training = true;
  #last: DropConnectRecord | null = null;

  constructor(device: GPUDevice, options: DropConnectLinearModuleOptions) {
    if (typeof options !== 'object' || options === null) throw new DropoutArgumentError('options', options, 'an options object with inFeatures and outFeatures');
    deviceState(device);
    this.device = device;
    for (const name of ['inFeatures', 'outFeatures'] as const) {
      const v = options[name];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw new DropoutArgumentError(name, v, 'an integer in [0, 2^32)');
    }
    this.inFeatures = options.inFeatures;
    this.outFeatures = options.outFeatures;
    this.p = dropRate(options.p ?? 0.5).p;
    if (options.generator !== undefined && !(options.generator instanceof PhiloxGenerator)) {
      throw new DropoutArgumentError('generator', options.generator, 'a PhiloxGenerator');
    }
    this.generator = options.generator ?? new PhiloxGenerator(0n);
    this.dtype = checkDtype(options.dtype, device, 'DropConnectLinear');
  }

  /** Whether forward draws a mask (training mode, the default). */
  get training(): boolean {
    return this.#training;
  }

  /** Sets training mode (true) or eval mode (false). */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new DropoutArgumentError('mode', mode, 'true or false');
    this.#training = mode;
    return this;
  }

  /** Eval mode: forward is the plain linear layer. */
  eval(): this {
    return this.train(false);
  }

  /** The latest forward's record, or null before any. */
  get lastRecord(): DropConnectRecord | null {
    return this.#last;
  }

  /**
   * y = x · (M ⊙ W)ᵀ · scale + b (training) or x · Wᵀ + b (eval) for `batch` rows of x. The
   * generator and lastRecord move on once the work is recorded; a refused call changes nothing.
   */
  forward(x: BufferArg, weight: BufferArg, y: BufferArg, options: { batch: number; bias?: BufferArg; encoder?: GPUCommandEncoder }): Promise<DropConnectRecord> {
    let record: DropConnectRecord;
    try {
      if (typeof options !== 'object' || options === null) throw new DropoutArgumentError('options', options, 'an options object with batch');
      const training = this.#training;
      const key = { seed: this.generator.seed, offset: this.generator.offset };
      record = { batch: options.batch, p: this.p, training, ...key };
      const planned = planDropConnectLinear(this.device, { ...this.#shape(record), x, weight, y, bias: options.bias, encoder: options.encoder });
      if (training && this.p > 0 && this.p < 1) this.generator.next();
      this.#last = record;
      return run(() => planned, record);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The gradients of the latest forward (or of `options.record`) asked for: dx, dWeight, dBias, with
   * the mask rebuilt from its draw. x and W are the ones that forward used.
   */
  backward(dy: BufferArg, x: BufferArg, weight: BufferArg, options: { dx?: BufferArg; dWeight?: BufferArg; dBias?: BufferArg; encoder?: GPUCommandEncoder; record?: DropConnectRecord }): Promise<void> {
    return run(() => {
      if (typeof options !== 'object' || options === null) throw new DropoutArgumentError('options', options, 'an options object with dx, dWeight or dBias');
      const record = options?.record ?? this.#last;
      if (!record) throw new DropoutStateError('DropConnectLinear.backward() was called before any forward(): there is no mask to differentiate through. Call forward() first, or pass the record a forward returned.');
      return planDropConnectLinearBackward(this.device, { ...this.#shape(record), dy, x, weight, dx: options.dx, dWeight: options.dWeight, dBias: options.dBias, encoder: options.encoder });
    });
  }

  #shape(record: DropConnectRecord) {
    return { batch: record.batch, inFeatures: this.inFeatures, outFeatures: this.outFeatures, p: record.p, training: record.training, seed: record.seed, offset: record.offset, dtype: this.dtype };
  }
}
