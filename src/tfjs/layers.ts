// TensorFlow.js layers: drop-in replacements for tf.layers.dropout and tf.layers.spatialDropout1d,
// plus a 2-D spatial variant, running the op in src/tfjs/op.ts. Active only when called with
// { training: true } (model.fit and trainOnBatch do; predict and evaluate do not), exactly as
// tfjs-layers' Dropout.
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { DropoutArgumentError } from '../errors.js';
import { PhiloxGenerator } from '../rng/generator.js';
import { dropoutWithKey, planFor } from './op.js';
import { philoxSeed, randomSeed } from './seed.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;
type Kwargs = Parameters<layers.Layer['call']>[1];

/**
 * Arguments of {@link Dropout} (those of tf.layers.dropout, plus every common layer argument).
 * @example
 * const args: DropoutLayerArgs = { rate: 0.3, noiseShape: [null, 1, null], seed: 7, name: 'drop1' };
 * model.add(layers.dropout(args));
 */
export interface DropoutLayerArgs extends LayerArgs {
  /** Fraction of the inputs to drop, in [0, 1]; 0 and 1 make the layer the identity, as in tfjs-layers. */
  rate: number;
  /** Shape of the mask, broadcast over the input; `null` entries take the input's size (e.g. [null, 1, null]). */
  noiseShape?: (number | null)[];
  /**
   * Seed of this layer's Philox generator (see philoxSeed); every training call draws the next
   * offset. Without it the generator starts from a random seed.
   */
  seed?: number;
}

function checkRate(rate: unknown): number {
  if (typeof rate !== 'number' || Number.isNaN(rate)) throw new DropoutArgumentError('rate', rate, 'a number in [0, 1]');
  // tfjs-layers clamps the rate and treats 0 and 1 as the identity; so do we.
  return Math.max(Math.min(rate, 1), 0);
}

function checkNoiseShapeArg(noiseShape: unknown): (number | null)[] | undefined {
  if (noiseShape === undefined || noiseShape === null) return undefined;
  if (!Array.isArray(noiseShape) || !noiseShape.every((d) => d === null || (Number.isSafeInteger(d) && d >= 1))) {
    throw new DropoutArgumentError('noiseShape', noiseShape, 'an array of positive integers or null entries');
  }
  return noiseShape as (number | null)[];
}

/**
 * Drop-in for `tf.layers.dropout`: the same arguments (`rate`, `noiseShape`, `seed`), the same
 * training/inference behaviour, serializable (class name 'WebGPUDropout'). Uses the fused kernel
 * on the `webgpu` backend and a portable path elsewhere; each training call draws a fresh
 * (seed, offset) from the layer's `generator`, and its gradient rebuilds the mask from it.
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { layers as wd } from 'webgpu-dropout/tfjs';
 * const model = tf.sequential({ layers: [
 *   tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
 *   wd.dropout({ rate: 0.2 }),               // was tf.layers.dropout({ rate: 0.2 })
 *   tf.layers.dense({ units: 10, activation: 'softmax' }),
 * ] });
 */
export class Dropout extends layers.Layer {
  /** The name saved models use for this class (tf.serialization). @nocollapse */
  static className = 'WebGPUDropout';
  /** Drop rate, clamped to [0, 1] like tfjs-layers'; 0 and 1 make the layer the identity. */
  readonly rate: number;
  /** The mask shape given to the constructor (null entries take the input's size), if any. */
  readonly noiseShape: (number | null)[] | undefined;
  /** The seed given to the constructor, if any (saved in the config). */
  readonly seed: number | undefined;
  /** Where training calls draw their (seed, offset); getState/setState replay a step's masks. */
  readonly generator: PhiloxGenerator;

  constructor(args: DropoutLayerArgs) {
    if (typeof args !== 'object' || args === null) throw new DropoutArgumentError('args', args, 'an object { rate, noiseShape?, seed? }');
    super(args);
    this.rate = checkRate(args.rate);
    this.noiseShape = checkNoiseShapeArg(args.noiseShape);
    this.seed = args.seed ?? undefined;
    this.generator = new PhiloxGenerator(this.seed === undefined ? randomSeed() : philoxSeed(this.seed));
    this.supportsMasking = true;
  }

  /** The mask shape for this input (null entries filled in), or undefined for element-wise dropout. */
  protected getNoiseShape(input: tf.Tensor): (number | null)[] | undefined {
    if (this.noiseShape === undefined) return undefined;
    return this.noiseShape.map((d, i) => (d === null ? input.shape[i]! : d));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const input = Array.isArray(inputs) ? exactlyOne(inputs) : inputs;
      if (!(this.rate > 0 && this.rate < 1) || kwargs['training'] !== true) return inputs;
      const noise = this.getNoiseShape(input);
      const plan = planFor(input.shape, this.rate, noise === undefined ? null : resolve(input.shape, noise));
      if (plan.n === 0) return input.clone();
      return dropoutWithKey(input, plan, this.generator.next());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { rate: this.rate, noiseShape: this.noiseShape ?? null, seed: this.seed ?? null };
    Object.assign(config, super.getConfig());
    return config;
  }
}

