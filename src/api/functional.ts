import { DropoutArgumentError } from '../errors.js';
import { type BufferArg, type BufferRange } from '../gpu/buffers.js';
import { deviceState, type DeviceState } from '../gpu/device-state.js';
import { recordAndSubmit } from '../gpu/submit.js';
import { type WorkgroupSize } from '../kernels/dropout-family.js';
import { runJob, type JobKind } from '../kernels/dropout.js';
import { checkCount } from '../rng/mask.js';
import { toU64 } from '../rng/seed.js';
import { dropRate, type DropRate } from '../rng/threshold.js';
import { COPY_DST, COPY_SRC, checkDistinct, checkEncoder, checkTraining, checkWorkgroupSize, maskRange, tensorRange } from './validate.js';

/** Options shared by {@link dropout} and {@link dropoutBackward}. */
export interface DropoutCallOptions {
  /** Number of f32 elements, an integer in [0, 2^36]. */
  n: number;
  /** Drop probability in [0, 1]. */
  p: number;
  /** Training mode. In eval mode (false) the output is a copy of the input, like PyTorch. */
  training: boolean;
  /** 64-bit Philox key, integer in [0, 2^64 - 1]. */
  seed: bigint | number;
  /** 64-bit stream position of this draw, integer in [0, 2^64 - 1]; use a new one for every draw. */
  offset: bigint | number;
  /** Encode into this encoder instead of submitting (no extra submit; you submit it). */
  encoder?: GPUCommandEncoder;
  /** Invocations per workgroup: 64 (default), 128 or 256. Never changes the result. */
  workgroupSize?: WorkgroupSize;
}

export interface DropoutOptions extends DropoutCallOptions {
  /** Input: n f32 values (STORAGE usage). */
  x: BufferArg;
  /** Output: n f32 values (STORAGE usage); a different buffer from x. */
  y: BufferArg;
  /** If given, also write the packed keep mask: ceil(n / 32) u32 words, bit e & 31 of word e >> 5. */
  mask?: BufferArg;
}

export interface DropoutBackwardOptions extends DropoutCallOptions {
  /** Gradient of the output: n f32 values. */
  dy: BufferArg;
  /** Gradient of the input, written: n f32 values. */
  dx: BufferArg;
  /** A packed mask written by the forward call; without it the mask is rebuilt from (seed, offset). */
  mask?: BufferArg;
}

interface Common {
  state: DeviceState;
  n: number;
  rate: DropRate;
  training: boolean;
  seed: bigint;
  offset: bigint;
  encoder: GPUCommandEncoder | undefined;
  workgroupSize: WorkgroupSize;
}

function common(device: GPUDevice, options: DropoutCallOptions, operation: string): Common {
  if (typeof options !== 'object' || options === null) throw new DropoutArgumentError('options', options, `an options object for ${operation}`);
  const state = deviceState(device);
  return {
    state,
    n: checkCount('n', options.n),
    rate: dropRate(options.p),
    training: checkTraining(options.training),
    seed: toU64('seed', options.seed),
    offset: toU64('offset', options.offset),
    encoder: checkEncoder(options.encoder),
    workgroupSize: checkWorkgroupSize(options.workgroupSize),
  };
}

async function copy(c: Common, src: BufferRange, dst: BufferRange, operation: string): Promise<void> {
  if ((src.buffer.usage & COPY_SRC) === 0) throw new DropoutArgumentError(`${src.name}.usage`, src.buffer.usage, 'a usage including COPY_SRC', 'eval mode and p = 0 copy the input');
  if ((dst.buffer.usage & COPY_DST) === 0) throw new DropoutArgumentError(`${dst.name}.usage`, dst.buffer.usage, 'a usage including COPY_DST', 'eval mode and p = 0 copy the input');
  await recordAndSubmit(c.state, operation, c.encoder, (encoder) => {
    encoder.copyBufferToBuffer(src.buffer, src.byteOffset, dst.buffer, dst.byteOffset, src.byteLength);
  });
}

async function run(c: Common, kind: JobKind, src: BufferRange | null, dst: BufferRange | null, mask: BufferRange | null, rate: DropRate, operation: string): Promise<void> {
  await runJob(c.state, {
    kind, src, dst, mask, rate, n: c.n, seed: c.seed, offset: c.offset,
    workgroupSize: c.workgroupSize, encoder: c.encoder, operation,
  });
}

/**
 * Inverted dropout on the GPU: y = keep ? x / (1 - p) : 0, with the keep mask a pure function of
 * (seed, offset, element index, p) — see the README's "Mask contract". In eval mode, and for
 * p = 0, y is a copy of x (no dispatch; needs COPY_SRC on x and COPY_DST on y). For p = 1, y is 0.
 *
 * Resolves once the work is submitted (or encoded) and validated; WebGPU errors are thrown as
 * {@link DropoutGPUError}.
 * @example
 * await dropout(device, { x, y, n: 1024, p: 0.1, training: true, seed: 42n, offset: 0n });
 */
export async function dropout(device: GPUDevice, options: DropoutOptions): Promise<void> {
  const operation = 'dropout';
  const c = common(device, options, operation);
  const x = tensorRange('x', options.x, c.n);
  const y = tensorRange('y', options.y, c.n);
  const mask = maskRange(options.mask, c.n);
  checkDistinct([x, y, mask]);
  if (c.n === 0) return;
  const identity = !c.training || c.rate.keepsAll;
  if (identity) {
    await copy(c, x, y, operation);
    if (mask) await run(c, 'fill-mask', null, null, mask, dropRate(0), operation);
    return;
  }
  await run(c, 'draw', x, y, mask, c.rate, operation);
}

/**
 * Backward of {@link dropout}: dx = keep ? dy / (1 - p) : 0 with the same mask as the forward call
 * that used the same (seed, offset, p, n). Pass `mask` to read the packed mask instead of
 * rebuilding it; both give bit-identical dx.
 * @example
 * await dropoutBackward(device, { dy, dx, n: 1024, p: 0.1, training: true, seed: 42n, offset: 0n });
 */
export async function dropoutBackward(device: GPUDevice, options: DropoutBackwardOptions): Promise<void> {
  const operation = 'dropoutBackward';
  const c = common(device, options, operation);
  const dy = tensorRange('dy', options.dy, c.n);
  const dx = tensorRange('dx', options.dx, c.n);
  const mask = maskRange(options.mask, c.n);
  checkDistinct([dy, dx, mask]);
  if (c.n === 0) return;
  if (!c.training || c.rate.keepsAll) return copy(c, dy, dx, operation);
  if (mask && !c.rate.dropsAll) return run(c, 'apply-mask', dy, dx, mask, c.rate, operation);
  return run(c, 'draw', dy, dx, null, c.rate, operation);
}
