// Shared driver for one-vec4-per-invocation kernels over a tensor (shaders/broadcast.wgsl,
// shaders/gaussian.wgsl): chunk the tensor into bindings, write one uniform struct per chunk,
// dispatch `<family>_apply` over whole vec4s and `<family>_apply_tail` for a partial last vec4.
import { type BufferRange } from '../gpu/buffers.js';
import { chunkElements, elementBinding, planChunks, vec4Ready, type Binding, type Chunk } from '../gpu/chunks.js';
import { limitsOf, type DeviceState } from '../gpu/device-state.js';
import { dispatchGrid } from '../gpu/geometry.js';
import { type LayoutSpec, type PipelineSpec } from '../gpu/pipeline-cache.js';
import { type KernelPlan } from '../gpu/execute.js';
import { ioKey, ioSource, type WorkgroupSize } from './dropout-family.js';
import { placeholder } from '../gpu/device-state.js';

const COMPUTE = 0x4;

/** Bindings 0 (uniform params), 1 (src) and 2 (dst), then the family's own. */
export function elementwiseLayout(name: string, paramsBytes: number, extra: GPUBindGroupLayoutEntry[] = []): LayoutSpec {
  return {
    name,
    entries: [
      { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: paramsBytes } },
      { binding: 1, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
      { binding: 2, visibility: COMPUTE, buffer: { type: 'storage' } },
      ...extra,
    ],
  };
}

export interface ElementwiseJob {
  /** Family name: entry points are `<family>_apply` and `<family>_apply_tail`. */
  family: string;
  /** The family's WGSL (after its own specialization), appended to Philox/io sources by `prefix`. */
  source: string;
  /** WGSL prepended before the io file (e.g. Philox). */
  prefix?: string;
  /** What the family's specialization chose, for the module key (e.g. 'out=affine:inner4'). */
  variant: string;
  layout: LayoutSpec;
  paramsBytes: number;
  /** Writes the uniform struct of one chunk at byte `at`. */
  writeParams(view: DataView, at: number, chunk: Chunk, src: Binding, dst: Binding, groups: number): void;
  /** Bindings past 2, the same for every chunk. */
  extraBindings?: GPUBindGroupEntry[];
  /** What the plan's `rekey` does, for a family whose uniforms hold the draw key; else none. */
  rekey?: (seed: bigint, offset: bigint) => void;
  src: BufferRange;
  dst: BufferRange;
  n: number;
  /** f16 tensors (vec4 access only, checked by the caller). */
  f16?: boolean | undefined;
  workgroupSize: WorkgroupSize;
  operation: string;
}

/** Plans the job for the shared call path: one uniform struct and one compute pass per chunk. */
export function planElementwise(state: DeviceState, job: ElementwiseJob): KernelPlan {
  const limits = limitsOf(state);
  const elementBytes = job.f16 ? 2 : 4;
  const vec4 = vec4Ready(job.src, job.n, elementBytes) && vec4Ready(job.dst, job.n, elementBytes);
  const work = planChunks(job.n, chunkElements(limits.maxBindingBytes, limits.storageAlign)).map((chunk) => ({
    chunk,
    src: elementBinding(job.src, chunk, limits.storageAlign, vec4, elementBytes),
    dst: elementBinding(job.dst, chunk, limits.storageAlign, vec4, elementBytes),
    groups: Math.ceil(Math.floor(chunk.count / 4) / job.workgroupSize),
  }));
  const shift = work.some((w) => w.src.shift !== 0 || w.dst.shift !== 0);
  const inPlace = job.src.buffer === job.dst.buffer && job.src.byteOffset === job.dst.byteOffset;
  const io = vec4 ? 'vec4' : 'scalar';
  const moduleKey = `${job.family}:${job.f16 ? 'f16' : 'f32'}:io=${ioKey(io, shift, inPlace)}:${job.variant}`;
  const code = (): string => `${job.f16 ? 'enable f16;\n' : ''}${job.prefix ?? ''}\n${ioSource(io, shift, inPlace, job.f16)}\n${job.source}`;
  const spec = (entry: string, constants: Record<string, number>): PipelineSpec =>
    ({ key: `${moduleKey}:${entry}:wg${constants.WORKGROUP_SIZE ?? 1}`, moduleKey, code, entry, layout: job.layout, constants });
  const MAIN = 0;
  const TAIL = 1;
  return {
    pipelines: [spec(`${job.family}_apply`, { WORKGROUP_SIZE: job.workgroupSize }), spec(`${job.family}_apply_tail`, {})],
    uniformBytes: job.paramsBytes,
    slots: work.length,
    ...(job.rekey ? { rekey: job.rekey } : { keyless: true }),
    writeUniforms: (view, at) => work.forEach((w, i) => job.writeParams(view, at(i), w.chunk, w.src, w.dst, w.groups)),
    dispatches: work.reduce((count, w) => count + (w.groups > 0 ? 1 : 0) + (w.chunk.count % 4 !== 0 ? 1 : 0), 0),
    record: (r) => work.forEach((w, i) => {
      const bindGroup = r.bindGroup(job.layout, [
        { binding: 0, resource: r.uniforms },
        { binding: 1, resource: inPlace ? { buffer: placeholder(state, 1) } : w.src },
        { binding: 2, resource: w.dst },
        ...(job.extraBindings ?? []),
      ], job.operation);
      const pass = r.pass();
      r.bind(pass, bindGroup, i);
      if (w.groups > 0) {
        pass.setPipeline(r.pipeline(MAIN));
        const [x, y] = dispatchGrid(w.groups, limits.maxPerDimension);
        pass.dispatchWorkgroups(x, y);
      }
      if (w.chunk.count % 4 !== 0) {
        pass.setPipeline(r.pipeline(TAIL));
        pass.dispatchWorkgroups(1);
      }
      pass.end();
    }),
  };
}

/** Writes scalar struct fields in order (f32 for names in `floats`, u32 otherwise). */
export function writeScalars<F extends string>(view: DataView, at: number, fields: readonly F[], floats: ReadonlySet<string>, values: Record<F, number>): void {
  fields.forEach((name, i) => {
    if (floats.has(name)) view.setFloat32(at + 4 * i, values[name], true);
    else view.setUint32(at + 4 * i, values[name] >>> 0, true);
  });
}
