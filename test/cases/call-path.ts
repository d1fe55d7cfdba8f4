// The call model: a call records (and submits, or encodes) its work before it returns, so calls
// the program does not await still reach the queue in program order, between the application's
// own queue writes, copies and downloads; and each call's error scopes hold its own errors only,
// however many calls are in flight.
import {
  Dropout, DropoutGPUError, PhiloxGenerator, deviceStats, downloadFloat32, dropBlock, dropout, dropoutBackward, fusedDropout,
  gaussianDropout, gaussianDropoutBackward, mcDropout, prepare,
} from 'webgpu-dropout';
import { dropBlockCPU, dropoutBackwardCPU, dropoutCPU, fusedDropoutCPU, gaussianDropoutCPU, gaussianSigma, mcDropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkEqual, checkF32 } from './assert.js';
import { EXPECTED_UNCAPTURED, testData, type Case, type Tracker } from './env.js';

const N = 48; // (1, 3, 4, 4) for DropBlock, (4, 12) for the noise-shape and fused calls
const SHAPE = [4, 12];
const BLOCK_SHAPE = [1, 3, 4, 4];

interface Family {
  name: string;
  /** Issues the call (not awaited) reading x and writing y. */
  call(device: GPUDevice, x: GPUBuffer, y: { buffer: GPUBuffer; byteOffset: number }, offset: bigint): Promise<unknown>;
  /** What the CPU reference says y holds. */
  expected(x: Float32Array, offset: bigint): Float32Array;
  /** Allowed |difference| at element i (0: bit-exact). */
  tolerance?(x: Float32Array, expected: Float32Array, i: number): number;
}

const seed = 9n;
const relative = (ulps: number) => (_x: Float32Array, e: Float32Array, i: number): number => ulps * 2 ** -23 * Math.abs(e[i]!) + 2 ** -126;

function families(bias: GPUBuffer, biasValues: Float32Array): Family[] {
  const key = (p: number, offset: bigint) => ({ p, seed, offset, training: true });
  return [
    {
      name: 'dropout p=0.1',
      call: (device, x, y, offset) => dropout(device, { x, y, n: N, ...key(0.1, offset) }),
      expected: (x, offset) => dropoutCPU(x, key(0.1, offset)).y,
    },
    {
      name: 'dropout p=0.5',
      call: (device, x, y, offset) => dropout(device, { x, y, n: N, ...key(0.5, offset) }),
      expected: (x, offset) => dropoutCPU(x, key(0.5, offset)).y,
    },
    {
      name: 'dropoutBackward p=0.3 (rebuilt mask)',
      call: (device, x, y, offset) => dropoutBackward(device, { dy: x, dx: y, n: N, ...key(0.3, offset) }),
      expected: (x, offset) => dropoutBackwardCPU(x, key(0.3, offset)),
    },
    {
      name: 'dropout with a noise shape',
      call: (device, x, y, offset) => dropout(device, { x, y, shape: SHAPE, noiseShape: [4, 1], ...key(0.25, offset) }),
      expected: (x, offset) => dropoutCPU(x, { ...key(0.25, offset), shape: SHAPE, noiseShape: [4, 1] }).y,
    },
    {
      name: 'gaussianDropout',
      call: (device, x, y, offset) => gaussianDropout(device, { x, y, n: N, ...key(0.2, offset) }),
      expected: (x, offset) => gaussianDropoutCPU(x, key(0.2, offset)),
      // As the Gaussian case: WGSL's sin/cos/log accuracy bounds the noise's error.
      tolerance: (x, e, i) => Math.abs(x[i]!) * gaussianSigma(0.2) * 6 * 2 ** -11 + 4 * 2 ** -24 * Math.abs(e[i]!) + 2 ** -126,
    },
    {
      name: 'dropBlock',
      call: (device, x, y, offset) => dropBlock(device, { x, y, shape: BLOCK_SHAPE, p: 0.2, blockSize: 3, seed, offset, training: true }),
      expected: (x, offset) => dropBlockCPU(x, { shape: BLOCK_SHAPE, p: 0.2, blockSize: 3, seed, offset, training: true }).y,
      tolerance: relative(3),
    },
    {
      name: 'mcDropout (mean of one sample)',
      call: (device, x, y, offset) => mcDropout(device, { x, n: N, p: 0.4, samples: 1, seed, offset, mean: y }),
      expected: (x, offset) => mcDropoutCPU(x, { p: 0.4, samples: 1, seed, offset }).mean,
    },
    {
      name: 'fusedDropout relu',
      call: (device, x, y, offset) => fusedDropout(device, { x, y, bias, shape: SHAPE, activation: 'relu', ...key(0.15, offset) }),
      expected: (x, offset) => fusedDropoutCPU(x, biasValues, null, { activation: 'relu', ...key(0.15, offset) }).y,
    },
  ];
}

