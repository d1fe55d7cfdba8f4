import { deviceStats, dropout, dropoutBackward, type WorkgroupSize } from 'webgpu-dropout';
import { dropoutCPU, keepMask, applyMaskCPU } from 'webgpu-dropout/cpu';
import { checkAll, checkF32, checkU32 } from './assert.js';
import { SENTINEL_BITS, testData, type Case, type Tracker } from './env.js';

export interface DrawSpec {
  n: number;
  p: number;
  seed: bigint | number;
  offset: bigint | number;
  workgroupSize?: WorkgroupSize;
  /** Byte offsets of x, y and the mask inside their buffers. */
  at?: { x: number; y: number; mask: number };
  salt?: number;
  /** Told the compute dispatches each call recorded (deviceStats), once the results were checked. */
  dispatches?: (counts: { forward: number; rebuild: number; masked: number }) => void;
}

const words = (n: number): number => Math.ceil(n / 32);

/**
 * Runs forward (with mask) and both backward modes on the GPU and checks each against the CPU
 * reference bit for bit, and that no byte outside the tensors was written.
 */
export async function checkDraw(device: GPUDevice, t: Tracker, spec: DrawSpec): Promise<void> {
  const { n, p, seed, offset } = spec;
  const at = spec.at ?? { x: 0, y: 0, mask: 0 };
  const label = `n=${n} p=${p} seed=${seed} offset=${offset}${spec.workgroupSize ? ` wg=${spec.workgroupSize}` : ''}`;
  const x = testData(n, spec.salt ?? n);
  const dy = testData(n, (spec.salt ?? n) + 7);
  const pad = 64; // sentinel bytes after each tensor
  const xBuf = t.bufferAt(at.x + 4 * n + pad, at.x, x);
  const yBuf = t.buffer(at.y + 4 * n + pad);
  const maskBuf = t.buffer(at.mask + 4 * words(n) + pad);
  const dyBuf = t.bufferAt(at.x + 4 * n + pad, at.x, dy);
  const dxRebuilt = t.buffer(at.y + 4 * n + pad);
  const dxMasked = t.buffer(at.y + 4 * n + pad);
  const common = { n, p, training: true, seed, offset, workgroupSize: spec.workgroupSize };
  const counted = async (call: () => Promise<void>): Promise<number> => {
    const before = deviceStats(device).dispatches;
    await call();
    return deviceStats(device).dispatches - before;
  };
  const forward = await counted(() => dropout(device, { ...common, x: { buffer: xBuf, byteOffset: at.x }, y: { buffer: yBuf, byteOffset: at.y }, mask: { buffer: maskBuf, byteOffset: at.mask } }));
  const rebuild = await counted(() => dropoutBackward(device, { ...common, dy: { buffer: dyBuf, byteOffset: at.x }, dx: { buffer: dxRebuilt, byteOffset: at.y } }));
  const masked = await counted(() => dropoutBackward(device, { ...common, dy: { buffer: dyBuf, byteOffset: at.x }, dx: { buffer: dxMasked, byteOffset: at.y }, mask: { buffer: maskBuf, byteOffset: at.mask } }));

  const expected = dropoutCPU(x, { p, seed, offset });
  const gpuMask = await t.u32(maskBuf, words(n), at.mask);
  checkU32(gpuMask, expected.mask, `mask (${label})`);
  checkF32(await t.f32(yBuf, n, at.y), expected.y, `y (${label})`);
  const expectedDx = applyMaskCPU(dy, expected.mask, p);
  checkF32(await t.f32(dxRebuilt, n, at.y), expectedDx, `dx rebuilt from (seed, offset) (${label})`);
  checkF32(await t.f32(dxMasked, n, at.y), expectedDx, `dx from the packed mask (${label})`);
  // Nothing before or after the tensors was touched.
  for (const [buffer, start, count] of [[yBuf, at.y, n], [maskBuf, at.mask, words(n)], [dxRebuilt, at.y, n]] as const) {
    checkAll(await t.u32(buffer, start / 4), SENTINEL_BITS, `bytes before the output (${label})`);
    checkAll(await t.u32(buffer, pad / 4, start + 4 * count), SENTINEL_BITS, `bytes after the output (${label})`);
  }
  spec.dispatches?.({ forward, rebuild, masked });
}

const SIZES = [1, 3, 4, 5, 31, 32, 33, 1023, 1024, 1025, 4099, 65537];
const RATES = [2 ** -32, 0.1, 0.5, 0.9, 1 - 2 ** -32];

