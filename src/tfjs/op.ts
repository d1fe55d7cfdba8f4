// The TensorFlow.js op: tf.dropout's signature and semantics, our Philox masks, a custom gradient
// that rebuilds the mask from (seed, offset), and two implementations — the fused kernels recorded
// into tfjs-backend-webgpu's own command encoder on its own buffers, or tfjs ops with the mask
// from the CPU reference on any other backend.
import * as tf from '@tensorflow/tfjs-core';
import { DropoutArgumentError } from '../errors.js';
import { deviceState, type DeviceState } from '../gpu/device-state.js';
import { type BufferRange } from '../gpu/buffers.js';
import { PhiloxGenerator } from '../rng/generator.js';
import { keepMask } from '../rng/mask.js';
import { toU64 } from '../rng/seed.js';
import { dropRate, type DropRate } from '../rng/threshold.js';
import { collapse, MAX_RANK, product, type Collapsed } from '../shape.js';
import { allocateOutput, asWebGPUBackend, finishRecording, openEncoder, tensorBuffer, uniformBuffer, type WebGPUBackendInternals } from './backend.js';
import { recordInto, takePipelines, type KernelPlan } from '../gpu/execute.js';
import { plansFor, type Call } from '../api/functional.js';
import { generatorFor, philoxSeed } from './seed.js';

/**
 * Options of {@link dropout} (the third argument, instead of tf.dropout's positional noiseShape and seed).
 * @example
 * dropout(x, 0.3, { noiseShape: [null, 1, null], seed: 42 });  // next draw of seed 42's stream
 * dropout(x, 0.3, { seed: 42, offset: 5 });                      // exactly the draw (42, 5)
 */
export interface DropoutOpOptions {
  /**
   * Shape of the keep/drop mask, broadcast over x like tf.dropout's noiseShape: each dimension 1
   * (one mask value shared along it) or x's size; `null` takes x's size. A shorter shape is
   * aligned to x's last dimensions.
   */
  noiseShape?: readonly (number | null)[] | null;
  /**
   * TensorFlow.js seed (number or string), mapped to the 64-bit Philox key by {@link philoxSeed}.
   * Each call draws the next offset of that seed's generator ({@link generatorFor}).
   */
  seed?: number | string | bigint;
  /** Pins the draw to (philoxSeed(seed ?? 0), offset) instead of the seed's next offset. */
  offset?: number | bigint;
  /** Draw (seed, offset) from this generator instead. */
  generator?: PhiloxGenerator;
}

/** What a draw covers: the tensor shape, and the collapsed noise shape when the mask is shared. */
export interface DropPlan {
  shape: number[];
  n: number;
  /** The mask-space shape (noise shape), or null for element-wise dropout. */
  noiseShape: number[] | null;
  noise: Collapsed | null;
  maskSize: number;
  rate: DropRate;
}

export interface DrawKey {
  seed: bigint;
  offset: bigint;
}

const counters = { gpu: 0, fallback: 0 };
let warnedInternals = false;
let warnedPlan = false;

/**
 * How many draws (forward or backward) ran on tfjs-backend-webgpu's device with the fused
 * kernels, and how many through the portable fallback (tfjs ops with the CPU reference's mask).
 * @example
 * const before = dropoutStats().gpu;
 * dropout(x, 0.5);
 * console.log(dropoutStats().gpu - before); // 1 on the webgpu backend
 */
export function dropoutStats(): {
  /** Draws recorded as fused kernels into tfjs-backend-webgpu's encoder. */
  gpu: number;
  /** Draws computed with tfjs ops and the CPU reference's mask. */
  fallback: number;
} {
  return { ...counters };
}

/** tf.dropout's noise-shape rules, checked: same rank (nulls → x's sizes) or aligned right, each 1 or x's size. */
export function resolveNoiseShape(shape: readonly number[], noiseShape: unknown): number[] | null {
  if (noiseShape === undefined || noiseShape === null) return null;
  if (!Array.isArray(noiseShape) || noiseShape.length > shape.length) {
    throw new DropoutArgumentError('noiseShape', noiseShape, `an array of at most ${shape.length} dimension sizes (x has shape [${shape.join(', ')}]), or null`);
  }
  const pad = shape.length - noiseShape.length;
  return shape.map((size, d) => {
    if (d < pad) return 1;
    const value: unknown = noiseShape[d - pad];
    if (value === null || value === undefined) return size;
    if (value !== 1 && value !== size) {
      throw new DropoutArgumentError(`noiseShape[${d - pad}]`, value, `1, null or ${size} (x's size in that dimension)`, `x has shape [${shape.join(', ')}]`);
    }
    return value;
  });
}

export function planFor(shape: readonly number[], rate: number, noiseShape: number[] | null): DropPlan {
  const n = product(shape);
  const dropped = dropRate(rate, 'rate');
  if (noiseShape === null || noiseShape.every((d, i) => d === shape[i])) {
    return { shape: [...shape], n, noiseShape: null, noise: null, maskSize: n, rate: dropped };
  }
  const noise = collapse(shape, noiseShape);
  if (noise.sizes.every((_, i) => noise.strides[i] !== 0)) return { shape: [...shape], n, noiseShape: null, noise: null, maskSize: n, rate: dropped };
  return { shape: [...shape], n, noiseShape, noise, maskSize: noise.maskSize, rate: dropped };
}

