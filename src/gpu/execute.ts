// The one path every kernel call takes. A kernel family plans its work as a KernelPlan (the
// pipelines it needs by key, its uniform structs, and a recorder that binds and dispatches);
// `execute` takes the pipelines (compiled, or created now), writes every uniform struct of the
// call with one queue write into the device's uniform ring, records into the caller's encoder or a
// fresh one, submits, and pops the call's error scopes — all before it returns, with no await
// between push and pop. So a call's GPU work reaches the queue in program order, and its scopes
// hold its own errors only. Reading the scopes is the only asynchronous part: the returned
// promise settles with them.
import { createOwnedBuffer, limitsOf, type DeviceState } from './device-state.js';
import { scoped, settle } from './error-scope.js';
import { getPipelineSync, layoutFor, pipelineFailure, type LayoutSpec, type PipelineSpec } from './pipeline-cache.js';

const UNIFORM = 0x40;
const COPY_DST = 0x8;

/** What a kernel family hands the shared path: everything one part of a call records. */
export interface KernelPlan {
  /** The pipelines the recorder uses, by index (taken before anything is recorded). */
  readonly pipelines: readonly PipelineSpec[];
  /** Size of one uniform struct in bytes (0: the plan has no uniforms). */
  readonly uniformBytes: number;
  /** How many uniform structs (slots) the plan writes, e.g. one per chunk. */
  readonly slots: number;
  /** Writes slot i's struct at byte `at(i)` of `view`. */
  writeUniforms(view: DataView, at: (slot: number) => number): void;
  /**
   * Sets the draw key the next recording uses, for a plan recorded again with a new (seed,
   * offset) and nothing else changed (a repeated call, src/api/repeat.ts).
   */
  rekey?(seed: bigint, offset: bigint): void;
  /** The plan does not depend on the draw key. A plan with neither this nor `rekey` is never repeated. */
  keyless?: boolean;
  /** Dispatches the recorder records (for {@link deviceStats}). */
  readonly dispatches: number;
  /** Records the plan's passes, copies or clears. */
  record(recording: Recording): void;
}

/** What a recorder is given. */
export interface Recording {
  readonly encoder: GPUCommandEncoder;
  /** The plan's pipeline i. */
  pipeline(i: number): GPUComputePipeline;
  /** The uniform binding resource for the plan's struct size (bound with a dynamic offset). */
  readonly uniforms: GPUBufferBinding;
  /** A bind group of `layout` over `entries`, from the device's cache when one exists. */
  bindGroup(layout: LayoutSpec, entries: GPUBindGroupEntry[], label: string): GPUBindGroup;
  /** Begins a compute pass, unlabelled: a label costs ~1.4 µs per pass in Chrome. */
  pass(): GPUComputePassEncoder;
  /** Binds `group` at index 0 with slot i's dynamic offset (a typed array: no sequence to convert). */
  bind(pass: GPUComputePassEncoder, group: GPUBindGroup, slot: number): void;
}

/** A plan that only records (copies, clears): no pipelines, no uniforms. */
export function recordOnly(record: (recording: Recording) => void): KernelPlan {
  return { pipelines: [], uniformBytes: 0, slots: 0, writeUniforms: () => {}, dispatches: 0, record, keyless: true };
}

/**
 * Where work is recorded when it is not ours to submit or scope: the TensorFlow.js op records into
 * tfjs's encoder with uniform buffers from tfjs's pool.
 */
export interface ForeignTarget {
  encoder: GPUCommandEncoder;
  /** A uniform buffer holding `data` at offset 0 that lives until the encoder's work has run. */
  uniforms(data: ArrayBuffer): GPUBuffer;
}

// ----- uniform ring ---------------------------------------------------------------------------

/** Bytes of one encoder-mode ring chunk: 256 slots of 256 bytes. */
const RING_CHUNK = 1 << 16;

