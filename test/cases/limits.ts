import { dropout, Dropout, PhiloxGenerator } from 'webgpu-dropout';
import { configureDevice } from 'webgpu-dropout/testing';
import { dropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkF32, checkU32 } from './assert.js';
import { checkDraw } from './forward.js';
import { testData, type Case } from './env.js';

export const limitCases: Case[] = [
  {
    name: 'chunked: bindings capped at 8 KiB + alignment give the unchunked mask (many chunks, odd n, offsets)',
    async run({ device }, t) {
      configureDevice(device, { maxBindingBytes: 8192 + device.limits.minStorageBufferOffsetAlignment });
      try {
        await checkDraw(device, t, { n: 20_000 + 3, p: 0.1, seed: 5n, offset: 9n });
        await checkDraw(device, t, { n: 9000, p: 0.6, seed: 5n, offset: 10n, at: { x: 12, y: 516, mask: 4 } });
      } finally {
        configureDevice(device, {});
      }
    },
  },
  {
    name: 'dispatch beyond maxComputeWorkgroupsPerDimension: 2-D grids (limit lowered to 3 and 7)',
    async run({ device }, t) {
      for (const limit of [3, 7]) {
        configureDevice(device, { maxWorkgroupsPerDimension: limit });
        try {
          await checkDraw(device, t, { n: 50_000, p: 0.1, seed: 8n, offset: 1n });
          await checkDraw(device, t, { n: 23_456, p: 0.9, seed: 8n, offset: 2n, workgroupSize: 256 });
        } finally {
          configureDevice(device, {});
        }
      }
    },
  },
  {
    name: 'tie log overflow (capacity 0, 1 and 5) falls back to re-examining every block, same bits',
    async run({ device }, t) {
      for (const tieCapacity of [0, 1, 5]) {
        configureDevice(device, { tieCapacity });
        try {
          await checkDraw(device, t, { n: 40_000, p: 0.1, seed: 21n, offset: 3n });
        } finally {
          configureDevice(device, {});
        }
      }
      configureDevice(device, { tieCapacity: 2, maxWorkgroupsPerDimension: 5 });
      try {
        await checkDraw(device, t, { n: 30_000, p: 0.3, seed: 22n, offset: 3n });
      } finally {
        configureDevice(device, {});
      }
    },
  },
  {
    name: 'encoding several draws into the caller\'s encoder, one submit, gives each its own mask',
    async run({ device }, t) {
      const n = 3000;
      const x = testData(n);
      const xb = t.buffer(4 * n, x);
      const outs = [0, 1, 2, 3].map(() => t.buffer(4 * n));
      const encoder = device.createCommandEncoder();
      for (const [i, y] of outs.entries()) await dropout(device, { x: xb, y, n, p: 0.3, training: true, seed: 77n, offset: BigInt(i), encoder });
      device.queue.submit([encoder.finish()]);
      for (const [i, y] of outs.entries()) checkF32(await t.f32(y, n), dropoutCPU(x, { p: 0.3, seed: 77n, offset: BigInt(i) }).y, `encoded draw ${i}`);
    },
  },
  {
    name: 'keep rate within 5 sigma of 1 - p on 2^22 elements (2^20 in the browser), p = 0.1, 0.5, 0.9, 2^-10',
    async run({ device, where }, t) {
      const n = where === 'browser' ? 2 ** 20 : 2 ** 22;
      const xb = t.buffer(4 * n);
      const yb = t.buffer(4 * n);
      const mb = t.buffer(4 * (n / 32));
      for (const p of [0.1, 0.5, 0.9, 2 ** -10]) {
        await dropout(device, { x: xb, y: yb, mask: mb, n, p, training: true, seed: 2024n, offset: 0n });
        const bits = await t.u32(mb, n / 32);
        let kept = 0;
        for (const w of bits) {
          let v = w;
          while (v) { v &= v - 1; kept++; }
        }
        const mean = n * (1 - p);
        const sigma = Math.sqrt(n * p * (1 - p));
        check(Math.abs(kept - mean) <= 5 * sigma, `p=${p}: kept ${kept} of ${n}, expected ${mean.toFixed(0)} ± ${(5 * sigma).toFixed(0)} (5 sigma)`);
      }
    },
  },
  {
    name: 'module: consecutive forwards differ; restoring the generator state replays the same mask',
    async run({ device }, t) {
      const n = 4096;
      const xb = t.buffer(4 * n, testData(n));
      const gen = new PhiloxGenerator(123n);
      const drop = new Dropout(device, { p: 0.5, generator: gen });
      const saved = gen.getState();
      const masks = [t.buffer(4 * n / 32), t.buffer(4 * n / 32), t.buffer(4 * n / 32)];
      const ys = [t.buffer(4 * n), t.buffer(4 * n), t.buffer(4 * n)];
      const r0 = await drop.forward(xb, ys[0]!, n, { mask: masks[0] });
      const r1 = await drop.forward(xb, ys[1]!, n, { mask: masks[1] });
      check(r1.offset === r0.offset + 1n, `offset advances by one per draw (${r0.offset} → ${r1.offset})`);
      gen.setState(saved);
      await drop.forward(xb, ys[2]!, n, { mask: masks[2] });
      const [m0, m1, m2] = await Promise.all(masks.map((m) => t.u32(m, n / 32)));
      let same = 0;
      for (let i = 0; i < m0!.length; i++) same += m0![i] === m1![i] ? 1 : 0;
      check(same < 4, `consecutive draws share ${same} of ${m0!.length} mask words`);
      checkU32(m2!, m0!, 'replayed draw');
      checkF32(await t.f32(ys[2]!, n), await t.f32(ys[0]!, n), 'replayed output');
    },
  },
  {
    name: 'module: train/eval switch, backward from the saved mask and from (seed, offset)',
    async run({ device }, t) {
      const n = 2500;
      const x = testData(n);
      const dy = testData(n, 5);
      const xb = t.buffer(4 * n, x);
      const dyb = t.buffer(4 * n, dy);
      const drop = new Dropout(device, { p: 0.2, generator: new PhiloxGenerator(9n) });
      check(drop.training, 'training by default');
      const y = t.buffer(4 * n);
      const rec = await drop.forward(xb, y, n);
      const ref = dropoutCPU(x, { p: 0.2, seed: rec.seed, offset: rec.offset });
      checkF32(await t.f32(y, n), ref.y, 'module forward');
      const dx = t.buffer(4 * n);
      await drop.backward(dyb, dx);
      checkF32(await t.f32(dx, n), dropoutCPU(dy, { p: 0.2, seed: rec.seed, offset: rec.offset }).y, 'module backward (rebuilt)');
      const mask = t.buffer(4 * Math.ceil(n / 32));
      const rec2 = await drop.forward(xb, y, n, { mask });
      const dx2 = t.buffer(4 * n);
      await drop.backward(dyb, dx2);
      checkF32(await t.f32(dx2, n), dropoutCPU(dy, { p: 0.2, seed: rec2.seed, offset: rec2.offset }).y, 'module backward (mask)');
      drop.eval();
      check(!drop.training, 'eval() clears training');
      const ye = t.buffer(4 * n);
      await drop.forward(xb, ye, n);
      checkF32(await t.f32(ye, n), x, 'eval forward is the identity');
      const dxe = t.buffer(4 * n);
      await drop.backward(dyb, dxe);
      checkF32(await t.f32(dxe, n), dy, 'eval backward is the identity');
    },
  },
];
