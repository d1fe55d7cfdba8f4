// Encodes one dropout job (a draw, a masked backward or a mask fill) chunk by chunk, into the
// caller's encoder or into one of ours that we submit. Arguments were validated before this.
import { type DropRate } from '../rng/threshold.js';
import { u64Words } from '../rng/seed.js';
import { elementSlot, TILE_ELEMENTS } from '../rng/layout.js';
import { type BufferRange } from './buffers.js';
import { chunkElements, elementBinding, maskBinding, planChunks, vec4Ready, type Binding, type Chunk } from './chunks.js';
import { ensureBuffer, limitsOf, placeholder, type DeviceState } from './device-state.js';
import { withErrorScope } from './error-scope.js';
import { dispatchGrid } from './geometry.js';
import { PARAMS_BYTES, writeParams, type Params } from './params.js';
import { bindGroupLayout, getPipeline, kernelKey, type DropoutEntry, type ElementAccess, type KernelKey, type WorkgroupSize } from './pipelines.js';

const UNIFORM = 0x40;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;
const INDIRECT = 0x100;
/** Tie log seed: count, dispatch x, y, z, and one pre-logged block. */
const SEED_BYTES = 32;
const NO_BLOCK = 0xffffffff;

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

interface ChunkWork {
  params: Params;
  src: Binding | null;
  dst: Binding | null;
  mask: Binding | null;
  grid: [number, number];
  /** The chunk has a partial vec4 (only the last chunk can). */
  tail: boolean;
  /** The second dispatch (dropout_ties) runs for this chunk. */
  second: boolean;
}

function tieCapacity(state: DeviceState, blocks: number, tieColumns: number, tail: boolean): number {
  let capacity = state.testLimits.tieCapacity ?? Math.min(blocks, Math.max(1024, Math.ceil(blocks / 8)));
  if (tail) capacity = Math.max(capacity, 1); // room for the pre-logged tail block
  // The normal tie dispatch (one workgroup per 64 logged blocks) must fit in the overflow grid's x.
  return Math.min(capacity, tieColumns * 64);
}

function mainEntry(kind: JobKind): DropoutEntry {
  return kind === 'draw' ? 'dropout_main' : kind === 'apply-mask' ? 'dropout_apply_mask' : 'dropout_fill_mask';
}