function rangeOf(buffer: GPUBuffer, n: number, name: string): BufferRange {
  return { buffer, byteOffset: 0, byteLength: 4 * n, name };
}

/**
 * The fused kernels on tfjs's device: reads t's buffer, writes a pooled buffer tfjs owns. Null if
 * t is not on it, or if the kernels could not be prepared (reported once; the caller falls back).
 */
function applyOnGPU(backend: WebGPUBackendInternals, t: tf.Tensor, plan: DropPlan, key: DrawKey, label: string): tf.Tensor | null {
  // The broadcast kernel's uniforms hold MAX_RANK collapsed dimensions; a noise shape that does not
  // collapse that far (alternating shared and drawn dimensions, rank >= 9) takes the portable path.
  if (plan.noise && plan.noise.sizes.length > MAX_RANK) return null;
  const input = tensorBuffer(backend, t);
  if (!input) return null;
  const state = deviceState(backend.device);
  const { info, buffer } = allocateOutput(backend, plan.shape);
  let plans: KernelPlan[];
  let pipelines: GPUComputePipeline[][];
  try {
    // Everything that can throw (planning, shader specialization, pipeline creation) happens
    // here, before anything is recorded into tfjs's encoder.
    plans = plansFor(callOf(state, plan, key, label), 'forward', rangeOf(input, plan.n, 'x'), rangeOf(buffer, plan.n, 'y'), null);
    pipelines = takePipelines(state, plans);
  } catch (error) {
    backend.disposeData(info.dataId);
    if (!warnedPlan) {
      warnedPlan = true;
      console.warn(`webgpu-dropout/tfjs: the fused kernels could not be prepared (${error instanceof Error ? error.message : String(error)}); using the portable path`);
    }
    return null;
  }
  const dispatches = recordInto(state, { encoder: openEncoder(backend), uniforms: (data) => uniformBuffer(backend, data) }, plans, pipelines);
  finishRecording(backend, [t.dataId, info.dataId], dispatches);
  counters.gpu++;
  return tf.engine().makeTensorFromTensorInfo(info, backend as unknown as tf.KernelBackend);
}

/**
 * The draw as a call of the core API's element-wise or noise-shape path: inverted dropout in
 * training mode. The forward and the rebuilt backward are the same draw (dx = keep ? dy · scale : 0).
 */
function callOf(state: DeviceState, plan: DropPlan, key: DrawKey, label: string): Call {
  return {
    state, n: plan.n, noise: plan.noise, maskSize: plan.maskSize, rate: plan.rate, mode: 'inverted', training: true,
    seed: key.seed, offset: key.offset, encoder: undefined, workgroupSize: undefined, dtype: 'f32', operation: label,
  };
}

/** Keep flags over the mask space (1 = kept), from the CPU reference. */
function keepFlags(plan: DropPlan, key: DrawKey): Uint8Array {
  const bits = keepMask(key, plan.rate.p, plan.maskSize);
  const flags = new Uint8Array(plan.maskSize);
  for (let m = 0; m < plan.maskSize; m++) flags[m] = (bits[m >>> 5]! >>> (m & 31)) & 1;
  return flags;
}

/** The flags of every element (mask-space index from the collapsed sizes and strides, innermost first). */
function expandFlags(flags: Uint8Array, plan: DropPlan, noise: Collapsed): Uint8Array {
  const out = new Uint8Array(plan.n);
  for (let e = 0; e < plan.n; e++) {
    let rest = e;
    let m = 0;
    noise.sizes.forEach((size, d) => {
      m += (rest % size) * noise.strides[d]!;
      rest = Math.floor(rest / size);
    });
    out[e] = flags[m]!;
  }
  return out;
}

/**
 * Any backend: y = keep ? f32(x · scale) : +0 with tfjs ops. tfjs's where (Select) handles at
 * most rank 4 on webgl and webgpu, so x is viewed in the collapsed form of the noise shape (the
 * mask broadcast over it), or flat with the mask expanded when that form has more than 4 dimensions.
 */
function applyWithOps(t: tf.Tensor, plan: DropPlan, key: DrawKey): tf.Tensor {
  counters.fallback++;
  const flags = keepFlags(plan, key);
  let view: number[] = [plan.n];
  let maskShape: number[] = [plan.n];
  let mask = flags;
  if (plan.noise && plan.noise.sizes.length <= 4) {
    view = [...plan.noise.sizes].reverse();
    maskShape = plan.noise.sizes.map((size, d) => (plan.noise!.strides[d] === 0 ? 1 : size)).reverse();
  } else if (plan.noise) {
    mask = expandFlags(flags, plan, plan.noise);
  }
  return tf.tidy(() => {
    const x = tf.reshape(t, view);
    const y = tf.where(tf.tensor(mask, maskShape, 'bool'), tf.mul(x, tf.scalar(plan.rate.scale, 'float32')), tf.zerosLike(x));
    return tf.reshape(y, plan.shape);
  });
}

