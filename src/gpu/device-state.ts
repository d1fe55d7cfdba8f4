// Everything we keep per caller device, in a WeakMap so a dropped device frees it all. We never
// own the device: on loss we drop the state and let the next call fail or start afresh.
import { DropoutArgumentError, DropoutDeviceLostError } from '../errors.js';
import { SCHEDULES, resolveSchedule, type Schedule } from './schedule.js';
import type { KernelPlan } from './execute.js';

/** Internal overrides so tests can reach paths that default limits hide. */
export interface TestLimits {
  /** Pretend maxStorageBufferBindingSize is this many bytes (forces chunking). */
  maxBindingBytes?: number;
  /** Pretend maxComputeWorkgroupsPerDimension is this (forces 2-D dispatch). */
  maxWorkgroupsPerDimension?: number;
  /** Tie log capacity in blocks (0 forces the overflow path). */
  tieCapacity?: number;
  /**
   * The dispatch schedule of the element-wise kernels (never changes results): 'multi-pass' (a
   * hot kernel without checks, then small passes for the tail, the rare ties and the mask; fastest
   * on CPU adapters such as SwiftShader), 'single-pass' (one dispatch per chunk; for GPUs) or
   * 'auto' (multi-pass on a CPU adapter, else single-pass; the default). Unlike the limits it
   * stays until set again: `configureDevice(device, {})` keeps it.
   */
  schedule?: Schedule;
}

export interface DeviceState {
  readonly device: GPUDevice;
  /** device.queue, read once (a property read of a native object is not free on the hot path). */
  readonly queue: GPUQueue;
  /** The limits the kernels plan with (see {@link limitsOf}); recomputed by configureDevice. */
  limits: PlanLimits | null;
  lost: GPUDeviceLostInfo | null;
  /** Compiled pipelines by key (see src/gpu/pipeline-cache.ts). */
  readonly pipelines: Map<string, Promise<GPUComputePipeline>>;
  readonly modules: Map<string, Promise<GPUShaderModule>>;
  /** Pipelines and modules available synchronously: compiled ones, and those created by getPipelineSync. */
  readonly ready: Map<string, GPUComputePipeline>;
  readonly readyModules: Map<string, GPUShaderModule>;
  readonly layouts: Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>;
  /**
   * Buffers we own and reuse across calls, by name: 'uniforms' for calls we submit ourselves
   * (writeBuffer is queue-ordered, so one buffer serves them all), tie logs, mask scratch.
   */
  readonly scratch: Map<string, GPUBuffer>;
  /** Stand-ins for bindings an entry point ignores, one per binding so writable ones never alias. */
  readonly placeholders: Map<number, GPUBuffer>;
  /** Idle MAP_READ staging buffers of downloads, reused (see src/gpu/buffers.ts). */
  readonly staging: GPUBuffer[];
  readonly created: GPUBuffer[];
  testLimits: TestLimits;
  /** The schedule the element-wise kernels record (see src/gpu/schedule.ts); null until first needed. */
  schedule: Exclude<Schedule, 'auto'> | null;
  readonly stats: DeviceCounters;
  /** Error-scope checks of buffers the helpers created, still pending (see {@link trackAllocation}). */
  readonly allocationChecks: Set<Promise<void>>;
  /** Uniform buffers of the call path (see src/gpu/execute.ts). */
  readonly uniformRing: { submit: GPUBuffer | null; chunk: GPUBuffer | null; cursor: number };
  /** Bind groups by a hash of layout and bound ranges, least recently used first (see cachedBindGroup in src/gpu/execute.ts). */
  readonly bindGroups: Map<number, { signature: number[]; group: GPUBindGroup }>;
  /** Pipelines created synchronously: their creation errors (null when fine), once known. */
  readonly pipelineChecks: Map<string, Promise<string | null>>;
  /** Helper allocations that failed and no call has reported yet. */
  readonly unreportedFailures: AllocationFailure[];
  /** Recent calls of each operation that can be repeated with a new draw key (see {@link Repeat}). */
  readonly repeats: Map<string, Repeat[]>;
}

/**
 * A call kept so that a later call of its operation with the same arguments but the draw key can
 * reuse its plans, only rekeyed (what a training loop does every step; src/api/repeat.ts).
 * `inputs` snapshot the call's options as they were when it was planned (see there). Dropped by
 * configureDevice (limits and schedule shape the plans), when a helper allocation fails (a kept
 * call may bind the buffer) and with the device's state.
 */
