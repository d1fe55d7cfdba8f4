// One GPU test harness: a device per test file, every buffer a test creates tracked and
// destroyed, outputs pre-filled with a sentinel so elements a kernel forgot to write show up.
import { afterAll, afterEach } from 'vitest';
import { requestNodeDevice } from '../../src/node.js';

export const SENTINEL_BITS = 0xbaadf00d;
const USAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST

let devicePromise: Promise<GPUDevice> | null = null;
const live = new Set<GPUBuffer>();
const uncaptured: string[] = [];

export function gpuDevice(): Promise<GPUDevice> {
  devicePromise ??= requestNodeDevice().then((device) => {
    device.addEventListener('uncapturederror', (event) => uncaptured.push((event as GPUUncapturedErrorEvent).error.message));
    return device;
  });
  return devicePromise;
}

export function track(buffer: GPUBuffer): GPUBuffer {
  live.add(buffer);
  return buffer;
}

/** A buffer of `bytes` bytes (rounded up to 4) filled with `fill`, or with the sentinel. */
export function makeBuffer(device: GPUDevice, bytes: number, fill?: ArrayBufferView, usage = USAGE): GPUBuffer {
  const size = Math.max(16, Math.ceil(bytes / 4) * 4);
  const buffer = track(device.createBuffer({ size, usage, mappedAtCreation: true }));
  const words = new Uint32Array(buffer.getMappedRange());
  if (fill) new Uint8Array(words.buffer).set(new Uint8Array(fill.buffer, fill.byteOffset, Math.min(fill.byteLength, size)));
  else words.fill(SENTINEL_BITS);
  buffer.unmap();
  return buffer;
}

export async function readBytes(device: GPUDevice, buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const staging = device.createBuffer({ size, usage: 0x1 | 0x8 });
  const encoder = device.createCommandEncoder();
  if (bytes > 0) encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(0x1);
  const copy = staging.getMappedRange().slice(0, bytes);
  staging.destroy();
  return copy;
}

export async function readF32(device: GPUDevice, buffer: GPUBuffer, count: number, byteOffset = 0): Promise<Float32Array> {
  return new Float32Array(await readBytes(device, buffer, byteOffset, count * 4));
}

export async function readU32(device: GPUDevice, buffer: GPUBuffer, count: number, byteOffset = 0): Promise<Uint32Array> {
  return new Uint32Array(await readBytes(device, buffer, byteOffset, count * 4));
}

/** Deterministic test data: varied magnitudes and signs, no NaN, a few exact zeros. */
export function testData(n: number, salt = 1): Float32Array {
  const data = new Float32Array(n);
  let state = (0x9e3779b9 ^ salt) >>> 0;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = i % 97 === 0 ? 0 : ((state >>> 8) / 2 ** 24 - 0.5) * 2 ** ((state & 31) - 12);
  }
  return data;
}

afterEach(() => {
  for (const buffer of live) buffer.destroy();
  live.clear();
  if (uncaptured.length) {
    const messages = uncaptured.splice(0);
    throw new Error(`uncaptured WebGPU errors:\n${messages.join('\n')}`);
  }
});

afterAll(async () => {
  if (devicePromise) (await devicePromise).destroy();
});
