import { dropout, dropoutBackward, Dropout, PhiloxGenerator, configureDevice } from 'webgpu-dropout';
import { checkAll, checkThrows } from './assert.js';
import { SENTINEL_BITS, type Case, type Tracker } from './env.js';

const n = 100;

function args(t: Tracker) {
  return { x: t.buffer(4 * n), y: t.buffer(4 * n), n, p: 0.5, training: true, seed: 1n, offset: 0n };
}

/** Every bad argument: [what, override, expected argument name, text the message must contain]. */
function badArguments(t: Tracker): [string, Record<string, unknown>, string, string[]][] {
  const noStorage = t.buffer(4 * n, undefined, 0x4 | 0x8);
  return [
    ['p NaN', { p: NaN }, 'p', ['NaN', '[0, 1]']],
    ['p -0.1', { p: -0.1 }, 'p', ['-0.1', '[0, 1]']],
    ['p 1.1', { p: 1.1 }, 'p', ['1.1']],
    ['p Infinity', { p: Infinity }, 'p', ['Infinity']],
    ['p string', { p: '0.5' }, 'p', ['"0.5"']],
    ['n negative', { n: -1 }, 'n', ['-1', '2^36']],
    ['n fractional', { n: 2.5 }, 'n', ['2.5']],
    ['n past 2^36', { n: 2 ** 36 + 1 }, 'n', ['68719476737']],
    ['n string', { n: '100' }, 'n', ['"100"']],
    ['training missing', { training: undefined }, 'training', ['undefined', 'true or false']],
    ['seed negative', { seed: -1 }, 'seed', ['-1']],
    ['seed fractional', { seed: 1.5 }, 'seed', ['1.5']],
    ['seed past 2^53 as number', { seed: 2 ** 60 }, 'seed', ['bigint']],
    ['seed past 2^64', { seed: 2n ** 64n }, 'seed', ['18446744073709551616n']],
    ['offset past 2^64', { offset: 2n ** 64n }, 'offset', ['2^64']],
    ['offset string', { offset: '0' }, 'offset', ['"0"']],
    ['x not a buffer', { x: new Float32Array(4) }, 'x', ['GPUBuffer']],
    ['y too small', { y: t.buffer(4 * n - 4) }, 'y', ['400', `${4 * n - 4 < 16 ? 16 : 4 * n - 4} bytes`]],
    ['x too small for its byteOffset', { x: { buffer: t.buffer(4 * n), byteOffset: 8 } }, 'x', ['408', 'byteOffset 8']],
    ['byteOffset not a multiple of 4', { x: { buffer: t.buffer(4 * n + 8), byteOffset: 2 } }, 'x.byteOffset', ['2', 'multiple of 4']],
    ['x without STORAGE usage', { x: noStorage }, 'x.usage', ['STORAGE']],
    ['mask too small', { mask: { buffer: t.buffer(16), byteOffset: 4 } }, 'mask', ['20', 'has 16 bytes']],
    ['y overlaps x at another offset', { y: undefined, shifted: true }, 'y', ['same byteOffset']],
    ['mask is x', { mask: undefined, maskIsX: true }, 'mask', ['WebGPU forbids']],
    ['workgroupSize 96', { workgroupSize: 96 }, 'workgroupSize', ['96', '64, 128 or 256']],
    ['encoder not an encoder', { encoder: {} }, 'encoder', ['GPUCommandEncoder']],
  ];
}

export const errorCases: Case[] = [
  {
    name: 'errors: every bad argument throws a typed error naming it, its value and the range; nothing is written',
    async run({ device }, t) {
      for (const [what, override, argument, includes] of badArguments(t)) {
        const base = args(t);
        const call = { ...base, ...override } as Record<string, unknown>;
        if (call.shifted) {
          const shared = t.buffer(4 * n + 64);
          call.x = shared;
          call.y = { buffer: shared, byteOffset: 16 };
        }
        if (call.maskIsX) call.mask = base.x;
        await checkThrows(() => dropout(device, call as never), { code: 'INVALID_ARGUMENT', argument, includes }, `dropout: ${what}`);
        checkAll(await t.u32(base.y, n), SENTINEL_BITS, `dropout: ${what}: output untouched`);
        const back = { ...call, dy: call.x, dx: call.y };
        await checkThrows(() => dropoutBackward(device, back as never), { code: 'INVALID_ARGUMENT', includes }, `dropoutBackward: ${what}`);
      }
      await checkThrows(() => dropout({} as GPUDevice, args(t)), { code: 'INVALID_ARGUMENT', argument: 'device' }, 'not a device');
      await checkThrows(() => new Dropout(device, { p: 2 }), { code: 'INVALID_ARGUMENT', argument: 'p' }, 'Dropout p=2');
      await checkThrows(() => new PhiloxGenerator(-3), { code: 'INVALID_ARGUMENT', argument: 'seed' }, 'generator seed');
      await checkThrows(() => configureDevice(device, { maxBindingBytes: 10 }), { code: 'INVALID_ARGUMENT', argument: 'maxBindingBytes' }, 'configureDevice');
    },
  },
  {
    name: 'errors: backward before forward is a state error',
    async run({ device }, t) {
      const drop = new Dropout(device, { p: 0.5 });
      await checkThrows(() => drop.backward(t.buffer(4 * n), t.buffer(4 * n)), { code: 'STATE', includes: ['before any forward'] }, 'backward first');
    },
  },
  {
    name: 'errors: a destroyed input buffer surfaces as a GPU validation error, not silence',
    async run({ device }, t) {
      const base = args(t);
      base.x.destroy();
      await checkThrows(() => dropout(device, base), { code: 'GPU_VALIDATION', includes: ['dropout'] }, 'destroyed x');
    },
  },
  {
    name: 'errors: a destroyed device rejects with DEVICE_LOST, and a new device works',
    async run(env, t) {
      const lostDevice = await env.newDevice();
      const x = t.buffer(4 * n, undefined, undefined, lostDevice);
      const y = t.buffer(4 * n, undefined, undefined, lostDevice);
      await dropout(lostDevice, { x, y, n, p: 0.5, training: true, seed: 1n, offset: 0n });
      lostDevice.destroy();
      await checkThrows(() => dropout(lostDevice, { x, y, n, p: 0.5, training: true, seed: 1n, offset: 1n }), { code: 'DEVICE_LOST', includes: ['destroyed'] }, 'call right after destroy()');
      await checkThrows(() => dropout(lostDevice, { x, y, n, p: 0.5, training: true, seed: 1n, offset: 2n }), { code: 'DEVICE_LOST' }, 'later call');
      const fresh = await env.newDevice();
      const fx = t.buffer(4 * n, undefined, undefined, fresh);
      const fy = t.buffer(4 * n, undefined, undefined, fresh);
      await dropout(fresh, { x: fx, y: fy, n, p: 0.5, training: true, seed: 1n, offset: 0n });
    },
  },
];
