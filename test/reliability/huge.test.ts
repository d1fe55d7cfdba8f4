// The largest tensors this machine's software GPU holds, and what happens past them. Node only.
import { expect, test } from 'vitest';
import { createStorageBuffer, downloadFloat32, downloadUint32, dropout, dropoutBackward, uploadFloat32 } from '../../src/index.js';
import { requestNodeAdapter, requestNodeDevice } from '../../src/node.js';
import { applyMaskCPU } from '../../src/cpu/reference.js';
import { keepMask } from '../../src/rng/mask.js';
import { DropoutArgumentError, DropoutGPUError } from '../../src/errors.js';
import { checkF32, checkU32 } from '../cases/assert.js';
import { testData } from '../cases/env.js';

// SwiftShader advertises maxBufferSize = maxStorageBufferBindingSize = 1 GiB, but cannot allocate
// a buffer of exactly 1 GiB (vkAllocateMemory fails: VK_ERROR_OUT_OF_DEVICE_MEMORY; 1 GiB - 256
// bytes works), so a 2^28-element f32 tensor cannot exist on this software GPU. The first test
// checks that this refusal — an allocation failing below the advertised limit, reported by
// WebGPU asynchronously — reaches the caller as a typed GPU_OUT_OF_MEMORY error from our error
// scopes (never an uncaptured error). The second runs the largest tensor SwiftShader holds,
// 2^28 - 64 elements (1 GiB - 256 bytes): its binding needs the offset alignment reserve on top,
// so it is bound in two chunks, and its 2^18 - 1 tiles exceed maxComputeWorkgroupsPerDimension
// (65535), so the main dispatch is a 2-D grid. x and y take 2 GiB of host memory, x another 1 GiB
// on the JS side; values are compared in 64 MiB pieces.
test('a 2^28-element tensor: the 1 GiB buffer SwiftShader cannot allocate is a typed GPU_OUT_OF_MEMORY at the first call, nothing uncaptured (~1 s)', async () => {
  const device = await requestNodeDevice();
  const uncaptured: string[] = [];
  device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
  try {
    expect(device.limits.maxBufferSize).toBe(2 ** 30);
    const x = createStorageBuffer(device, 2 ** 28, 'x of 2^28');
    const y = createStorageBuffer(device, 16);
    const error = await dropout(device, { x, y, n: 16, p: 0.5, training: true, seed: 1n, offset: 0n }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DropoutGPUError);
    expect((error as DropoutGPUError).code).toBe('GPU_OUT_OF_MEMORY');
    expect((error as Error).message).toMatch(/createStorageBuffer "x of 2\^28"/);
    // Once the failure is known, every later use of the buffer is refused before any GPU work.
    const again = await downloadFloat32(device, x, 4).catch((e: unknown) => e);
    expect((again as DropoutGPUError).code).toBe('GPU_OUT_OF_MEMORY');
    expect((again as Error).message).toMatch(/buffer: the buffer "x of 2\^28" could not be created/);
    // The same dropout again (a repeat of a call whose plans are kept) is refused the same way.
    const repeat = await dropout(device, { x, y, n: 16, p: 0.5, training: true, seed: 1n, offset: 1n }).catch((e: unknown) => e);
    expect((repeat as DropoutGPUError).code).toBe('GPU_OUT_OF_MEMORY');
    expect((repeat as Error).message).toMatch(/x: the buffer "x of 2\^28" could not be created/);
    expect(uncaptured).toEqual([]);
    for (const b of [x, y]) b.destroy();
  } finally {
    device.destroy();
  }
}, 120_000);