export const forwardCases: Case[] = [
  ...RATES.map((p): Case => ({
    name: `forward/backward match the CPU bit for bit, p=${p}, sizes ${SIZES.join(',')}`,
    async run({ device }, t) {
      for (const n of SIZES) await checkDraw(device, t, { n, p, seed: 0x1234n, offset: 7n });
    },
  })),
  {
    name: 'seeds and offsets beyond 2^32 (bigint and number) and at 2^64 - 1',
    async run({ device }, t) {
      for (const [seed, offset] of [[2n ** 63n + 12345n, 2n ** 40n + 3n], [2 ** 52 + 1, 2 ** 33], [2n ** 64n - 1n, 2n ** 64n - 1n], [0, 0]] as const) {
        await checkDraw(device, t, { n: 3001, p: 0.3, seed, offset });
      }
    },
  },
  {
    name: 'workgroup sizes 64, 128 and 256 give the same bits',
    async run({ device }, t) {
      for (const workgroupSize of [64, 128, 256] as const) await checkDraw(device, t, { n: 5000, p: 0.1, seed: 99n, offset: 1n, workgroupSize });
    },
  },
  {
    name: 'byte offsets not aligned to 256 (4, 260, 1028) for x, y and mask',
    async run({ device }, t) {
      await checkDraw(device, t, { n: 2049, p: 0.25, seed: 3n, offset: 4n, at: { x: 4, y: 260, mask: 1028 } });
      await checkDraw(device, t, { n: 31, p: 0.7, seed: 3n, offset: 5n, at: { x: 1028, y: 8, mask: 4 } });
    },
  },
  {
    name: 'p = 0 and eval mode are the identity; the mask, if asked for, is all ones',
    async run({ device }, t) {
      const n = 1000;
      const x = testData(n);
      x[5] = NaN;
      x[6] = -0;
      x[7] = 2 ** -140; // subnormal: a copy keeps it, a multiply might flush it
      for (const [p, training] of [[0, true], [0.5, false], [1, false]] as const) {
        const xb = t.buffer(4 * n, x);
        const yb = t.buffer(4 * n);
        const mb = t.buffer(4 * words(n));
        await dropout(device, { x: xb, y: yb, mask: mb, n, p, training, seed: 1n, offset: 0n });
        checkU32(new Uint32Array((await t.f32(yb, n)).buffer), new Uint32Array(x.buffer), `identity p=${p} training=${training}`);
        checkU32(await t.u32(mb, words(n)), keepMask({ seed: 0n, offset: 0n }, 0, n), `all-ones mask p=${p} training=${training}`);
        const dxb = t.buffer(4 * n);
        await dropoutBackward(device, { dy: xb, dx: dxb, n, p, training, seed: 1n, offset: 0n });
        checkU32(new Uint32Array((await t.f32(dxb, n)).buffer), new Uint32Array(x.buffer), `backward identity p=${p} training=${training}`);
      }
    },
  },
  {
    name: 'p = 1 gives zeros (also for NaN and Inf inputs), a zero mask and a zero gradient',
    async run({ device }, t) {
      const n = 777;
      const x = testData(n);
      x[0] = NaN;
      x[1] = Infinity;
      x[2] = -Infinity;
      const xb = t.buffer(4 * n, x);
      const yb = t.buffer(4 * n);
      const mb = t.buffer(4 * words(n));
      const dxb = t.buffer(4 * n);
      const dxm = t.buffer(4 * n);
      await dropout(device, { x: xb, y: yb, mask: mb, n, p: 1, training: true, seed: 1n, offset: 0n });
      await dropoutBackward(device, { dy: xb, dx: dxb, n, p: 1, training: true, seed: 1n, offset: 0n });
      await dropoutBackward(device, { dy: xb, dx: dxm, mask: mb, n, p: 1, training: true, seed: 1n, offset: 0n });
      checkAll(new Uint32Array((await t.f32(yb, n)).buffer), 0, 'y at p=1 is +0');
      checkAll(await t.u32(mb, words(n)), 0, 'mask at p=1');
      checkAll(new Uint32Array((await t.f32(dxb, n)).buffer), 0, 'dx at p=1 (rebuilt)');
      checkAll(new Uint32Array((await t.f32(dxm, n)).buffer), 0, 'dx at p=1 (mask)');
    },
  },
  {
    name: 'n = 0 writes nothing',
    async run({ device }, t) {
      const yb = t.buffer(64);
      await dropout(device, { x: t.buffer(64), y: yb, n: 0, p: 0.5, training: true, seed: 1n, offset: 0n });
      checkAll(await t.u32(yb, 16), SENTINEL_BITS, 'untouched output');
    },
  },
  {
    name: 'values: dropped NaN/Inf become +0, kept ones scale; -0 keeps its sign',
    async run({ device }, t) {
      const n = 4096;
      const x = testData(n);
      for (let i = 0; i < n; i += 5) x[i] = [NaN, Infinity, -Infinity, -0, 3.4e38][(i / 5) % 5]!;
      const xb = t.buffer(4 * n, x);
      const yb = t.buffer(4 * n);
      await dropout(device, { x: xb, y: yb, n, p: 0.5, training: true, seed: 11n, offset: 2n });
      checkF32(await t.f32(yb, n), dropoutCPU(x, { p: 0.5, seed: 11n, offset: 2n }).y, 'special values');
    },
  },
];

export { applyMaskCPU };
