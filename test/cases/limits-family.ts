// Limits for every kernel family, not just element-wise dropout: with configureDevice lowering
// maxStorageBufferBindingSize (tensors bound in many chunks) and maxComputeWorkgroupsPerDimension
// (2-D dispatch grids), every family gives the CPU reference's masks bit for bit, its values
// within the family's documented tolerance, and exactly the values of the same call at the
// device's own limits (chunking and grid shape never change a result). Where a family needs a
// whole tensor in one binding (Monte Carlo dropout's buffers, by design), the refusal is a typed
// error naming the tensor, before anything is recorded.
import { deviceStats, dropBlock, dropBlockBackward, dropout, fusedDropout, fusedDropoutBackward, gaussianDropout, gaussianDropoutBackward,
  mcDropout, type WorkgroupSize,
} from 'webgpu-dropout';
import { configureDevice } from 'webgpu-dropout/testing';
import { columnSumsCPU, dropBlockCPU, fusedDropoutBackwardCPU, fusedDropoutCPU, gaussianDropoutCPU, gaussianSigma, mcDropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkEqual, checkF32, checkThrows, checkU32 } from './assert.js';
import { checkNoise } from './family.js';
import { testData, type Case } from './env.js';

type Limits = Parameters<typeof configureDevice>[1];

/** Runs `body` with lowered limits, restoring the device's own afterwards. */
async function withLimits<T>(device: GPUDevice, limits: Limits, body: () => Promise<T>): Promise<T> {
  configureDevice(device, limits);
  try {
    return await body();
  } finally {
    configureDevice(device, {});
  }
}

/** Small chunks (2048 elements) and 2-D grids (at most 3 workgroups along x). */
const tight = (device: GPUDevice): Limits => ({ maxBindingBytes: 8192 + device.limits.minStorageBufferOffsetAlignment, maxWorkgroupsPerDimension: 3 });

/** Calls `run` at the device's limits and at each lowered set; returns the outputs, which must agree bit for bit. */
async function acrossLimits(device: GPUDevice, sets: Limits[], run: () => Promise<Float32Array[]>, what: string): Promise<Float32Array[]> {
  const reference = await run();
  for (const limits of sets) {
    const outputs = await withLimits(device, limits, run);
    outputs.forEach((o, i) => checkF32(o, reference[i]!, `${what}: output ${i} with limits ${JSON.stringify(limits)} vs the device's own`));
  }
  return reference;
}

const ulps = (actual: Float32Array, expected: Float32Array, k: number, what: string): void => {
  for (let i = 0; i < actual.length; i++) {
    const tol = k * 2 ** -23 * Math.abs(expected[i]!);
    check(Math.abs(actual[i]! - expected[i]!) <= tol, `${what} [${i}]: expected ${expected[i]}, got ${actual[i]} (${k} ulp)`);
  }
};

const asF32 = (u: Uint32Array): Float32Array => new Float32Array(u.buffer, u.byteOffset, u.length);