/**
 * Uniforms of a self-submitted call: one buffer per device, written at offset 0 by every call
 * (queue writes and submits execute in queue order, so a call's write lands after the previous
 * call's work and before its own). Grows (replaced, never destroyed under queued work) when a
 * call needs more.
 */
function submitUniforms(state: DeviceState, bytes: number): GPUBuffer {
  const current = state.uniformRing.submit;
  if (current && current.size >= bytes) return current;
  if (current) forget(state, current);
  const buffer = createOwnedBuffer(state, { label: 'webgpu-dropout uniforms', size: Math.max(4096, 2 ** Math.ceil(Math.log2(bytes))), usage: UNIFORM | COPY_DST });
  state.uniformRing.submit = buffer;
  return buffer;
}

/**
 * Uniforms of work recorded into a caller's encoder run when the caller submits, after any later
 * queue write, so each such call takes slots of its own in a ring chunk; a full chunk is dropped
 * (the garbage collector frees it once the caller's commands are done) and a new one started.
 */
function encoderUniforms(state: DeviceState, bytes: number): { buffer: GPUBuffer; base: number } {
  const ring = state.uniformRing;
  const align = limitsOf(state).uniformAlign;
  let chunk = ring.chunk;
  if (!chunk || ring.cursor + bytes > chunk.size) {
    if (chunk) forget(state, chunk);
    chunk = createOwnedBuffer(state, { label: 'webgpu-dropout uniform ring', size: Math.max(RING_CHUNK, bytes), usage: UNIFORM | COPY_DST });
    state.stats.uniformBuffers++;
    ring.chunk = chunk;
    ring.cursor = 0;
  }
  const base = ring.cursor;
  ring.cursor = Math.ceil((base + bytes) / align) * align;
  return { buffer: chunk, base };
}

/** Stops owning a buffer that queued work may still use: the garbage collector frees it. */
function forget(state: DeviceState, buffer: GPUBuffer): void {
  const i = state.created.indexOf(buffer);
  if (i >= 0) state.created.splice(i, 1);
}

// ----- bind group cache -----------------------------------------------------------------------

/** Bind groups kept per device, least recently used dropped first. */
const BIND_GROUP_CACHE = 256;
const ids = new WeakMap<object, number>();
let nextId = 1;

/** A small integer naming a buffer or layout spec for as long as it lives. */
function idOf(thing: object): number {
  let id = ids.get(thing);
  if (id === undefined) {
    id = nextId++;
    ids.set(thing, id);
  }
  return id;
}

// What a group binds, as numbers: layout, then binding, buffer, offset and size of each entry.
// Built in a scratch array and hashed, so a cache hit allocates nothing and builds no string.
const scratch: number[] = [];

function hashSignature(length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    const v = scratch[i]!;
    h = Math.imul(h ^ (v >>> 0), 0x01000193);
    h = Math.imul(h ^ Math.floor(v / 0x100000000), 0x01000193);
  }
  return h >>> 0;
}

function sameSignature(signature: number[], length: number): boolean {
  if (signature.length !== length) return false;
  for (let i = 0; i < length; i++) if (signature[i] !== scratch[i]) return false;
  return true;
}

/**
 * A cached bind group: keyed by the layout and each entry's buffer, offset and size. A cached group
 * whose buffer was destroyed since fails validation where it is used, as a fresh one would. Two
 * signatures with one hash share a slot: the later replaces the earlier (a miss, never a wrong group).
 */
