// DropConnect fused into a linear layer (shaders/dropconnect.wgsl), on the public mask building
// block (DROPOUT_MASK_WGSL): one plan per call, one dispatch per output.
import dropConnectSource from '../../shaders/dropconnect.wgsl?raw';
import { DropoutArgumentError } from '../errors.js';
import { type BufferRange } from '../gpu/buffers.js';
import { limitsOf, placeholder, type DeviceState } from '../gpu/device-state.js';
import { type KernelPlan } from '../gpu/execute.js';
import { type LayoutSpec, type PipelineSpec } from '../gpu/pipeline-cache.js';
import { dropRate } from '../rng/threshold.js';
import { binding } from './mc.js';
import { DROPOUT_MASK_WGSL, MASK_UNIFORM_WORDS, maskUniforms } from './wgsl-mask.js';

/** Mirror of `struct Params` in shaders/dropconnect.wgsl after its wd_Mask (words 12 on). */
export const DC_FIELDS = ['batch', 'in_f', 'out_f', 'has_bias', 'x_shift', 'w_shift', 'b_shift', 'y_shift', 'dw_shift', 'db_shift', 'pad0', 'pad1'] as const;
export const DC_PARAMS_BYTES = 4 * (MASK_UNIFORM_WORDS + DC_FIELDS.length);
const TILE = 16;
/** Batch rows per invocation of dc_forward and dc_backward_dx (ROWS in the WGSL). */
const BATCH_ROWS = 8;

const COMPUTE = 0x4;
const LAYOUT: LayoutSpec = {
  name: 'dropconnect',
  entries: [
    { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: DC_PARAMS_BYTES } },
    ...[1, 2, 3].map((b) => ({ binding: b, visibility: COMPUTE, buffer: { type: 'read-only-storage' as const } })),
    ...[4, 5, 6].map((b) => ({ binding: b, visibility: COMPUTE, buffer: { type: 'storage' as const } })),
  ],
};

export type DropConnectEntry = 'dc_forward' | 'dc_backward_dx' | 'dc_backward_dw' | 'dc_backward_db';

/** The pipeline of one entry point, e.g. key `dropconnect:f32:dc_forward:masked` (`plain`: no mask drawn). */
export function dropConnectPipeline(entry: DropConnectEntry, f16: boolean, masked: boolean): PipelineSpec {
  const moduleKey = `dropconnect:${f16 ? 'f16' : 'f32'}`;
  return {
    key: `${moduleKey}:${entry}:${masked ? 'masked' : 'plain'}`, moduleKey, entry, layout: LAYOUT, constants: { MASKED: masked ? 1 : 0 },
    code: () => `${f16 ? 'enable f16;\n' : ''}${DROPOUT_MASK_WGSL}\nalias Elem = ${f16 ? 'f16' : 'f32'};\n${dropConnectSource}`,
  };
}

export interface DropConnectJob {
  direction: 'forward' | 'backward';
  x: BufferRange;
  weight: BufferRange;
  /** The bias (forward) or dy (backward). */
  third: BufferRange | null;
  /** y (forward) or dx (backward). */
  out: BufferRange | null;
  dWeight: BufferRange | null;
  dBias: BufferRange | null;
  batch: number;
  inFeatures: number;
  outFeatures: number;
  /** The draw (p = 0 in eval). */
  seed: bigint;
  offset: bigint;
  p: number;
  f16: boolean;
  operation: string;
}

/** Plans one DropConnect linear call: the forward, or the backward's requested gradients. */
export function planDropConnect(state: DeviceState, job: DropConnectJob): KernelPlan {
  const limits = limitsOf(state);
  const elementBytes = job.f16 ? 2 : 4;
  const bind = (range: BufferRange | null, slot: number): { resource: GPUBufferBinding; shift: number } =>
    range ? binding(state, range, elementBytes, job.operation) : { resource: { buffer: placeholder(state, slot) }, shift: 0 };
  const bound = [job.x, job.weight, job.third, job.out, job.dWeight, job.dBias].map((r, i) => bind(r, i + 1));
  // Each dispatch's grid, with the argument and the span of one workgroup along each dimension.
  type Axis = [name: string, value: number, span: number];
  const batch: Axis = ['batch', job.batch, TILE * BATCH_ROWS];
  const outs: Axis = ['outFeatures', job.outFeatures, TILE];
  const ins: Axis = ['inFeatures', job.inFeatures, TILE];
  const dispatches: { entry: DropConnectEntry; axes: [Axis, Axis] }[] = job.direction === 'forward'
    ? [{ entry: 'dc_forward', axes: [outs, batch] }]
    : [
        ...(job.out ? [{ entry: 'dc_backward_dx' as const, axes: [ins, batch] as [Axis, Axis] }] : []),
        ...(job.dWeight ? [{ entry: 'dc_backward_dw' as const, axes: [ins, outs] as [Axis, Axis] }] : []),
        ...(job.dBias ? [{ entry: 'dc_backward_db' as const, axes: [['outFeatures', job.outFeatures, 64], ['', 1, 1]] as [Axis, Axis] }] : []),
      ];
  const grids = dispatches.map((d) => d.axes.map(([name, value, span]) => {
    const groups = Math.ceil(value / span);
    if (groups > limits.maxPerDimension) {
      throw new DropoutArgumentError(name, value, `at most ${span * limits.maxPerDimension} (${span} · maxComputeWorkgroupsPerDimension) for ${job.operation}`);
    }
    return groups;
  }) as [number, number]);
  let mask = maskUniforms(job.seed, job.offset, job.p);
  const masked = !dropRate(job.p).keepsAll; // eval (p = 0 here) or p rounding to 0: the plain layer
  return {
    pipelines: dispatches.map((d) => dropConnectPipeline(d.entry, job.f16, masked)),
    uniformBytes: DC_PARAMS_BYTES,
    slots: 1,
    writeUniforms: (view, at) => {
      const base = at(0);
      mask.forEach((word, i) => view.setUint32(base + 4 * i, word, true));
      const values: Record<(typeof DC_FIELDS)[number], number> = {
        batch: job.batch, in_f: job.inFeatures, out_f: job.outFeatures, has_bias: job.direction === 'forward' && job.third ? 1 : 0,
        x_shift: bound[0]!.shift, w_shift: bound[1]!.shift, b_shift: bound[2]!.shift, y_shift: bound[3]!.shift, dw_shift: bound[4]!.shift, db_shift: bound[5]!.shift, pad0: 0, pad1: 0,
      };
      DC_FIELDS.forEach((name, i) => view.setUint32(base + 4 * (MASK_UNIFORM_WORDS + i), values[name], true));
    },
    rekey: (seed, offset) => {
      mask = maskUniforms(seed, offset, job.p);
    },
    dispatches: dispatches.length,
    record: (r) => {
      const group = r.bindGroup(LAYOUT, [{ binding: 0, resource: r.uniforms }, ...bound.map((b, i) => ({ binding: i + 1, resource: b.resource }))], job.operation);
      const pass = r.pass();
      dispatches.forEach((_, i) => {
        pass.setPipeline(r.pipeline(i));
        r.bind(pass, group, 0);
        pass.dispatchWorkgroups(grids[i]![0], grids[i]![1]);
      });
      pass.end();
    },
  };
}
