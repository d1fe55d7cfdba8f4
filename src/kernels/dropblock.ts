// DropBlock on the GPU (shaders/dropblock.wgsl): seed draw (dropout.wgsl, mask-only) → block
// mask, kept count and scale → apply (dropout.wgsl's masked apply, scale read on the GPU). All in
// one submit or encoder.
import dropblockSource from '../../shaders/dropblock.wgsl?raw';
import { type DropBlockGeometry } from '../spec/dropblock.js';
import { DropoutArgumentError } from '../errors.js';
import { type BufferRange } from '../gpu/buffers.js';
import { ensureBuffer, limitsOf, type DeviceState } from '../gpu/device-state.js';
import { dispatchGrid } from '../gpu/geometry.js';
import { type LayoutSpec, type PipelineSpec } from '../gpu/pipeline-cache.js';
import { type KernelPlan } from '../gpu/execute.js';
import { type WorkgroupSize } from './dropout-family.js';
import { writeScalars } from './elementwise.js';

/** Mirror of `struct Params` in shaders/dropblock.wgsl. */
export const DROPBLOCK_FIELDS = [
  'n', 'depth', 'height', 'width', 'block_depth', 'block_size', 'numel', 'eps',
  'mask_shift', 'groups', 'words', 'row_words', 'planes',
] as const;
const FLOATS = new Set(['numel', 'eps']);
export const DROPBLOCK_PARAMS_BYTES = 4 * DROPBLOCK_FIELDS.length;

const COMPUTE = 0x4;
const uniformEntry: GPUBindGroupLayoutEntry = { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: DROPBLOCK_PARAMS_BYTES } };
const readOnly = (binding: number): GPUBindGroupLayoutEntry => ({ binding, visibility: COMPUTE, buffer: { type: 'read-only-storage' } });
const writable = (binding: number): GPUBindGroupLayoutEntry => ({ binding, visibility: COMPUTE, buffer: { type: 'storage' } });
const MASK_LAYOUT: LayoutSpec = { name: 'dropblock:mask', entries: [uniformEntry, readOnly(3), writable(4), writable(5)] };
const COUNT_LAYOUT: LayoutSpec = { name: 'dropblock:count', entries: [uniformEntry, readOnly(3), writable(5)] };

const STORAGE = 0x80;
const COPY_DST = 0x8;

export interface DropBlockJob {
  geometry: DropBlockGeometry;
  /** Block mask: written (when `seeds` is given) or read. */
  mask: BufferRange;
  /** Keep bits of the seed draw (our scratch); absent when `mask` already holds the block mask. */
  seeds: BufferRange | null;
  eps: number;
  workgroupSize: WorkgroupSize;
  operation: string;
}

const code = (): string => dropblockSource;

/**
 * Records the block mask (or, from a saved mask, its count) and the scale: rows → cols [→ pack
 * when W is not a multiple of 32] → finish, or count → finish. The seed draw is recorded before
 * it; the apply after it, as dropout's masked apply reading the scale from `scale` (f32 word 1).
 */