function cachedBindGroup(state: DeviceState, layout: LayoutSpec, entries: GPUBindGroupEntry[], label: string): GPUBindGroup {
  let length = 0;
  scratch[length++] = idOf(layout);
  for (const entry of entries) {
    const r = entry.resource as GPUBufferBinding;
    scratch[length++] = entry.binding;
    scratch[length++] = idOf(r.buffer);
    scratch[length++] = r.offset ?? 0;
    scratch[length++] = r.size ?? -1;
  }
  const hash = hashSignature(length);
  const cache = state.bindGroups;
  const hit = cache.get(hash);
  if (hit && sameSignature(hit.signature, length)) {
    cache.delete(hash);
    cache.set(hash, hit);
    return hit.group;
  }
  const group = state.device.createBindGroup({ label, layout: layoutFor(state, layout).group, entries });
  state.stats.bindGroups++;
  if (hit) cache.delete(hash);
  else if (cache.size >= BIND_GROUP_CACHE) cache.delete(cache.keys().next().value!);
  cache.set(hash, { signature: scratch.slice(0, length), group });
  return group;
}

// ----- recording ------------------------------------------------------------------------------

/** Slot stride of a struct size, and where each plan's slots start in the call's uniform data. */
function layoutUniforms(state: DeviceState, plans: readonly KernelPlan[]): { bytes: number; bases: number[]; strides: number[] } {
  const align = limitsOf(state).uniformAlign;
  let bytes = 0;
  const bases: number[] = [];
  const strides: number[] = [];
  for (const plan of plans) {
    const stride = plan.slots > 0 ? Math.ceil(plan.uniformBytes / align) * align : 0;
    bases.push(bytes);
    strides.push(stride);
    bytes += stride * plan.slots;
  }
  return { bytes, bases, strides };
}

// A call's uniform bytes are staged here: writeBuffer copies them before it returns, so one
// buffer serves every call (a fresh ArrayBuffer and DataView per call cost ~0.8 µs in Chrome).
let staging = new DataView(new ArrayBuffer(4096));
let stagingBytes = new Uint8Array(staging.buffer);
let stagingU32 = new Uint32Array(staging.buffer);

function stagingFor(bytes: number): DataView {
  if (staging.byteLength < bytes) {
    staging = new DataView(new ArrayBuffer(2 ** Math.ceil(Math.log2(bytes))));
    stagingBytes = new Uint8Array(staging.buffer);
    stagingU32 = new Uint32Array(staging.buffer);
  }
  stagingBytes.fill(0, 0, bytes);
  return staging;
}

/**
 * The whole buffer under a `writeUniforms` view as u32 words (host byte order, as the typed arrays
 * a caller writes with writeBuffer): the staging buffer's kept view, or a new one for another view.
 */
export function stagingWords(view: DataView): Uint32Array {
  return view.buffer === staging.buffer ? stagingU32 : new Uint32Array(view.buffer, 0, view.buffer.byteLength >>> 2);
}

function writeAll(plans: readonly KernelPlan[], bases: number[], strides: number[], view: DataView): void {
  plans.forEach((plan, p) => {
    if (plan.slots > 0) plan.writeUniforms(view, (slot) => bases[p]! + slot * strides[p]!);
  });
}

const dynamicOffset = new Uint32Array(1);

function recordPlans(state: DeviceState, plans: readonly KernelPlan[], pipelines: GPUComputePipeline[][], encoder: GPUCommandEncoder, uniform: (p: number) => { buffer: GPUBuffer; base: number }, strides: number[]): void {
  const bindGroup = (layout: LayoutSpec, entries: GPUBindGroupEntry[], label: string): GPUBindGroup => cachedBindGroup(state, layout, entries, label);
  const pass = (): GPUComputePassEncoder => encoder.beginComputePass();
  plans.forEach((plan, p) => {
    const { buffer, base } = plan.slots > 0 ? uniform(p) : { buffer: null, base: 0 };
    const stride = strides[p]!;
    plan.record({
      encoder,
      pipeline: (i) => pipelines[p]![i]!,
      uniforms: buffer ? { buffer, offset: 0, size: plan.uniformBytes } : (null as unknown as GPUBufferBinding),
      bindGroup,
      pass,
      bind: (target, group, slot) => {
        dynamicOffset[0] = base + slot * stride;
        target.setBindGroup(0, group, dynamicOffset, 0, 1);
      },
    });
    state.stats.dispatches += plan.dispatches;
  });
}