test('2^28 - 64 elements (1 GiB - 256 B: two chunks, a 2-D grid) forward with mask and both backward modes match the CPU (~100 s, 4.4 GB)', async () => {
  const device = await requestNodeDevice();
  const n = 2 ** 28 - 64;
  const buffers: GPUBuffer[] = [];
  try {
    expect(Math.ceil(n / 1024)).toBeGreaterThan(device.limits.maxComputeWorkgroupsPerDimension);
    // Chunks are whole 1024-element tiles that fit a binding with the alignment reserve: two chunks here.
    expect(Math.floor((device.limits.maxStorageBufferBindingSize - device.limits.minStorageBufferOffsetAlignment) / 4 / 1024) * 1024).toBeLessThan(n);
    const x = testData(n, 28);
    const key = { p: 0.1, training: true, seed: 2n ** 63n + 28n, offset: 2n ** 40n + 1n };
    const xb = uploadFloat32(device, x);
    const yb = createStorageBuffer(device, n);
    const mb = createStorageBuffer(device, Math.ceil(n / 32));
    buffers.push(xb, yb, mb);
    await dropout(device, { ...key, x: xb, y: yb, mask: mb, n });
    const mask = keepMask(key, key.p, n);
    checkU32(await downloadUint32(device, mb, mask.length), mask, 'mask of 2^28 - 64 elements');
    const piece = 2 ** 24;
    const check = async (what: string) => {
      for (let start = 0; start < n; start += piece) {
        const count = Math.min(piece, n - start);
        const expected = applyMaskCPU(x.subarray(start, start + count), mask.subarray(start / 32), key.p);
        checkF32(await downloadFloat32(device, { buffer: yb, byteOffset: 4 * start }, count), expected, `${what}, elements ${start}…${start + count - 1}`);
      }
    };
    const clear = () => {
      const encoder = device.createCommandEncoder();
      encoder.clearBuffer(yb);
      device.queue.submit([encoder.finish()]);
    };
    await check('y');
    clear();
    await dropoutBackward(device, { ...key, dy: xb, dx: yb, n });
    await check('dx rebuilt from (seed, offset)');
    clear();
    await dropoutBackward(device, { ...key, dy: xb, dx: yb, mask: mb, n });
    await check('dx from the packed mask');
  } finally {
    for (const b of buffers) b.destroy();
    device.destroy();
  }
}, 15 * 60_000);

// Past maxBufferSize no single buffer holds the tensor: WebGPU's createBuffer refuses it with a
// validation error. The library's helpers refuse it up front with a typed error naming the
// argument, its value and the device's limit (they are synchronous, so they cannot await an
// error scope; the limit is known in advance), and the kernels' own calls refuse a buffer that
// is too small for n. A device with default limits (256 MiB buffers) keeps this test cheap.
test('past maxBufferSize: the helpers refuse with a typed error naming the limit; WebGPU\'s own createBuffer is a validation error (~5 s)', async () => {
  const adapter = await requestNodeAdapter();
  const device = await adapter.requestDevice();
  try {
    const max = device.limits.maxBufferSize;
    const values = max / 4 + 1;
    const tooMany = (() => { try { createStorageBuffer(device, values); } catch (e) { return e; } return null; })();
    expect(tooMany).toBeInstanceOf(DropoutArgumentError);
    expect((tooMany as DropoutArgumentError).argument).toBe('count');
    expect((tooMany as Error).message).toContain(`maxBufferSize / 4 = ${max / 4}`);
    const data = new Float32Array(values);
    expect(() => uploadFloat32(device, data)).toThrow(DropoutArgumentError);
    expect(() => uploadFloat32(device, data)).toThrow(/data = Float32Array is invalid: expected at most maxBufferSize/);
    // Exactly at the limit works.
    const atLimit = createStorageBuffer(device, max / 4);
    expect(atLimit.size).toBe(max);
    atLimit.destroy();
    // What the helpers spare the caller: WebGPU's refusal is an asynchronous validation error.
    device.pushErrorScope('validation');
    device.createBuffer({ size: max + 4, usage: 0x80 }).destroy();
    const error = await device.popErrorScope();
    expect(error?.message).toMatch(/exceeds the max buffer size/);
    // A kernel call on a buffer too small for n is a typed error, before any GPU work.
    const small = createStorageBuffer(device, 1024);
    await expect(dropout(device, { x: small, y: createStorageBuffer(device, 1024), n: max / 4 + 1, p: 0.5, training: true, seed: 1n, offset: 0n }))
      .rejects.toThrow(/x = GPUBuffer\("webgpu-dropout storage"\) is invalid: expected a buffer of at least/);
  } finally {
    device.destroy();
  }
}, 120_000);
