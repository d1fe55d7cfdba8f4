import { DropoutArgumentError, DropoutStateError } from '../errors.js';
import { type BufferArg } from '../gpu/buffers.js';
import { deviceState } from '../gpu/device-state.js';
import { type WorkgroupSize } from '../kernels/dropout-family.js';
import { PhiloxGenerator } from '../rng/generator.js';
import { dropRate } from '../rng/threshold.js';
import { checkMode, type DropoutMode } from '../rng/transform.js';
import { run } from '../gpu/execute.js';
import { planDropout, planDropoutBackward, type PlannedCall } from './functional.js';
import { planMcDropout, type McDropoutOptions } from './mc.js';
import { spatialNoiseShape } from './spatial.js';
import { checkOptions } from '../spec/options.js';
import { checkDtype, checkWorkgroupSize, type DType } from './validate.js';

/** What backward needs to know about a forward call. Keep it to run backward later. */
export interface DropoutRecord {
  /** Element count, or the shape, the forward call was given. */
  readonly size: number | readonly number[];
  /** The noise shape the mask was drawn over, or undefined for element-wise dropout. */
  readonly noiseShape: readonly number[] | undefined;
  /** The drop probability used. */
  readonly p: number;
  /** The scaling convention used. */
  readonly mode: DropoutMode;
  /** Whether the forward ran in training mode (an eval forward's backward is the identity). */
  readonly training: boolean;
  /** The draw's seed. */
  readonly seed: bigint;
  /** The draw's offset. */
  readonly offset: bigint;
  /** The packed mask buffer the forward call wrote, if any. */
  readonly mask: BufferArg | undefined;
}

/** Options of the {@link Dropout} layer and its subclasses. */
export interface DropoutModuleOptions {
  /** Drop probability in [0, 1]; default 0.5 like torch.nn.Dropout. */
  p?: number;
  /** Source of (seed, offset) pairs; default a new PhiloxGenerator(0). Share one to order draws across modules. */
  generator?: PhiloxGenerator;
  /** 'inverted' (default) or 'legacy' (no scaling in training, times 1 - p in eval). */
  mode?: 'inverted' | 'legacy';
  /** A fixed noise shape (TensorFlow's noiseShape): forward then takes a shape. */
  noiseShape?: readonly number[];
  /** Invocations per workgroup (64, 128 or 256); never changes results. */
  workgroupSize?: WorkgroupSize;
  /** 'f32' (default) or 'f16' (needs the device feature 'shader-f16'): the type of every tensor the layer is given. */
  dtype?: DType;
}

/** Per-call options of a layer's forward. */
export interface ForwardCallOptions {
  /** Encode into this encoder instead of submitting. */
  encoder?: GPUCommandEncoder;
  /** Also write the packed mask here (ceil(maskSize / 32) u32 words); backward then reads it. */
  mask?: BufferArg;
}

/**
 * The options object of a module constructor (only the options `layer` takes), and its mode.
 * PyTorch's `inplace=True` has no option here: an in-place forward passes y = x.
 */
function checkModuleOptions(options: unknown, layer: string, known: readonly string[]): { mode: DropoutMode } {
  if (typeof options !== 'object' || options === null) throw new DropoutArgumentError('options', options, 'an options object (or nothing)');
  const inplace = (options as { inplace?: unknown }).inplace;
  if (inplace !== undefined) {
    throw new DropoutArgumentError('inplace', inplace, 'no inplace option: for an in-place forward pass y = x (the same buffer and byteOffset); the kernels run in place then');
  }
  checkOptions(options, layer, known);
  return { mode: checkMode((options as { mode?: unknown }).mode) };
}

const LAYER_OPTIONS = ['p', 'generator', 'workgroupSize', 'dtype'] as const;

/** A layer's class name for messages, minification-safe (see {@link Dropout.layerName}). */
function layerName(layer: Dropout): string {
  return (layer.constructor as typeof Dropout).layerName;
}

/** A layer call's size as dropout()'s `n` option (undefined for a shape array). */
function countOf(size: number | readonly number[]): number | undefined {
  if (typeof size === 'number') return size;
  if (Array.isArray(size)) return undefined;
  throw new DropoutArgumentError('size', size, 'an element count or a shape array');
}

/** A layer call's size as dropout()'s `shape` option (undefined for an element count). */
function shapeOf(size: number | readonly number[]): readonly number[] | undefined {
  return typeof size === 'number' ? undefined : size;
}

/**
 * A dropout layer with PyTorch's train/eval switch. Each training-mode forward draws a fresh
 * (seed, offset) from its generator and remembers it, so backward rebuilds the same mask.
 * `size` is the element count or the shape.
 * @example
 * const drop = new Dropout(device, { p: 0.1, generator: new PhiloxGenerator(7n) });
 * await drop.forward(x, y, n);        // training mode by default
 * await drop.backward(dy, dx);        // same mask, rebuilt from (seed, offset)
 * drop.eval();
 * await drop.forward(x, y, n);        // y = x
 */
