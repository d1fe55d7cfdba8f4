// What a correctness case needs from its environment. Cases import the library as
// 'webgpu-dropout' and run unchanged in Node (vitest, aliased to src/) and in headless Chrome
// (the built bundle), so nothing here may depend on vitest or Node.
export const SENTINEL_BITS = 0xbaadf00d;
/** Label of objects a case misuses on purpose: runners ignore uncaptured errors naming it. */
export const EXPECTED_UNCAPTURED = 'expected-uncaptured-error';
const USAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST

export interface CaseEnv {
  device: GPUDevice;
  /** A fresh device on the same adapter (for device-loss cases); destroyed after the case. */
  newDevice(): Promise<GPUDevice>;
  /** Where the case runs: some cases size themselves to the environment. */
  where: 'node' | 'browser';
}

export interface Case {
  name: string;
  run(env: CaseEnv, t: Tracker): Promise<void>;
}

/** Tracks what a case creates, so the runner can destroy it whatever happens. */
export class Tracker {
  readonly buffers = new Set<GPUBuffer>();
  readonly devices = new Set<GPUDevice>();
  constructor(readonly device: GPUDevice) {}

  /** A buffer of `bytes` bytes filled with `fill`, or with the sentinel 0xbaadf00d. */
  buffer(bytes: number, fill?: ArrayBufferView, usage = USAGE, device = this.device): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 4) * 4);
    const buffer = device.createBuffer({ size, usage, mappedAtCreation: true });
    this.buffers.add(buffer);
    const bytesView = new Uint8Array(buffer.getMappedRange());
    new Uint32Array(bytesView.buffer).fill(SENTINEL_BITS);
    if (fill) bytesView.set(new Uint8Array(fill.buffer, fill.byteOffset, Math.min(fill.byteLength, size)));
    buffer.unmap();
    return buffer;
  }

  /** A buffer holding `data` at byte `at`, sentinel elsewhere. */
  bufferAt(bytes: number, at: number, data: Float32Array | Uint32Array): GPUBuffer {
    const fill = new Uint32Array(Math.ceil(bytes / 4)).fill(SENTINEL_BITS);
    new Uint8Array(fill.buffer).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return this.buffer(bytes, fill);
  }

  async bytes(buffer: GPUBuffer, offset: number, length: number, device = this.device): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(length / 4) * 4);
    const staging = device.createBuffer({ size, usage: 0x1 | 0x8 });
    try {
      const encoder = device.createCommandEncoder();
      if (length > 0) encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(0x1);
      return staging.getMappedRange().slice(0, length);
    } finally {
      staging.destroy();
    }
  }

  async f32(buffer: GPUBuffer, count: number, byteOffset = 0, device = this.device): Promise<Float32Array> {
    return new Float32Array(await this.bytes(buffer, byteOffset, count * 4, device));
  }

  async u32(buffer: GPUBuffer, count: number, byteOffset = 0, device = this.device): Promise<Uint32Array> {
    return new Uint32Array(await this.bytes(buffer, byteOffset, count * 4, device));
  }

  dispose(): void {
    for (const buffer of this.buffers) buffer.destroy();
    this.buffers.clear();
    for (const device of this.devices) device.destroy();
    this.devices.clear();
  }
}

/** Deterministic test data: signs and magnitudes from 2^-12 to 2^19, some exact zeros, no NaN. */
export function testData(n: number, salt = 1): Float32Array {
  const data = new Float32Array(n);
  let state = (0x9e3779b9 ^ salt) >>> 0;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = i % 97 === 0 ? 0 : ((state >>> 8) / 2 ** 24 - 0.5) * 2 ** ((state & 31) - 12);
  }
  return data;
}
