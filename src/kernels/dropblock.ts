// DropBlock on the GPU (shaders/dropblock.wgsl): seed draw (dropout.wgsl, mask-only) → block
// mask + kept count → apply with the scale the count gives. All in one submit or encoder.
import dropblockSource from '../../shaders/dropblock.wgsl?raw';
import { type DropBlockGeometry } from '../cpu/dropblock.js';
import { type BufferRange } from '../gpu/buffers.js';
import { ensureBuffer, limitsOf, type DeviceState } from '../gpu/device-state.js';
import { dispatchGrid } from '../gpu/geometry.js';
import { getPipeline, layoutFor, type LayoutSpec } from '../gpu/pipeline-cache.js';
import { uniformSlot, uniformsFor, type Recorder } from '../gpu/submit.js';
import { ioSource, type WorkgroupSize } from './dropout-family.js';
import { elementwiseLayout, prepareElementwise, writeScalars } from './elementwise.js';

/** Mirror of `struct Params` in shaders/dropblock.wgsl. */
export const DROPBLOCK_FIELDS = [
  'n', 'chunk_start', 'depth', 'height', 'width', 'block_depth', 'block_size', 'numel', 'eps',
  'src_shift', 'dst_shift', 'mask_shift', 'groups', 'pad0', 'pad1', 'pad2',
] as const;
const FLOATS = new Set(['numel', 'eps']);
export const DROPBLOCK_PARAMS_BYTES = 4 * DROPBLOCK_FIELDS.length;

const COMPUTE = 0x4;
const uniformEntry: GPUBindGroupLayoutEntry = { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: DROPBLOCK_PARAMS_BYTES } };
const readOnly = (binding: number): GPUBindGroupLayoutEntry => ({ binding, visibility: COMPUTE, buffer: { type: 'read-only-storage' } });
const writable = (binding: number): GPUBindGroupLayoutEntry => ({ binding, visibility: COMPUTE, buffer: { type: 'storage' } });
const MASK_LAYOUT: LayoutSpec = { name: 'dropblock:mask', entries: [uniformEntry, readOnly(3), writable(4), writable(5)] };
const COUNT_LAYOUT: LayoutSpec = { name: 'dropblock:count', entries: [uniformEntry, readOnly(3), writable(5)] };
const APPLY_LAYOUT = elementwiseLayout('dropblock:apply', DROPBLOCK_PARAMS_BYTES, [readOnly(3), readOnly(5)]);

const STORAGE = 0x80;
const COPY_DST = 0x8;

export interface DropBlockJob {
  geometry: DropBlockGeometry;
  src: BufferRange;
  dst: BufferRange;
  /** Block mask: written (when `seeds` is given) or read. */
  mask: BufferRange;
  /** Keep bits of the seed draw (our scratch); absent when `mask` already holds the block mask. */
  seeds: BufferRange | null;
  eps: number;
  workgroupSize: WorkgroupSize;
  operation: string;
}

// The block-mask and count entries use no element access; any io file completes the module.
const code = (): string => `${ioSource('vec4', true, false)}\n${dropblockSource}`;

/** Records the block mask (or its count) and the apply pass; the seed draw is recorded before it. */
export async function prepareDropBlock(state: DeviceState, job: DropBlockJob): Promise<Recorder[]> {
  const g = job.geometry;
  const limits = limitsOf(state);
  const wg = job.workgroupSize;
  const entry = job.seeds ? 'dropblock_mask' : 'dropblock_count';
  const pipeline = await getPipeline(state, {
    key: `dropblock:${entry}:wg${wg}`, moduleKey: 'dropblock:f32', code, entry,
    layout: job.seeds ? MASK_LAYOUT : COUNT_LAYOUT, constants: { WORKGROUP_SIZE: wg },
  });
  const kept = ensureBuffer(state, 'dropblock kept', 16, STORAGE | COPY_DST);
  const align = limits.storageAlign;
  const maskStart = job.mask.byteOffset - (job.mask.byteOffset % align);
  const maskShift = (job.mask.byteOffset - maskStart) / 4;
  const maskResource = { buffer: job.mask.buffer, offset: maskStart, size: job.mask.byteLength + job.mask.byteOffset - maskStart };
  const words = Math.ceil(g.numel / 32);
  const groups = Math.ceil(words / wg);
  const common = {
    depth: g.depth, height: g.height, width: g.width, block_depth: g.blockDepth, block_size: g.blockSize,
    numel: g.numel, eps: job.eps, pad0: 0, pad1: 0, pad2: 0,
  };

  const maskPass: Recorder = (target) => {
    const slot = uniformSlot(state, DROPBLOCK_PARAMS_BYTES);
    const data = new ArrayBuffer(slot);
    writeScalars(new DataView(data), 0, DROPBLOCK_FIELDS, FLOATS, { ...common, n: g.numel, chunk_start: 0, src_shift: 0, dst_shift: 0, mask_shift: maskShift, groups });
    const uniforms = uniformsFor(state, data, target, `${job.operation} block params`);
    target.encoder.clearBuffer(kept, 0, 16);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniforms, offset: 0, size: DROPBLOCK_PARAMS_BYTES } }];
    if (job.seeds) {
      entries.push({ binding: 3, resource: { buffer: job.seeds.buffer, offset: 0, size: Math.max(16, job.seeds.byteLength + 4) } });
      entries.push({ binding: 4, resource: maskResource });
    } else {
      entries.push({ binding: 3, resource: maskResource });
    }
    entries.push({ binding: 5, resource: { buffer: kept, offset: 0, size: 4 } });
    const pass = target.encoder.beginComputePass({ label: `${job.operation} ${entry}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, state.device.createBindGroup({ label: job.operation, layout: layoutFor(state, job.seeds ? MASK_LAYOUT : COUNT_LAYOUT).group, entries }), [0]);
    const [x, y] = dispatchGrid(groups, limits.maxPerDimension);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  };

  const apply = await prepareElementwise(state, {
    family: 'dropblock',
    source: dropblockSource,
    variant: 'apply',
    layout: APPLY_LAYOUT,
    paramsBytes: DROPBLOCK_PARAMS_BYTES,
    writeParams: (view, at, chunk, src, dst, chunkGroups) => writeScalars(view, at, DROPBLOCK_FIELDS, FLOATS, {
      ...common, n: chunk.count, chunk_start: chunk.start, src_shift: src.shift, dst_shift: dst.shift, mask_shift: maskShift, groups: chunkGroups,
    }),
    extraBindings: [
      { binding: 3, resource: maskResource },
      { binding: 5, resource: { buffer: kept, offset: 0, size: 4 } },
    ],
    src: job.src, dst: job.dst, n: g.numel, workgroupSize: wg, operation: job.operation,
  });
  return [maskPass, apply];
}
