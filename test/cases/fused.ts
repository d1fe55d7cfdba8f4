// Fused epilogue y = residual + dropout(act(x + bias)) and its backward with dbias.
import { fusedDropout, fusedDropoutBackward } from 'webgpu-dropout';
import { ACTIVATIONS, columnSumsCPU, fusedDropoutBackwardCPU, fusedDropoutCPU, type Activation } from 'webgpu-dropout/cpu';
import { check, checkF32, checkU32 } from './assert.js';
import { testData, type Case } from './env.js';

/**
 * 'none' and 'relu' are exact: an f32 add, multiply and add, each correctly rounded. The smooth
 * activations go through WGSL's exp and tanh (a few ulp, more for large arguments) and the
 * shared erf approximation evaluated in f32 on the GPU and in float64 on the CPU: held to
 * 2^-16 of the values' magnitude plus 2^-20.
 */
function checkClose(actual: Float32Array, expected: Float32Array, act: Activation, scaleOf: (i: number) => number, what: string): void {
  if (act === 'none' || act === 'relu') return checkF32(actual, expected, what);
  for (let i = 0; i < actual.length; i++) {
    const tol = 2 ** -16 * scaleOf(i) + 2 ** -20;
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) throw new Error(`${what}: [${i}] expected ${expected[i]}, got ${actual[i]} (tolerance ${tol})`);
  }
}

export const fusedCases: Case[] = [
  {
    name: 'fused epilogue: every activation, with and without residual, bias widths with and without vec4 reads, masks exact',
    async run({ device }, t) {
      const shapes = [[33, 64], [7, 30], [129, 12], [3, 3, 20]];
      for (const act of ACTIVATIONS) {
        for (const [si, shape] of shapes.entries()) {
          const n = shape.reduce((a, b) => a * b, 1);
          const cols = shape[shape.length - 1]!;
          const withResidual = si % 2 === 0;
          const x = testData(n, si + 1).map((v) => v % 8);
          const bias = testData(cols, 40 + si).map((v) => v % 2);
          const residual = withResidual ? testData(n, 70 + si).map((v) => v % 4) : null;
          const key = { shape, activation: act, p: 0.1, training: true, seed: 31n, offset: BigInt(si) };
          const xb = t.buffer(4 * n + 16, x);
          const bb = t.buffer(4 * cols, bias);
          const rb = residual ? t.buffer(4 * n + 16, residual) : undefined;
          const yb = t.buffer(4 * n + 16);
          const mb = t.buffer(4 * Math.ceil(n / 32) + 16);
          await fusedDropout(device, { ...key, x: xb, bias: bb, residual: rb, y: yb, mask: mb });
          const ref = fusedDropoutCPU(x, bias, residual, key);
          const label = `${act} shape [${shape}] residual ${withResidual}`;
          checkU32(await t.u32(mb, Math.ceil(n / 32)), ref.mask, `mask (${label})`);
          checkClose(await t.f32(yb, n), ref.y, act, (i) => Math.abs(ref.y[i]!) + Math.abs(residual?.[i] ?? 0) + 1, `y (${label})`);
          // Backward: dx against the CPU, dbias against the same fixed-order sums of the GPU's own dx.
          const dy = testData(n, 90 + si).map((v) => v % 3);
          const dyb = t.buffer(4 * n + 16, dy);
          const dxb = t.buffer(4 * n + 16);
          const dbb = t.buffer(4 * cols);
          const { dresidual } = await fusedDropoutBackward(device, { ...key, dy: dyb, x: xb, bias: bb, dx: dxb, dbias: dbb });
          check(dresidual === dyb, 'the residual gradient is dy itself');
          const refBack = fusedDropoutBackwardCPU(dy, x, bias, key);
          const dx = await t.f32(dxb, n);
          checkClose(dx, refBack.dx, act, (i) => Math.abs(dy[i]! * 1.2), `dx (${label})`);
          const rows = n / cols;
          checkF32(await t.f32(dbb, cols), columnSumsCPU(dx, rows, cols), `dbias: fixed-order sums of dx (${label})`);
        }
      }
    },
  },
  {
    name: 'fused epilogue: eval mode keeps bias, activation and residual; dbias of many rows is the same every run',
    async run({ device }, t) {
      const shape = [1000, 36];
      const n = 36000;
      const x = testData(n, 5).map((v) => v % 4);
      const bias = testData(36, 6).map((v) => v % 2);
      const residual = testData(n, 7).map((v) => v % 2);
      const key = { shape, activation: 'relu' as const, p: 0.3, training: false, seed: 1n, offset: 0n };
      const xb = t.buffer(4 * n, x);
      const bb = t.buffer(4 * 36, bias);
      const rb = t.buffer(4 * n, residual);
      const yb = t.buffer(4 * n);
      await fusedDropout(device, { ...key, x: xb, bias: bb, residual: rb, y: yb });
      checkF32(await t.f32(yb, n), fusedDropoutCPU(x, bias, residual, key).y, 'eval epilogue');
      const dyb = t.buffer(4 * n, testData(n, 8));
      const outs = [t.buffer(4 * 36), t.buffer(4 * 36)];
      for (const dbias of outs) await fusedDropoutBackward(device, { ...key, training: true, dy: dyb, x: xb, bias: bb, dx: t.buffer(4 * n), dbias });
      checkU32(new Uint32Array((await t.f32(outs[0]!, 36)).buffer), new Uint32Array((await t.f32(outs[1]!, 36)).buffer), 'dbias is deterministic');
    },
  },
];
