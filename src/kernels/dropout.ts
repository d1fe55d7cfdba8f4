// Encodes one element-wise dropout job (a draw, a masked backward or a mask fill) chunk by chunk.
// Per chunk, one compute pass. Multi-pass schedule (CPU adapters): [fill mask] → main (whole
// tiles) → main tail (one workgroup) → [ties → tie reset] → [pack mask]; WebGPU keeps that order
// within a pass. Single-pass schedule (GPUs), and a draw of one tile or less with ties on the
// multi-pass one: one dispatch (see src/gpu/schedule.ts). Arguments were validated before this.
import { type DropRate } from '../rng/threshold.js';
import { BLOCK_ELEMENTS, TILE_ELEMENTS } from '../rng/layout.js';
import { type BufferRange } from '../gpu/buffers.js';
import { chunkElements, elementBinding, maskBinding, planChunks, vec4Ready, wholeBinding, type Binding, type Chunk } from '../gpu/chunks.js';
import { type Activation } from '../spec/epilogue.js';
import { ensureBuffer, limitsOf, placeholder, scheduleOf, type DeviceState } from '../gpu/device-state.js';
import { dispatchGrid } from '../gpu/geometry.js';
import { stagingWords, type KernelPlan } from '../gpu/execute.js';
import { dropoutLayout, dropoutPipeline, type DropoutEntry, type DropoutKey, type WorkgroupSize } from './dropout-family.js';
import { keyParams, paramWords, PARAMS_BYTES, ruleFor, type KeyParam, type Params } from './dropout-params.js';

const STORAGE = 0x80;
// Tie log (see shaders/dropout.wgsl): the count, then one word per logged block.
const TIE_LOG_HEADER = 4;
const TIE_ENTRY_BYTES = 4;

export type JobKind = 'draw' | 'apply-mask' | 'fill-mask';

export interface Job {
  kind: JobKind;
  /** Tensors (src, dst, and an epilogue's bias and residual or x) hold f16; src and dst must be vec4-ready (checked by the caller). */
  f16?: boolean | undefined;
  /** Alpha dropout: kept → x * scale + bias, dropped → `dropped` (else kept → x * scale, dropped → +0). */
  affine?: { bias: number; dropped: number } | undefined;
  /**
   * Fused epilogue: forward y = residual + dropout(act(x + bias)) (aux: the residual, or null), or
   * backward dx = dropout'(dy) · act'(x + bias) (aux: x). `cols` is the bias length.
   */
  epilogue?: { direction: 'forward' | 'backward'; act: Activation; bias: BufferRange; aux: BufferRange | null; cols: number } | undefined;
  src: BufferRange | null;
  dst: BufferRange | null;
  mask: BufferRange | null;
  n: number;
  rate: DropRate;
  seed: bigint;
  offset: bigint;
  workgroupSize: WorkgroupSize;
  operation: string;
  /** 'apply-mask' only: take the scale from f32 word 1 of this buffer (written earlier on the GPU). */
  dynamicScale?: GPUBuffer | undefined;
}

interface Dispatch {
  entry: DropoutEntry;
  /** Workgroups (x, y). */
  grid: [number, number];
}

interface ChunkWork {
  /** The chunk's uniform struct but the draw key (see keyParams). */
  params: Omit<Params, KeyParam>;
  src: Binding | null;
  dst: Binding | null;
  mask: Binding | null;
  aux: Binding | null;
  dispatches: Dispatch[];
}

function tieCapacity(state: DeviceState, blocks: number): number {
  return state.testLimits.tieCapacity ?? Math.min(blocks, Math.max(1024, Math.ceil(blocks / 8)));
}

/**
 * Workgroups of dropout_ties: one invocation per 128 blocks, walking the log with a grid stride
 * (about 2% of blocks log a tie at any p that has ties, so ~2–3 steps each). SwiftShader runs the
 * loop body once even in invocations with nothing to do, so a larger grid measured slower there
 * (2^20, p = 0.1: one invocation per 32 blocks cost the forward 6%; per 128, nothing).
 */
function tieGroups(blocks: number, maxPerDim: number): number {
  return Math.min(maxPerDim, Math.max(1, Math.ceil(blocks / 128 / 64)));
}