export async function runJob(state: DeviceState, job: Job): Promise<void> {
  const ties = job.kind === 'draw' && job.rate.tieByte !== 0x100;
  const io: ElementAccess = [job.src, job.dst].every((r) => r === null || vec4Ready(r, job.n)) ? 'vec4' : 'scalar';
  const base = { io, writeMask: job.kind === 'draw' && job.mask !== null, ties, workgroupSize: job.workgroupSize };
  const mainKey: KernelKey = { ...base, entry: mainEntry(job.kind) };
  const hasTail = job.kind !== 'fill-mask' && job.n % 4 !== 0;
  const secondEntry: DropoutEntry | null = job.kind === 'draw' && (ties || hasTail) ? 'dropout_ties' : job.kind === 'apply-mask' && hasTail ? 'dropout_apply_mask_tail' : null;
  const [mainPipeline, secondPipeline] = await Promise.all([
    getPipeline(state, mainKey),
    secondEntry ? getPipeline(state, { ...base, entry: secondEntry }) : null,
  ]);
  const device = state.device;
  const limits = limitsOf(state);
  const chunks = planChunks(job.n, chunkElements(limits.maxBindingBytes, limits.storageAlign));
  const [seedLo, seedHi] = u64Words(job.seed);
  const [offsetLo, offsetHi] = u64Words(job.offset);

  const work = chunks.map((chunk: Chunk): ChunkWork => {
    const tiles = Math.ceil(chunk.count / TILE_ELEMENTS);
    const [fullX, fullY] = dispatchGrid(tiles, limits.maxPerDimension);
    const tail = chunk.count % 4 !== 0;
    const logs = job.kind === 'draw' && (ties || tail);
    const capacity = logs ? tieCapacity(state, tiles * 64, fullX, tail) : 0;
    const src = job.src && elementBinding(job.src, chunk, limits.storageAlign, io === 'vec4');
    const dst = job.dst && elementBinding(job.dst, chunk, limits.storageAlign, io === 'vec4');
    const mask = job.mask && maskBinding(job.mask, chunk, limits.storageAlign);
    const workgroups = job.kind === 'fill-mask'
      ? Math.ceil(Math.ceil(chunk.count / 32) / job.workgroupSize)
      : Math.ceil(tiles / (job.workgroupSize / 64));
    return {
      src, dst, mask, tail,
      second: secondEntry !== null && (logs || (job.kind === 'apply-mask' && tail)),
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
        tail_block: tail ? elementSlot(chunk.count & ~3).block : NO_BLOCK,
      },
    };
  });

  const logged = work.filter((w) => w.second && job.kind === 'draw');
  const maxCapacity = Math.max(0, ...logged.map((w) => w.params.tie_capacity));
  await withErrorScope(state, kernelKey(mainKey), () => {
    // From here to submit nothing awaits, so no other call can write the shared uniforms between.
    const slot = limits.uniformAlign;
    const seedsAt = slot * work.length;
    const data = new ArrayBuffer(seedsAt + SEED_BYTES * work.length);
    const view = new DataView(data);
    work.forEach((w, i) => {
      writeParams(view, i * slot, w.params);
      if (w.tail && job.kind === 'draw') [1, 1, 1, 1, w.params.tail_block].forEach((v, k) => view.setUint32(seedsAt + i * SEED_BYTES + 4 * k, v, true));
    });
    let uniforms: GPUBuffer;
    if (job.encoder) {
      // The caller submits later; a later call's writeBuffer would land first, so this call's
      // uniforms get their own buffer, written at creation and freed by the garbage collector.
      uniforms = device.createBuffer({ label: `${job.operation} params`, size: data.byteLength, usage: UNIFORM | COPY_SRC, mappedAtCreation: true });
      new Uint8Array(uniforms.getMappedRange()).set(new Uint8Array(data));
      uniforms.unmap();
    } else {
      uniforms = ensureBuffer(state, 'uniforms', data.byteLength, UNIFORM | COPY_DST | COPY_SRC);
      device.queue.writeBuffer(uniforms, 0, data);
    }
    const tieLog = logged.length ? ensureBuffer(state, 'tieLog', Math.max(SEED_BYTES, 16 + 4 * maxCapacity), STORAGE | INDIRECT | COPY_DST) : null;
    const encoder = job.encoder ?? device.createCommandEncoder({ label: job.operation });
    const bindGroup = (target: DropoutEntry, w: ChunkWork): GPUBindGroup => device.createBindGroup({
      label: `${job.operation} ${target}`,
      layout: bindGroupLayout(state, target),
      entries: [
        { binding: 0, resource: { buffer: uniforms, offset: 0, size: PARAMS_BYTES } },
        { binding: 1, resource: w.src ?? { buffer: placeholder(state, 1) } },
        { binding: 2, resource: w.dst ?? { buffer: placeholder(state, 2) } },
        { binding: 3, resource: w.mask ?? { buffer: placeholder(state, 3) } },
        { binding: 4, resource: { buffer: (target === 'dropout_main' || target === 'dropout_ties') && tieLog ? tieLog : placeholder(state, 4) } },
      ],
    });
    work.forEach((w, i) => {
      const logs = tieLog && w.second && job.kind === 'draw';
      if (logs) encoder.copyBufferToBuffer(uniforms, seedsAt + i * SEED_BYTES, tieLog, 0, SEED_BYTES);
      const pass = encoder.beginComputePass({ label: job.operation });
      pass.setPipeline(mainPipeline);
      pass.setBindGroup(0, bindGroup(mainKey.entry, w), [i * slot]);
      pass.dispatchWorkgroups(w.grid[0], w.grid[1]);
      if (w.second && secondPipeline && secondEntry) {
        pass.setPipeline(secondPipeline);
        pass.setBindGroup(0, bindGroup(secondEntry, w), [i * slot]);
        if (logs) pass.dispatchWorkgroupsIndirect(tieLog, 4);
        else pass.dispatchWorkgroups(1);
      }
      pass.end();
    });
    if (!job.encoder) device.queue.submit([encoder.finish()]);
  });
}
