// The dispatch schedule (configureDevice's `schedule`): on the single-pass schedule a forward, a
// rebuild-backward and a mask-backward record exactly one dispatch per chunk at every p, with the
// same bits as the CPU (checkDraw checks them); 'auto' picks multi-pass on a CPU adapter.
// The runners also run every GPU-vs-CPU case under both schedules (test/cases/index.ts).
import { deviceStats } from 'webgpu-dropout';
import { configureDevice } from 'webgpu-dropout/testing';
import { check } from './assert.js';
import { checkDraw } from './forward.js';
import { type Case } from './env.js';

const RATES = [0, 0.1, 1 / 3, 0.5, 0.9, 1];

export const scheduleCases: Case[] = [
  {
    name: "schedule 'auto': multi-pass on a CPU adapter (SwiftShader, fallback), single-pass on a GPU",
    async run({ device }) {
      configureDevice(device, { schedule: 'auto' });
      try {
        const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
        const cpu = info !== undefined && ((info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || /swiftshader/i.test(`${info.architecture} ${info.description}`));
        const expected = cpu ? 'multi-pass' : 'single-pass';
        check(deviceStats(device).schedule === expected, `adapter ${info?.vendor} ${info?.architecture}: schedule ${deviceStats(device).schedule}, expected ${expected}`);
        configureDevice(device, { schedule: 'multi-pass' });
        check(deviceStats(device).schedule === 'multi-pass', 'forced multi-pass');
        configureDevice(device, {});
        check(deviceStats(device).schedule === 'multi-pass', 'configureDevice(device, {}) keeps the schedule');
        configureDevice(device, { schedule: 'single-pass' });
        check(deviceStats(device).schedule === 'single-pass', 'forced single-pass');
        // A refused call changes nothing.
        let refused = false;
        try {
          configureDevice(device, { tieCapacity: 3, schedule: 'multi' as never });
        } catch {
          refused = true;
        }
        check(refused && deviceStats(device).schedule === 'single-pass', 'a bad schedule is refused and changes nothing');
      } finally {
        configureDevice(device, { schedule: 'auto' });
      }
    },
  },
  {
    name: 'single-pass schedule: one dispatch per chunk for forward (with mask), rebuild-backward and mask-backward, p 0…1, n 0, 1, odd, chunked; bits equal the CPU',
    async run({ device }, t) {
      const align = device.limits.minStorageBufferOffsetAlignment;
      const sizes: [number, number | undefined][] = [[0, undefined], [1, undefined], [1001, undefined], [5000, undefined], [20_003, 8192 + align]];
      configureDevice(device, { schedule: 'single-pass' });
      try {
        for (const [n, maxBindingBytes] of sizes) {
          // Chunks of 1536 elements (one tile) with 8 KiB bindings.
          const chunks = maxBindingBytes ? Math.ceil(n / 1536) : Math.min(n, 1);
          configureDevice(device, maxBindingBytes ? { maxBindingBytes } : {});
          for (const p of RATES) {
            await checkDraw(device, t, {
              n, p, seed: 0xfeedn, offset: 3n,
              dispatches: (got) => {
                // p = 0 is the identity: a copy (no dispatch), plus a mask of ones for the forward.
                const want = { forward: chunks, rebuild: p === 0 ? 0 : chunks, masked: p === 0 ? 0 : chunks };
                check(JSON.stringify(got) === JSON.stringify(want), `n=${n} p=${p}: dispatches ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
              },
            });
          }
        }
        // The multi-pass schedule records more than that where it has a tail and ties to settle.
        configureDevice(device, { schedule: 'multi-pass' });
        await checkDraw(device, t, {
          n: 5000, p: 0.1, seed: 0xfeedn, offset: 4n,
          dispatches: (got) => check(got.forward > 1 && got.rebuild > 1, `multi-pass records its extra passes: ${JSON.stringify(got)}`),
        });
        // …but a draw of one tile (1536 elements) or less with ties is one dispatch there too
        // (the forward writes its mask: without ties, or past one tile, a packing pass follows).
        for (const [n, p, forward, rebuild] of [[1000, 0.1, 1, 1], [1536, 1 / 3, 1, 1], [1537, 0.1, 4, 3], [1000, 0.5, 2, 1]] as const) {
          await checkDraw(device, t, {
            n, p, seed: 0xfeedn, offset: 5n,
            dispatches: (got) => check(got.forward === forward && got.rebuild === rebuild, `multi-pass, n=${n} p=${p}: forward ${forward} and rebuild ${rebuild} dispatches: ${JSON.stringify(got)}`),
          });
        }
      } finally {
        configureDevice(device, { schedule: 'auto' });
      }
    },
  },
];
