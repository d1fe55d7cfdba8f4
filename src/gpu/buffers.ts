import { DropoutArgumentError, DropoutGPUError, DropoutStateError } from '../errors.js';
import { allocationFailure, createOwnedBuffer, deviceState, isLiveState, lostError, settledLoss, trackAllocation, type DeviceState } from './device-state.js';
import { scoped, settle } from './error-scope.js';
import { BufferUsage, usageNames } from './usage.js';

/**
 * A GPUBuffer, or a GPUBuffer with a byte offset (a multiple of 4) where the tensor starts. The
 * buffer needs STORAGE usage (COPY_SRC / COPY_DST where a call copies) and room for the tensor
 * after `byteOffset`; otherwise the call throws a DropoutArgumentError naming the argument.
 * @example
 * await dropout(device, { x: { buffer: big, byteOffset: 4096 }, y, n: 1024, p: 0.1, training: true, seed: 1n, offset: 0n });
 */
export type BufferArg = GPUBuffer | {
  /** The buffer holding the tensor. */
  buffer: GPUBuffer;
  /** Where the tensor starts, in bytes: a non-negative multiple of 4 (16 for the fast vec4 path); default 0. */
  byteOffset?: number;
};

export interface BufferRange {
  buffer: GPUBuffer;
  byteOffset: number;
  byteLength: number;
  name: string;
}

/** size and usage of the GPUBuffers seen (both fixed at creation), so the hot path reads no native property twice. */
const bufferFacts = new WeakMap<object, { size: number; usage: number }>();

/** Whether `value` is a GPUBuffer itself (not a `{ buffer, byteOffset }` range object). */
export function isBuffer(value: unknown): value is GPUBuffer {
  return factsOf(value) !== null;
}

function factsOf(value: unknown): { size: number; usage: number } | null {
  if (typeof value !== 'object' || value === null) return null;
  const known = bufferFacts.get(value);
  if (known) return known;
  const b = value as GPUBuffer;
  if (typeof b.destroy !== 'function') return null;
  const size = b.size;
  const usage = b.usage;
  if (typeof size !== 'number' || typeof usage !== 'number') return null;
  const facts = { size, usage };
  bufferFacts.set(value, facts);
  return facts;
}

/** Validates a buffer argument holding `byteLength` bytes with the given usage bits. */
export function bufferRange(name: string, arg: unknown, byteLength: number, usage: number): BufferRange {
  const direct = factsOf(arg);
  const buffer = direct ? arg : (typeof arg === 'object' && arg !== null ? (arg as { buffer?: unknown }).buffer : undefined);
  const facts = direct ?? factsOf(buffer);
  if (!facts) throw new DropoutArgumentError(name, arg, 'a GPUBuffer or { buffer: GPUBuffer, byteOffset?: number }');
  const rawOffset = direct ? 0 : ((arg as { byteOffset?: unknown }).byteOffset ?? 0);
  if (typeof rawOffset !== 'number' || !Number.isInteger(rawOffset) || rawOffset < 0 || rawOffset % 4 !== 0) {
    throw new DropoutArgumentError(`${name}.byteOffset`, rawOffset, 'a non-negative multiple of 4');
  }
  const failure = allocationFailure(buffer as GPUBuffer);
  if (failure) throw new DropoutGPUError(failure.code, failure.operation, `${name}: the buffer "${failure.label}" could not be created: ${failure.message}`);
  if ((facts.usage & usage) !== usage) throw usageError(name, facts.usage, usage, `buffer ${describeBuffer(buffer as GPUBuffer)}`);
  if (rawOffset + byteLength > facts.size) {
    throw new DropoutArgumentError(name, arg, `a buffer of at least byteOffset + ${byteLength} = ${rawOffset + byteLength} bytes`, `it has ${facts.size} bytes at byteOffset ${rawOffset}`);
  }
  return { buffer: buffer as GPUBuffer, byteOffset: rawOffset, byteLength, name };
}

/** The error for a buffer that lacks usage bits: the flags named, not only the number. */
export function usageError(name: string, has: number, needed: number, detail: string): DropoutArgumentError {
  return new DropoutArgumentError(`${name}.usage`, has, `a usage including ${usageNames(needed)}`, `it has ${usageNames(has)}; ${detail}`);
}

