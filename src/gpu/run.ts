// Encodes one dropout job (a draw, a masked backward or a mask fill) chunk by chunk, into the
// caller's encoder or into one of ours that we submit. Validation has happened before this point.
import { type DropRate } from '../rng/threshold.js';
import { u64Words } from '../rng/seed.js';
import { TILE_ELEMENTS } from '../rng/layout.js';
import { type BufferRange } from './buffers.js';
import { chunkElements, elementBinding, maskBinding, planChunks, type Binding, type Chunk } from './chunks.js';
import { ensureBuffer, limitsOf, placeholder, type DeviceState } from './device-state.js';
import { withErrorScope } from './error-scope.js';
import { dispatchGrid } from './geometry.js';
import { PARAMS_BYTES, writeParams, type Params } from './params.js';
import { bindGroupLayout, getPipeline, kernelKey, type DropoutEntry, type WorkgroupSize } from './pipelines.js';

const UNIFORM = 0x40;
const COPY_DST = 0x8;
const STORAGE = 0x80;
const INDIRECT = 0x100;
const TIE_LOG_HEADER = 16;

export type JobKind = 'draw' | 'apply-mask' | 'fill-mask';

export interface Job {
  kind: JobKind;
  src: BufferRange | null;
  dst: BufferRange | null;
  mask: BufferRange | null;
  n: number;
  rate: DropRate;
  seed: bigint;
  offset: bigint;
  workgroupSize: WorkgroupSize;
  encoder: GPUCommandEncoder | undefined;
  operation: string;
}

function tieCapacity(state: DeviceState, blocks: number, tieColumns: number): number {
  const wanted = state.testLimits.tieCapacity ?? Math.min(blocks, Math.max(1024, Math.ceil(blocks / 8)));
  // The normal tie dispatch (one workgroup per 64 logged blocks) must fit in the overflow grid's x.
  return Math.min(wanted, tieColumns * 64);
}

interface ChunkWork {
  params: Params;
  src: Binding | null;
  dst: Binding | null;
  mask: Binding | null;
  grid: [number, number];
}

export async function runJob(state: DeviceState, job: Job): Promise<void> {
  const withTies = job.kind === 'draw' && job.rate.tieByte !== 0x100;
  const entry: DropoutEntry = job.kind === 'draw' ? 'dropout_main' : job.kind === 'apply-mask' ? 'dropout_apply_mask' : 'dropout_fill_mask';
  const writeMask = job.kind === 'draw' && job.mask !== null;
  const mainKey = { entry, writeMask, workgroupSize: job.workgroupSize };
  const [mainPipeline, tiesPipeline] = await Promise.all([
    getPipeline(state, mainKey),
    withTies ? getPipeline(state, { entry: 'dropout_ties', writeMask, workgroupSize: 64 }) : null,
  ]);
  const device = state.device;
  const limits = limitsOf(state);
  const chunks = planChunks(job.n, chunkElements(limits.maxBindingBytes, limits.storageAlign));
  const [seedLo, seedHi] = u64Words(job.seed);
  const [offsetLo, offsetHi] = u64Words(job.offset);

  const work = chunks.map((chunk: Chunk): ChunkWork => {
    const tiles = Math.ceil(chunk.count / TILE_ELEMENTS);
    const [fullX, fullY] = dispatchGrid(tiles, limits.maxPerDimension);
    const capacity = withTies ? tieCapacity(state, tiles * 64, fullX) : 0;
    const src = job.src && elementBinding(job.src, chunk, limits.storageAlign);
    const dst = job.dst && elementBinding(job.dst, chunk, limits.storageAlign);
    const mask = job.mask && maskBinding(job.mask, chunk, limits.storageAlign);
    const workgroups = job.kind === 'fill-mask'
      ? Math.ceil(Math.ceil(chunk.count / 32) / job.workgroupSize)
      : Math.ceil(tiles / (job.workgroupSize / 64));
    return {
      src, dst, mask,
      grid: dispatchGrid(workgroups, limits.maxPerDimension),
      params: {
        n: chunk.count,
        block_base: chunk.start / 16,
        threshold: Math.min(job.rate.threshold, 0xffffffff),
        keep_from: job.rate.keepFrom,
        tie_byte: job.rate.tieByte,
        scale: job.rate.scale,
        seed_lo: seedLo, seed_hi: seedHi, offset_lo: offsetLo, offset_hi: offsetHi,
        src_shift: src?.shift ?? 0,
        dst_shift: dst?.shift ?? 0,
        mask_shift: mask?.shift ?? 0,
        tie_capacity: capacity,
        tie_full_x_add: fullX - Math.ceil(capacity / 64),
        tie_full_y: fullY,
      },
    };
  });

  const maxCapacity = Math.max(0, ...work.map((w) => w.params.tie_capacity));
  await withErrorScope(state, kernelKey(mainKey), () => {
    // From here to submit nothing awaits, so no other call can write the shared uniforms between.
    const slot = limits.uniformAlign;
    const data = new ArrayBuffer(slot * work.length);
    const view = new DataView(data);
    work.forEach((w, i) => writeParams(view, i * slot, w.params));
    let uniforms: GPUBuffer;
    if (job.encoder) {
      // The caller submits later; a later call's writeBuffer would land first, so this call's
      // uniforms get their own buffer, written at creation and freed by the garbage collector.
      uniforms = device.createBuffer({ label: 'webgpu-dropout params', size: data.byteLength, usage: UNIFORM, mappedAtCreation: true });
      new Uint8Array(uniforms.getMappedRange()).set(new Uint8Array(data));
      uniforms.unmap();
    } else {
      uniforms = ensureBuffer(state, 'uniforms', data.byteLength, UNIFORM | COPY_DST);
      device.queue.writeBuffer(uniforms, 0, data);
    }
    const tieLog = withTies ? ensureBuffer(state, 'tieLog', TIE_LOG_HEADER + 4 * Math.max(1, maxCapacity), STORAGE | INDIRECT | COPY_DST) : null;
    const encoder = job.encoder ?? device.createCommandEncoder({ label: job.operation });
    const bindGroup = (target: DropoutEntry, w: ChunkWork): GPUBindGroup => device.createBindGroup({
      label: `${job.operation} ${target}`,
      layout: bindGroupLayout(state, target),
      entries: [
        { binding: 0, resource: { buffer: uniforms, offset: 0, size: PARAMS_BYTES } },
        { binding: 1, resource: w.src ?? { buffer: placeholder(state, 1) } },
        { binding: 2, resource: w.dst ?? { buffer: placeholder(state, 2) } },
        { binding: 3, resource: w.mask ?? { buffer: placeholder(state, 3) } },
        { binding: 4, resource: { buffer: tieLog ?? placeholder(state, 4) } },
      ],
    });
    work.forEach((w, i) => {
      if (tieLog) encoder.clearBuffer(tieLog, 0, TIE_LOG_HEADER);
      const pass = encoder.beginComputePass({ label: job.operation });
      pass.setPipeline(mainPipeline);
      pass.setBindGroup(0, bindGroup(entry, w), [i * slot]);
      pass.dispatchWorkgroups(w.grid[0], w.grid[1]);
      if (tieLog && tiesPipeline) {
        pass.setPipeline(tiesPipeline);
        pass.setBindGroup(0, bindGroup('dropout_ties', w), [i * slot]);
        pass.dispatchWorkgroupsIndirect(tieLog, 4);
      }
      pass.end();
    });
    if (!job.encoder) device.queue.submit([encoder.finish()]);
  });
}

