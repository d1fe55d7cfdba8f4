// The parts of @tensorflow/tfjs-backend-webgpu 4.22's WebGPUBackend that the zero-copy path uses.
// The package is not imported (it stays an optional install of the user's): the backend is
// recognised by shape, and anything missing sends the op to the portable fallback instead.
//
// How tfjs-backend-webgpu keeps tensors (backend_webgpu.ts):
// - `tensorMap.get(dataId)` holds { values, resource, refCount, external }; `resource` is the
//   tensor's GPUBuffer (STORAGE | COPY_SRC | COPY_DST, exactly 4·size bytes for float32, offset 0)
//   once `uploadToGPU(dataId)` ran; until then the values may still be on the CPU.
// - `makeTensorInfo(shape, dtype)` registers a new dataId; `uploadToGPU` on it takes a buffer from
//   the backend's pool (`bufferManager`), which `disposeData` gives back when the tensor dies.
// - Kernels are recorded into `commandEncoder`, inside one open compute pass (`computePassEncoder`),
//   and submitted every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches or on a read (`submitQueue`).
//   Tensors used by recorded-but-unsubmitted work are listed in `commandQueueOwnedIds`, so that
//   disposing them defers the release of their buffers until that submit; uniform buffers wait in
//   `uniformPendingDisposal` and go back to the pool at the submit.
import { env, type Tensor } from '@tensorflow/tfjs-core';

/** A tensor record in the backend's DataStorage. */
interface TensorData {
  values: unknown;
  resource: unknown;
  dtype: string;
  shape: number[];
  refCount: number;
  external?: boolean;
}

interface BufferManager {
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  numBytesUsed: number;
  numBytesAllocated: number;
}

/** WebGPUBackend members (public at runtime, partly private in its .d.ts). */
export interface WebGPUBackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GPUBuffer[];
  bufferManager: BufferManager;
  tensorMap: { get(dataId: object): TensorData | undefined; has(dataId: object): boolean };
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: 'float32'): { dataId: object; shape: number[]; dtype: 'float32' };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

const METHODS = ['uploadToGPU', 'makeTensorInfo', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue', 'disposeData'] as const;

/** The backend as the zero-copy path needs it, or null (another backend, or internals that changed). */
export function asWebGPUBackend(backend: unknown): WebGPUBackendInternals | null {
  if (typeof backend !== 'object' || backend === null) return null;
  const b = backend as Partial<Record<string, unknown>>;
  const device = b.device as GPUDevice | undefined;
  if (typeof device !== 'object' || device === null || typeof device.createComputePipeline !== 'function') return null;
  if (!METHODS.every((name) => typeof b[name] === 'function')) return null;
  const map = b.tensorMap as { get?: unknown; has?: unknown } | undefined;
  if (typeof map?.get !== 'function' || typeof map.has !== 'function') return null;
  if (!(b.commandQueueOwnedIds instanceof WeakSet) || !Array.isArray(b.uniformPendingDisposal)) return null;
  if (typeof (b.bufferManager as BufferManager | undefined)?.acquireBuffer !== 'function') return null;
  return backend as unknown as WebGPUBackendInternals;
}

function isGPUBuffer(value: unknown): value is GPUBuffer {
  return typeof value === 'object' && value !== null && typeof (value as GPUBuffer).usage === 'number'
    && typeof (value as GPUBuffer).size === 'number' && typeof (value as GPUBuffer).destroy === 'function';
}

/**
 * The GPUBuffer holding `t`'s values, uploading CPU-side values first (the upload is recorded in
 * the backend's encoder, so it is ordered before our work). Null when the data lives elsewhere
 * (another backend, or a texture).
 */
export function tensorBuffer(backend: WebGPUBackendInternals, t: Tensor): GPUBuffer | null {
  if (!backend.tensorMap.has(t.dataId)) return null;
  backend.uploadToGPU(t.dataId);
  const resource = backend.tensorMap.get(t.dataId)?.resource;
  return isGPUBuffer(resource) ? resource : null;
}

/** A new float32 tensor record whose buffer comes from (and returns to) the backend's pool. */
export function allocateOutput(backend: WebGPUBackendInternals, shape: number[]): { info: { dataId: object; shape: number[]; dtype: 'float32' }; buffer: GPUBuffer } {
  const info = backend.makeTensorInfo(shape, 'float32');
  backend.uploadToGPU(info.dataId);
  const resource = backend.tensorMap.get(info.dataId)?.resource;
  if (!isGPUBuffer(resource)) throw new Error('tfjs-backend-webgpu did not give the output tensor a GPUBuffer');
  return { info, buffer: resource };
}

/**
 * The backend's command encoder, with its compute pass ended: everything tfjs recorded so far
 * comes first in the same command buffer, and what tfjs records after us comes after.
 */
export function openEncoder(backend: WebGPUBackendInternals): GPUCommandEncoder {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  return backend.commandEncoder!;
}

const UNIFORM = 0x40;
const COPY_DST = 0x8;

/**
 * A uniform buffer from the backend's pool holding `data`, exactly as tfjs makes its own: written
 * now through the queue (so before the command buffer that reads it is submitted) and returned
 * to the pool at that submit.
 */
export function uniformBuffer(backend: WebGPUBackendInternals, data: ArrayBuffer): GPUBuffer {
  const buffer = backend.bufferManager.acquireBuffer(data.byteLength, UNIFORM | COPY_DST);
  backend.queue.writeBuffer(buffer, 0, data);
  backend.uniformPendingDisposal.push(buffer);
  return buffer;
}

/**
 * Marks tensors as used by the pending command buffer (their buffers are released only after it
 * is submitted) and counts our dispatches towards tfjs's submit batch, submitting like tfjs does
 * when the batch is full.
 */
export function finishRecording(backend: WebGPUBackendInternals, dataIds: object[], dispatches: number): void {
  for (const id of dataIds) backend.commandQueueOwnedIds.add(id);
  backend.dispatchCountInPass += dispatches;
  const batch = Number(env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'));
  if (Number.isFinite(batch) && batch <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}