export class Dropout {
  /**
   * The class's name in messages (`Dropout2d.backward() was called …`): a string, because
   * minifiers rename classes in apps' bundles, so `constructor.name` would print `e`.
   */
  static readonly layerName: string = 'Dropout';
  /** The device every call of this layer runs on. */
  readonly device: GPUDevice;
  /** Drop probability, in [0, 1]. */
  readonly p: number;
  /** Source of this layer's (seed, offset) pairs: each training-mode forward takes the next one. */
  readonly generator: PhiloxGenerator;
  /** Scaling convention: 'inverted', 'legacy' or (AlphaDropout, FeatureAlphaDropout) 'alpha'. */
  readonly mode: DropoutMode;
  /** Invocations per workgroup of its dispatches (64, 128 or 256), or undefined for each kernel family's default; never changes results. */
  readonly workgroupSize: WorkgroupSize | undefined;
  readonly #noiseShape: readonly number[] | undefined;
  /** Element type of the tensors it is given: 'f32' or 'f16' (checked against the device at each call). */
  readonly dtype: DType;
  #training = true;
  #last: DropoutRecord | null = null;

  /** The constructor options this layer takes; any other is refused with a typed error. */
  static readonly optionNames: readonly string[] = [...LAYER_OPTIONS, 'mode', 'noiseShape'];