/** The dispatches of one chunk, in order (single: the single-pass schedule). */
function dispatchesFor(job: Job, single: boolean, ties: boolean, count: number, mainGroups: number, tailTile: number, maxPerDim: number): Dispatch[] {
  const tiles = Math.ceil(count / TILE_ELEMENTS);
  const words = Math.ceil(count / 32);
  const wordGrid = dispatchGrid(Math.ceil(words / job.workgroupSize), maxPerDim);
  if (job.kind === 'fill-mask') return [{ entry: 'dropout_fill_mask', grid: wordGrid }];
  if (single) {
    // Every tile, bounds checked inline: the mask backward is its tail entry over the whole chunk.
    const grid = dispatchGrid(Math.ceil(tiles / (job.workgroupSize / 64)), maxPerDim);
    return [{ entry: job.kind === 'draw' ? 'dropout_single' : 'dropout_apply_mask_tail', grid }];
  }
  const [main, tail] = job.kind === 'draw' ? (['dropout_main', 'dropout_main_tail'] as const) : (['dropout_apply_mask', 'dropout_apply_mask_tail'] as const);
  const out: Dispatch[] = [];
  if (mainGroups > 0) out.push({ entry: main, grid: dispatchGrid(mainGroups, maxPerDim) });
  if (tailTile < tiles) out.push({ entry: tail, grid: [1, 1] });
  if (ties) {
    // One tie workgroup empties the log itself (dropout_ties_once); a larger grid cannot.
    const groups = tieGroups(tiles * 64, maxPerDim);
    if (groups === 1) out.push({ entry: 'dropout_ties_once', grid: [1, 1] });
    else out.push({ entry: 'dropout_ties', grid: [groups, 1] }, { entry: 'dropout_tie_reset', grid: [1, 1] });
  }
  // A draw's keep bits go to the mask stage first (see shaders/dropout.wgsl).
  if (job.kind === 'draw' && job.mask) out.push({ entry: 'dropout_pack_mask', grid: wordGrid });
  return out;
}

/**
 * Plans one job for the shared call path (src/gpu/execute.ts): its pipelines, one uniform struct
 * per chunk, and the passes that record it.
 */