function describeBuffer(buffer: GPUBuffer): string {
  return buffer.label ? `"${buffer.label}"` : `of ${buffer.size} bytes`;
}

/** A buffer's size, read once per buffer (its getter is a native call). */
export function bufferSize(buffer: GPUBuffer): number {
  return factsOf(buffer)?.size ?? buffer.size;
}

export function overlaps(a: BufferRange, b: BufferRange): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength && a.byteLength > 0 && b.byteLength > 0;
}

const STORAGE_IO = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/**
 * Creates a buffer for the helpers below. WebGPU refuses a size past the device's maxBufferSize
 * with a validation error (and an invalid buffer), which these synchronous helpers could not
 * await; that case is known in advance and refused here with a typed error naming the argument.
 * A mapping that cannot be allocated throws a RangeError in WebGPU, rethrown as GPU_OUT_OF_MEMORY.
 * Any other failure (an allocation the driver refuses below the limit) is captured in error
 * scopes of our own and thrown, typed, by the first library call given the buffer.
 */
/**
 * Bytes for `count` 32-bit values with the room vec4 access wants: rounded up to 16 bytes (at
 * least 16), so the kernels read and write four values at a time for any count (README).
 */
function helperBytes(count: number): number {
  return Math.max(16, Math.ceil(count / 4) * 16);
}

function createHelperBuffer(device: GPUDevice, operation: string, argument: string, value: unknown, elements: number, descriptor: GPUBufferDescriptor): GPUBuffer {
  const state = deviceState(device); // a GPUDevice, not known to be lost
  const max = device.limits.maxBufferSize;
  if (descriptor.size > max) {
    throw new DropoutArgumentError(argument, value, `at most maxBufferSize / 4 = ${Math.floor(max / 4)} f32 values on this device`, `${elements} values need a buffer of ${descriptor.size} bytes; maxBufferSize is ${max}`);
  }
  try {
    return trackAllocation(state, operation, descriptor);
  } catch (error) {
    if (error instanceof RangeError) throw new DropoutGPUError('GPU_OUT_OF_MEMORY', operation, `could not allocate ${descriptor.size} bytes: ${error.message}`);
    throw error;
  }
}

/**
 * Uploads a Float32Array into a new storage buffer (usage STORAGE | COPY_SRC | COPY_DST).
 * The caller owns the buffer and destroys it. Its size is rounded up to a multiple of 16 bytes, the
 * room the kernels' four-at-a-time access needs. More than maxBufferSize / 4 values on this device
 * is a DropoutArgumentError.
 * @example const x = uploadFloat32(device, new Float32Array([1, 2, 3]));
 */
export function uploadFloat32(device: GPUDevice, data: Float32Array, label = 'webgpu-dropout upload'): GPUBuffer {
  if (!(data instanceof Float32Array)) throw new DropoutArgumentError('data', data, 'a Float32Array');
  const size = helperBytes(data.length);
  const buffer = createHelperBuffer(device, 'uploadFloat32', 'data', data, data.length, { label, size, usage: STORAGE_IO, mappedAtCreation: true });
  new Float32Array(buffer.getMappedRange()).set(data);
  buffer.unmap();
  return buffer;
}

/**
 * Creates a zero-filled storage buffer for `count` 32-bit values (usage STORAGE | COPY_SRC | COPY_DST),
 * rounded up to a multiple of 16 bytes (room for four-at-a-time access). More than maxBufferSize / 4 values on this device is a DropoutArgumentError.
 * @example const y = createStorageBuffer(device, 1024);
 */
export function createStorageBuffer(device: GPUDevice, count: number, label = 'webgpu-dropout storage'): GPUBuffer {
  if (!Number.isSafeInteger(count) || count < 0) throw new DropoutArgumentError('count', count, 'a non-negative integer');
  return createHelperBuffer(device, 'createStorageBuffer', 'count', count, count, { label, size: helperBytes(count), usage: STORAGE_IO });
}

/** Idle staging buffers kept per device, each at most this big: downloads reuse them. */
const STAGING_POOL = 4;
const STAGING_MAX_BYTES = 1 << 24;