/** The plans' pipelines: compiled ones, or created now (see getPipelineSync). */
export function takePipelines(state: DeviceState, plans: readonly KernelPlan[]): GPUComputePipeline[][] {
  return plans.map((plan) => plan.pipelines.map((spec) => getPipelineSync(state, spec)));
}

/**
 * Runs a call's plans: into the caller's `encoder` (they submit it) or a fresh encoder submitted at
 * once, inside the call's own validation and out-of-memory scopes, all synchronously. The returned
 * promise resolves when WebGPU reported no error for this call's work, or rejects with a typed
 * DropoutGPUError (DropoutDeviceLostError on a lost device).
 */
export function execute<T = void>(state: DeviceState, operation: string, encoder: GPUCommandEncoder | undefined, plans: readonly KernelPlan[], value?: T): Promise<T> {
  const device = state.device;
  const pipelines = takePipelines(state, plans);
  const { bytes, bases, strides } = layoutUniforms(state, plans);
  const outcome = scoped(device, () => {
    let uniforms: { buffer: GPUBuffer; base: number } | null = null;
    if (bytes > 0) {
      const view = stagingFor(bytes);
      writeAll(plans, bases, strides, view);
      uniforms = encoder ? encoderUniforms(state, bytes) : { buffer: submitUniforms(state, bytes), base: 0 };
      state.queue.writeBuffer(uniforms.buffer, uniforms.base, view.buffer, 0, bytes);
    }
    const target = encoder ?? device.createCommandEncoder();
    recordPlans(state, plans, pipelines, target, (p) => ({ buffer: uniforms!.buffer, base: uniforms!.base + bases[p]! }), strides);
    if (encoder) {
      state.stats.encodedCalls++;
    } else {
      state.queue.submit([target.finish()]);
      state.stats.submits++;
    }
  });
  return settle(state, operation, outcome, () => creationFailure(state, plans), value);
}

/** A pipeline of the call that was created synchronously and failed: the likely cause of its error. */
async function creationFailure(state: DeviceState, plans: readonly KernelPlan[]): Promise<string | null> {
  for (const plan of plans) {
    for (const spec of plan.pipelines) {
      const failure = await pipelineFailure(state, spec.key);
      if (failure !== null) return `pipeline ${spec.key} could not be created: ${failure}`;
    }
  }
  return null;
}

/**
 * Records plans into a foreign encoder (TensorFlow.js's), outside our scopes, with pipelines taken
 * beforehand ({@link takePipelines}: the step that can throw, before anything is recorded).
 */
export function recordInto(state: DeviceState, target: ForeignTarget, plans: readonly KernelPlan[], pipelines: GPUComputePipeline[][]): number {
  const { bytes, bases, strides } = layoutUniforms(state, plans);
  let buffer: GPUBuffer | null = null;
  if (bytes > 0) {
    const data = new ArrayBuffer(bytes);
    writeAll(plans, bases, strides, new DataView(data));
    buffer = target.uniforms(data);
  }
  recordPlans(state, plans, pipelines, target.encoder, (p) => ({ buffer: buffer!, base: bases[p]! }), strides);
  return plans.reduce((count, plan) => count + plan.dispatches, 0);
}

/**
 * A public call: plans synchronously (argument errors become a rejected promise, nothing recorded),
 * then {@link execute}. Calls that need nothing recorded resolve at once. The promise resolves
 * with `value` (a layer's record), once.
 */
export function run<T = void>(plan: () => { state: DeviceState; operation: string; encoder: GPUCommandEncoder | undefined; plans: readonly KernelPlan[] } | null, value?: T): Promise<T> {
  try {
    const planned = plan();
    if (planned === null || planned.plans.length === 0) return Promise.resolve(value as T);
    return execute(planned.state, planned.operation, planned.encoder, planned.plans, value);
  } catch (error) {
    return Promise.reject(error);
  }
}