export interface Repeat {
  readonly inputs: readonly unknown[];
  readonly plans: readonly KernelPlan[];
}

/** A buffer the library's helpers created that WebGPU failed to allocate. */
export interface AllocationFailure {
  /** The helper: 'uploadFloat32' or 'createStorageBuffer'. */
  operation: string;
  label: string;
  code: 'GPU_OUT_OF_MEMORY' | 'GPU_VALIDATION';
  message: string;
}

const failedAllocations = new WeakMap<GPUBuffer, AllocationFailure>();

/** Running counts of what the library did on a device (see {@link deviceStats}). */
export interface DeviceCounters {
  /** Compute pipelines compiled. */
  pipelines: number;
  /** Buffers the library created and owns (uniform, scratch, tie log, placeholders), replaced ones included. */
  buffers: number;
  /** Calls whose work the library submitted itself (one submit each). */
  submits: number;
  /** Calls whose work was recorded into the caller's GPUCommandEncoder. */
  encodedCalls: number;
  /**
   * Uniform ring chunks created for work recorded into a caller's encoder (64 KiB each, 256 calls
   * or more per chunk): that work runs after later calls' queue writes, so its uniforms cannot
   * share the buffer of self-submitted calls. A full chunk is no longer owned (not in
   * `liveBuffers`): the garbage collector frees it once nothing references it.
   */
  uniformBuffers: number;
  /** Compute dispatches recorded. */
  dispatches: number;
  /** Bind groups created (the call path reuses cached ones for the same buffers and ranges). */
  bindGroups: number;
  /**
   * Calls that reused the plans of an earlier call of theirs, rekeyed: the same tensors, sizes and
   * options, a new seed or offset (see src/api/repeat.ts and docs/guide.md).
   */
  repeats: number;
}

const states = new WeakMap<GPUDevice, DeviceState>();
/** Devices seen lost: calls on them fail at once, without building new state. */
const lostDevices = new WeakMap<GPUDevice, GPUDeviceLostInfo>();

function isDevice(value: unknown): value is GPUDevice {
  return typeof value === 'object' && value !== null
    && typeof (value as GPUDevice).createComputePipelineAsync === 'function'
    && typeof (value as GPUDevice).queue === 'object';
}

/** The state of a device the library has seen and that is not lost; null otherwise (never throws). */
export function liveState(device: unknown): DeviceState | null {
  const known = states.get(device as GPUDevice);
  return known && !known.lost ? known : null;
}

/** The state of a live device; throws DropoutDeviceLostError if it was lost. */
export function deviceState(device: unknown): DeviceState {
  // The hot path: a device seen before and not lost.
  const known = states.get(device as GPUDevice);
  if (known && !known.lost) return known;
  if (!isDevice(device)) throw new DropoutArgumentError('device', device, 'a GPUDevice');
  const lost = lostDevices.get(device);
  if (lost) throw lostError(lost);
  let state = states.get(device);
  if (!state) {
    const fresh: DeviceState = {
      device, queue: device.queue, limits: null, lost: null, pipelines: new Map(), modules: new Map(), ready: new Map(), readyModules: new Map(), layouts: new Map(), scratch: new Map(),
      placeholders: new Map(), staging: [], created: [], testLimits: {}, schedule: null,
      stats: { pipelines: 0, buffers: 0, submits: 0, encodedCalls: 0, uniformBuffers: 0, dispatches: 0, bindGroups: 0, repeats: 0 },
      allocationChecks: new Set(), unreportedFailures: [], repeats: new Map(),
      uniformRing: { submit: null, chunk: null, cursor: 0 }, bindGroups: new Map(), pipelineChecks: new Map(),
    };
    state = fresh;
    states.set(device, fresh);
    void device.lost.then((info) => {
      lostDevices.set(device, info);
      fresh.lost = info;
      dropState(fresh);
    });
  }
  if (state.lost) throw lostError(state.lost);
  return state;
}

/**
 * Forgets everything kept for a device (after a loss, or on releaseDevice): the caches, and the
 * buffers we own, destroyed. Calls still in flight hold the old state; they fail or finish on
 * their own, and anything they add to it is garbage.
 */
function dropState(state: DeviceState): void {
  for (const buffer of state.created) buffer.destroy();
  state.created.length = 0;
  state.pipelines.clear();
  state.modules.clear();
  state.ready.clear();
  state.readyModules.clear();
  state.layouts.clear();
  state.scratch.clear();
  state.placeholders.clear();
  state.staging.length = 0;
  state.uniformRing.submit = null;
  state.uniformRing.chunk = null;
  state.bindGroups.clear();
  state.pipelineChecks.clear();
  state.repeats.clear();
  if (states.get(state.device) === state) states.delete(state.device);
}

