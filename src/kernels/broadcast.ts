// Applies a mask drawn over a noise shape to the full tensor (shaders/broadcast.wgsl).
import broadcastSource from '../../shaders/broadcast.wgsl?raw';
import { type BufferRange } from '../gpu/buffers.js';
import { limitsOf, type DeviceState } from '../gpu/device-state.js';
import { specialize } from '../gpu/specialize.js';
import { type KernelPlan } from '../gpu/execute.js';
import { DropoutArgumentError } from '../errors.js';
import { MAX_RANK, type Collapsed } from '../shape.js';
import { type WorkgroupSize } from './dropout-family.js';
import { elementwiseLayout, planElementwise, writeScalars, type ElementwiseJob } from './elementwise.js';

/** Mirror of `struct Params` in shaders/broadcast.wgsl: scalars, then two vec4<u32>[2] arrays. */
export const BROADCAST_FIELDS = [
  'n', 'chunk_start', 'rank', 'scale', 'bias', 'dropped', 'src_shift', 'dst_shift', 'mask_shift', 'groups', 'pad0', 'pad1',
] as const;
const FLOATS = new Set(['scale', 'bias', 'dropped']);
const SIZES_AT = 4 * BROADCAST_FIELDS.length;
export const BROADCAST_PARAMS_BYTES = SIZES_AT + 64;

const LAYOUT = elementwiseLayout('broadcast', BROADCAST_PARAMS_BYTES, [
  { binding: 3, visibility: 0x4, buffer: { type: 'read-only-storage' } },
]);

export interface BroadcastJob {
  src: BufferRange;
  dst: BufferRange;
  /** The packed mask over the mask space, ceil(maskSize / 32) words. */
  mask: BufferRange;
  n: number;
  collapsed: Collapsed;
  scale: number;
  affine?: { bias: number; dropped: number } | undefined;
  f16?: boolean | undefined;
  workgroupSize: WorkgroupSize;
  operation: string;
}

/** Plans the noise-shape apply for the shared call path. */
export function planBroadcast(state: DeviceState, job: BroadcastJob): KernelPlan {
  return planElementwise(state, broadcastJob(state, job));
}

function broadcastJob(state: DeviceState, job: BroadcastJob): ElementwiseJob {
  if (job.collapsed.sizes.length > MAX_RANK) {
    throw new DropoutArgumentError('noiseShape', job.collapsed.sizes, `a noise shape that collapses to at most ${MAX_RANK} alternating shared / drawn dimension groups`);
  }
  const align = limitsOf(state).storageAlign;
  const maskStart = job.mask.byteOffset - (job.mask.byteOffset % align);
  const maskShift = (job.mask.byteOffset - maskStart) / 4;
  const maskBytes = job.mask.byteOffset + 4 * Math.ceil(job.collapsed.maskSize / 32) - maskStart;
  const affine = job.affine !== undefined;
  // The innermost collapsed dimension is broadcast (stride 0) or the mask's innermost (stride 1).
  const inner4 = (job.collapsed.sizes[0] ?? 1) % 4 === 0 && (job.collapsed.strides[0] === 0 || job.collapsed.strides[0] === 1);
  const innerBroadcast = inner4 && job.collapsed.strides[0] === 0;
  const rank = job.collapsed.sizes.length;
  const ranks = { RANK1: rank === 1, RANK2: rank === 2, RANK3: rank === 3, RANK4: rank === 4 };
  return {
    family: 'broadcast',
    source: specialize(broadcastSource, { AFFINE: affine, INNER4: inner4, INNER_BROADCAST: innerBroadcast, ...ranks }, 'broadcast.wgsl'),
    variant: `out=${affine ? 'affine' : 'scale'}:${innerBroadcast ? 'inner4-broadcast' : inner4 ? 'inner4' : 'general'}:rank${rank <= 4 ? rank : 'N'}`,
    layout: LAYOUT,
    paramsBytes: BROADCAST_PARAMS_BYTES,
    writeParams: (view, at, chunk, src, dst, groups) => {
      writeScalars(view, at, BROADCAST_FIELDS, FLOATS, {
        n: chunk.count, chunk_start: chunk.start, rank: job.collapsed.sizes.length,
        scale: job.scale, bias: job.affine?.bias ?? 0, dropped: job.affine?.dropped ?? 0,
        src_shift: src.shift, dst_shift: dst.shift, mask_shift: maskShift, groups, pad0: 0, pad1: 0,
      });
      job.collapsed.sizes.forEach((size, i) => view.setUint32(at + SIZES_AT + 4 * i, size, true));
      job.collapsed.strides.forEach((stride, i) => view.setUint32(at + SIZES_AT + 32 + 4 * i, stride, true));
    },
    extraBindings: [{ binding: 3, resource: { buffer: job.mask.buffer, offset: maskStart, size: maskBytes } }],
    src: job.src, dst: job.dst, n: job.n, f16: job.f16, workgroupSize: job.workgroupSize, operation: job.operation,
  };
}
