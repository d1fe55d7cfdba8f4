// Repeated calls: a call with the same tensors, n, p and options as a recent call of its
// operation reuses that call's plans with the new (seed, offset) written in (deviceStats counts
// them as `repeats`). What a training loop does every step, so it must give exactly the CPU
// reference's values, and any changed argument, a changed device configuration or a buffer that
// failed since must be seen.
import {
  DropoutArgumentError, DropoutGPUError, deviceStats, downloadFloat32, downloadUint32, dropBlock, dropBlockBackward, dropout, dropoutBackward,
  dropConnectLinear, dropConnectLinearBackward, fusedDropout, fusedDropoutBackward, gaussianDropout, gaussianDropoutBackward, mcDropout,
} from 'webgpu-dropout';
import { configureDevice } from 'webgpu-dropout/testing';
import { dropoutBackwardCPU, dropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkEqual, checkF32, checkU32 } from './assert.js';
import { testData, type Case, type Tracker } from './env.js';

interface Layer {
  n: number;
  p: number;
  x: GPUBuffer;
  y: GPUBuffer;
  dy: GPUBuffer;
  dx: GPUBuffer;
  /** Odd layers write the mask and differentiate through it; even ones rebuild it. */
  mask: GPUBuffer | undefined;
}

const seed = 21n;

function layers(t: Tracker, count: number): Layer[] {
  const rates = [0.1, 0.5, 1 / 3, 0.9, 0.25, 1];
  return Array.from({ length: count }, (_, i) => {
    const n = 37 + 613 * i; // odd sizes: every schedule's tail and partial words
    return {
      n, p: rates[i % rates.length]!,
      x: t.buffer(4 * n), y: t.buffer(4 * n), dy: t.buffer(4 * n), dx: t.buffer(4 * n),
      mask: i % 2 === 1 ? t.buffer(4 * Math.ceil(n / 32)) : undefined,
    };
  });
}

