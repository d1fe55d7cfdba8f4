// Synchronous recording of the dropout kernels into an encoder that someone else submits
// (TensorFlow.js's). A tfjs op must return its output tensor synchronously and tfjs may record
// and submit the next kernels right after, so our passes have to be in tfjs's command encoder
// before the op returns; the library's own entry points (src/api) await pipeline compilation and
// error scopes, which would put our passes after work that reads them.
//
// This mirrors the recording half of src/kernels/dropout.ts (prepareJob, kind 'draw') and
// src/kernels/elementwise.ts + broadcast.ts (the noise-shape apply) — same pipeline specs,
// layouts, parameter structs, chunking and dispatches — with pipelines created synchronously and
// uniforms supplied by the caller. The forward and the rebuilt backward of inverted dropout are
// the same draw (dx = keep ? dy · scale : 0), so that is all the tfjs path needs.
import broadcastSource from '../../shaders/broadcast.wgsl?raw';
import { type BufferRange } from '../gpu/buffers.js';
import { chunkElements, elementBinding, maskBinding, planChunks, vec4Ready, type Binding } from '../gpu/chunks.js';
import { ensureBuffer, limitsOf, placeholder, type DeviceState } from '../gpu/device-state.js';
import { dispatchGrid } from '../gpu/geometry.js';
import { layoutFor, type PipelineSpec } from '../gpu/pipeline-cache.js';
import { specialize } from '../gpu/specialize.js';
import { uniformSlot } from '../gpu/submit.js';
import { BROADCAST_FIELDS, BROADCAST_PARAMS_BYTES } from '../kernels/broadcast.js';
import { dropoutLayout, dropoutPipeline, ioKey, ioSource, type DropoutEntry, type DropoutKey } from '../kernels/dropout-family.js';
import { PARAM_FIELDS, PARAMS_BYTES, writeParams, type Params } from '../kernels/dropout-params.js';
import { elementwiseLayout, writeScalars } from '../kernels/elementwise.js';
import { philoxUniformPart } from '../rng/philox.js';
import { TILE_ELEMENTS } from '../rng/layout.js';
import { u64Words } from '../rng/seed.js';
import { type DropRate } from '../rng/threshold.js';
import { type Collapsed } from '../shape.js';

const COPY_DST = 0x8;
const STORAGE = 0x80;
const INDIRECT = 0x100;
const TIE_LOG_HEADER = 16;
const WORKGROUP = 64;
const BROADCAST_WORKGROUP = 256;