export function planJob(state: DeviceState, job: Job): KernelPlan {
  const limits = limitsOf(state);
  const chunks = planChunks(job.n, chunkElements(limits.maxBindingBytes, limits.storageAlign));
  // On the multi-pass schedule a draw of one tile or less whose rate has ties takes the single
  // dispatch too: its tail and tie passes cost a CPU adapter more than settling the ties inline
  // (SwiftShader, Node, end to end per call at p = 0.1: 84 µs against 112 at n = 2^10; from two
  // tiles on, the multi-pass is faster: 162 against 180 at 2^12), and the host records one.
  const single = scheduleOf(state) === 'single-pass' || (job.kind === 'draw' && job.rate.ties && job.n <= TILE_ELEMENTS);
  const ties = job.kind === 'draw' && job.rate.ties;
  // The multi-pass schedule logs the ties level 0 leaves undecided, and stages a draw's keep bits.
  const logTies = ties && !single;
  const elementBytes = job.f16 ? 2 : 4;
  const vec4 = [job.src, job.dst].every((r) => r === null || vec4Ready(r, job.n, elementBytes));
  const inPlace = job.src !== null && job.dst !== null && job.src.buffer === job.dst.buffer && job.src.byteOffset === job.dst.byteOffset;
  const tilesPerGroup = job.workgroupSize / 64;
  const biasBinding = job.epilogue ? wholeBinding(job.epilogue.bias, limits.storageAlign, elementBytes) : null;
  const auxVec4 = job.epilogue?.aux ? vec4Ready(job.epilogue.aux, job.n, elementBytes) : false;

  const work = chunks.map((chunk: Chunk): ChunkWork => {
    const tiles = Math.ceil(chunk.count / TILE_ELEMENTS);
    const mainGroups = single ? 0 : Math.floor(Math.floor(chunk.count / TILE_ELEMENTS) / tilesPerGroup);
    const tailTile = mainGroups * tilesPerGroup;
    const capacity = logTies ? tieCapacity(state, tiles * 64) : 0;
    const src = job.src && elementBinding(job.src, chunk, limits.storageAlign, vec4, elementBytes);
    const dst = job.dst && elementBinding(job.dst, chunk, limits.storageAlign, vec4, elementBytes);
    const mask = job.mask && maskBinding(job.mask, chunk, limits.storageAlign);
    const aux = job.epilogue?.aux ? elementBinding(job.epilogue.aux, chunk, limits.storageAlign, auxVec4, elementBytes) : null;
    return {
      src, dst, mask, aux,
      dispatches: dispatchesFor(job, single, ties, chunk.count, mainGroups, tailTile, limits.maxPerDimension),
      params: {
        n: chunk.count,
        block_base: chunk.start / BLOCK_ELEMENTS,
        ...ruleFor(job.rate),
        scale: job.rate.scale,
        src_shift: src?.shift ?? 0,
        dst_shift: dst?.shift ?? 0,
        mask_shift: mask?.shift ?? 0,
        tie_capacity: capacity,
        cols: job.epilogue?.cols ?? 1,
        col_base: job.epilogue ? chunk.start % job.epilogue.cols : 0,
        col_step: job.epilogue ? 256 % job.epilogue.cols : 0,
        bias_shift: biasBinding?.shift ?? 0,
        aux_shift: aux?.shift ?? 0,
        main_groups: mainGroups,
        tail_tile: tailTile,
        bias: job.affine?.bias ?? 0,
        dropped: job.affine?.dropped ?? 0,
      },
    };
  });

  const shift = work.some((w) => (w.src?.shift ?? 0) !== 0 || (w.dst?.shift ?? 0) !== 0);
  const spare = work.some((w) => w.dispatches.some((d) => d.grid[0] * d.grid[1] > w.params.main_groups && (d.entry === 'dropout_main' || d.entry === 'dropout_apply_mask')));
  const keyFor = (entry: DropoutEntry): DropoutKey => ({
    entry, io: vec4 ? 'vec4' : 'scalar', shift, inPlace, spare, f16: job.f16 ?? false, workgroupSize: job.workgroupSize,
    data: job.dst !== null, affine: job.affine !== undefined,
    epilogue: job.epilogue ? {
      direction: job.epilogue.direction, act: job.epilogue.act, residual: job.epilogue.aux !== null,
      bias4: job.epilogue.cols % 4 === 0 && biasBinding!.shift % 4 === 0,
      aux4: auxVec4,
    } : null,
    writeMask: job.kind === 'draw' && job.mask !== null, ties, dynamicScale: job.dynamicScale !== undefined,
  });
  // A chunk's entry points are distinct, so one chunk (the common case) needs no de-duplication.
  const entries = work.length === 1 ? work[0]!.dispatches.map((d) => d.entry) : [...new Set(work.flatMap((w) => w.dispatches.map((d) => d.entry)))];
  const maxCapacity = Math.max(0, ...work.map((w) => w.params.tie_capacity));
  const maxBlocks = Math.max(1, ...chunks.map((chunk) => Math.ceil(chunk.count / TILE_ELEMENTS) * 64));
  const specs = entries.map((entry) => dropoutPipeline(keyFor(entry)));
  const dispatches = work.reduce((count, w) => count + w.dispatches.length, 0);

  const index = (entry: DropoutEntry): number => entries.indexOf(entry);
  const templates = work.map((w) => paramWords(w.params));
  keyParams(templates, job.seed, job.offset);
  // The bind groups of the last recording, and the buffers they bound that are not fixed by the
  // plan (the call's uniform buffer, our scratch buffers): a repeat of the plan binding the same
  // ones reuses them without a lookup (a repeated call, src/api/repeat.ts).
  let groups: GPUBindGroup[] = [];
  let boundUniforms: GPUBuffer | null = null;
  let boundTieLog: GPUBuffer | null = null;
  let boundStage: GPUBuffer | null = null;
  return {
    pipelines: specs,
    uniformBytes: PARAMS_BYTES,
    slots: work.length,
    writeUniforms: (view, at) => {
      const words = stagingWords(view);
      for (let i = 0; i < templates.length; i++) words.set(templates[i]!, (view.byteOffset + at(i)) / 4);
    },
    rekey: (seed, offset) => keyParams(templates, seed, offset),
    dispatches,
    record: (r) => {
      const tieLog = logTies ? ensureBuffer(state, 'tie log', TIE_LOG_HEADER + TIE_ENTRY_BYTES * Math.max(1, maxCapacity), STORAGE) : null;
      const stage = job.kind === 'draw' && job.mask && !single ? ensureBuffer(state, 'mask stage', 4 * maxBlocks, STORAGE) : null;
      const uniforms = r.uniforms.buffer;
      if (uniforms !== boundUniforms || tieLog !== boundTieLog || stage !== boundStage) {
        const layout = dropoutLayout(job.epilogue !== undefined);
        // One group for every dispatch of a chunk (they share the layout): every native call
        // counts on the host path.
        groups = work.map((w) => r.bindGroup(layout, [
          { binding: 0, resource: r.uniforms },
          { binding: 1, resource: !inPlace && w.src ? w.src : { buffer: placeholder(state, 1) } },
          { binding: 2, resource: w.dst ?? { buffer: placeholder(state, 2) } },
          { binding: 3, resource: w.mask ?? { buffer: placeholder(state, 3) } },
          { binding: 4, resource: { buffer: tieLog ?? placeholder(state, 4) } },
          { binding: 7, resource: { buffer: stage ?? job.dynamicScale ?? placeholder(state, 7) } },
          ...(biasBinding ? [
            { binding: 5, resource: biasBinding },
            { binding: 6, resource: w.aux ?? { buffer: placeholder(state, 6) } },
          ] : []),
        ], job.operation));
        boundUniforms = uniforms;
        boundTieLog = tieLog;
        boundStage = stage;
      }
      for (let i = 0; i < work.length; i++) {
        const pass = r.pass();
        r.bind(pass, groups[i]!, i);
        for (const d of work[i]!.dispatches) {
          pass.setPipeline(r.pipeline(index(d.entry)));
          pass.dispatchWorkgroups(d.grid[0], d.grid[1]);
        }
        pass.end();
      }
    },
  };
}