function webgpuBackend(): WebGPUBackendInternals | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const backend = asWebGPUBackend(tf.backend());
  if (!backend && !warnedInternals) {
    warnedInternals = true;
    console.warn('webgpu-dropout/tfjs: the webgpu backend does not look like tfjs-backend-webgpu 4.x; using the portable path (tfjs ops)');
  }
  return backend;
}

/** One draw applied to t (forward to x, or backward to dy: the same mask and scale). */
export function applyDraw(t: tf.Tensor, plan: DropPlan, key: DrawKey, label: string): tf.Tensor {
  const backend = webgpuBackend();
  return (backend && applyOnGPU(backend, t, plan, key, label)) ?? applyWithOps(t, plan, key);
}

/** Dropout of x with a fixed draw, differentiable: the gradient rebuilds the same mask from (seed, offset). */
export function dropoutWithKey(x: tf.Tensor, plan: DropPlan, key: DrawKey): tf.Tensor {
  const f = tf.customGrad(((input: tf.Tensor) => ({
    value: applyDraw(input, plan, key, 'webgpu-dropout tfjs forward'),
    gradFunc: (dy: tf.Tensor) => applyDraw(dy, plan, key, 'webgpu-dropout tfjs backward'),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

function checkInput(x: unknown): tf.Tensor {
  const t = x instanceof tf.Tensor ? x : tf.tensor(x as tf.TensorLike);
  if (t.dtype !== 'float32') {
    if (!(x instanceof tf.Tensor)) t.dispose();
    throw new DropoutArgumentError('x.dtype', t.dtype, "'float32' (x is scaled)");
  }
  return t;
}

function drawKey(options: DropoutOpOptions): DrawKey {
  if (options.offset !== undefined) return { seed: philoxSeed(options.seed ?? 0), offset: toU64('offset', options.offset) };
  if (options.generator !== undefined) {
    if (!(options.generator instanceof PhiloxGenerator)) throw new DropoutArgumentError('generator', options.generator, 'a PhiloxGenerator');
    return options.generator.next();
  }
  return generatorFor(options.seed).next();
}

function optionsOf(third: unknown, fourth: unknown): DropoutOpOptions {
  if (third === undefined || third === null || Array.isArray(third)) {
    return { noiseShape: third as DropoutOpOptions['noiseShape'], seed: fourth as DropoutOpOptions['seed'] };
  }
  if (typeof third !== 'object') throw new DropoutArgumentError('noiseShape', third, 'an array, null, or an options object { noiseShape, seed, offset, generator }');
  if (fourth !== undefined) throw new DropoutArgumentError('seed', fourth, 'undefined when an options object is given (put seed in it)');
  return third as DropoutOpOptions;
}

/**
 * Dropout with tf.dropout's semantics: each element of x (or each mask value, with a noise
 * shape) is dropped with probability `rate` and the rest scaled by 1 / (1 - rate); rate 0 returns
 * a copy. Differentiable (tf.grad, model.fit): the gradient rebuilds the mask from the draw's
 * (seed, offset) — no mask tensor is kept.
 *
 * On the `webgpu` backend it runs our fused kernel on TensorFlow.js's own device and buffers; on
 * any other backend, tfjs ops with the mask computed by the CPU reference. Both give the mask of
 * the mask contract (docs/mask-contract.md), and values y = keep ? f32(x · f32(1 / f32(1 - rate))) : +0
 * (tf.dropout's and PyTorch's rounding of the scale).
 *
 * Takes tf.dropout's positional arguments `(x, rate, noiseShape?, seed?)` or an options object.
 * Unlike tf.dropout, where the same seed repeats the same mask, calls with the same seed continue
 * one stream: the k-th draw with seed s uses (philoxSeed(s), k); pass `offset` to pin a draw.
 * @example
 * import * as tf from '@tensorflow/tfjs-core';
 * import { dropout } from 'webgpu-dropout/tfjs';
 * const y = dropout(tf.ones([4, 8]), 0.5);                        // like tf.dropout(x, 0.5)
 * const z = dropout(x, 0.2, [null, 1, null], 42);                 // tf.dropout's positional form
 * const w = dropout(x, 0.2, { seed: 42, offset: 7 });             // one exact draw
 * const dx = tf.grad((v) => dropout(v, 0.5, { seed: 1, offset: 0 }))(x);
 */
export function dropout(
  x: tf.Tensor | tf.TensorLike,
  rate: number,
  noiseShapeOrOptions?: readonly (number | null)[] | null | DropoutOpOptions,
  seed?: number | string,
): tf.Tensor {
  const options = optionsOf(noiseShapeOrOptions, seed);
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new DropoutArgumentError('rate', rate, 'a number in [0, 1)');
  const input = checkInput(x);
  const noiseShape = resolveNoiseShape(input.shape, options.noiseShape);
  if (rate === 0 || input.size === 0) return input === x ? input.clone() : input;
  const plan = planFor(input.shape, rate, noiseShape);
  const key = drawKey(options);
  const y = dropoutWithKey(input, plan, key);
  if (input !== x) input.dispose();
  return y;
}
