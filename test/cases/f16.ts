// f16 tensors: on devices with 'shader-f16' the GPU path is compared with the CPU f16 reference;
// on devices without it (SwiftShader) the refusal is what is tested, and the case says so.
import { dropout, dropoutBackward } from 'webgpu-dropout';
import { dropoutF16CPU, fromF16Bits, toF16Array } from 'webgpu-dropout/cpu';
import { checkThrows, checkU32 } from './assert.js';
import { type Case } from './env.js';

export const f16Cases: Case[] = [
  {
    name: 'f16: runs and matches the CPU f16 reference (1 ulp) where shader-f16 exists, else a typed UNSUPPORTED refusal',
    async run(env, t) {
      const device = env.device;
      const n = 5003;
      const values = toF16Array(Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 50));
      const padded = Math.ceil(n / 4) * 8 + 8;
      if (!device.features.has('shader-f16')) {
        const xb = t.buffer(padded, values);
        await checkThrows(() => dropout(device, { x: xb, y: t.buffer(padded), n, p: 0.1, training: true, seed: 1n, offset: 0n, dtype: 'f16' }),
          { code: 'UNSUPPORTED', includes: ['shader-f16'] }, 'f16 without the feature');
        await checkThrows(() => dropoutBackward(device, { dy: xb, dx: t.buffer(padded), n, p: 0.1, training: true, seed: 1n, offset: 0n, dtype: 'f16' }),
          { code: 'UNSUPPORTED', includes: ['shader-f16'] }, 'f16 backward without the feature');
        return;
      }
      const f16Device = device;
      const xb = t.buffer(padded, values);
      const yb = t.buffer(padded);
      const mb = t.buffer(4 * Math.ceil(n / 32) + 16);
      const key = { n, p: 0.1, training: true, seed: 7n, offset: 3n };
      await dropout(f16Device, { ...key, x: xb, y: yb, mask: mb, dtype: 'f16' });
      const ref = dropoutF16CPU(values, key);
      checkU32(await t.u32(mb, Math.ceil(n / 32)), ref.mask, 'f16 mask equals the f32 mask');
      const got = new Uint16Array(await t.bytes(yb, 0, 2 * n));
      for (let i = 0; i < n; i++) {
        const a = fromF16Bits(got[i]!);
        const b = fromF16Bits(ref.y[i]!);
        const ulp = Math.max(2 ** -24, 2 ** (Math.floor(Math.log2(Math.abs(b) || 1)) - 10));
        if (!(Math.abs(a - b) <= ulp)) throw new Error(`f16 y[${i}]: expected ${b}, got ${a}`);
      }
    },
  },
];