/**
 * Creates a buffer for a synchronous helper inside error scopes of its own, so a failed
 * allocation (WebGPU reports it asynchronously: a buffer can fail even below maxBufferSize, e.g.
 * SwiftShader cannot allocate exactly its 1 GiB maxBufferSize) never becomes an uncaptured error.
 * The failure is remembered: a later call given the buffer throws it as a typed error (see
 * {@link allocationFailure} and {@link takeAllocationFailure}).
 */
export function trackAllocation(state: DeviceState, operation: string, descriptor: GPUBufferDescriptor): GPUBuffer {
  const device = state.device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let buffer: GPUBuffer;
  try {
    buffer = device.createBuffer(descriptor);
  } finally {
    const popped = Promise.all([device.popErrorScope(), device.popErrorScope()]);
    const check: Promise<void> = popped.then(([validation, memory]) => {
      const error = memory ?? validation;
      if (!error || !buffer) return;
      const failure: AllocationFailure = { operation, label: descriptor.label ?? '', code: memory ? 'GPU_OUT_OF_MEMORY' : 'GPU_VALIDATION', message: error.message };
      failedAllocations.set(buffer, failure);
      state.unreportedFailures.push(failure);
      // A kept call may bind the buffer: planned afresh, the next call is refused with this failure.
      state.repeats.clear();
    }, () => undefined).finally(() => state.allocationChecks.delete(check));
    state.allocationChecks.add(check);
  }
  return buffer;
}

/** The failure of a helper-created buffer whose allocation is known to have failed, else null. */
export function allocationFailure(buffer: GPUBuffer): AllocationFailure | null {
  return failedAllocations.get(buffer) ?? null;
}

/**
 * After a GPU error in a call: waits for the device's pending allocation checks and returns (and
 * marks reported) the oldest helper allocation that failed since the last report, if any — the
 * likely cause of the error, since the invalid buffer only shows as "invalid" at its use.
 */
export async function takeAllocationFailure(state: DeviceState): Promise<AllocationFailure | null> {
  await Promise.all(state.allocationChecks);
  return state.unreportedFailures.splice(0).at(0) ?? null;
}

/** The device's loss, if it has been reported (the library watches every device it has seen). */
export function lossOf(device: GPUDevice): GPUDeviceLostInfo | null {
  return lostDevices.get(device) ?? states.get(device)?.lost ?? null;
}

/**
 * Whether the device is lost, waiting one macrotask for a loss in progress to be reported: for
 * error paths only, where a failure may be the loss's doing (browsers report loss asynchronously).
 */
export async function settledLoss(device: GPUDevice): Promise<GPUDeviceLostInfo | null> {
  const known = lossOf(device);
  if (known) return known;
  return Promise.race([device.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), 0))]);
}

export function lostError(info: GPUDeviceLostInfo): DropoutDeviceLostError {
  return new DropoutDeviceLostError(info.reason ?? 'unknown', info.message);
}

/** The limits the kernels plan with: the device's, lowered by configureDevice's test limits. */
export interface PlanLimits {
  maxBindingBytes: number;
  maxPerDimension: number;
  storageAlign: number;
  uniformAlign: number;
}

export function limitsOf(state: DeviceState): PlanLimits {
  if (state.limits) return state.limits;
  const limits = state.device.limits;
  state.limits = {
    maxBindingBytes: Math.min(limits.maxStorageBufferBindingSize, state.testLimits.maxBindingBytes ?? Infinity),
    maxPerDimension: Math.min(limits.maxComputeWorkgroupsPerDimension, state.testLimits.maxWorkgroupsPerDimension ?? Infinity),
    storageAlign: limits.minStorageBufferOffsetAlignment,
    uniformAlign: limits.minUniformBufferOffsetAlignment,
  };
  return state.limits;
}

/**
 * A buffer the library owns, created in error scopes of its own (see {@link trackAllocation}): a
 * failed allocation is reported by the call that uses the buffer, as GPU_OUT_OF_MEMORY, so the
 * calls themselves need only a validation scope (nothing else they record allocates).
 */
