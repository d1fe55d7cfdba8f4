// The f16 kernels cannot run here (SwiftShader lacks shader-f16), but Dawn's null backend has the
// feature and runs the full shader compiler and WebGPU validation while executing nothing. So
// every f16 pipeline is at least compiled and validated in CI; values are tested by
// test/cases/f16.ts wherever a device really has shader-f16.
import { expect, test } from 'vitest';
import { create, globals } from 'webgpu';
import { dropout, dropoutBackward } from '../../src/index.js';

const keep: unknown[] = []; // dawn.node must not garbage-collect its instance while devices live

test('f16 kernels compile and validate on a device with shader-f16 (Dawn null backend)', async () => {
  Object.assign(globalThis, globals);
  const gpu = create(['backend=null']);
  keep.push(gpu);
  const adapter = await gpu.requestAdapter();
  expect(adapter?.features.has('shader-f16'), 'the null backend offers shader-f16').toBe(true);
  const device = await adapter!.requestDevice({ requiredFeatures: ['shader-f16'] });
  const errors: string[] = [];
  device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  const usage = 0x80 | 0x4 | 0x8;
  const n = 4099;
  const bytes = Math.ceil(n / 4) * 8 + 64;
  const x = device.createBuffer({ size: bytes, usage });
  const y = device.createBuffer({ size: bytes, usage });
  const mask = device.createBuffer({ size: 4 * Math.ceil(n / 32) + 16, usage });
  const base = { n, training: true, seed: 1n, offset: 0n, dtype: 'f16' as const };
  for (const p of [0.1, 0.5]) {
    await dropout(device, { ...base, p, x, y, mask });
    await dropout(device, { ...base, p, x, y: x });
    await dropoutBackward(device, { ...base, p, dy: x, dx: y, mask });
    await dropoutBackward(device, { ...base, p, dy: x, dx: y });
    await dropout(device, { ...base, n: undefined, shape: [11, 373], noiseShape: [11, 1], p, x, y });
    await dropout(device, { ...base, p, x, y, training: false });
  }
  expect(errors).toEqual([]);
  device.destroy();
});