export function planDropBlock(state: DeviceState, job: DropBlockJob): { plan: KernelPlan; scale: GPUBuffer } {
  const g = job.geometry;
  const limits = limitsOf(state);
  const wg = job.workgroupSize;
  const [, sd, sh] = g.seedShape as [number, number, number, number];
  const rowWords = Math.ceil(g.width / 32);
  const aligned = g.width % 32 === 0;
  type Entry = 'dropblock_rows' | 'dropblock_cols' | 'dropblock_pack' | 'dropblock_count' | 'dropblock_finish';
  const layoutOf = (entry: Entry): LayoutSpec => (entry === 'dropblock_count' || entry === 'dropblock_finish' ? COUNT_LAYOUT : MASK_LAYOUT);
  const pipelineFor = (entry: Entry): PipelineSpec => ({
    key: `dropblock:${entry}:wg${wg}`, moduleKey: 'dropblock:f32', code, entry,
    layout: layoutOf(entry), constants: entry === 'dropblock_finish' ? {} : { WORKGROUP_SIZE: wg },
  });
  const kept = ensureBuffer(state, 'dropblock kept', 16, STORAGE | COPY_DST);
  const align = limits.storageAlign;
  const maskStart = job.mask.byteOffset - (job.mask.byteOffset % align);
  const maskShift = (job.mask.byteOffset - maskStart) / 4;
  const maskResource = { buffer: job.mask.buffer, offset: maskStart, size: job.mask.byteLength + job.mask.byteOffset - maskStart };
  const common = {
    depth: g.depth, height: g.height, width: g.width, block_depth: g.blockDepth, block_size: g.blockSize,
    numel: g.numel, eps: job.eps, row_words: rowWords, planes: g.planes,
  };
  // Scratch: the widened seed rows, and the padded block-mask rows when they need packing; one
  // spare word each, read (and masked off) by the shader's two-word windows.
  const rowsWords = g.planes * sd * sh * rowWords;
  const paddedWords = g.planes * g.depth * g.height * rowWords;
  // The mask passes bind whole bit maps (1 bit per element; not chunked like the apply): refuse up
  // front what one binding of the device cannot hold, rather than let WebGPU reject the dispatch.
  const bindingLimit = state.device.limits.maxStorageBufferBindingSize;
  const largest = 4 * Math.max(rowsWords, aligned ? 0 : paddedWords, Math.ceil(g.numel / 32), job.seeds ? Math.ceil(job.seeds.byteLength / 4) : 0) + limits.storageAlign;
  if (largest > bindingLimit) {
    throw new DropoutArgumentError('shape', [g.planes, g.depth, g.height, g.width], `a map whose DropBlock bit masks fit one storage binding (maxStorageBufferBindingSize = ${bindingLimit} bytes)`, `the largest needs ${largest}`);
  }
  const groupsOf = (step: { entry: Entry; words: number }): number => (step.entry === 'dropblock_finish' ? 1 : Math.ceil(step.words / wg));
  const scratch = (name: string, words: number): GPUBufferBinding => ({ buffer: ensureBuffer(state, name, 4 * words + 16, STORAGE), offset: 0, size: 4 * words + 4 });
  const steps: { entry: Entry; words: number; maskShift: number; input: GPUBufferBinding; output: GPUBufferBinding | null }[] = [];
  if (job.seeds) {
    const seeds = { buffer: job.seeds.buffer, offset: 0, size: Math.max(16, job.seeds.byteLength + 4) };
    const rows = scratch('dropblock rows', rowsWords);
    steps.push({ entry: 'dropblock_rows', words: rowsWords, maskShift: 0, input: seeds, output: rows });
    if (aligned) {
      steps.push({ entry: 'dropblock_cols', words: paddedWords, maskShift, input: rows, output: maskResource });
    } else {
      const padded = scratch('dropblock padded rows', paddedWords);
      steps.push({ entry: 'dropblock_cols', words: paddedWords, maskShift: 0, input: rows, output: padded });
      steps.push({ entry: 'dropblock_pack', words: Math.ceil(g.numel / 32), maskShift, input: padded, output: maskResource });
    }
  } else {
    steps.push({ entry: 'dropblock_count', words: Math.ceil(g.numel / 32), maskShift, input: maskResource, output: null });
  }
  steps.push({ entry: 'dropblock_finish', words: 1, maskShift, input: maskResource, output: null });
  const plan: KernelPlan = {
    pipelines: steps.map((step) => pipelineFor(step.entry)),
    uniformBytes: DROPBLOCK_PARAMS_BYTES,
    // The block passes read the seeds drawn before them: the key is the seed draw's (planJob).
    keyless: true,
    slots: steps.length,
    writeUniforms: (view, at) => steps.forEach((step, i) => writeScalars(view, at(i), DROPBLOCK_FIELDS, FLOATS, {
      ...common, n: g.numel, mask_shift: step.maskShift, groups: groupsOf(step), words: step.words,
    })),
    dispatches: steps.length,
    record: (r) => {
      r.encoder.clearBuffer(kept, 0, 16);
      const pass = r.pass();
      steps.forEach((step, i) => {
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: r.uniforms },
          { binding: 3, resource: step.input },
          ...(step.output ? [{ binding: 4, resource: step.output }] : []),
          { binding: 5, resource: { buffer: kept, offset: 0, size: 16 } },
        ];
        pass.setPipeline(r.pipeline(i));
        r.bind(pass, r.bindGroup(layoutOf(step.entry), entries, job.operation), i);
        pass.dispatchWorkgroups(...dispatchGrid(groupsOf(step), limits.maxPerDimension));
      });
      pass.end();
    },
  };
  return { plan, scale: kept };
}
