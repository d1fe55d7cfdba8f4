// Pipeline cache: one shader module per device for the dropout family, specialised by a small
// key of what changes the code (entry point, mask output, workgroup size). Per-call values
// (p, seed, offset, n, shifts) travel in the uniform buffer, so one pipeline serves every call.
import philoxSource from '../../shaders/philox.wgsl?raw';
import dropoutSource from '../../shaders/dropout.wgsl?raw';
import { DropoutGPUError } from '../errors.js';
import { type DeviceState } from './device-state.js';
import { PARAMS_BYTES } from './params.js';

export type DropoutEntry = 'dropout_main' | 'dropout_ties' | 'dropout_apply_mask' | 'dropout_fill_mask';
export type WorkgroupSize = 64 | 128 | 256;

export interface KernelKey {
  entry: DropoutEntry;
  writeMask: boolean;
  workgroupSize: WorkgroupSize;
}

/** WGSL of Philox4x32-10: `philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32>`, for your own shaders. */
export const PHILOX_WGSL: string = philoxSource;

/** The WGSL of the dropout family as compiled: Philox prepended to the kernels. */
export const DROPOUT_WGSL = `${philoxSource}\n${dropoutSource}`;

export function kernelKey(key: KernelKey): string {
  const wg = key.entry === 'dropout_ties' ? 64 : key.workgroupSize;
  return `dropout:${key.entry}:f32:mask=${key.writeMask ? 'bits' : 'none'}:wg${wg}`;
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

async function shaderModule(state: DeviceState): Promise<GPUShaderModule> {
  if (state.module) return state.module;
  const device = state.device;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: 'webgpu-dropout dropout.wgsl', code: DROPOUT_WGSL });
  const [error, info] = await Promise.all([device.popErrorScope(), module.getCompilationInfo()]);
  const messages = compileErrors(info);
  if (error || messages) throw new DropoutGPUError('GPU_VALIDATION', 'dropout.wgsl', messages || error!.message);
  state.module = module;
  return module;
}

async function compile(state: DeviceState, key: KernelKey, label: string): Promise<GPUComputePipeline> {
  const device = state.device;
  const module = await shaderModule(state);
  const all = layouts(state);
  const constants: Record<string, number> = { WRITE_MASK: key.writeMask ? 1 : 0 };
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
