// The f16 kernels cannot run here (SwiftShader lacks shader-f16), but Dawn's null backend has the
// feature and runs the full shader compiler and WebGPU validation while executing nothing. So
// every f16 pipeline is at least compiled and validated in CI; values are tested by
// test/cases/f16.ts wherever a device really has shader-f16. Under both dispatch schedules.
import { expect, test } from 'vitest';
import { create, globals } from 'webgpu';
import {
  dropBlock, dropBlockBackward, dropout, dropoutBackward, DropBlock2d, fusedDropout, fusedDropoutBackward,
  gaussianDropout, gaussianDropoutBackward, GaussianDropout, mcDropout, Dropout, dropConnectLinear, dropConnectLinearBackward,
} from '../../src/index.js';
import { configureDevice } from '../../src/testing.js';

const keep: unknown[] = []; // dawn.node must not garbage-collect its instance while devices live

test('f16 kernels of every family compile and validate on a device with shader-f16 (Dawn null backend)', async () => {
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
  for (const [schedule, p] of (['multi-pass', 'single-pass'] as const).flatMap((s) => [[s, 0.1], [s, 0.5]] as const)) {
    configureDevice(device, { schedule });
    await dropout(device, { ...base, p, x, y, mask });
    await dropout(device, { ...base, p, x, y: x });
    await dropoutBackward(device, { ...base, p, dy: x, dx: y, mask });
    await dropoutBackward(device, { ...base, p, dy: x, dx: y });
    await dropout(device, { ...base, n: undefined, shape: [11, 373], noiseShape: [11, 1], p, x, y });
    await dropout(device, { ...base, p, x, y, training: false });
    // Every other kernel family, with and without its optional parts, and its identity path.
    await gaussianDropout(device, { ...base, p, x, y });
    await gaussianDropoutBackward(device, { ...base, p, dy: x, dx: y });
    await gaussianDropout(device, { ...base, p, x, y, training: false });
    for (const shape of [[1, 1, 37, 111], [1, 1, 32, 128], [1, 1, 3, 37, 37]]) {
      const numel = shape.reduce((a, b) => a * b, 1);
      const m = device.createBuffer({ size: 4 * Math.ceil(numel / 32) + 16, usage });
      const key = { ...base, n: undefined, shape, p, blockSize: 3 };
      await dropBlock(device, { ...key, x, y, mask: m });
      await dropBlockBackward(device, { ...key, dy: x, dx: y });
      await dropBlockBackward(device, { ...key, dy: x, dx: y, mask: m });
      await dropBlock(device, { ...key, x, y: x });
      await dropBlock(device, { ...key, x, y, training: false });
      m.destroy();
    }
    const mean = device.createBuffer({ size: bytes, usage });
    const variance = device.createBuffer({ size: bytes, usage });
    const samples = device.createBuffer({ size: 3 * bytes, usage });
    await mcDropout(device, { ...base, p, x, samples: 3, out: samples, mean, variance });
    await mcDropout(device, { ...base, p, x, samples: 3, mean });
    const linear = { batch: 13, inFeatures: 37, outFeatures: 29, p, training: true, seed: 1n, offset: 0n, dtype: 'f16' as const };
    await dropConnectLinear(device, { ...linear, x, weight: samples, bias: mask, y });
    await dropConnectLinearBackward(device, { ...linear, dy: y, x, weight: samples, dx: mean, dWeight: variance, dBias: mask });
    await dropConnectLinear(device, { ...linear, training: false, x, weight: samples, y }); // the plain pipelines
    await dropConnectLinearBackward(device, { ...linear, training: false, dy: y, x, weight: samples, dx: mean, dWeight: variance, dBias: mask });
    for (const [rows, cols] of [[37, 111], [13, 315]] as const) {
      const bias = device.createBuffer({ size: 2 * cols + 16, usage });
      const dbias = device.createBuffer({ size: 2 * cols + 16, usage });
      for (const activation of ['none', 'relu', 'gelu', 'gelu_tanh', 'silu'] as const) {
        const { n: _n, ...rest } = base;
        const key = { ...rest, shape: [rows, cols], p, activation };
        await fusedDropout(device, { ...key, x, bias, residual: mean, y, mask });
        await fusedDropout(device, { ...key, x, bias, y });
        await fusedDropoutBackward(device, { ...key, dy: y, x, bias, dx: variance, dbias });
      }
      bias.destroy();
      dbias.destroy();
    }
    // dbias summed in chunks (a binding smaller than dx).
    configureDevice(device, { maxBindingBytes: 4096 + device.limits.minStorageBufferOffsetAlignment });
    const bias = device.createBuffer({ size: 64, usage });
    const dbias = device.createBuffer({ size: 64, usage });
    const { n: _unused, ...noN } = base;
    await fusedDropoutBackward(device, { ...noN, shape: [4096, 1], p, dy: y, x, bias, dx: variance, dbias });
    configureDevice(device, {});
    const layer = new Dropout(device, { p, dtype: 'f16' });
    await layer.forward(x, y, n);
    await layer.backward(y, samples);
    await layer.monteCarlo(x, n, { samples: 2, mean });
    const gaussian = new GaussianDropout(device, { p, dtype: 'f16' });
    await gaussian.forward(x, y, n);
    await gaussian.backward(y, samples);
    const block = new DropBlock2d(device, { p, blockSize: 3, dtype: 'f16' });
    await block.forward(x, y, [1, 1, 37, 111]);
    await block.backward(y, samples);
    [mean, variance, samples, bias, dbias].forEach((b) => b.destroy());
  }
  expect(errors).toEqual([]);
  device.destroy();
});