function compare(family: Family, actual: Float32Array, x: Float32Array, expected: Float32Array, what: string): void {
  if (!family.tolerance) return checkF32(actual, expected, what);
  for (let i = 0; i < actual.length; i++) {
    const tol = family.tolerance(x, expected, i);
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) throw new Error(`${what}: [${i}] expected ${expected[i]}, got ${actual[i]} (tolerance ${tol})`);
  }
}

/** A buffer the application owns: STORAGE | COPY_SRC | COPY_DST. */
function appBuffer(t: Tracker, bytes: number): GPUBuffer {
  return t.buffer(bytes);
}

async function programOrder(device: GPUDevice, t: Tracker, calls: number): Promise<void> {
  const biasValues = testData(SHAPE[1]!, 77);
  const bias = t.buffer(4 * SHAPE[1]!, biasValues);
  const list = families(bias, biasValues);
  const x = appBuffer(t, 4 * N);
  const out = appBuffer(t, 4 * N * calls);
  const copies = appBuffer(t, 4 * N * Math.ceil(calls / 7));
  const pending: Promise<unknown>[] = [];
  const downloads: { index: number; values: Promise<Float32Array> }[] = [];
  const inputs: Float32Array[] = [];
  // Warm the pipelines first, so the calls below measure nothing but ordering.
  for (const [i, family] of list.entries()) await family.call(device, x, { buffer: out, byteOffset: 4 * N * i }, 0n);
  for (let i = 0; i < calls; i++) {
    const data = testData(N, 1000 + i);
    inputs.push(data);
    // The application stages each call's input into the same buffer, as a training loop does.
    device.queue.writeBuffer(x, 0, data);
    const family = list[i % list.length]!;
    pending.push(family.call(device, x, { buffer: out, byteOffset: 4 * N * i }, BigInt(i)));
    if (i % 7 === 3) {
      // …copies the result with its own encoder…
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(out, 4 * N * i, copies, 4 * N * Math.floor(i / 7), 4 * N);
      device.queue.submit([encoder.finish()]);
    }
    // …and reads some back without waiting.
    if (i % 997 === 5) downloads.push({ index: i, values: downloadFloat32(device, { buffer: out, byteOffset: 4 * N * i }, N) });
  }
  await Promise.all(pending);
  const all = await t.f32(out, N * calls);
  const copied = await t.f32(copies, N * Math.ceil(calls / 7));
  for (let i = 0; i < calls; i++) {
    const family = list[i % list.length]!;
    const expected = family.expected(inputs[i]!, BigInt(i));
    compare(family, all.subarray(N * i, N * (i + 1)), inputs[i]!, expected, `call ${i} (${family.name})`);
    if (i % 7 === 3) compare(family, copied.subarray(N * Math.floor(i / 7), N * (Math.floor(i / 7) + 1)), inputs[i]!, expected, `the application's copy after call ${i} (${family.name})`);
  }
  for (const { index, values } of downloads) {
    const family = list[index % list.length]!;
    compare(family, await values, inputs[index]!, family.expected(inputs[index]!, BigInt(index)), `download after call ${index} (${family.name})`);
  }
}

