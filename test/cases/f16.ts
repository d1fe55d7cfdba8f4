// f16 tensors: on devices with 'shader-f16' every kernel family is compared with its CPU f16
// reference — the f32 twin run on the inputs' exact f32 values, each output rounded to f16, as the
// GPU's f16 kernels compute in f32 and round on store. On devices without it (SwiftShader) the
// refusal is what is tested, and the case says so.
import { dropBlock, dropBlockBackward, dropout, dropoutBackward, fusedDropout, fusedDropoutBackward, gaussianDropout, mcDropout } from 'webgpu-dropout';
import {
  columnSumsCPU, dropBlockCPU, dropoutF16CPU, fromF16Array, fromF16Bits, fusedDropoutBackwardCPU, fusedDropoutCPU, gaussianDropoutCPU,
  gaussianSigma, mcDropoutCPU, toF16Array,
} from 'webgpu-dropout/cpu';
import { checkThrows, checkU32 } from './assert.js';
import { type Case, type Tracker } from './env.js';

/** One f16 ulp at the magnitude of `v` (subnormal spacing below 2^-14). */
export function ulp16(v: number): number {
  return Math.max(2 ** -24, 2 ** (Math.floor(Math.log2(Math.abs(v) || 1)) - 10));
}

/**
 * Compares f16 outputs with f16(expected): within `ulps` f16 ulps (1 by default: WGSL does not pin
 * the f32 → f16 rounding direction) plus `extra(i)`, the f32 kernel's own tolerance.
 */
export function checkF16(got: Uint16Array, expected: Float32Array, what: string, extra: (i: number) => number = () => 0, ulps = 1): void {
  const rounded = toF16Array(expected);
  for (let i = 0; i < expected.length; i++) {
    const a = fromF16Bits(got[i]!);
    const b = fromF16Bits(rounded[i]!);
    const tol = ulps * ulp16(Math.max(Math.abs(a), Math.abs(b))) + extra(i);
    if (!(Math.abs(a - b) <= tol)) throw new Error(`${what}: [${i}] expected ${b}, got ${a} (tolerance ${tol})`);
  }
}

/** f16 values (as bits) of a smooth test pattern, and their exact f32 values. */
export function values(n: number, salt: number, amplitude: number): { bits: Uint16Array; f32: Float32Array } {
  const bits = toF16Array(Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + salt) * amplitude));
  return { bits, f32: fromF16Array(bits) };
}

/** A buffer for n f16 values with room to the next vec4, as f16 tensors need. */
export function f16Buffer(t: Tracker, n: number, data?: Uint16Array): GPUBuffer {
  return t.buffer(Math.ceil(n / 4) * 8 + 8, data);
}

export async function readF16(t: Tracker, buffer: GPUBuffer, n: number): Promise<Uint16Array> {
  return new Uint16Array(await t.bytes(buffer, 0, 2 * n));
}