export function createOwnedBuffer(state: DeviceState, descriptor: GPUBufferDescriptor): GPUBuffer {
  const buffer = trackAllocation(state, 'webgpu-dropout', descriptor);
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

/** Whether `state` is still its device's state: false once releaseDevice() (or device loss) dropped it. */
export function isLiveState(state: DeviceState): boolean {
  return states.get(state.device) === state;
}

/**
 * Frees every GPU object this library created on `device` (pipelines, uniform and scratch
 * buffers). Buffers you passed in are never touched. Later calls start afresh.
 * @example releaseDevice(device);
 */
export function releaseDevice(device: GPUDevice): void {
  const state = states.get(device);
  if (state) dropState(state);
}

/**
 * Lowers the limits the kernels plan with on one device, below what the device allows — to test
 * chunking, 2-D dispatch and the tie-log overflow path on small tensors — and picks the dispatch
 * schedule of the element-wise kernels. Results never change. Pass `{}` to go back to the
 * device's own limits (the schedule stays as set; `schedule: 'auto'` restores the default).
 * @param limits - `maxBindingBytes` an integer ≥ 4096 + minStorageBufferOffsetAlignment,
 * `maxWorkgroupsPerDimension` an integer ≥ 1, `tieCapacity` an integer ≥ 0, `schedule` 'auto',
 * 'multi-pass' or 'single-pass'; each optional
 * @throws DropoutArgumentError if a limit is not such an integer or the schedule not one of
 * those (nothing changes then)
 * @example configureDevice(device, { maxBindingBytes: 1 << 16 }); // 64 KiB chunks
 * @example configureDevice(device, { schedule: 'single-pass' }); // one dispatch per chunk, even on SwiftShader
 */
export function configureDevice(device: GPUDevice, limits: TestLimits): void {
  const state = deviceState(device);
  if (typeof limits !== 'object' || limits === null) throw new DropoutArgumentError('limits', limits, 'an object of test limits ({} restores the device\'s own)');
  const checked: TestLimits = {};
  const positive = (name: 'maxBindingBytes' | 'maxWorkgroupsPerDimension' | 'tieCapacity', min: number): void => {
    const value = limits[name];
    if (value === undefined) return;
    if (!Number.isSafeInteger(value) || value < min) throw new DropoutArgumentError(name, value, `an integer >= ${min}`);
    checked[name] = value;
  };
  positive('maxBindingBytes', 4096 + device.limits.minStorageBufferOffsetAlignment);
  positive('maxWorkgroupsPerDimension', 1);
  positive('tieCapacity', 0);
  const schedule = limits.schedule;
  if (schedule !== undefined && !SCHEDULES.includes(schedule)) throw new DropoutArgumentError('schedule', schedule, `one of ${SCHEDULES.map((s) => `'${s}'`).join(', ')}`);
  state.testLimits = checked;
  state.limits = null;
  state.repeats.clear();
  if (schedule !== undefined) state.schedule = resolveSchedule(device, schedule);
}

/** The schedule the element-wise kernels record on a device, resolved once (see src/gpu/schedule.ts). */
export function scheduleOf(state: DeviceState): 'multi-pass' | 'single-pass' {
  return (state.schedule ??= resolveSchedule(state.device));
}

/** What {@link deviceStats} reports. */
export interface DeviceStats extends DeviceCounters {
  /** Pipelines in the cache now. */
  cachedPipelines: number;
  /** Buffers the library owns on the device now (not yet destroyed); flat in steady state. */
  liveBuffers: number;
  /** The device was reported lost (its state is gone; the counts are zero). */
  lost: boolean;
  /** The schedule the element-wise kernels record on the device (see {@link configureDevice}). */
  schedule: 'multi-pass' | 'single-pass';
}

/**
 * Counts for leak tests: pipelines compiled, buffers created and owned, calls submitted or encoded
 * on this device since the library first saw it (or since releaseDevice / a loss, which reset them).
 * A device the library has not seen gives zeros. Never throws.
 * @example
 * const before = deviceStats(device).liveBuffers;
 * await dropout(device, options);
 * deviceStats(device).liveBuffers === before; // true in steady state
 */
export function deviceStats(device: GPUDevice): DeviceStats {
  const state = states.get(device);
  const lost = lostDevices.has(device);
  return state
    ? { ...state.stats, cachedPipelines: new Set([...state.pipelines.keys(), ...state.ready.keys()]).size, liveBuffers: state.created.length, lost, schedule: scheduleOf(state) }
    : { pipelines: 0, buffers: 0, submits: 0, encodedCalls: 0, uniformBuffers: 0, dispatches: 0, bindGroups: 0, repeats: 0, cachedPipelines: 0, liveBuffers: 0, lost, schedule: resolveSchedule(device) };
}
