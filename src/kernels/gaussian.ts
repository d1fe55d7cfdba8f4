// Gaussian (multiplicative) dropout: shaders/gaussian.wgsl.
import gaussianSource from '../../shaders/gaussian.wgsl?raw';
import { type BufferRange } from '../gpu/buffers.js';
import { type DeviceState } from '../gpu/device-state.js';
import { type KernelPlan } from '../gpu/execute.js';
import { u64Words } from '../rng/seed.js';
import { philoxUniformPart } from '../rng/philox.js';
import { GAUSSIAN_STREAM } from '../spec/gaussian.js';
import { PHILOX_WGSL, type WorkgroupSize } from './dropout-family.js';
import { elementwiseLayout, planElementwise, writeScalars } from './elementwise.js';

/** Mirror of `struct Params` in shaders/gaussian.wgsl. */
export const GAUSSIAN_FIELDS = [
  'n', 'block_base', 'sigma', 'groups', 'seed_lo', 'seed_hi', 'offset_lo', 'offset_hi', 'src_shift', 'dst_shift', 'pad0', 'pad1',
] as const;
const FLOATS = new Set(['sigma']);
/** The scalars, then `pre: vec4<u32>` (16-byte aligned after 12 scalars). */
export const GAUSSIAN_PARAMS_BYTES = 4 * GAUSSIAN_FIELDS.length + 16;
const LAYOUT = elementwiseLayout('gaussian', GAUSSIAN_PARAMS_BYTES);

export interface GaussianJob {
  src: BufferRange;
  dst: BufferRange;
  n: number;
  sigma: number;
  seed: bigint;
  offset: bigint;
  /** The tensors hold f16 (vec4-ready; arithmetic stays f32). */
  f16: boolean;
  workgroupSize: WorkgroupSize;
  operation: string;
}

/** Plans Gaussian dropout for the shared call path. */
export function planGaussian(state: DeviceState, job: GaussianJob): KernelPlan {
  let seedLo = 0, seedHi = 0, offsetLo = 0, offsetHi = 0;
  let pre: number[] = [];
  const rekey = (seed: bigint, offset: bigint): void => {
    [seedLo, seedHi] = u64Words(seed);
    [offsetLo, offsetHi] = u64Words(offset);
    pre = philoxUniformPart(offsetLo, offsetHi, [seedLo, seedHi], GAUSSIAN_STREAM);
  };
  rekey(job.seed, job.offset);
  return planElementwise(state, {
    rekey,
    family: 'gaussian',
    prefix: PHILOX_WGSL,
    source: gaussianSource,
    variant: 'box-muller',
    layout: LAYOUT,
    paramsBytes: GAUSSIAN_PARAMS_BYTES,
    writeParams: (view, at, chunk, src, dst, groups) => {
      writeScalars(view, at, GAUSSIAN_FIELDS, FLOATS, {
        n: chunk.count, block_base: chunk.start / 4, sigma: job.sigma, groups,
        seed_lo: seedLo, seed_hi: seedHi, offset_lo: offsetLo, offset_hi: offsetHi,
        src_shift: src.shift, dst_shift: dst.shift, pad0: 0, pad1: 0,
      });
      pre.forEach((word, i) => view.setUint32(at + 4 * GAUSSIAN_FIELDS.length + 4 * i, word, true));
    },
    src: job.src, dst: job.dst, n: job.n, f16: job.f16, workgroupSize: job.workgroupSize, operation: job.operation,
  });
}