  /** `mode` is for subclasses: 'alpha' is chosen by using AlphaDropout. */
  constructor(device: GPUDevice, options: DropoutModuleOptions = {}, mode?: DropoutMode) {
    const optionsMode = checkModuleOptions(options, (new.target as typeof Dropout).layerName, (new.target as typeof Dropout).optionNames).mode;
    deviceState(device);
    this.device = device;
    this.p = dropRate(options.p ?? 0.5).p;
    if (options.generator !== undefined && !(options.generator instanceof PhiloxGenerator)) {
      throw new DropoutArgumentError('generator', options.generator, 'a PhiloxGenerator');
    }
    this.generator = options.generator ?? new PhiloxGenerator(0n);
    this.mode = mode ?? optionsMode;
    this.workgroupSize = checkWorkgroupSize(options.workgroupSize);
    this.#noiseShape = options.noiseShape;
    this.dtype = checkDtype(options.dtype, device, (new.target as typeof Dropout).layerName);
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

  /** Eval mode: forward and backward are the identity (legacy mode: times 1 - p). */
  eval(): this {
    return this.train(false);
  }

  /** The record of the latest forward call, or null before the first. */
  get lastRecord(): DropoutRecord | null {
    return this.#last;
  }

  /** The noise shape for a forward of this size; subclasses derive it from the shape. */
  protected noiseShapeFor(size: number | readonly number[]): readonly number[] | undefined {
    if (this.#noiseShape !== undefined && typeof size === 'number') {
      throw new DropoutArgumentError('size', size, 'a shape array (this layer has a noiseShape)');
    }
    return this.#noiseShape;
  }

  /**
   * y = dropout(x); returns the record backward uses. The work is recorded (and submitted, or put
   * in `options.encoder`) before this returns, and the layer's generator and `lastRecord` move on
   * only then: a refused call changes nothing. The promise settles once WebGPU has checked the work.
   */
  forward(x: BufferArg, y: BufferArg, size: number | readonly number[], options: ForwardCallOptions = {}): Promise<DropoutRecord> {
    let planned: PlannedCall | null;
    let record: DropoutRecord;
    try {
      const training = this.#training;
      const key = { seed: this.generator.seed, offset: this.generator.offset };
      checkOptions(options ?? {}, `${layerName(this)}.forward`, this.forwardOptionNames());
      ({ planned, record } = this.planForward(x, y, size, options ?? {}, training, key));
      if (this.drawsIn(training)) this.generator.next();
      this.#last = record;
    } catch (error) {
      return Promise.reject(error);
    }
    return run(() => planned, record);
  }

  /** The per-call options forward takes (the Gaussian layer writes no mask). @internal */
  protected forwardOptionNames(): readonly string[] {
    return ['encoder', 'mask'];
  }

  /** Whether a forward in this mode takes the generator's next (seed, offset). @internal */
  protected drawsIn(training: boolean): boolean {
    return training && this.p > 0 && this.p < 1;
  }

  /** Validates and plans one forward with the draw `key` (subclasses plan their own kernel). @internal */
  protected planForward(x: BufferArg, y: BufferArg, size: number | readonly number[], options: ForwardCallOptions, training: boolean, key: { seed: bigint; offset: bigint }): { planned: PlannedCall | null; record: DropoutRecord } {
    const noiseShape = this.noiseShapeFor(size);
    // Built key by key (no spreads) and planned without checking its keys again: every call of a
    // training loop comes here, and the plans of a repeated one are only rekeyed.
    const planned = planDropout(this.device, {
      x, y, n: countOf(size), shape: shapeOf(size), noiseShape, p: this.p, mode: this.mode, training, seed: key.seed, offset: key.offset,
      mask: options.mask, encoder: options.encoder, workgroupSize: this.workgroupSize, dtype: this.dtype,
    }, 'dropout', true);
    return { planned, record: { size, noiseShape, p: this.p, mode: this.mode, training, seed: key.seed, offset: key.offset, mask: options.mask } };
  }

  /** Validates and plans the backward of `record` (subclasses plan their own kernel). @internal */
  protected planBackward(dy: BufferArg, dx: BufferArg, record: DropoutRecord, encoder: GPUCommandEncoder | undefined): PlannedCall | null {
    return planDropoutBackward(this.device, {
      dy, dx, n: countOf(record.size), shape: shapeOf(record.size), noiseShape: record.noiseShape, p: record.p, mode: record.mode,
      training: record.training, seed: record.seed, offset: record.offset, mask: record.mask,
      encoder, workgroupSize: this.workgroupSize, dtype: this.dtype,
    }, 'dropoutBackward', true);
  }

  /** `record`, else the latest forward's; a DropoutStateError before any forward. */
  protected recordFor(record: DropoutRecord | undefined): DropoutRecord {
    const found = record ?? this.#last;
    if (!found) {
      throw new DropoutStateError(`${layerName(this)}.backward() was called before any forward(): there is no mask to differentiate through. `
        + 'A forward() that was refused records nothing: await forward() to see its error, or pass a record: backward(dy, dx, { record })');
    }
    return found;
  }

  /**
   * Monte Carlo dropout at inference: K stochastic passes of x (masks at K consecutive offsets of
   * this layer's generator, whatever train/eval says), returning the outputs and/or per-element
   * mean and variance. Element-wise inverted dropout only.
   * @example await drop.monteCarlo(x, n, { samples: 30, mean, variance });
   */
  monteCarlo(x: BufferArg, n: number, options: Pick<McDropoutOptions, 'samples' | 'out' | 'mean' | 'variance' | 'unbiased' | 'encoder'>): Promise<{
    /** The seed of the draws. */
    seed: bigint;
    /** The offset of sample 0 (sample s used offset + s). */
    offset: bigint;
    /** K, the number of samples drawn. */
    samples: number;
  }> {
    let planned: PlannedCall | null;
    let key: { seed: bigint; offset: bigint };
    try {
      if (this.#noiseShape !== undefined || this.mode !== 'inverted' || this.constructor !== Dropout) {
        throw new DropoutArgumentError('this', layerName(this), 'an element-wise inverted Dropout for Monte Carlo sampling');
      }
      checkOptions(options, `${layerName(this)}.monteCarlo`, ['samples', 'out', 'mean', 'variance', 'unbiased', 'encoder']);
      key = { seed: this.generator.seed, offset: this.generator.offset };
      planned = planMcDropout(this.device, { ...options, x, n, p: this.p, ...key, workgroupSize: this.workgroupSize, dtype: this.dtype });
      // Only a call that was accepted consumes its K offsets.
      this.generator.next(options.samples);
    } catch (error) {
      return Promise.reject(error);
    }
    return run(() => planned, { ...key, samples: options.samples });
  }

  /**
   * dx = backward of the latest forward (or of `record`), using its mask: read from the packed mask
   * if that forward wrote one, else rebuilt from its (seed, offset).
   */
  backward(dy: BufferArg, dx: BufferArg, options: { encoder?: GPUCommandEncoder; record?: DropoutRecord } = {}): Promise<void> {
    return run(() => {
      checkOptions(options ?? {}, `${layerName(this)}.backward`, ['encoder', 'record']);
      return this.planBackward(dy, dx, this.recordFor(options?.record), options?.encoder);
    });
  }
}

/** Options of {@link Dropout1d}, {@link Dropout2d}, {@link Dropout3d} and {@link FeatureAlphaDropout}. */
export interface SpatialDropoutOptions extends Omit<DropoutModuleOptions, 'noiseShape'> {
  /** The channel is the last dimension ((N, H, W, C), TensorFlow's layout) instead of the second. */
  channelsLast?: boolean;
}

abstract class SpatialDropout extends Dropout {
  /** The channel is the last dimension ((N, H, W, C)) instead of the second. */
  readonly channelsLast: boolean;
  /** Spatial dimensions of the layer (0: any rank, the channel second). */
  protected abstract readonly spatialDims: 0 | 1 | 2 | 3;
  /** The constructor options this layer takes. */
  static override readonly optionNames: readonly string[] = [...LAYER_OPTIONS, 'mode', 'channelsLast'];
  constructor(device: GPUDevice, options: SpatialDropoutOptions = {}, mode?: DropoutMode) {
    super(device, options, mode);
    this.channelsLast = options.channelsLast ?? false;
    if (typeof this.channelsLast !== 'boolean') throw new DropoutArgumentError('channelsLast', options.channelsLast, 'true or false');
  }
  protected override noiseShapeFor(size: number | readonly number[]): readonly number[] {
    if (typeof size === 'number') throw new DropoutArgumentError('size', size, `a shape array for ${layerName(this)}`);
    return spatialNoiseShape(this.spatialDims, size, this.channelsLast);
  }
}

/**
 * torch.nn.Dropout1d: zeroes whole channels of (N, C, L) or (C, L) inputs.
 * @example await new Dropout1d(device, { p: 0.2 }).forward(x, y, [N, C, L]);
 */
export class Dropout1d extends SpatialDropout {
  /** The class's name in messages (minification-safe). */
  static override readonly layerName: string = 'Dropout1d';
  /** Spatial dimensions of the layer (0: any rank, the channel second). */
  protected readonly spatialDims = 1;
}

/**
 * torch.nn.Dropout2d: zeroes whole channels of (N, C, H, W) inputs (3-D inputs read as (N, C, L)).
 * @example await new Dropout2d(device, { p: 0.2 }).forward(x, y, [N, C, H, W]);
 */
export class Dropout2d extends SpatialDropout {
  /** The class's name in messages (minification-safe). */
  static override readonly layerName: string = 'Dropout2d';
  /** Spatial dimensions of the layer (0: any rank, the channel second). */
  protected readonly spatialDims = 2;
}

/**
 * torch.nn.Dropout3d: zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) inputs.
 * @example await new Dropout3d(device, { p: 0.2 }).forward(x, y, [N, C, D, H, W]);
 */
export class Dropout3d extends SpatialDropout {
  /** The class's name in messages (minification-safe). */
  static override readonly layerName: string = 'Dropout3d';
  /** Spatial dimensions of the layer (0: any rank, the channel second). */
  protected readonly spatialDims = 3;
}

/** Options of {@link AlphaDropout}: those of {@link Dropout} but the mode, which is 'alpha'. */
export type AlphaDropoutOptions = Omit<DropoutModuleOptions, 'mode'>;

/**
 * torch.nn.AlphaDropout for SELU networks: dropped units are set to SELU's negative saturation
 * value, then an affine correction keeps mean 0 and variance 1.
 * @example await new AlphaDropout(device, { p: 0.1 }).forward(x, y, n);
 */
export class AlphaDropout extends Dropout {
  /** The constructor options this layer takes (its mode is 'alpha'). */
  static override readonly optionNames: readonly string[] = [...LAYER_OPTIONS, 'noiseShape'];
  /** The class's name in messages (minification-safe). */
  static override readonly layerName: string = 'AlphaDropout';
  constructor(device: GPUDevice, options: AlphaDropoutOptions = {}) {
    super(device, options, 'alpha');
  }
}

/**
 * torch.nn.FeatureAlphaDropout: alpha dropout of whole channels, for (N, C, ...) inputs.
 * @example await new FeatureAlphaDropout(device, { p: 0.1 }).forward(x, y, [N, C, H, W]);
 */
export class FeatureAlphaDropout extends SpatialDropout {
  /** The class's name in messages (minification-safe). */
  static override readonly layerName: string = 'FeatureAlphaDropout';
  /** Spatial dimensions of the layer (0: any rank, the channel second). */
  protected readonly spatialDims = 0;
  /** The constructor options this layer takes (its mode is 'alpha'). */
  static override readonly optionNames: readonly string[] = [...LAYER_OPTIONS, 'channelsLast'];
  constructor(device: GPUDevice, options: Omit<SpatialDropoutOptions, 'mode'> = {}) {
    super(device, options, 'alpha');
  }
}

/**
 * DropConnect (Wan et al., 2013): drops weights instead of activations. Call forward on the weight
 * tensor each step (a fresh mask per step) to get the masked weights, use them in your layer, and
 * backward to turn the gradient of the masked weights into the gradient of the weights.
 * @example
 * const dc = new DropConnect(device, { p: 0.5 });
 * await dc.forward(weights, maskedWeights, [outFeatures, inFeatures]);
 * // ... matmul with maskedWeights, backprop to dMasked ...
 * await dc.backward(dMasked, dWeights);
 */
export class DropConnect extends Dropout {
  /** The class's name in messages (minification-safe). */
  static override readonly layerName: string = 'DropConnect';
}