/** Where recorded work goes, and who supplies its uniform buffers. */
export interface RecordTarget {
  state: DeviceState;
  encoder: GPUCommandEncoder;
  /** A uniform buffer (UNIFORM usage) holding `data`, alive until the encoder's work is submitted. */
  uniforms(data: ArrayBuffer): GPUBuffer;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
const modules = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

function cacheOf<T>(map: WeakMap<GPUDevice, Map<string, T>>, device: GPUDevice): Map<string, T> {
  let cache = map.get(device);
  if (!cache) {
    cache = new Map();
    map.set(device, cache);
  }
  return cache;
}

/**
 * The pipeline of `spec`, created synchronously on first use (the driver compiles it before the
 * first submit that uses it). A compile or validation failure is reported on the console and the
 * entry dropped, so the next call tries again.
 */
export function pipelineSync(state: DeviceState, spec: PipelineSpec): GPUComputePipeline {
  const device = state.device;
  const cache = cacheOf(pipelines, device);
  const found = cache.get(spec.key);
  if (found) return found;
  const moduleCache = cacheOf(modules, device);
  device.pushErrorScope('validation');
  let pipeline: GPUComputePipeline;
  try {
    let module = moduleCache.get(spec.moduleKey);
    if (!module) {
      module = device.createShaderModule({ label: `webgpu-dropout ${spec.moduleKey}`, code: spec.code() });
      moduleCache.set(spec.moduleKey, module);
    }
    pipeline = device.createComputePipeline({
      label: spec.key,
      layout: layoutFor(state, spec.layout).pipeline,
      compute: { module, entryPoint: spec.entry, constants: spec.constants ?? {} },
    });
    cache.set(spec.key, pipeline);
    state.stats.pipelines++;
  } finally {
    void device.popErrorScope().then((error) => {
      if (!error) return;
      cache.delete(spec.key);
      moduleCache.delete(spec.moduleKey);
      console.error(`webgpu-dropout/tfjs: pipeline ${spec.key} failed to compile: ${error.message}`);
    });
  }
  return pipeline;
}

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

interface Dispatch {
  entry: DropoutEntry;
  grid: [number, number] | 'indirect';
}

interface DrawWork {
  src: Binding | null;
  dst: Binding | null;
  mask: Binding | null;
  dispatches: Dispatch[];
  params: Params;
}

/**
 * Records work into the target's encoder and returns how many dispatches it recorded. A plan has
 * created every pipeline it needs, so recording does not throw halfway through a pass.
 */
export type PlannedRecording = (target: RecordTarget) => number;

/** Plans one draw (as src/kernels/dropout.ts does for kind 'draw'). */
export function planDraw(state: DeviceState, job: DrawJob): PlannedRecording {
  const limits = limitsOf(state);
  const chunks = planChunks(job.n, chunkElements(limits.maxBindingBytes, limits.storageAlign));
  const ties = job.rate.tieByte !== 0x100;
  const vec4 = [job.src, job.dst].every((r) => r === null || vec4Ready(r, job.n));
  const inPlace = job.src !== null && job.dst !== null && job.src.buffer === job.dst.buffer && job.src.byteOffset === job.dst.byteOffset;
  const tilesPerGroup = WORKGROUP / 64;
  const [seedLo, seedHi] = u64Words(job.seed);
  const [offsetLo, offsetHi] = u64Words(job.offset);
  const [pre0, pre1, pre2, pre3] = philoxUniformPart(offsetLo, offsetHi, [seedLo, seedHi]);

  const work = chunks.map((chunk): DrawWork => {
    const tiles = Math.ceil(chunk.count / TILE_ELEMENTS);
    const mainGroups = Math.floor(Math.floor(chunk.count / TILE_ELEMENTS) / tilesPerGroup);
    const tailTile = mainGroups * tilesPerGroup;
    const [fullX, fullY] = dispatchGrid(tiles, limits.maxPerDimension);
    const wanted = state.testLimits.tieCapacity ?? Math.min(tiles * 64, Math.max(1024, Math.ceil((tiles * 64) / 8)));
    const capacity = ties ? Math.min(wanted, fullX * 64) : 0;
    const src = job.src && elementBinding(job.src, chunk, limits.storageAlign, vec4);
    const dst = job.dst && elementBinding(job.dst, chunk, limits.storageAlign, vec4);
    const mask = job.mask && maskBinding(job.mask, chunk, limits.storageAlign);
    const dispatches: Dispatch[] = [];
    if (job.mask) dispatches.push({ entry: 'dropout_fill_mask', grid: dispatchGrid(Math.ceil(Math.ceil(chunk.count / 32) / WORKGROUP), limits.maxPerDimension) });
    if (mainGroups > 0) dispatches.push({ entry: 'dropout_main', grid: dispatchGrid(mainGroups, limits.maxPerDimension) });
    if (tailTile < tiles) dispatches.push({ entry: 'dropout_main_tail', grid: [1, 1] });
    if (ties) dispatches.push({ entry: 'dropout_ties', grid: 'indirect' });
    // Fields this path does not use (e.g. the fused epilogue's) stay 0.
    const params = Object.fromEntries(PARAM_FIELDS.map(([name]) => [name, 0])) as Params;
    Object.assign(params, {
      n: chunk.count,
      block_base: chunk.start / 16,
      threshold: Math.min(job.rate.threshold, 0xffffffff),
      keep_from: job.rate.keepFrom,
      tie_byte: job.rate.tieByte,
      scale: job.scale,
      seed_lo: seedLo, seed_hi: seedHi, offset_lo: offsetLo, offset_hi: offsetHi,
      src_shift: src?.shift ?? 0,
      dst_shift: dst?.shift ?? 0,
      mask_shift: mask?.shift ?? 0,
      tie_capacity: capacity,
      tie_full_x_add: fullX - Math.ceil(capacity / 64),
      tie_full_y: fullY,
      pre0, pre1, pre2, pre3,
      cols: 1,
      main_groups: mainGroups,
      tail_tile: tailTile,
      bias: 0,
      dropped: 0,
    } satisfies Partial<Params>);
    return { src, dst, mask, dispatches, params };
  });

  const shift = work.some((w) => (w.src?.shift ?? 0) !== 0 || (w.dst?.shift ?? 0) !== 0);
  const spare = work.some((w) => w.dispatches.some((d) => d.grid !== 'indirect' && d.grid[0] * d.grid[1] > w.params.main_groups && d.entry === 'dropout_main'));
  const keyFor = (entry: DropoutEntry): DropoutKey => ({
    entry, io: vec4 ? 'vec4' : 'scalar', shift, inPlace, spare, f16: false, epilogue: null, workgroupSize: WORKGROUP,
    data: job.dst !== null, affine: false, writeMask: job.mask !== null, ties,
  });
  const entries = [...new Set(work.flatMap((w) => w.dispatches.map((d) => d.entry)))];
  const pipelines = new Map(entries.map((entry) => [entry, pipelineSync(state, dropoutPipeline(keyFor(entry)))]));
  return (target) => recordDrawWork(target, job, work, pipelines, ties);
}

function recordDrawWork(target: RecordTarget, job: DrawJob, work: DrawWork[], pipelines: Map<DropoutEntry, GPUComputePipeline>, ties: boolean): number {
  const { state, encoder } = target;
  const device = state.device;
  const inPlace = job.src !== null && job.dst !== null && job.src.buffer === job.dst.buffer && job.src.byteOffset === job.dst.byteOffset;
  const slot = uniformSlot(state, PARAMS_BYTES);
  const data = new ArrayBuffer(slot * work.length);
  const view = new DataView(data);
  work.forEach((w, i) => writeParams(view, i * slot, w.params));
  const uniforms = target.uniforms(data);
  const maxCapacity = Math.max(0, ...work.map((w) => w.params.tie_capacity));
  const tieLog = ties ? ensureBuffer(state, 'tie log', TIE_LOG_HEADER + 4 * Math.max(1, maxCapacity), STORAGE | INDIRECT | COPY_DST) : null;
  let count = 0;
  work.forEach((w, i) => {
    const groups = new Map<GPUBindGroupLayout, GPUBindGroup>();
    const bindGroup = (entry: DropoutEntry): GPUBindGroup => {
      const layout = layoutFor(state, dropoutLayout(entry)).group;
      let group = groups.get(layout);
      if (!group) {
        group = device.createBindGroup({
          label: `${job.label} ${entry}`,
          layout,
          entries: [
            { binding: 0, resource: { buffer: uniforms, offset: 0, size: PARAMS_BYTES } },
            { binding: 1, resource: !inPlace && w.src ? bufferBinding(w.src) : { buffer: placeholder(state, 1) } },
            { binding: 2, resource: w.dst ? bufferBinding(w.dst) : { buffer: placeholder(state, 2) } },
            { binding: 3, resource: w.mask ? bufferBinding(w.mask) : { buffer: placeholder(state, 3) } },
            { binding: 4, resource: { buffer: tieLog ?? placeholder(state, 4) } },
          ],
        });
        groups.set(layout, group);
      }
      return group;
    };
    if (tieLog) encoder.clearBuffer(tieLog, 0, TIE_LOG_HEADER);
    const pass = encoder.beginComputePass({ label: job.label });
    for (const d of w.dispatches) {
      pass.setPipeline(pipelines.get(d.entry)!);
      pass.setBindGroup(0, bindGroup(d.entry), [i * slot]);
      if (d.grid === 'indirect') pass.dispatchWorkgroupsIndirect(tieLog!, 4);
      else pass.dispatchWorkgroups(d.grid[0], d.grid[1]);
      count++;
    }
    pass.end();
  });
  return count;
}

function bufferBinding(b: Binding): GPUBufferBinding {
  return { buffer: b.buffer, offset: b.offset, size: b.size };
}

const BROADCAST_FLOATS = new Set(['scale', 'bias', 'dropped']);
const BROADCAST_SIZES_AT = 4 * BROADCAST_FIELDS.length;
const BROADCAST_LAYOUT = elementwiseLayout('broadcast', BROADCAST_PARAMS_BYTES, [
  { binding: 3, visibility: 0x4, buffer: { type: 'read-only-storage' } },
]);

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

/** Plans the noise-shape apply (as src/kernels/broadcast.ts does). */
export function planBroadcast(state: DeviceState, job: BroadcastJob): PlannedRecording {
  const device = state.device;
  const limits = limitsOf(state);
  const align = limits.storageAlign;
  const maskStart = job.mask.byteOffset - (job.mask.byteOffset % align);
  const maskShift = (job.mask.byteOffset - maskStart) / 4;
  const maskBytes = job.mask.byteOffset + 4 * Math.ceil(job.collapsed.maskSize / 32) - maskStart;
  const inner4 = (job.collapsed.sizes[0] ?? 1) % 4 === 0;
  const rank = job.collapsed.sizes.length;
  const ranks = { RANK1: rank === 1, RANK2: rank === 2, RANK3: rank === 3, RANK4: rank === 4 };
  const vec4 = vec4Ready(job.src, job.n) && vec4Ready(job.dst, job.n);
  const work = planChunks(job.n, chunkElements(limits.maxBindingBytes, align)).map((chunk) => ({
    chunk,
    src: elementBinding(job.src, chunk, align, vec4),
    dst: elementBinding(job.dst, chunk, align, vec4),
    groups: Math.ceil(Math.floor(chunk.count / 4) / BROADCAST_WORKGROUP),
  }));
  const shift = work.some((w) => w.src.shift !== 0 || w.dst.shift !== 0);
  const inPlace = job.src.buffer === job.dst.buffer && job.src.byteOffset === job.dst.byteOffset;
  const io = vec4 ? 'vec4' : 'scalar';
  const moduleKey = `broadcast:f32:io=${ioKey(io, shift, inPlace)}:out=scale:${inner4 ? 'inner4' : 'general'}:rank${rank <= 4 ? rank : 'N'}`;
  const source = specialize(broadcastSource, { AFFINE: false, INNER4: inner4, ...ranks }, 'broadcast.wgsl');
  const code = (): string => `\n${ioSource(io, shift, inPlace)}\n${source}`;
  const pipeline = (entry: string, constants: Record<string, number>): GPUComputePipeline => pipelineSync(state, {
    key: `${moduleKey}:${entry}:wg${constants.WORKGROUP_SIZE ?? 1}`, moduleKey, code, entry, layout: BROADCAST_LAYOUT, constants,
  });
  const main = pipeline('broadcast_apply', { WORKGROUP_SIZE: BROADCAST_WORKGROUP });
  const tail = pipeline('broadcast_apply_tail', {});
  return (target) => {
    const { encoder } = target;
    const slot = uniformSlot(state, BROADCAST_PARAMS_BYTES);
    const data = new ArrayBuffer(slot * work.length);
    const view = new DataView(data);
    work.forEach((w, i) => {
      const at = i * slot;
      writeScalars(view, at, BROADCAST_FIELDS, BROADCAST_FLOATS, {
        n: w.chunk.count, chunk_start: w.chunk.start, rank: job.collapsed.sizes.length,
        scale: job.scale, bias: 0, dropped: 0,
        src_shift: w.src.shift, dst_shift: w.dst.shift, mask_shift: maskShift, groups: w.groups, pad0: 0, pad1: 0,
      });
      job.collapsed.sizes.forEach((size, d) => view.setUint32(at + BROADCAST_SIZES_AT + 4 * d, size, true));
      job.collapsed.strides.forEach((stride, d) => view.setUint32(at + BROADCAST_SIZES_AT + 32 + 4 * d, stride, true));
    });
    const uniforms = target.uniforms(data);
    const layout = layoutFor(state, BROADCAST_LAYOUT).group;
    let count = 0;
    work.forEach((w, i) => {
      const bindGroup = device.createBindGroup({
        label: job.label,
        layout,
        entries: [
          { binding: 0, resource: { buffer: uniforms, offset: 0, size: BROADCAST_PARAMS_BYTES } },
          { binding: 1, resource: inPlace ? { buffer: placeholder(state, 1) } : bufferBinding(w.src) },
          { binding: 2, resource: bufferBinding(w.dst) },
          { binding: 3, resource: { buffer: job.mask.buffer, offset: maskStart, size: maskBytes } },
        ],
      });
      const pass = encoder.beginComputePass({ label: job.label });
      pass.setBindGroup(0, bindGroup, [i * slot]);
      if (w.groups > 0) {
        pass.setPipeline(main);
        const [x, y] = dispatchGrid(w.groups, limits.maxPerDimension);
        pass.dispatchWorkgroups(x, y);
        count++;
      }
      if (w.chunk.count % 4 !== 0) {
        pass.setPipeline(tail);
        pass.dispatchWorkgroups(1);
        count++;
      }
      pass.end();
    });
    return count;
  };
}
