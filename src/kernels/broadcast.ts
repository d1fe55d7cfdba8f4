// Applies a mask drawn over a noise shape to the full tensor (shaders/broadcast.wgsl).
import broadcastSource from '../../shaders/broadcast.wgsl?raw';
import ioVec4Source from '../../shaders/io-vec4.wgsl?raw';
import ioScalarSource from '../../shaders/io-scalar.wgsl?raw';
import { type BufferRange } from '../gpu/buffers.js';
import { chunkElements, elementBinding, planChunks, vec4Ready, type Binding } from '../gpu/chunks.js';
import { limitsOf, type DeviceState } from '../gpu/device-state.js';
import { dispatchGrid } from '../gpu/geometry.js';
import { getPipeline, layoutFor, type LayoutSpec, type PipelineSpec } from '../gpu/pipeline-cache.js';
import { specialize } from '../gpu/specialize.js';
import { uniformSlot, uniformsFor, type Recorder } from '../gpu/submit.js';
import { type Collapsed } from '../shape.js';
import { type WorkgroupSize } from './dropout-family.js';

/** Mirror of `struct Params` in shaders/broadcast.wgsl: scalars, then two vec4<u32>[2] arrays. */
export const BROADCAST_FIELDS = [
  'n', 'chunk_start', 'rank', 'scale', 'bias', 'dropped', 'src_shift', 'dst_shift', 'mask_shift', 'groups', 'pad0', 'pad1',
] as const;
const FLOATS = new Set(['scale', 'bias', 'dropped']);
const SIZES_AT = 4 * BROADCAST_FIELDS.length;
export const BROADCAST_PARAMS_BYTES = SIZES_AT + 64;

const COMPUTE = 0x4;
const LAYOUT: LayoutSpec = {
  name: 'broadcast',
  entries: [
    { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: BROADCAST_PARAMS_BYTES } },
    { binding: 1, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
    { binding: 2, visibility: COMPUTE, buffer: { type: 'storage' } },
    { binding: 3, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
  ],
};

export interface BroadcastJob {
  src: BufferRange;
  dst: BufferRange;
  /** The packed mask over the mask space, ceil(maskSize / 32) words. */
  mask: BufferRange;
  n: number;
  collapsed: Collapsed;
  scale: number;
  affine?: { bias: number; dropped: number } | undefined;
  workgroupSize: WorkgroupSize;
  operation: string;
}

type Entry = 'broadcast_apply' | 'broadcast_apply_tail';

function pipelineSpec(entry: Entry, io: 'vec4' | 'scalar', shift: boolean, affine: boolean, inner4: boolean, workgroupSize: WorkgroupSize): PipelineSpec {
  const ioName = io === 'vec4' && shift ? 'vec4+shift' : io;
  const moduleKey = `broadcast:f32:io=${ioName}:out=${affine ? 'affine' : 'scale'}:${inner4 ? 'inner4' : 'general'}`;
  return {
    key: `${moduleKey}:${entry}:wg${workgroupSize}`,
    moduleKey,
    code: () => {
      const ioCode = io === 'vec4' ? specialize(ioVec4Source, { SHIFT: shift }, 'io-vec4.wgsl') : ioScalarSource;
      return `${ioCode}\n${specialize(broadcastSource, { AFFINE: affine, INNER4: inner4 }, 'broadcast.wgsl')}`;
    },
    entry,
    layout: LAYOUT,
    constants: entry === 'broadcast_apply' ? { WORKGROUP_SIZE: workgroupSize } : {},
  };
}

function writeParams(view: DataView, at: number, values: Record<(typeof BROADCAST_FIELDS)[number], number>, collapsed: Collapsed): void {
  BROADCAST_FIELDS.forEach((name, i) => {
    if (FLOATS.has(name)) view.setFloat32(at + 4 * i, values[name], true);
    else view.setUint32(at + 4 * i, values[name] >>> 0, true);
  });
  collapsed.sizes.forEach((size, i) => view.setUint32(at + SIZES_AT + 4 * i, size, true));
  collapsed.strides.forEach((stride, i) => view.setUint32(at + SIZES_AT + 32 + 4 * i, stride, true));
}

export async function prepareBroadcast(state: DeviceState, job: BroadcastJob): Promise<Recorder> {
  const device = state.device;
  const limits = limitsOf(state);
  const vec4 = vec4Ready(job.src, job.n) && vec4Ready(job.dst, job.n);
  const chunks = planChunks(job.n, chunkElements(limits.maxBindingBytes, limits.storageAlign));
  const work = chunks.map((chunk) => ({
    chunk,
    src: elementBinding(job.src, chunk, limits.storageAlign, vec4),
    dst: elementBinding(job.dst, chunk, limits.storageAlign, vec4),
    groups: Math.ceil(Math.floor(chunk.count / 4) / job.workgroupSize),
  }));
  const shift = work.some((w) => w.src.shift !== 0 || w.dst.shift !== 0);
  const inner4 = (job.collapsed.sizes[0] ?? 1) % 4 === 0;
  const affine = job.affine !== undefined;
  const spec = (entry: Entry): PipelineSpec => pipelineSpec(entry, vec4 ? 'vec4' : 'scalar', shift, affine, inner4, job.workgroupSize);
  const [main, tail] = await Promise.all([getPipeline(state, spec('broadcast_apply')), getPipeline(state, spec('broadcast_apply_tail'))]);
  const maskWords = Math.ceil(job.collapsed.maskSize / 32);
  const maskStart = job.mask.byteOffset - (job.mask.byteOffset % limits.storageAlign);
  const mask: Binding = { buffer: job.mask.buffer, offset: maskStart, size: job.mask.byteOffset + 4 * maskWords - maskStart, shift: (job.mask.byteOffset - maskStart) / 4 };

  return (target) => {
    const slot = uniformSlot(state, BROADCAST_PARAMS_BYTES);
    const data = new ArrayBuffer(slot * work.length);
    const view = new DataView(data);
    work.forEach((w, i) => writeParams(view, i * slot, {
      n: w.chunk.count, chunk_start: w.chunk.start, rank: job.collapsed.sizes.length,
      scale: job.scale, bias: job.affine?.bias ?? 0, dropped: job.affine?.dropped ?? 0,
      src_shift: w.src.shift, dst_shift: w.dst.shift, mask_shift: mask.shift, groups: w.groups, pad0: 0, pad1: 0,
    }, job.collapsed));
    const uniforms = uniformsFor(state, data, target, `${job.operation} params`);
    const layout = layoutFor(state, LAYOUT).group;
    work.forEach((w, i) => {
      const bindGroup = device.createBindGroup({
        label: job.operation,
        layout,
        entries: [
          { binding: 0, resource: { buffer: uniforms, offset: 0, size: BROADCAST_PARAMS_BYTES } },
          { binding: 1, resource: w.src },
          { binding: 2, resource: w.dst },
          { binding: 3, resource: mask },
        ],
      });
      const pass = target.encoder.beginComputePass({ label: job.operation });
      pass.setBindGroup(0, bindGroup, [i * slot]);
      if (w.groups > 0) {
        pass.setPipeline(main);
        const [x, y] = dispatchGrid(w.groups, limits.maxPerDimension);
        pass.dispatchWorkgroups(x, y);
      }
      if (w.chunk.count % 4 !== 0) {
        pass.setPipeline(tail);
        pass.dispatchWorkgroups(1);
      }
      pass.end();
    });
  };
}