export const limitFamilyCases: Case[] = [
  {
    name: 'limits, noise shapes (broadcast kernel): many chunks and 2-D grids, every collapsed rank, bit-exact',
    async run({ device }, t) {
      const specs = [
        { shape: [3, 7, 1000], noiseShape: [3, 1, 1000], p: 0.3 },
        { shape: [16, 3, 333], noiseShape: [16, 3, 1], p: 0.5 },
        { shape: [2, 5, 30, 31], noiseShape: [2, 5, 1, 1], p: 0.2, mode: 'alpha' as const },
        { shape: [4, 3, 5, 7, 61], noiseShape: [4, 1, 5, 1, 61], p: 0.4 },
        { shape: [9, 2, 3, 2, 3, 2, 3, 41], noiseShape: [9, 1, 3, 1, 3, 1, 3, 1], p: 0.1 },
      ];
      for (const limits of [tight(device), { maxWorkgroupsPerDimension: 1 }, { maxBindingBytes: 4096 + device.limits.minStorageBufferOffsetAlignment }]) {
        await withLimits(device, limits, async () => {
          for (const spec of specs) await checkNoise(device, t, { ...spec, offset: 5n });
        });
      }
    },
  },
  {
    name: 'limits, Gaussian dropout: chunked and 2-D, unaligned offsets, equal to the unchunked run and within WGSL accuracy of the CPU',
    async run({ device }, t) {
      for (const [n, at, wg] of [[20_001, 0, undefined], [9_999, 4, 128], [16_384, 260, 256]] as const) {
        const x = testData(n, 31);
        const key = { n, p: 0.3, training: true, seed: 41n, offset: 3n, workgroupSize: wg as WorkgroupSize | undefined };
        const xb = t.bufferAt(at + 4 * n + 16, at, x);
        const [y, dx] = await acrossLimits(device, [tight(device), { maxWorkgroupsPerDimension: 2 }], async () => {
          const yb = t.buffer(at + 4 * n + 16);
          const dxb = t.buffer(at + 4 * n + 16);
          await gaussianDropout(device, { ...key, x: { buffer: xb, byteOffset: at }, y: { buffer: yb, byteOffset: at } });
          await gaussianDropoutBackward(device, { ...key, dy: { buffer: xb, byteOffset: at }, dx: { buffer: dxb, byteOffset: at } });
          return [await t.f32(yb, n, at), await t.f32(dxb, n, at)];
        }, `gaussian n=${n} at=${at}`);
        const expected = gaussianDropoutCPU(x, key);
        const sigma = gaussianSigma(0.3);
        for (let i = 0; i < n; i++) {
          // The tolerance of the family cases: |z| <= 6, WGSL sin/cos within 2^-11 absolute.
          const tol = Math.abs(x[i]!) * sigma * 6 * 2 ** -11 + 4 * 2 ** -24 * Math.abs(expected[i]!) + 2 ** -126;
          check(Math.abs(y![i]! - expected[i]!) <= tol, `gaussian n=${n} [${i}]: expected ${expected[i]}, got ${y![i]}`);
        }
        checkF32(dx!, y!, `gaussian backward with dy = x is the forward (n=${n})`);
      }
    },
  },
  {
    name: 'limits, DropBlock 2-D/3-D: chunked apply and 2-D grids, block masks bit-exact, values within 3 ulp and equal to the unchunked run',
    async run({ device }, t) {
      for (const [shape, blockSize] of [[[2, 3, 40, 41], 5], [[1, 2, 9, 30, 31], 3]] as const) {
        const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
        const x = testData(n, n).map((v) => v || 1);
        const key = { shape: [...shape], p: 0.2, blockSize, training: true, seed: 8n, offset: 1n };
        const xb = t.buffer(4 * n + 16, x);
        const words = Math.ceil(n / 32);
        const [y, maskBits, dxRebuilt, dxMasked] = await acrossLimits(device, [tight(device), { maxWorkgroupsPerDimension: 1 }], async () => {
          const yb = t.buffer(4 * n + 16);
          const mb = t.buffer(4 * words + 16);
          const dxa = t.buffer(4 * n + 16);
          const dxm = t.buffer(4 * n + 16);
          await dropBlock(device, { ...key, x: xb, y: yb, mask: mb });
          await dropBlockBackward(device, { ...key, dy: xb, dx: dxa });
          await dropBlockBackward(device, { ...key, dy: xb, dx: dxm, mask: mb });
          return [await t.f32(yb, n), asF32(await t.u32(mb, words)), await t.f32(dxa, n), await t.f32(dxm, n)];
        }, `dropBlock [${shape}]`);
        const ref = dropBlockCPU(x, key);
        checkU32(new Uint32Array(maskBits!.buffer), ref.mask, `block mask [${shape}]`);
        ulps(y!, ref.y, 3, `dropBlock y [${shape}]`);
        checkF32(dxRebuilt!, y!, `dropBlock backward (rebuilt) with dy = x is the forward [${shape}]`);
        checkF32(dxMasked!, y!, `dropBlock backward (mask) with dy = x is the forward [${shape}]`);
      }
    },
  },
  {
    name: 'limits, Monte Carlo dropout: 2-D grids bit-exact; a buffer past the binding limit is a typed refusal, nothing recorded',
    async run({ device }, t) {
      const n = 20_000;
      const samples = 5;
      const x = testData(n, 2);
      const key = { n, p: 0.25, samples, seed: 3n, offset: 9n };
      const xb = t.buffer(4 * n, x);
      const [out, mean, variance] = await acrossLimits(device, [{ maxWorkgroupsPerDimension: 2 }, { maxWorkgroupsPerDimension: 1 }], async () => {
        const o = t.buffer(4 * n * samples);
        const m = t.buffer(4 * n);
        const v = t.buffer(4 * n);
        await mcDropout(device, { ...key, x: xb, out: o, mean: m, variance: v });
        return [await t.f32(o, n * samples), await t.f32(m, n), await t.f32(v, n)];
      }, 'mcDropout');
      const ref = mcDropoutCPU(x, key);
      checkF32(out!, ref.samples, 'mc samples');
      checkF32(mean!, ref.mean, 'mc mean');
      checkF32(variance!, ref.variance, 'mc variance');
      await withLimits(device, { maxBindingBytes: 65536 + device.limits.minStorageBufferOffsetAlignment }, async () => {
        const before = deviceStats(device).submits;
        await checkThrows(() => mcDropout(device, { ...key, x: xb, mean: t.buffer(4 * n) }), { code: 'INVALID_ARGUMENT', argument: 'x', includes: ['maxStorageBufferBindingSize', 'Monte Carlo'] }, 'mc x past the binding limit');
        checkEqual(deviceStats(device).submits, before, 'nothing submitted');
      });
    },
  },
  {
    name: 'limits, fused epilogue: forward and backward (dx, dbias column sums) chunked and on 2-D grids, equal to the unchunked run and the CPU',
    async run({ device }, t) {
      const align = device.limits.minStorageBufferOffsetAlignment;
      for (const [rows, cols, act] of [[1000, 48, 'relu'], [700, 36, 'gelu'], [513, 20, 'none']] as const) {
        const n = rows * cols;
        const shape = [rows, cols];
        const x = testData(n, cols).map((v) => v % 8);
        const bias = testData(cols, 3).map((v) => v % 2);
        const residual = testData(n, 4).map((v) => v % 4);
        const dy = testData(n, 5).map((v) => v % 3);
        const key = { shape, activation: act, p: 0.2, training: true, seed: 13n, offset: 2n };
        const xb = t.buffer(4 * n, x);
        const bb = t.buffer(4 * cols, bias);
        const rb = t.buffer(4 * n, residual);
        const dyb = t.buffer(4 * n, dy);
        // Column sums chunk by whole 256-row blocks: a binding of 256 rows gives ceil(rows / 256) chunks.
        const rowBlock = { maxBindingBytes: 256 * 4 * cols + align, maxWorkgroupsPerDimension: 3 };
        const [y, maskBits, dx, dbias] = await acrossLimits(device, [rowBlock, { maxWorkgroupsPerDimension: 1 }, { maxBindingBytes: 2 * 256 * 4 * cols + align }], async () => {
          const yb = t.buffer(4 * n);
          const mb = t.buffer(4 * Math.ceil(n / 32));
          const dxb = t.buffer(4 * n);
          const dbb = t.buffer(4 * cols);
          await fusedDropout(device, { ...key, x: xb, bias: bb, residual: rb, y: yb, mask: mb });
          await fusedDropoutBackward(device, { ...key, dy: dyb, x: xb, bias: bb, dx: dxb, dbias: dbb });
          return [await t.f32(yb, n), asF32(await t.u32(mb, Math.ceil(n / 32))), await t.f32(dxb, n), await t.f32(dbb, cols)];
        }, `fused ${act} [${shape}]`);
        const ref = fusedDropoutCPU(x, bias, residual, key);
        checkU32(new Uint32Array(maskBits!.buffer), ref.mask, `fused mask [${shape}]`);
        const refBack = fusedDropoutBackwardCPU(dy, x, bias, key);
        if (act === 'gelu') {
          // The fused cases' tolerance for smooth activations: 2^-16 of the magnitude + 2^-20.
          for (let i = 0; i < n; i++) {
            check(Math.abs(y![i]! - ref.y[i]!) <= 2 ** -16 * (Math.abs(ref.y[i]!) + Math.abs(residual[i]!) + 1) + 2 ** -20, `fused gelu y [${i}]`);
            check(Math.abs(dx![i]! - refBack.dx[i]!) <= 2 ** -16 * Math.abs(dy[i]! * 1.25) + 2 ** -20, `fused gelu dx [${i}]`);
          }
        } else {
          checkF32(y!, ref.y, `fused y [${shape}]`);
          checkF32(dx!, refBack.dx, `fused dx [${shape}]`);
        }
        checkF32(dbias!, columnSumsCPU(dx!, rows, cols), `dbias: the fixed-order column sums of the GPU's dx [${shape}]`);
      }
      // A single block of 256 rows that does not fit a binding is refused, naming dx, before recording.
      await withLimits(device, { maxBindingBytes: 4096 + align }, async () => {
        const n = 512 * 8;
        const before = deviceStats(device).submits;
        await checkThrows(() => fusedDropoutBackward(device, { shape: [512, 8], p: 0.1, training: true, seed: 1n, offset: 0n, dy: t.buffer(4 * n), x: t.buffer(4 * n), bias: t.buffer(32), dx: t.buffer(4 * n), dbias: t.buffer(32) }),
          { code: 'INVALID_ARGUMENT', argument: 'dx', includes: ['columns', 'bias gradient'] }, 'dbias rows past the binding limit');
        checkEqual(deviceStats(device).submits, before, 'nothing submitted');
      });
    },
  },
  {
    name: 'limits, element-wise dropout: every workgroup size on 2-D grids with chunks, in place and out of place',
    async run({ device }, t) {
      for (const wg of [64, 128, 256] as const) {
        const n = 30_011;
        const x = testData(n, wg);
        const key = { n, p: 0.35, training: true, seed: 17n, offset: BigInt(wg), workgroupSize: wg };
        const [y, inPlace] = await acrossLimits(device, [tight(device)], async () => {
          const yb = t.buffer(4 * n);
          await dropout(device, { ...key, x: t.buffer(4 * n, x), y: yb });
          const buffer = t.buffer(4 * n, x);
          await dropout(device, { ...key, x: buffer, y: buffer });
          return [await t.f32(yb, n), await t.f32(buffer, n)];
        }, `dropout wg=${wg}`);
        checkF32(inPlace!, y!, `in place equals out of place (wg=${wg})`);
      }
    },
  },
];