function exactlyOne(inputs: tf.Tensor[]): tf.Tensor {
  if (inputs.length !== 1) throw new DropoutArgumentError('inputs', inputs, 'exactly one tensor', `got ${inputs.length}`);
  return inputs[0]!;
}

function resolve(shape: readonly number[], noise: (number | null)[]): number[] {
  if (noise.length !== shape.length) throw new DropoutArgumentError('noiseShape', noise, `an array of rank ${shape.length}, the input's`);
  return noise.map((d, i) => {
    const size = shape[i]!;
    if (d !== null && d !== 1 && d !== size) throw new DropoutArgumentError(`noiseShape[${i}]`, d, `1, null or ${size} (the input's size)`);
    return d ?? size;
  });
}

/**
 * Drop-in for `tf.layers.spatialDropout1d`: for (batch, timesteps, channels) inputs, drops whole
 * channels (the mask is shared along the time axis). Class name 'WebGPUSpatialDropout1D'.
 * @example
 * model.add(new SpatialDropout1D({ rate: 0.2 }));   // was tf.layers.spatialDropout1d({ rate: 0.2 })
 */
export class SpatialDropout1D extends Dropout {
  /** The name saved models use for this class (tf.serialization). @nocollapse */
  static override className = 'WebGPUSpatialDropout1D';
  constructor(args: Omit<DropoutLayerArgs, 'noiseShape'>) {
    super(args);
    this.inputSpec = [{ ndim: 3 }];
  }
  protected override getNoiseShape(input: tf.Tensor): number[] {
    const [n, , c] = input.shape;
    return [n!, 1, c!];
  }
}

/**
 * Arguments of {@link SpatialDropout2D}.
 * @example
 * model.add(layers.spatialDropout2d({ rate: 0.2, dataFormat: 'channelsFirst' }));
 */
export interface SpatialDropout2DArgs extends Omit<DropoutLayerArgs, 'noiseShape'> {
  /** 'channelsLast' (default, (batch, rows, cols, channels), TensorFlow.js's layout) or 'channelsFirst'. */
  dataFormat?: 'channelsFirst' | 'channelsLast';
}

/**
 * Keras's SpatialDropout2D: for 4-D inputs, drops whole feature maps (one mask value per sample
 * and channel). Channels last by default, like tfjs's conv layers; `dataFormat: 'channelsFirst'`
 * for (batch, channels, rows, cols). Class name 'WebGPUSpatialDropout2D'.
 * @example
 * model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, inputShape: [28, 28, 1] }));
 * model.add(new SpatialDropout2D({ rate: 0.1 }));
 */
export class SpatialDropout2D extends Dropout {
  /** The name saved models use for this class (tf.serialization). @nocollapse */
  static override className = 'WebGPUSpatialDropout2D';
  /** Where the channel dimension is: last (batch, rows, cols, channels) or first (batch, channels, rows, cols). */
  readonly dataFormat: 'channelsFirst' | 'channelsLast';
  constructor(args: SpatialDropout2DArgs) {
    super(args);
    const format = args.dataFormat ?? 'channelsLast';
    if (format !== 'channelsFirst' && format !== 'channelsLast') throw new DropoutArgumentError('dataFormat', args.dataFormat, "'channelsLast' or 'channelsFirst'");
    this.dataFormat = format;
    this.inputSpec = [{ ndim: 4 }];
  }
  protected override getNoiseShape(input: tf.Tensor): number[] {
    const [n, first, , last] = input.shape as [number, number, number, number];
    return this.dataFormat === 'channelsLast' ? [n, 1, 1, last] : [n, first, 1, 1];
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}

const CLASSES = [Dropout, SpatialDropout1D, SpatialDropout2D];

/**
 * Registers the layer classes with tf.serialization, so tf.loadLayersModel can rebuild models
 * that use them. Importing 'webgpu-dropout/tfjs' already does this; call it explicitly where a
 * bundler might drop an import that is only there for its side effect.
 * @example
 * registerLayers();
 * const model = await tf.loadLayersModel('indexeddb://my-model');
 */
export function registerLayers(): void {
  for (const cls of CLASSES) tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}
registerLayers();

/**
 * Layer factories named like `tf.layers.*`: swap `tf.layers.dropout(...)` for `layers.dropout(...)`.
 * @example
 * import { layers } from 'webgpu-dropout/tfjs';
 * model.add(layers.dropout({ rate: 0.5 }));
 * model.add(layers.spatialDropout1d({ rate: 0.2 }));
 * model.add(layers.spatialDropout2d({ rate: 0.2, dataFormat: 'channelsFirst' }));
 */
export const dropoutLayers = {
  /** A {@link Dropout} layer, like `tf.layers.dropout(args)`. */
  dropout: (args: DropoutLayerArgs): Dropout => new Dropout(args),
  /** A {@link SpatialDropout1D} layer, like `tf.layers.spatialDropout1d(args)`. */
  spatialDropout1d: (args: Omit<DropoutLayerArgs, 'noiseShape'>): SpatialDropout1D => new SpatialDropout1D(args),
  /** A {@link SpatialDropout2D} layer (Keras's SpatialDropout2D). */
  spatialDropout2d: (args: SpatialDropout2DArgs): SpatialDropout2D => new SpatialDropout2D(args),
};
