// In-place forms: the output aliases the input (same buffer, same byteOffset).
import { dropBlock, dropBlockBackward, dropout, dropoutBackward, gaussianDropout } from 'webgpu-dropout';
import { dropBlockCPU, dropoutBackwardCPU, dropoutCPU, gaussianDropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkF32, checkU32 } from './assert.js';
import { testData, type Case } from './env.js';

export const inPlaceCases: Case[] = [
  {
    name: 'in place: element-wise forward/backward (ties, vec4 and scalar access, odd n, alpha, legacy eval) equal the out-of-place results',
    async run({ device }, t) {
      const specs = [
        { n: 70001, p: 0.1 }, { n: 4096, p: 0.5 }, { n: 1027, p: 0.3, at: 4 }, { n: 33, p: 0.9 },
        { n: 5000, p: 0.2, mode: 'alpha' as const }, { n: 999, p: 0.4, mode: 'legacy' as const, training: false },
      ];
      for (const spec of specs) {
        const { n, p } = spec;
        const at = spec.at ?? 0;
        const key = { n, p, mode: spec.mode, training: spec.training ?? true, seed: 8n, offset: 3n };
        const x = testData(n, n);
        const buffer = t.bufferAt(at + 4 * n + 32, at, x);
        const mask = t.buffer(4 * Math.ceil(n / 32) + 16);
        await dropout(device, { ...key, x: { buffer, byteOffset: at }, y: { buffer, byteOffset: at }, mask });
        const ref = dropoutCPU(x, key);
        const y = await t.f32(buffer, n, at);
        if (spec.mode === 'alpha') {
          for (let i = 0; i < n; i++) check(Math.abs(y[i]! - ref.y[i]!) <= 2 ** -22 * (Math.abs(x[i]!) + 2), `alpha in place [${i}]`);
        } else {
          checkF32(y, ref.y, `in-place forward ${JSON.stringify(spec)}`);
        }
        if (key.training) checkU32(await t.u32(mask, Math.ceil(n / 32)), ref.mask, `in-place mask ${JSON.stringify(spec)}`);
        const dy = testData(n, n + 5);
        const grad = t.bufferAt(at + 4 * n + 32, at, dy);
        await dropoutBackward(device, { ...key, dy: { buffer: grad, byteOffset: at }, dx: { buffer: grad, byteOffset: at } });
        checkF32(await t.f32(grad, n, at), dropoutBackwardCPU(dy, key), `in-place backward ${JSON.stringify(spec)}`);
      }
    },
  },
  {
    name: 'in place: noise shapes, Gaussian dropout and DropBlock',
    async run({ device }, t) {
      const shape = [4, 6, 9, 10];
      const n = shape.reduce((a, b) => a * b, 1);
      const x = testData(n, 3);
      const key = { shape, noiseShape: [4, 6, 1, 1], p: 0.3, training: true, seed: 4n, offset: 1n };
      const b1 = t.buffer(4 * n, x);
      await dropout(device, { ...key, x: b1, y: b1 });
      checkF32(await t.f32(b1, n), dropoutCPU(x, key).y, 'in-place channel dropout');
      const b2 = t.buffer(4 * n, x);
      const gkey = { n, p: 0.2, training: true, seed: 4n, offset: 2n };
      await gaussianDropout(device, { ...gkey, x: b2, y: b2 });
      const g = await t.f32(b2, n);
      const gref = gaussianDropoutCPU(x, gkey);
      for (let i = 0; i < n; i++) check(Math.abs(g[i]! - gref[i]!) <= Math.abs(x[i]!) * 0.5 * 6 * 2 ** -11 + 2 ** -20 * Math.abs(gref[i]!), `gaussian in place [${i}]`);
      const b3 = t.buffer(4 * n, x);
      const dkey = { shape, p: 0.2, blockSize: 3, training: true, seed: 4n, offset: 3n };
      await dropBlock(device, { ...dkey, x: b3, y: b3 });
      const d = await t.f32(b3, n);
      const dref = dropBlockCPU(x, dkey).y;
      for (let i = 0; i < n; i++) check(Math.abs(d[i]! - dref[i]!) <= 3 * 2 ** -23 * Math.abs(dref[i]!), `dropblock in place [${i}]`);
      const b4 = t.buffer(4 * n, x);
      await dropBlockBackward(device, { ...dkey, dy: b4, dx: b4 });
      checkF32(await t.f32(b4, n), d, 'dropblock backward in place equals its forward on the same input');
    },
  },
];