export const repeatCases: Case[] = [
  {
    name: 'repeated calls: six layers, four steps of forward and backward on the same buffers (queue and caller encoder), new offsets; repeats match the CPU bit for bit',
    async run({ device }, t) {
      const list = layers(t, 6);
      const before = deviceStats(device).repeats;
      for (let step = 0; step < 4; step++) {
        // Steps 0 and 2 submit, 1 and 3 record into the caller's encoder: each kind is planned once.
        const encoder = step % 2 === 1 ? device.createCommandEncoder() : undefined;
        const pending: Promise<unknown>[] = [];
        const inputs = list.map((layer, i) => {
          const x = testData(layer.n, 100 * step + i);
          const dy = testData(layer.n, 100 * step + i + 50);
          device.queue.writeBuffer(layer.x, 0, x);
          device.queue.writeBuffer(layer.dy, 0, dy);
          return { x, dy };
        });
        list.forEach((layer, i) => {
          const offset = BigInt(1000 * step + i);
          const key = { n: layer.n, p: layer.p, training: true, seed, offset, encoder };
          pending.push(dropout(device, { x: layer.x, y: layer.y, mask: layer.mask, ...key }));
          pending.push(dropoutBackward(device, { dy: layer.dy, dx: layer.dx, mask: layer.mask, ...key }));
        });
        if (encoder) device.queue.submit([encoder.finish()]);
        await Promise.all(pending);
        for (const [i, layer] of list.entries()) {
          const key = { p: layer.p, training: true, seed, offset: BigInt(1000 * step + i) };
          const expected = dropoutCPU(inputs[i]!.x, key);
          const what = `step ${step} layer ${i} (n ${layer.n}, p ${layer.p.toFixed(3)})`;
          checkF32(await downloadFloat32(device, layer.y, layer.n), expected.y, `${what}: y`);
          if (layer.mask) checkU32(await downloadUint32(device, layer.mask, Math.ceil(layer.n / 32)), expected.mask, `${what}: mask`);
          // The mask backward and the rebuilt one give the same bits.
          checkF32(await downloadFloat32(device, layer.dx, layer.n), dropoutBackwardCPU(inputs[i]!.dy, key), `${what}: dx (${layer.mask ? 'mask read' : 'mask rebuilt'})`);
        }
      }
      // Steps 2 and 3 repeat steps 0 and 1: 6 layers × forward and backward × 2 steps.
      checkEqual(deviceStats(device).repeats - before, 24, 'calls that reused their plans');
    },
  },
  {
    name: 'repeated calls: a call differing in any one argument (p, n, mask, training, mode, workgroupSize, a range object, another buffer, a mutated range object or shape array) is planned afresh and matches the CPU',
    async run({ device }, t) {
      const n = 3001;
      const xs = testData(n, 7);
      const [x, x2, y, mask] = [t.buffer(4 * n, xs), t.buffer(4 * n, testData(n, 8)), t.buffer(4 * n + 64), t.buffer(4 * Math.ceil(n / 32))];
      const base = { x, y, n, p: 0.3, training: true, seed, offset: 0n };
      await dropout(device, base);
      await dropout(device, { ...base, offset: 1n });
      const variants: { name: string; options: Parameters<typeof dropout>[1]; expected: () => Float32Array; at?: number }[] = [
        { name: 'p', options: { ...base, p: 0.7 }, expected: () => dropoutCPU(xs, { p: 0.7, seed, offset: 0n }).y },
        { name: 'n', options: { ...base, n: 1000 }, expected: () => dropoutCPU(xs.subarray(0, 1000), { p: 0.3, seed, offset: 0n }).y },
        { name: 'mask', options: { ...base, mask }, expected: () => dropoutCPU(xs, { p: 0.3, seed, offset: 0n }).y },
        { name: 'training', options: { ...base, training: false }, expected: () => xs },
        { name: 'mode', options: { ...base, mode: 'legacy' }, expected: () => dropoutCPU(xs, { p: 0.3, seed, offset: 0n, mode: 'legacy' }).y },
        { name: 'workgroupSize', options: { ...base, workgroupSize: 256 }, expected: () => dropoutCPU(xs, { p: 0.3, seed, offset: 0n }).y },
        { name: 'range object', options: { ...base, y: { buffer: y, byteOffset: 64 } }, expected: () => dropoutCPU(xs, { p: 0.3, seed, offset: 0n }).y, at: 64 },
        { name: 'another x', options: { ...base, x: x2 }, expected: () => dropoutCPU(testData(n, 8), { p: 0.3, seed, offset: 0n }).y },
      ];
      for (const v of variants) {
        const before = deviceStats(device).repeats;
        await dropout(device, v.options);
        checkEqual(deviceStats(device).repeats - before, 0, `${v.name} changed: calls that reused plans`);
        const m = v.options.n ?? n;
        const all = await t.f32(y, (v.at ?? 0) / 4 + m);
        checkF32(all.subarray((v.at ?? 0) / 4), v.expected(), `${v.name} changed: y`);
        // The base call repeats still, with its own values.
        const again = deviceStats(device).repeats;
        await dropout(device, { ...base, offset: 2n });
        checkEqual(deviceStats(device).repeats - again, 1, `${v.name} changed, then the base call: calls that reused plans`);
        checkF32(await t.f32(y, n), dropoutCPU(xs, { p: 0.3, seed, offset: 2n }).y, `the base call after ${v.name} changed: y`);
      }
      // A range object is compared by its fields as they were: the same object mutated is not a
      // repeat, an unchanged one (or an equal new one) is.
      const range = { buffer: y, byteOffset: 0 };
      await dropout(device, { ...base, y: range });
      range.byteOffset = 32; // no kept call has this offset (the variant above used 64)
      let before = deviceStats(device).repeats;
      await dropout(device, { ...base, y: range, offset: 3n });
      checkEqual(deviceStats(device).repeats - before, 0, 'a mutated range object: calls that reused plans');
      checkF32((await t.f32(y, 8 + n)).subarray(8), dropoutCPU(xs, { p: 0.3, seed, offset: 3n }).y, 'y at the range object\'s new byteOffset');
      before = deviceStats(device).repeats;
      await dropout(device, { ...base, y: { buffer: y, byteOffset: 32 }, offset: 4n });
      checkEqual(deviceStats(device).repeats - before, 1, 'an equal range object: calls that reused plans');
      checkF32((await t.f32(y, 8 + n)).subarray(8), dropoutCPU(xs, { p: 0.3, seed, offset: 4n }).y, 'y of the repeat with an equal range object');
      // Shapes likewise: a noise-shape call repeats; its noiseShape array mutated, it is replanned.
      const shape = [3, 1000];
      const noiseShape = [3, 1];
      const count = 3000;
      for (const [offset, expectRepeat] of [[5n, 0], [6n, 1]] as const) {
        before = deviceStats(device).repeats;
        await dropout(device, { x, y, shape, noiseShape, p: 0.3, training: true, seed, offset });
        checkEqual(deviceStats(device).repeats - before, expectRepeat, `noise shape [3, 1], offset ${offset}: calls that reused plans`);
        checkF32(await t.f32(y, count), dropoutCPU(xs.subarray(0, count), { p: 0.3, seed, offset, shape, noiseShape }).y, `noise shape [3, 1], offset ${offset}: y`);
      }
      noiseShape[0] = 1;
      noiseShape[1] = 1000;
      before = deviceStats(device).repeats;
      await dropout(device, { x, y, shape, noiseShape, p: 0.3, training: true, seed, offset: 7n });
      checkEqual(deviceStats(device).repeats - before, 0, 'the noiseShape array mutated to [1, 1000]: calls that reused plans');
      checkF32(await t.f32(y, count), dropoutCPU(xs.subarray(0, count), { p: 0.3, seed, offset: 7n, shape, noiseShape: [1, 1000] }).y, 'noise shape [1, 1000]: y');
    },
  },
  {
    name: 'repeated calls: 300 repeats into callers\' encoders (past a uniform ring chunk of 256 calls) each use their own key',
    async run({ device }, t) {
      const n = 64;
      const calls = 300;
      const xs = testData(n, 11);
      const [x, y, out] = [t.buffer(4 * n, xs), t.buffer(4 * n), t.buffer(4 * n * calls)];
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < calls; i++) {
        const encoder = device.createCommandEncoder();
        pending.push(dropout(device, { x, y, n, p: 0.4, training: true, seed, offset: BigInt(i), encoder }));
        encoder.copyBufferToBuffer(y, 0, out, 4 * n * i, 4 * n);
        device.queue.submit([encoder.finish()]);
      }
      await Promise.all(pending);
      const all = await t.f32(out, n * calls);
      for (let i = 0; i < calls; i++) checkF32(all.subarray(n * i, n * (i + 1)), dropoutCPU(xs, { p: 0.4, seed, offset: BigInt(i) }).y, `call ${i}`);
    },
  },
  {
    name: 'repeated calls: Gaussian dropout, the fused epilogue, DropBlock, DropConnect (forward and backward) and Monte Carlo dropout repeat too: each repeat equals the same call planned afresh, bit for bit, and each offset draws anew',
    async run({ device }, t) {
      const rows = 7;
      const cols = 36;
      const n = rows * cols;
      const shape = [rows, cols];
      const [x, dy, bias, residual] = [t.buffer(4 * n, testData(n, 12)), t.buffer(4 * n, testData(n, 13)), t.buffer(4 * cols, testData(cols, 14)), t.buffer(4 * n, testData(n, 15))];
      const outs = {
        gy: t.buffer(4 * n), gdx: t.buffer(4 * n), fy: t.buffer(4 * n), fdx: t.buffer(4 * n), dbias: t.buffer(4 * cols),
        by: t.buffer(4 * n), bmask: t.buffer(4 * Math.ceil(n / 32)), bdx: t.buffer(4 * n), mean: t.buffer(4 * n), variance: t.buffer(4 * n),
      };
      const blockShape = [1, rows, 6, 6]; // (N, C, H, W) with C·H·W = n
      const linear = { batch: 4, inFeatures: 9, outFeatures: 7 };
      const lin = {
        x: t.buffer(4 * 36, testData(36, 16)), weight: t.buffer(4 * 63, testData(63, 17)), bias: t.buffer(4 * 7, testData(7, 18)), dy: t.buffer(4 * 28, testData(28, 19)),
        y: t.buffer(4 * 28), dx: t.buffer(4 * 36), dWeight: t.buffer(4 * 63), dBias: t.buffer(4 * 7),
      };
      const issue = (offset: bigint): Promise<unknown> => {
        const key = { p: 0.3, training: true, seed, offset };
        return Promise.all([
          gaussianDropout(device, { x, y: outs.gy, n, ...key }),
          gaussianDropoutBackward(device, { dy, dx: outs.gdx, n, ...key }),
          fusedDropout(device, { x, bias, residual, y: outs.fy, shape, activation: 'gelu', ...key }),
          fusedDropoutBackward(device, { dy, x, bias, dx: outs.fdx, dbias: outs.dbias, shape, activation: 'gelu', ...key }),
          dropBlock(device, { x, y: outs.by, mask: outs.bmask, shape: blockShape, blockSize: 3, ...key }),
          dropBlockBackward(device, { dy, dx: outs.bdx, shape: blockShape, blockSize: 3, ...key }),
          mcDropout(device, { x, n, p: 0.3, samples: 5, seed, offset, mean: outs.mean, variance: outs.variance }),
          dropConnectLinear(device, { x: lin.x, weight: lin.weight, bias: lin.bias, y: lin.y, ...linear, ...key }),
          dropConnectLinearBackward(device, { dy: lin.dy, x: lin.x, weight: lin.weight, dx: lin.dx, dWeight: lin.dWeight, dBias: lin.dBias, ...linear, ...key }),
        ]);
      };
      const read = async (): Promise<Float32Array[]> => Promise.all([
        t.f32(outs.gy, n), t.f32(outs.gdx, n), t.f32(outs.fy, n), t.f32(outs.fdx, n), t.f32(outs.dbias, cols),
        t.f32(outs.by, n), t.f32(outs.bdx, n), t.f32(outs.mean, n), t.f32(outs.variance, n),
        t.f32(lin.y, 28), t.f32(lin.dx, 36), t.f32(lin.dWeight, 63),
      ]);
      const names = [
        'gaussianDropout y', 'gaussianDropoutBackward dx', 'fusedDropout y', 'fusedDropoutBackward dx', 'fusedDropoutBackward dbias',
        'dropBlock y', 'dropBlockBackward dx (rebuilt)', 'mcDropout mean', 'mcDropout variance',
        'dropConnectLinear y', 'dropConnectLinearBackward dx', 'dropConnectLinearBackward dWeight',
      ];
      let previous: Float32Array[] | null = null;
      for (let step = 0; step < 4; step++) {
        const before = deviceStats(device).repeats;
        await issue(BigInt(step));
        checkEqual(deviceStats(device).repeats - before, step === 0 ? 0 : 9, `step ${step}: calls that reused plans`);
        const repeated = await read();
        // The same calls planned afresh: configureDevice({}) drops the kept calls (the schedule stays).
        configureDevice(device, {});
        await issue(BigInt(step));
        const fresh = await read();
        names.forEach((name, i) => checkF32(repeated[i]!, fresh[i]!, `step ${step}: ${name}, repeat against a fresh plan`));
        if (previous) {
          for (const i of [0, 1, 2, 3, 5, 6, 7, 9, 10, 11]) check(!previous[i]!.every((v, e) => Object.is(v, repeated[i]![e])), `step ${step}: ${names[i]} differs from the previous offset's`);
        }
        previous = repeated;
      }
    },
  },
];

