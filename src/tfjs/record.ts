// Synchronous preparation of the dropout kernels for TensorFlow.js's command encoder. A tfjs op
// must return its output tensor synchronously and tfjs may record and submit the next kernels
// right after, so our passes have to be in tfjs's encoder before the op returns; the library's
// own entry points await pipeline compilation and error scopes. The kernels themselves are the
// library's (prepareJobSync, prepareBroadcastSync): only pipeline creation is synchronous here.
// The forward and the rebuilt backward of inverted dropout are the same draw
// (dx = keep ? dy · scale : 0), so that is all the tfjs path needs.
import { type BufferRange } from '../gpu/buffers.js';
import { type DeviceState } from '../gpu/device-state.js';
import { type Prepared } from '../gpu/submit.js';
import { prepareBroadcastSync } from '../kernels/broadcast.js';
import { prepareJobSync } from '../kernels/dropout.js';
import { type DropRate } from '../rng/threshold.js';
import { type Collapsed } from '../shape.js';

export interface DrawJob {
  /** Input values, or null for a mask-only draw. */
  src: BufferRange | null;
  /** Output values, or null for a mask-only draw. */
  dst: BufferRange | null;
  /** Packed mask written by a mask-only draw. */
  mask: BufferRange | null;
  n: number;
  rate: DropRate;
  /** Kept values are multiplied by this (f32). */
  scale: number;
  seed: bigint;
  offset: bigint;
  label: string;
}

export interface BroadcastJob {
  src: BufferRange;
  dst: BufferRange;
  /** The packed mask over the mask space. */
  mask: BufferRange;
  n: number;
  collapsed: Collapsed;
  scale: number;
  label: string;
}

/** One draw (element-wise, or the mask of a noise shape), ready to record. */
export function planDraw(state: DeviceState, job: DrawJob): Prepared {
  return prepareJobSync(state, {
    kind: 'draw', src: job.src, dst: job.dst, mask: job.mask, n: job.n, rate: { ...job.rate, scale: job.scale },
    seed: job.seed, offset: job.offset, workgroupSize: 64, encoder: undefined, operation: job.label,
  });
}

/** The noise-shape apply, ready to record. */
export function planBroadcast(state: DeviceState, job: BroadcastJob): Prepared {
  return prepareBroadcastSync(state, {
    src: job.src, dst: job.dst, mask: job.mask, n: job.n, collapsed: job.collapsed, scale: job.scale,
    workgroupSize: 256, operation: job.label,
  });
}
