// Everything we keep per caller device, in a WeakMap so a dropped device frees it all. We never
// own the device: on loss we drop the state and let the next call fail or start afresh.
import { DropoutArgumentError, DropoutDeviceLostError } from '../errors.js';

/** Internal overrides so tests can reach paths that default limits hide. */
export interface TestLimits {
  /** Pretend maxStorageBufferBindingSize is this many bytes (forces chunking). */
  maxBindingBytes?: number;
  /** Pretend maxComputeWorkgroupsPerDimension is this (forces 2-D dispatch). */
  maxWorkgroupsPerDimension?: number;
  /** Tie log capacity in blocks (0 forces the overflow path). */
  tieCapacity?: number;
}

export interface DeviceState {
  readonly device: GPUDevice;
  lost: GPUDeviceLostInfo | null;
  /** Compiled pipelines by key (see src/gpu/pipeline-cache.ts). */
  readonly pipelines: Map<string, Promise<GPUComputePipeline>>;
  readonly modules: Map<string, Promise<GPUShaderModule>>;
  readonly layouts: Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>;
  /**
   * Buffers we own and reuse across calls, by name: 'uniforms' for calls we submit ourselves
   * (writeBuffer is queue-ordered, so one buffer serves them all), tie logs, mask scratch.
   */
  readonly scratch: Map<string, GPUBuffer>;
  /** Stand-ins for bindings an entry point ignores, one per binding so writable ones never alias. */
  readonly placeholders: Map<number, GPUBuffer>;
  readonly created: GPUBuffer[];
  testLimits: TestLimits;
  readonly stats: { pipelines: number; buffers: number };
}

const states = new WeakMap<GPUDevice, DeviceState>();

function isDevice(value: unknown): value is GPUDevice {
  return typeof value === 'object' && value !== null
    && typeof (value as GPUDevice).createComputePipelineAsync === 'function'
    && typeof (value as GPUDevice).queue === 'object';
}

/** The state of a live device; throws DropoutDeviceLostError if it was lost. */
export function deviceState(device: unknown): DeviceState {
  if (!isDevice(device)) throw new DropoutArgumentError('device', device, 'a GPUDevice');
  let state = states.get(device);
  if (!state) {
    const fresh: DeviceState = {
      device, lost: null, pipelines: new Map(), modules: new Map(), layouts: new Map(), scratch: new Map(),
      placeholders: new Map(), created: [], testLimits: {}, stats: { pipelines: 0, buffers: 0 },
    };
    state = fresh;
    states.set(device, fresh);
    void device.lost.then((info) => {
      fresh.lost = info;
      fresh.pipelines.clear();
      if (states.get(device) === fresh) states.delete(device);
    });
  }
  if (state.lost) throw lostError(state.lost);
  return state;
}

export function lostError(info: GPUDeviceLostInfo): DropoutDeviceLostError {
  return new DropoutDeviceLostError(info.reason ?? 'unknown', info.message);
}

export function limitsOf(state: DeviceState): { maxBindingBytes: number; maxPerDimension: number; storageAlign: number; uniformAlign: number } {
  const limits = state.device.limits;
  return {
    maxBindingBytes: Math.min(limits.maxStorageBufferBindingSize, state.testLimits.maxBindingBytes ?? Infinity),
    maxPerDimension: Math.min(limits.maxComputeWorkgroupsPerDimension, state.testLimits.maxWorkgroupsPerDimension ?? Infinity),
    storageAlign: limits.minStorageBufferOffsetAlignment,
    uniformAlign: limits.minUniformBufferOffsetAlignment,
  };
}

export function createOwnedBuffer(state: DeviceState, descriptor: GPUBufferDescriptor): GPUBuffer {
  const buffer = state.device.createBuffer(descriptor);
  state.created.push(buffer);
  state.stats.buffers++;
  return buffer;
}

/** Our reusable buffer `name` of at least `size` bytes, replaced (never destroyed early) when too small. */
export function ensureBuffer(state: DeviceState, name: string, size: number, usage: number): GPUBuffer {
  const current = state.scratch.get(name);
  if (current && current.size >= size) return current;
  // The old buffer may still be referenced by encoded but unsubmitted work, so it is only
  // forgotten here and freed by the garbage collector, not destroyed.
  if (current) state.created.splice(state.created.indexOf(current), 1);
  const grown = createOwnedBuffer(state, { label: `webgpu-dropout ${name}`, size: Math.max(size, (current?.size ?? 0) * 2), usage });
  state.scratch.set(name, grown);
  return grown;
}

/** A tiny storage buffer bound at `binding` where an entry point ignores that binding. */
export function placeholder(state: DeviceState, binding: number): GPUBuffer {
  let buffer = state.placeholders.get(binding);
  if (!buffer) {
    buffer = createOwnedBuffer(state, { label: `webgpu-dropout placeholder ${binding}`, size: 16, usage: 0x80 });
    state.placeholders.set(binding, buffer);
  }
  return buffer;
}

/**
 * Frees every GPU object this library created on `device` (pipelines, uniform and scratch
 * buffers). Buffers you passed in are never touched. Later calls start afresh.
 * @example releaseDevice(device);
 */
export function releaseDevice(device: GPUDevice): void {
  const state = states.get(device);
  if (!state) return;
  for (const buffer of state.created) buffer.destroy();
  states.delete(device);
}

/**
 * Lowers the limits the kernels plan with on one device, below what the device allows — to test
 * chunking, 2-D dispatch and the tie-log overflow path on small tensors. Results never change.
 * Pass `{}` to go back to the device's own limits.
 * @example configureDevice(device, { maxBindingBytes: 1 << 16 }); // 64 KiB chunks
 */
export function configureDevice(device: GPUDevice, limits: TestLimits): void {
  const state = deviceState(device);
  const checked: TestLimits = {};
  const positive = (name: keyof TestLimits, min: number): void => {
    const value = limits[name];
    if (value === undefined) return;
    if (!Number.isSafeInteger(value) || value < min) throw new DropoutArgumentError(name, value, `an integer >= ${min}`);
    checked[name] = value;
  };
  positive('maxBindingBytes', 4096 + device.limits.minStorageBufferOffsetAlignment);
  positive('maxWorkgroupsPerDimension', 1);
  positive('tieCapacity', 0);
  state.testLimits = checked;
}

/** Counts for leak tests: pipelines compiled and buffers created on this device so far. */
export function deviceStats(device: GPUDevice): { pipelines: number; buffers: number; cachedPipelines: number; liveBuffers: number } {
  const state = states.get(device);
  return state
    ? { ...state.stats, cachedPipelines: state.pipelines.size, liveBuffers: state.created.length }
    : { pipelines: 0, buffers: 0, cachedPipelines: 0, liveBuffers: 0 };
}
