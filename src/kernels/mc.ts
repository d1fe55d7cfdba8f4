// Monte Carlo dropout on the GPU (shaders/mc.wgsl).
import mcSource from '../../shaders/mc.wgsl?raw';
import { mcConstants } from '../spec/mc.js';
import { DropoutArgumentError } from '../errors.js';
import { type BufferRange } from '../gpu/buffers.js';
import { limitsOf, placeholder, type DeviceState } from '../gpu/device-state.js';
import { dispatchGrid } from '../gpu/geometry.js';
import { type LayoutSpec } from '../gpu/pipeline-cache.js';
import { specialize } from '../gpu/specialize.js';
import { type KernelPlan } from '../gpu/execute.js';
import { blocksFor } from '../rng/layout.js';
import { u64Words } from '../rng/seed.js';
import { type DropRate } from '../rng/threshold.js';
import { BERNOULLI_WGSL, type WorkgroupSize } from './dropout-family.js';
import { ruleFor } from './dropout-params.js';
import { writeScalars } from './elementwise.js';

/** Mirror of `struct Params` in shaders/mc.wgsl. */
export const MC_FIELDS = [
  'n', 'samples', 'keep_from', 'tie_nibble', 'tie_keep_byte', 'tie_deep_byte', 'tie_up', 'deep_from', 'ties',
  'scale', 'inv_k', 'var_factor', 'seed_lo', 'seed_hi', 'offset_lo', 'offset_hi', 'x_shift', 'out_shift', 'mean_shift', 'var_shift',
] as const;
const FLOATS = new Set(['scale', 'inv_k', 'var_factor']);
export const MC_PARAMS_BYTES = 4 * MC_FIELDS.length;

const COMPUTE = 0x4;
const LAYOUT: LayoutSpec = {
  name: 'mc',
  entries: [
    { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: MC_PARAMS_BYTES } },
    { binding: 1, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
    { binding: 2, visibility: COMPUTE, buffer: { type: 'storage' } },
    { binding: 3, visibility: COMPUTE, buffer: { type: 'storage' } },
    { binding: 4, visibility: COMPUTE, buffer: { type: 'storage' } },
  ],
};

export interface McJob {
  x: BufferRange;
  /** K outputs, sample-major (K·n values), or null. */
  out: BufferRange | null;
  mean: BufferRange | null;
  variance: BufferRange | null;
  n: number;
  samples: number;
  unbiased: boolean;
  rate: DropRate;
  seed: bigint;
  offset: bigint;
  /** The tensors hold f16 (arithmetic stays f32). */
  f16: boolean;
  workgroupSize: WorkgroupSize;
  operation: string;
}

/** A whole range as one binding: aligned start, element shift; refused past the binding limit (`what`: the operation, for the message). */
export function binding(state: DeviceState, range: BufferRange, elementBytes: number, what = 'Monte Carlo dropout'): { resource: GPUBufferBinding; shift: number } {
  const limits = limitsOf(state);
  const start = range.byteOffset - (range.byteOffset % limits.storageAlign);
  // Whole 4-byte words (an odd count of f16 values takes the next half word: f16 tensors are
  // validated to have room up to their next vec4).
  const size = Math.ceil((range.byteOffset + range.byteLength - start) / 4) * 4;
  if (size > limits.maxBindingBytes) {
    throw new DropoutArgumentError(range.name, range.buffer, `a tensor of at most maxStorageBufferBindingSize = ${limits.maxBindingBytes} bytes for ${what}`, `it needs ${size}`);
  }
  return { resource: { buffer: range.buffer, offset: start, size: Math.max(4, size) }, shift: (range.byteOffset - start) / elementBytes };
}

/** Plans Monte Carlo dropout for the shared call path: one dispatch. */
export function planMc(state: DeviceState, job: McJob): KernelPlan {
  const flags = { SAMPLES: job.out !== null, STATS: job.mean !== null || job.variance !== null };
  const moduleKey = `mc:${job.f16 ? 'f16' : 'f32'}:${flags.SAMPLES ? 'samples' : ''}${flags.STATS ? '+stats' : ''}`;
  const elem = job.f16 ? 'alias Elem = f16;' : 'alias Elem = f32;';
  const elementBytes = job.f16 ? 2 : 4;
  const x = binding(state, job.x, elementBytes);
  const bound = [job.out, job.mean, job.variance].map((r, i) => (r ? binding(state, r, elementBytes) : { resource: { buffer: placeholder(state, i + 2) }, shift: 0 }));
  let [seedLo, seedHi] = u64Words(job.seed);
  let [offsetLo, offsetHi] = u64Words(job.offset);
  const { invK, varFactor } = mcConstants(job.samples, job.unbiased);
  const workgroups = Math.ceil(blocksFor(job.n) / job.workgroupSize);
  const grid = dispatchGrid(workgroups, limitsOf(state).maxPerDimension);
  return {
    pipelines: [{
      key: `${moduleKey}:mc_dropout:wg${job.workgroupSize}`, moduleKey, entry: 'mc_dropout', layout: LAYOUT,
      code: () => `${job.f16 ? 'enable f16;\n' : ''}${BERNOULLI_WGSL}\n${elem}\n${specialize(mcSource, flags, 'mc.wgsl')}`, constants: { WORKGROUP_SIZE: job.workgroupSize },
    }],
    uniformBytes: MC_PARAMS_BYTES,
    slots: 1,
    writeUniforms: (view, at) => writeScalars(view, at(0), MC_FIELDS, FLOATS, {
      n: job.n, samples: job.samples, ...ruleFor(job.rate), ties: job.rate.ties ? 1 : 0, scale: job.rate.scale, inv_k: invK, var_factor: varFactor,
      seed_lo: seedLo, seed_hi: seedHi, offset_lo: offsetLo, offset_hi: offsetHi,
      x_shift: x.shift, out_shift: bound[0]!.shift, mean_shift: bound[1]!.shift, var_shift: bound[2]!.shift,
    }),
    rekey: (seed, offset) => {
      [seedLo, seedHi] = u64Words(seed);
      [offsetLo, offsetHi] = u64Words(offset);
    },
    dispatches: 1,
    record: (r) => {
      const bindGroup = r.bindGroup(LAYOUT, [
        { binding: 0, resource: r.uniforms },
        { binding: 1, resource: x.resource },
        ...bound.map((b, i) => ({ binding: i + 2, resource: b.resource })),
      ], job.operation);
      const pass = r.pass();
      pass.setPipeline(r.pipeline(0));
      r.bind(pass, bindGroup, 0);
      pass.dispatchWorkgroups(grid[0], grid[1]);
      pass.end();
    },
  };
}