export const repeatOnceCases: Case[] = [
  {
    name: 'repeated calls: a refused repeat (bad seed or encoder) changes nothing; a repeat on a buffer destroyed since fails with GPU_VALIDATION, alone',
    async run({ device }, t) {
      const n = 500;
      const xs = testData(n, 9);
      const [x, y, y2] = [t.buffer(4 * n, xs), t.buffer(4 * n), t.buffer(4 * n)];
      const base = { x, y, n, p: 0.2, training: true, seed, offset: 0n };
      await dropout(device, base);
      for (const [name, options, argument] of [
        ['seed -1', { ...base, seed: -1n }, 'seed'],
        ['offset 2^64', { ...base, offset: 2n ** 64n }, 'offset'],
        ['encoder not an encoder', { ...base, encoder: {} as GPUCommandEncoder }, 'encoder'],
        // A key the call does not take: the kept call had none, so this is no repeat, and refused.
        ['an unknown option', { ...base, bogus: 1 } as Parameters<typeof dropout>[1], 'bogus'],
      ] as const) {
        const before = deviceStats(device);
        const error = await dropout(device, options).catch((e: unknown) => e);
        check(error instanceof DropoutArgumentError && error.argument === argument, `${name}: DropoutArgumentError for ${argument}, got ${String(error)}`);
        checkEqual(deviceStats(device).dispatches, before.dispatches, `${name}: dispatches recorded`);
      }
      await dropout(device, { ...base, offset: 5n });
      checkF32(await t.f32(y, n), dropoutCPU(xs, { p: 0.2, seed, offset: 5n }).y, 'the repeat after the refused ones');
      // A destroyed buffer: its call's own GPU_VALIDATION, and the calls around it succeed.
      await dropout(device, { ...base, y: y2 });
      y2.destroy();
      const before = deviceStats(device).repeats;
      const results = await Promise.allSettled([
        dropout(device, { ...base, offset: 6n }),
        dropout(device, { ...base, y: y2, offset: 7n }),
        dropout(device, { ...base, offset: 8n }),
      ]);
      checkEqual(deviceStats(device).repeats - before, 3, 'calls that reused plans');
      check(results[0].status === 'fulfilled' && results[2].status === 'fulfilled', 'the calls on live buffers succeeded');
      const error = results[1].status === 'rejected' ? results[1].reason as unknown : null;
      check(error instanceof DropoutGPUError && error.code === 'GPU_VALIDATION', `the repeat on the destroyed buffer: GPU_VALIDATION, got ${String(error)}`);
      checkF32(await t.f32(y, n), dropoutCPU(xs, { p: 0.2, seed, offset: 8n }).y, 'y of the last call');
    },
  },
  {
    name: 'repeated calls: configureDevice (limits, schedule) between repeats replans them; values and dispatch counts as a fresh call',
    async run({ device }, t) {
      const n = 5000;
      const xs = testData(n, 10);
      const [x, y] = [t.buffer(4 * n, xs), t.buffer(4 * n)];
      const base = { x, y, n, p: 0.1, training: true, seed, offset: 0n };
      const dispatches = async (options: Parameters<typeof dropout>[1]): Promise<number> => {
        const before = deviceStats(device).dispatches;
        await dropout(device, options);
        return deviceStats(device).dispatches - before;
      };
      const schedule = deviceStats(device).schedule;
      try {
        for (const [name, limits] of [
          ['chunks of 4096 + alignment bytes', { maxBindingBytes: 4096 + device.limits.minStorageBufferOffsetAlignment }],
          ['no tie log', { tieCapacity: 0 }],
          ['the other schedule', { schedule: schedule === 'single-pass' ? 'multi-pass' : 'single-pass' }],
          ['the device\'s own limits', {}],
        ] as const) {
          await dropout(device, base);
          configureDevice(device, limits);
          // A call on a range object is not the kept one: what a fresh call records now.
          const fresh = await dispatches({ ...base, y: { buffer: y, byteOffset: 0 }, offset: 1n });
          const before = deviceStats(device).repeats;
          checkEqual(await dispatches({ ...base, offset: 2n }), fresh, `${name}: dispatches of the call kept before`);
          checkEqual(deviceStats(device).repeats - before, 0, `${name}: calls that reused plans planned before`);
          checkF32(await t.f32(y, n), dropoutCPU(xs, { p: 0.1, seed, offset: 2n }).y, `${name}: y`);
        }
      } finally {
        configureDevice(device, { schedule });
      }
    },
  },
];