export const f16Cases: Case[] = [
  {
    name: 'f16, every family: matches the CPU f16 reference (1 ulp + the f32 tolerance) where shader-f16 exists, else a typed UNSUPPORTED refusal',
    async run(env, t) {
      const device = env.device;
      const n = 5003;
      const { bits, f32 } = values(n, 0, 50);
      if (!device.features.has('shader-f16')) {
        const xb = f16Buffer(t, n, bits);
        const key = { n, p: 0.1, training: true, seed: 1n, offset: 0n, dtype: 'f16' as const };
        for (const [what, call] of [
          ['dropout', () => dropout(device, { ...key, x: xb, y: f16Buffer(t, n) })],
          ['dropoutBackward', () => dropoutBackward(device, { ...key, dy: xb, dx: f16Buffer(t, n) })],
          ['gaussianDropout', () => gaussianDropout(device, { ...key, x: xb, y: f16Buffer(t, n) })],
          ['dropBlock', () => dropBlock(device, { ...key, n: undefined, shape: [1, 1, 50, 100], blockSize: 3, x: xb, y: f16Buffer(t, n) } as never)],
          ['mcDropout', () => mcDropout(device, { ...key, samples: 2, x: xb, mean: f16Buffer(t, n) })],
          ['fusedDropout', () => fusedDropout(device, { ...key, n: undefined, shape: [n], x: xb, bias: f16Buffer(t, n), y: f16Buffer(t, n) } as never)],
        ] as const) {
          await checkThrows(call, { code: 'UNSUPPORTED', includes: ['shader-f16'] }, `${what} f16 without the feature`);
        }
        return;
      }
      const xb = f16Buffer(t, n, bits);

      // Element-wise: the f16 mask is the f32 mask.
      const key = { n, p: 0.1, training: true, seed: 7n, offset: 3n };
      const yb = f16Buffer(t, n);
      const mb = t.buffer(4 * Math.ceil(n / 32) + 16);
      await dropout(device, { ...key, x: xb, y: yb, mask: mb, dtype: 'f16' });
      const ref = dropoutF16CPU(bits, key);
      checkU32(await t.u32(mb, Math.ceil(n / 32)), ref.mask, 'f16 mask equals the f32 mask');
      checkF16(await readF16(t, yb, n), fromF16Array(ref.y), 'dropout f16');
      // Backward is the same map of dy, from the saved mask and with the mask rebuilt.
      const dxMask = f16Buffer(t, n);
      await dropoutBackward(device, { ...key, dy: xb, dx: dxMask, mask: mb, dtype: 'f16' });
      checkF16(await readF16(t, dxMask, n), fromF16Array(ref.y), 'dropoutBackward f16 (mask)');
      const dxRebuilt = f16Buffer(t, n);
      await dropoutBackward(device, { ...key, dy: xb, dx: dxRebuilt, dtype: 'f16' });
      checkF16(await readF16(t, dxRebuilt, n), fromF16Array(ref.y), 'dropoutBackward f16 (rebuilt)');

      // Gaussian: WGSL's sin/cos tolerance on top.
      const gb = f16Buffer(t, n);
      const gkey = { n, p: 0.2, training: true, seed: 9n, offset: 4n };
      await gaussianDropout(device, { ...gkey, x: xb, y: gb, dtype: 'f16' });
      const sigma = gaussianSigma(0.2);
      checkF16(await readF16(t, gb, n), gaussianDropoutCPU(f32, gkey), 'gaussianDropout f16', (i) => Math.abs(f32[i]!) * sigma * 6 * 2 ** -11);

      // DropBlock: the block mask exact, the scale within 3 f32 ulp.
      const shape = [1, 1, 50, 100];
      const dn = 5000;
      const db = f16Buffer(t, dn);
      const dmb = t.buffer(4 * Math.ceil(dn / 32) + 16);
      const dkey = { shape, p: 0.15, blockSize: 5, training: true, seed: 11n, offset: 5n };
      await dropBlock(device, { ...dkey, x: xb, y: db, mask: dmb, dtype: 'f16' });
      const dref = dropBlockCPU(f32.subarray(0, dn), dkey);
      checkU32(await t.u32(dmb, Math.ceil(dn / 32)), dref.mask, 'dropBlock f16 block mask');
      checkF16(await readF16(t, db, dn), dref.y, 'dropBlock f16', (i) => Math.abs(dref.y[i]!) * 3 * 2 ** -23);
      const ddx = f16Buffer(t, dn);
      await dropBlockBackward(device, { ...dkey, dy: xb, dx: ddx, dtype: 'f16' });
      checkF16(await readF16(t, ddx, dn), dref.y, 'dropBlockBackward f16 (rebuilt)', (i) => Math.abs(dref.y[i]!) * 3 * 2 ** -23);

      // Monte Carlo: exact in f32, so 1 f16 ulp.
      const K = 4;
      const mean = f16Buffer(t, n);
      const variance = f16Buffer(t, n);
      const out = f16Buffer(t, K * n);
      const mkey = { n, p: 0.3, samples: K, seed: 13n, offset: 6n };
      await mcDropout(device, { ...mkey, x: xb, out, mean, variance, dtype: 'f16' });
      const mref = mcDropoutCPU(f32, mkey);
      checkF16(await readF16(t, out, K * n), mref.samples, 'mcDropout f16 samples');
      checkF16(await readF16(t, mean, n), mref.mean, 'mcDropout f16 mean');
      checkF16(await readF16(t, variance, n), mref.variance, 'mcDropout f16 variance');

      // Fused epilogue with a residual; dbias the fixed-order sums of the dx the GPU wrote.
      const rows = 41;
      const cols = 122;
      const fn = rows * cols;
      const bias = values(cols, 2, 1);
      const residual = values(fn, 3, 2);
      const bb = f16Buffer(t, cols, bias.bits);
      const rb = f16Buffer(t, fn, residual.bits);
      const fy = f16Buffer(t, fn);
      const fkey = { shape: [rows, cols], activation: 'gelu' as const, p: 0.1, training: true, seed: 17n, offset: 7n };
      const x8 = fromF16Array(toF16Array(f32.subarray(0, fn).map((v) => v / 8)));
      const xf = f16Buffer(t, fn, toF16Array(x8));
      await fusedDropout(device, { ...fkey, x: xf, bias: bb, residual: rb, y: fy, dtype: 'f16' });
      const fref = fusedDropoutCPU(x8, bias.f32, residual.f32, fkey);
      checkF16(await readF16(t, fy, fn), fref.y, 'fusedDropout f16', (i) => 2 ** -16 * (Math.abs(fref.y[i]!) + Math.abs(residual.f32[i]!) + 1) + 2 ** -20);
      const dy = values(fn, 4, 3);
      const dyb = f16Buffer(t, fn, dy.bits);
      const dxb = f16Buffer(t, fn);
      const dbb = f16Buffer(t, cols);
      await fusedDropoutBackward(device, { ...fkey, dy: dyb, x: xf, bias: bb, dx: dxb, dbias: dbb, dtype: 'f16' });
      const dx = await readF16(t, dxb, fn);
      const bref = fusedDropoutBackwardCPU(dy.f32, x8, bias.f32, fkey);
      checkF16(dx, bref.dx, 'fusedDropoutBackward f16 dx', (i) => 2 ** -16 * Math.abs(dy.f32[i]! * 1.2) + 2 ** -20);
      checkF16(await readF16(t, dbb, cols), columnSumsCPU(fromF16Array(dx), rows, cols), 'fusedDropoutBackward f16 dbias: the sums of its dx');
    },
  },
];
