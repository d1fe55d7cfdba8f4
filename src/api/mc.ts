import { checkSamples } from '../spec/mc.js';
import { DropoutArgumentError } from '../errors.js';
import { type BufferArg } from '../gpu/buffers.js';
import { deviceState } from '../gpu/device-state.js';
import { run } from '../gpu/execute.js';
import { type WorkgroupSize } from '../kernels/dropout-family.js';
import { planMc } from '../kernels/mc.js';
import { type PlannedCall } from './functional.js';
import { checkCount } from '../rng/mask.js';
import { checkMcTraining, checkOptions, OPTIONS } from '../spec/options.js';
import { toU64 } from '../rng/seed.js';
import { dropRate } from '../rng/threshold.js';
import { checkDistinct, checkDtype, checkEncoder, checkWorkgroupSize, tensorRange, type DType } from './validate.js';
import { planRepeatable } from './repeat.js';

/** Options of {@link mcDropout}. */
export interface McDropoutOptions {
  /** Input: n f32 values. */
  x: BufferArg;
  /** Number of elements, an integer in [0, 2^36]. */
  n: number;
  /** Drop probability in [0, 1]. */
  p: number;
  /** Monte Carlo dropout always samples: true or undefined (false is refused with a typed error). */
  training?: boolean;
  /** K, the number of stochastic passes, an integer in [1, 65535]. */
  samples: number;
  /** 64-bit seed. */
  seed: bigint | number;
  /** Offset of sample 0; sample s uses offset + s (so it equals dropout() at that offset). */
  offset: bigint | number;
  /** All K outputs, sample-major: K · n f32 values. */
  out?: BufferArg;
  /** Per-element mean over the samples: n f32 values. */
  mean?: BufferArg;
  /** Per-element variance over the samples: n f32 values. */
  variance?: BufferArg;
  /** Unbiased variance (divide by K - 1) instead of the population one (K); default false. */
  unbiased?: boolean;
  /** Encode into this encoder instead of submitting. */
  encoder?: GPUCommandEncoder;
  /** Invocations per workgroup: 64 (default), 128 or 256. Never changes the result. */
  workgroupSize?: WorkgroupSize;
  /**
   * 'f32' (default) or 'f16' for every tensor (needs 'shader-f16'; byteOffsets a multiple of 8 with
   * room to the next multiple of 4 values); arithmetic is f32, the masks those of f32.
   */
  dtype?: DType;
}

/**
 * Monte Carlo dropout: K stochastic forward passes of one input in one dispatch (masks at offsets
 * offset … offset + K - 1), returning the K outputs and/or their per-element mean and variance,
 * computed on the GPU in the same pass (exactly: a sample is either f32(x · scale) or 0). Sample s
 * is bit-identical to `dropout()` at offset + s. Every buffer must fit one storage binding, and no
 * output may share a buffer with x or another output (it never runs in place).
 * @example
 * await mcDropout(device, { x, n, p: 0.1, samples: 30, seed: 1n, offset: 0n, mean, variance });
 */
export function mcDropout(device: GPUDevice, options: McDropoutOptions): Promise<void> {
  return run(() => planMcDropout(device, options));
}

/** Plans a {@link mcDropout} call without running it. */
export function planMcDropout(device: GPUDevice, options: McDropoutOptions): PlannedCall | null {
  const operation = 'mcDropout';
  return planRepeatable(device, operation, options, () => planMcAfresh(device, options, operation));
}

function planMcAfresh(device: GPUDevice, options: McDropoutOptions, operation: string): PlannedCall | null {
  checkOptions(options, operation, OPTIONS.mcDropout);
  checkMcTraining(options.training);
  const state = deviceState(device);
  const dtype = checkDtype(options.dtype, device, operation);
  const n = checkCount('n', options.n);
  const rate = dropRate(options.p);
  const unbiased = options.unbiased ?? false;
  if (typeof unbiased !== 'boolean') throw new DropoutArgumentError('unbiased', unbiased, 'true or false');
  const samples = checkSamples(options.samples, unbiased);
  const seed = toU64('seed', options.seed);
  const offset = toU64('offset', options.offset);
  const encoder = checkEncoder(options.encoder);
  const workgroupSize = checkWorkgroupSize(options.workgroupSize) ?? 64;
  if (options.out === undefined && options.mean === undefined && options.variance === undefined) {
    throw new DropoutArgumentError('out', undefined, 'at least one of out, mean or variance');
  }
  if (n * samples >= 2 ** 32) throw new DropoutArgumentError('samples', samples, `at most (2^32 - 1) / n = ${Math.floor((2 ** 32 - 1) / Math.max(1, n))} for n = ${n}`);
  const x = tensorRange('x', options.x, n, dtype);
  const out = options.out === undefined ? null : tensorRange('out', options.out, n * samples, dtype);
  const mean = options.mean === undefined ? null : tensorRange('mean', options.mean, n, dtype);
  const variance = options.variance === undefined ? null : tensorRange('variance', options.variance, n, dtype);
  checkDistinct([x, out, mean, variance], null);
  if (n === 0) return null;
  return { state, operation, encoder, plans: [planMc(state, { x, out, mean, variance, n, samples, unbiased, rate, seed, offset, f16: dtype === 'f16', workgroupSize, operation })] };
}
