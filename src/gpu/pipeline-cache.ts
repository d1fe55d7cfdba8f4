// Shader modules, bind group layouts and compute pipelines, cached per device by explicit keys.
// A kernel family (src/kernels/*) says what its key is and how to build its WGSL; this file owns
// compiling once, sharing compiles in flight, and turning failures into DropoutGPUErrors with
// the compiler's messages and the key.
import { DropoutGPUError } from '../errors.js';
import { lostError, settledLoss, type DeviceState } from './device-state.js';

export interface LayoutSpec {
  /** Cache key of the layout, e.g. 'dropout:main'. */
  name: string;
  entries: GPUBindGroupLayoutEntry[];
}

export interface PipelineSpec {
  /** Cache key and label of the pipeline: every choice that changes the code, nothing per call. */
  key: string;
  /** Cache key of the shader module (pipelines of one module differ in entry point or constants). */
  moduleKey: string;
  /** The module's WGSL, built only on a cache miss. */
  code: () => string;
  entry: string;
  layout: LayoutSpec;
  constants?: Record<string, number>;
}

export function layoutFor(state: DeviceState, spec: LayoutSpec): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
  let layout = state.layouts.get(spec.name);
  if (!layout) {
    const label = `webgpu-dropout ${spec.name}`;
    const group = state.device.createBindGroupLayout({ label, entries: spec.entries });
    layout = { group, pipeline: state.device.createPipelineLayout({ label, bindGroupLayouts: [group] }) };
    state.layouts.set(spec.name, layout);
  }
  return layout;
}

function compileErrors(info: GPUCompilationInfo): string {
  return info.messages
    .filter((m) => m.type === 'error')
    .map((m) => `error at ${m.lineNum}:${m.linePos}: ${m.message}`)
    .join('\n');
}

async function createModule(state: DeviceState, key: string, code: string): Promise<GPUShaderModule> {
  const device = state.device;
  const label = `webgpu-dropout ${key}`;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label, code });
  const [error, info] = await Promise.all([device.popErrorScope(), module.getCompilationInfo()]);
  const messages = compileErrors(info);
  if (error || messages) {
    const lost = await settledLoss(device);
    if (lost) throw lostError(lost);
    throw new DropoutGPUError('GPU_VALIDATION', label, messages || error!.message);
  }
  return module;
}

function cached<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let pending = map.get(key);
  if (!pending) {
    pending = make();
    map.set(key, pending);
    pending.catch(() => map.delete(key));
  }
  return pending;
}

/** The pipeline for `spec` on this device, compiled once; concurrent requests share one compile. */
export function getPipeline(state: DeviceState, spec: PipelineSpec): Promise<GPUComputePipeline> {
  const ready = state.ready.get(spec.key);
  if (ready) return Promise.resolve(ready);
  return cached(state.pipelines, spec.key, async () => {
    const module = await cached(state.modules, spec.moduleKey, async () => {
      const created = await createModule(state, spec.moduleKey, spec.code());
      state.readyModules.set(spec.moduleKey, created);
      return created;
    });
    try {
      const pipeline = await state.device.createComputePipelineAsync({
        label: spec.key,
        layout: layoutFor(state, spec.layout).pipeline,
        compute: { module, entryPoint: spec.entry, constants: spec.constants ?? {} },
      });
      state.stats.pipelines++;
      state.ready.set(spec.key, pipeline);
      return pipeline;
    } catch (error) {
      const lost = await settledLoss(state.device);
      if (lost) throw lostError(lost);
      throw new DropoutGPUError('GPU_VALIDATION', spec.key, (error as Error).message);
    }
  });
}

/**
 * The pipeline for `spec`, available at once: a compiled one, or one created synchronously now
 * (the driver compiles it before the first submit that uses it). What the call path uses, so a
 * call records before it returns; `prepare()` compiles ahead of time with {@link getPipeline}. A
 * compile or validation failure cannot be known before returning: it is captured by an error
 * scope of its own, and {@link pipelineFailure} reports it to the call that used the pipeline
 * (which failed validation); the pipeline is then forgotten, so the next call tries again.
 */
export function getPipelineSync(state: DeviceState, spec: PipelineSpec): GPUComputePipeline {
  const ready = state.ready.get(spec.key);
  if (ready) return ready;
  const device = state.device;
  device.pushErrorScope('validation');
  let module = state.readyModules.get(spec.moduleKey);
  if (!module) {
    module = device.createShaderModule({ label: `webgpu-dropout ${spec.moduleKey}`, code: spec.code() });
    state.readyModules.set(spec.moduleKey, module);
  }
  const pipeline = device.createComputePipeline({
    label: spec.key,
    layout: layoutFor(state, spec.layout).pipeline,
    compute: { module, entryPoint: spec.entry, constants: spec.constants ?? {} },
  });
  state.ready.set(spec.key, pipeline);
  state.stats.pipelines++;
  const check = device.popErrorScope().then((error) => {
    if (!error) return null;
    if (state.ready.get(spec.key) === pipeline) state.ready.delete(spec.key);
    if (state.readyModules.get(spec.moduleKey) === module) state.readyModules.delete(spec.moduleKey);
    return error.message;
  }, () => null);
  state.pipelineChecks.set(spec.key, check);
  return pipeline;
}

/** The creation error of a pipeline created synchronously, once known; null if none (or not such a pipeline). */
export async function pipelineFailure(state: DeviceState, key: string): Promise<string | null> {
  return (await state.pipelineChecks.get(key)) ?? null;
}