/** A MAP_READ staging buffer of at least `size` bytes: an idle pooled one, else a new one. */
function takeStaging(state: DeviceState, size: number): GPUBuffer {
  const i = state.staging.findIndex((b) => b.size >= size);
  if (i >= 0) return state.staging.splice(i, 1)[0]!;
  const pooled = size <= STAGING_MAX_BYTES;
  const descriptor = { label: 'webgpu-dropout readback', size: pooled ? Math.max(256, 2 ** Math.ceil(Math.log2(size))) : size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST };
  return pooled ? createOwnedBuffer(state, descriptor) : trackAllocation(state, 'download', descriptor);
}

/** Returns an unmapped staging buffer to the pool, or destroys it (too big, pool full, or failed). */
function returnStaging(state: DeviceState, buffer: GPUBuffer, reusable: boolean): void {
  if (reusable && buffer.size <= STAGING_MAX_BYTES && state.staging.length < STAGING_POOL && state.created.includes(buffer)) {
    state.staging.push(buffer);
    return;
  }
  const owned = state.created.indexOf(buffer);
  if (owned >= 0) state.created.splice(owned, 1);
  buffer.destroy();
}

async function readBack(device: GPUDevice, arg: BufferArg, byteLength: number, name: string): Promise<ArrayBuffer> {
  const state = deviceState(device);
  const range = bufferRange(name, arg, byteLength, BufferUsage.COPY_SRC);
  const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
  // The copy is submitted in scopes of its own, popped before the wait for the mapping: a destroyed
  // buffer or one from another device is this download's GPU_VALIDATION error (not an uncaptured
  // error and a read of zeros), and errors of other work done meanwhile stay with that work.
  // Staging buffers are pooled (up to 4 idle ones of at most 16 MiB per device), not created per call.
  const staging = takeStaging(state, size);
  let reusable = false;
  try {
    const outcome = scoped(device, () => {
      const encoder = device.createCommandEncoder({ label: 'webgpu-dropout readback' });
      if (byteLength > 0) encoder.copyBufferToBuffer(range.buffer, range.byteOffset, staging, 0, byteLength);
      device.queue.submit([encoder.finish()]);
    });
    const mapped = outcome.failed ? Promise.resolve() : staging.mapAsync(0x1, 0, size);
    const [scopes, mapping] = await Promise.allSettled([settle(state, 'download', outcome), mapped]);
    if (scopes.status === 'rejected') throw scopes.reason;
    if (mapping.status === 'rejected') {
      // A mapping aborted by a device loss (or by releaseDevice destroying the staging buffer).
      const lost = await settledLoss(device);
      if (lost) throw lostError(lost);
      if (!isLiveState(state)) {
        throw new DropoutStateError(`download: releaseDevice() was called while this download was pending; its staging buffer was freed (${(mapping.reason as Error)?.message ?? String(mapping.reason)}). Download again: later calls start afresh`);
      }
      throw new DropoutGPUError('GPU_VALIDATION', 'download', `the readback could not be mapped: ${(mapping.reason as Error)?.message ?? String(mapping.reason)}`);
    }
    const data = staging.getMappedRange(0, size).slice(0, byteLength);
    staging.unmap();
    reusable = true;
    return data;
  } finally {
    returnStaging(state, staging, reusable);
  }
}

/**
 * Reads `count` f32 values back from a buffer (needs COPY_SRC).
 * @example const values = await downloadFloat32(device, y, 1024);
 */
export async function downloadFloat32(device: GPUDevice, buffer: BufferArg, count: number): Promise<Float32Array> {
  if (!Number.isSafeInteger(count) || count < 0) throw new DropoutArgumentError('count', count, 'a non-negative integer');
  return new Float32Array(await readBack(device, buffer, count * 4, 'buffer'));
}

/**
 * Reads `count` u32 values back (e.g. a packed mask of ceil(n / 32) words).
 * @example const bits = await downloadUint32(device, mask, Math.ceil(n / 32));
 */
export async function downloadUint32(device: GPUDevice, buffer: BufferArg, count: number): Promise<Uint32Array> {
  if (!Number.isSafeInteger(count) || count < 0) throw new DropoutArgumentError('count', count, 'a non-negative integer');
  return new Uint32Array(await readBack(device, buffer, count * 4, 'buffer'));
}
