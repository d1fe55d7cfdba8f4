// Pipeline cache. One WGSL source for the dropout family (shaders/dropout.wgsl), specialized by a
// small key of what changes the code: entry point, element access (vec4 or scalar), mask output,
// tie logging and workgroup size. Per-call values (p, seed, offset, n, shifts) travel in the
// uniform buffer, so one pipeline serves every size and rate.
import philoxSource from '../../shaders/philox.wgsl?raw';
import dropoutSource from '../../shaders/dropout.wgsl?raw';
import ioVec4Source from '../../shaders/io-vec4.wgsl?raw';
import ioScalarSource from '../../shaders/io-scalar.wgsl?raw';
import { DropoutGPUError } from '../errors.js';
import { type DeviceState } from './device-state.js';
import { PARAMS_BYTES } from './params.js';
import { specialize } from './specialize.js';

export type DropoutEntry =
  | 'dropout_main' | 'dropout_main_tail' | 'dropout_ties'
  | 'dropout_apply_mask' | 'dropout_apply_mask_tail' | 'dropout_fill_mask';
export type WorkgroupSize = 64 | 128 | 256;
/** Element access: vec4 loads for 16-byte-aligned tensors, scalar ones for any other offset. */
export type ElementAccess = 'vec4' | 'scalar';

export interface KernelKey {
  entry: DropoutEntry;
  io: ElementAccess;
  /** The draw writes a packed mask (dropout_main and dropout_ties). */
  writeMask: boolean;
  /** The draw's threshold can tie on the top byte, so ties are logged and resolved. */
  ties: boolean;
  /** Some binding starts before its chunk (a caller byte offset that is not 256-aligned). */
  shift: boolean;
  workgroupSize: WorkgroupSize;
}

/** WGSL of Philox4x32-10: `philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32>`, for your own shaders. */
export const PHILOX_WGSL: string = philoxSource;

/** The dropout family's WGSL as compiled for one key (all entry points). */
export function dropoutWgsl(key: Pick<KernelKey, 'io' | 'writeMask' | 'ties' | 'shift'>): string {
  const body = specialize(dropoutSource, { WRITE_MASK: key.writeMask, TIES: key.ties }, 'dropout.wgsl');
  const io = key.io === 'vec4' ? specialize(ioVec4Source, { SHIFT: key.shift }, 'io-vec4.wgsl') : ioScalarSource;
  return `${philoxSource}\n${io}\n${body}`;
}

function moduleKey(key: KernelKey): string {
  const io = key.io === 'vec4' && key.shift ? 'vec4+shift' : key.io;
  return `io=${io}:mask=${key.writeMask ? 'bits' : 'none'}:${key.ties ? 'ties' : 'noties'}`;
}

/** The explicit cache key, also the pipeline's label: e.g. `dropout:dropout_main:f32:io=vec4:mask=bits:ties:wg64`. */
export function kernelKey(key: KernelKey): string {
  const wg = key.entry === 'dropout_ties' ? 64 : key.workgroupSize;
  return `dropout:${key.entry}:f32:${moduleKey(key)}:wg${wg}`;
}

function layouts(state: DeviceState): NonNullable<DeviceState['layouts']> {
  if (state.layouts) return state.layouts;
  const device = state.device;
  const compute = 0x4; // GPUShaderStage.COMPUTE
  const entries = (tieLog: GPUBufferBindingType): GPUBindGroupLayoutEntry[] => [
    { binding: 0, visibility: compute, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PARAMS_BYTES } },
    { binding: 1, visibility: compute, buffer: { type: 'read-only-storage' } },
    { binding: 2, visibility: compute, buffer: { type: 'storage' } },
    { binding: 3, visibility: compute, buffer: { type: 'storage' } },
    { binding: 4, visibility: compute, buffer: { type: tieLog } },
  ];
  // Forward and backward share `main`; the tie pass reads the log it is also dispatched from
  // (INDIRECT), which WebGPU allows only for a read-only binding, hence its own layout.
  const main = device.createBindGroupLayout({ label: 'webgpu-dropout main', entries: entries('storage') });
  const ties = device.createBindGroupLayout({ label: 'webgpu-dropout ties', entries: entries('read-only-storage') });
  state.layouts = {
    main,
    ties,
    mainPipeline: device.createPipelineLayout({ label: 'webgpu-dropout main', bindGroupLayouts: [main] }),
    tiesPipeline: device.createPipelineLayout({ label: 'webgpu-dropout ties', bindGroupLayouts: [ties] }),
  };
  return state.layouts;
}

export function bindGroupLayout(state: DeviceState, entry: DropoutEntry): GPUBindGroupLayout {
  const all = layouts(state);
  return entry === 'dropout_ties' ? all.ties : all.main;
}

function compileErrors(info: GPUCompilationInfo): string {
  return info.messages
    .filter((m) => m.type === 'error')
    .map((m) => `error at ${m.lineNum}:${m.linePos}: ${m.message}`)
    .join('\n');
}

async function shaderModule(state: DeviceState, key: KernelKey): Promise<GPUShaderModule> {
  const label = `webgpu-dropout dropout.wgsl ${moduleKey(key)}`;
  const cached = state.modules.get(label);
  if (cached) return cached;
  const device = state.device;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label, code: dropoutWgsl(key) });
  const [error, info] = await Promise.all([device.popErrorScope(), module.getCompilationInfo()]);
  const messages = compileErrors(info);
  if (error || messages) throw new DropoutGPUError('GPU_VALIDATION', label, messages || error!.message);
  state.modules.set(label, module);
  return module;
}

async function compile(state: DeviceState, key: KernelKey, label: string): Promise<GPUComputePipeline> {
  const device = state.device;
  const module = await shaderModule(state, key);
  const all = layouts(state);
  const constants: Record<string, number> = {};
  if (key.entry !== 'dropout_ties') constants.WORKGROUP_SIZE = key.workgroupSize;
  try {
    const pipeline = await device.createComputePipelineAsync({
      label,
      layout: key.entry === 'dropout_ties' ? all.tiesPipeline : all.mainPipeline,
      compute: { module, entryPoint: key.entry, constants },
    });
    state.stats.pipelines++;
    return pipeline;
  } catch (error) {
    throw new DropoutGPUError('GPU_VALIDATION', label, (error as Error).message);
  }
}

/** The pipeline for `key` on this device, compiled once; concurrent requests share one compile. */
export function getPipeline(state: DeviceState, key: KernelKey): Promise<GPUComputePipeline> {
  const label = kernelKey(key);
  let pending = state.pipelines.get(label);
  if (!pending) {
    pending = compile(state, key, label);
    state.pipelines.set(label, pending);
    pending.catch(() => state.pipelines.delete(label));
  }
  return pending;
}