export const callPathCases: Case[] = [
  {
    name: 'call path: 10,000 calls of every family, not awaited, between the application\'s writes, copies and downloads, give the CPU reference\'s results',
    async run({ device }, t) {
      await programOrder(device, t, 10_000);
    },
  },
  {
    name: 'call path: a module forward and backward not awaited, then a download, read the right values',
    async run({ device }, t) {
      const n = 1000;
      const x = testData(n, 5);
      const dy = testData(n, 6);
      const [xb, dyb, yb, dxb] = [t.buffer(4 * n, x), t.buffer(4 * n, dy), t.buffer(4 * n), t.buffer(4 * n)];
      const layer = new Dropout(device, { p: 0.1, generator: new PhiloxGenerator(3n) });
      void layer.forward(xb, yb, n);
      void layer.backward(dyb, dxb);
      const [y, dx] = await Promise.all([downloadFloat32(device, yb, n), downloadFloat32(device, dxb, n)]);
      const key = { p: 0.1, seed: 3n, offset: 0n };
      checkF32(y, dropoutCPU(x, key).y, 'y');
      checkF32(dx, dropoutBackwardCPU(dy, key), 'dx');
    },
  },
  {
    name: 'call path: 100 calls in flight, every tenth with a planted WebGPU error, each reports exactly its own',
    async run({ device, newDevice }, t) {
      const other = await newDevice();
      const n = 256;
      const x = t.buffer(4 * n, testData(n, 1));
      const y = t.buffer(4 * n * 100);
      const foreign = t.buffer(4 * n, undefined, undefined, other);
      const doomed = t.buffer(4 * n, testData(n, 2));
      const key = (i: number) => ({ n, p: i % 3 === 0 ? 0.1 : 0.5, seed: 4n, offset: BigInt(i), training: true });
      // The doomed buffer is bound once successfully, so its bind group is cached before it is destroyed.
      await dropout(device, { x: doomed, y: { buffer: y, byteOffset: 0 }, ...key(0) });
      doomed.destroy();
      const calls: { planted: string | null; result: Promise<unknown> }[] = [];
      for (let i = 0; i < 100; i++) {
        const planted = i % 10 === 7 ? (i % 20 === 7 ? 'destroyed' : 'foreign') : null;
        const src = planted === 'destroyed' ? doomed : planted === 'foreign' ? foreign : x;
        const dst = { buffer: y, byteOffset: 4 * n * i };
        const kind = i % 4;
        const result = kind === 0 ? dropout(device, { x: src, y: dst, ...key(i) })
          : kind === 1 ? dropoutBackward(device, { dy: src, dx: dst, ...key(i) })
            : kind === 2 ? gaussianDropout(device, { x: src, y: dst, ...key(i) })
              : gaussianDropoutBackward(device, { dy: src, dx: dst, ...key(i) });
        calls.push({ planted, result });
      }
      const settled = await Promise.allSettled(calls.map((c) => c.result));
      settled.forEach((outcome, i) => {
        const { planted } = calls[i]!;
        if (planted === null) {
          check(outcome.status === 'fulfilled', `call ${i} (no planted error) succeeded: ${outcome.status === 'rejected' ? String(outcome.reason) : ''}`);
        } else {
          check(outcome.status === 'rejected', `call ${i} (${planted} buffer) was rejected`);
          const error = (outcome as PromiseRejectedResult).reason as unknown;
          check(error instanceof DropoutGPUError && error.code === 'GPU_VALIDATION', `call ${i} (${planted} buffer) failed with GPU_VALIDATION: ${String(error)}`);
        }
      });
      // Every call that succeeded wrote its slot: the dropout ones against the CPU reference.
      const values = await t.f32(y, n * 100);
      const xs = testData(n, 1);
      for (let i = 4; i < 100; i += 4) {
        if (calls[i]!.planted === null) checkF32(values.subarray(n * i, n * (i + 1)), dropoutCPU(xs, key(i)).y, `call ${i}`);
      }
    },
  },
  {
    name: 'call path: a pending download never takes the application\'s errors, which reach uncapturederror',
    async run({ device }, t) {
      const n = 1 << 16;
      const src = t.buffer(4 * n, testData(n, 3));
      const uncaptured: GPUError[] = [];
      const listener = (event: Event): void => {
        uncaptured.push((event as GPUUncapturedErrorEvent).error);
        event.preventDefault();
      };
      device.addEventListener('uncapturederror', listener);
      try {
        const download = downloadFloat32(device, src, n);
        // The application's own mistake while the download waits: MAP_READ with STORAGE is invalid.
        const bad = device.createBuffer({ label: EXPECTED_UNCAPTURED, size: 16, usage: 0x1 | 0x80 });
        t.buffers.add(bad);
        checkF32(await download, testData(n, 3), 'downloaded values');
        for (let i = 0; i < 50 && uncaptured.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        checkEqual(uncaptured.length, 1, 'uncaptured errors seen by the application');
        check(uncaptured[0]!.message.includes(EXPECTED_UNCAPTURED), `the application's own error: ${uncaptured[0]!.message}`);
      } finally {
        device.removeEventListener('uncapturederror', listener);
      }
    },
  },
  {
    name: 'call path: prepare() compiles ahead, then the call creates no pipeline; the element-wise forward and backward record few dispatches',
    async run({ device }, t) {
      const n = 4099;
      const [xb, yb] = [t.buffer(4 * n, testData(n, 8)), t.buffer(4 * n)];
      const options = { x: xb, y: yb, n, p: 0.37, training: true, seed: 1n, offset: 0n, workgroupSize: 128 as const };
      await prepare(device, dropout, options);
      const before = deviceStats(device);
      await dropout(device, { ...options, offset: 1n });
      const after = deviceStats(device);
      checkEqual(after.pipelines, before.pipelines, 'pipelines created by the call after prepare()');
      check(after.dispatches > before.dispatches, 'the call recorded dispatches');
      checkF32(await t.f32(yb, n), dropoutCPU(testData(n, 8), { p: 0.37, seed: 1n, offset: 1n }).y, 'y');
    },
  },
];
