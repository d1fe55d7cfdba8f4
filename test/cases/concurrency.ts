// Concurrency: the same work on several devices at once, calls in flight together on one device,
// and forward/backward passes of different modules interleaved in one command encoder all give
// exactly the results of running the same calls one after another, each awaited and submitted
// on its own.
import {
  AlphaDropout, DropBlock2d, Dropout, Dropout2d, GaussianDropout, PhiloxGenerator, deviceStats, dropout, dropoutBackward, fusedDropout,
  gaussianDropout, mcDropout,
} from 'webgpu-dropout';
import { dropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkEqual, checkF32 } from './assert.js';
import { testData, type Case, type Tracker } from './env.js';

const SHAPE = [2, 4, 12, 12]; // N, C, H, W
const N = 1152;

/**
 * A small network's dropout layers, forward then backward through all of them:
 * x → Dropout → Dropout2d → AlphaDropout → GaussianDropout → DropBlock2d → y, and dy back to dx.
 * Returns every intermediate tensor (read back after `finish`).
 */
async function network(device: GPUDevice, t: Tracker, encoder: GPUCommandEncoder | undefined, seed: bigint, interleaved = false): Promise<Float32Array[]> {
  const generator = new PhiloxGenerator(seed);
  const layers: Dropout[] = [
    new Dropout(device, { p: 0.2, generator }),
    new Dropout2d(device, { p: 0.3, generator }),
    new AlphaDropout(device, { p: 0.1, generator }),
    new GaussianDropout(device, { p: 0.25, generator }),
    new DropBlock2d(device, { p: 0.2, blockSize: 3, generator }),
  ];
  const buffer = (data?: Float32Array) => t.buffer(4 * N, data, undefined, device);
  const forward = [buffer(testData(N, 1))];
  for (let i = 0; i < layers.length; i++) forward.push(buffer());
  const backward = [buffer(testData(N, 2))];
  for (let i = 0; i < layers.length; i++) backward.push(buffer());
  const call = encoder ? { encoder } : {};
  if (!interleaved) {
    for (const [i, layer] of layers.entries()) await layer.forward(forward[i]!, forward[i + 1]!, SHAPE, call);
    for (let i = layers.length - 1, j = 0; i >= 0; i--, j++) await layers[i]!.backward(backward[j]!, backward[j + 1]!, call);
  } else {
    // Independent layers, passes interleaved: F0 F1 B0 F2 B1 F3 B2 F4 B3 B4 (layer i reads
    // forward[i] and backward[i], writes forward[i + 1] and backward[i + 1]).
    for (let i = 0; i <= layers.length; i++) {
      if (i < layers.length) await layers[i]!.forward(forward[0]!, forward[i + 1]!, SHAPE, call);
      if (i >= 1) await layers[i - 1]!.backward(backward[0]!, backward[i]!, call);
    }
  }
  if (encoder) device.queue.submit([encoder.finish()]);
  return Promise.all([...forward, ...backward].map((b) => t.f32(b, N, 0, device)));
}

/** Functional calls of every family on one device (not started yet), and their outputs. */
function familyCalls(device: GPUDevice, t: Tracker, salt: number): { run: (() => Promise<void>)[]; outputs: [GPUBuffer, number][] } {
  const n = 5000;
  const x = t.buffer(4 * n, testData(n, salt), undefined, device);
  const out = (count = n): [GPUBuffer, number] => [t.buffer(4 * count, undefined, undefined, device), count];
  const outputs = [out(), out(), out(), out(), out(4 * n), out(), out(Math.ceil(n / 32))];
  const [y, dx, noise, gauss, samples, fused, mask] = outputs.map(([b]) => b);
  const key = { p: 0.3, training: true, seed: BigInt(salt) };
  return {
    outputs,
    run: [
      () => dropout(device, { ...key, offset: 1n, x, y: y!, mask: mask!, n }),
      () => dropoutBackward(device, { ...key, offset: 1n, dy: x, dx: dx!, n }),
      () => dropout(device, { ...key, offset: 2n, x, y: noise!, shape: [50, 100], noiseShape: [50, 1] }),
      () => gaussianDropout(device, { ...key, offset: 3n, x, y: gauss!, n }),
      () => mcDropout(device, { ...key, offset: 4n, x, out: samples!, n, samples: 4 }),
      () => fusedDropout(device, { ...key, offset: 9n, x, bias: t.buffer(4 * 100, testData(100, 3), undefined, device), y: fused!, shape: [50, 100], activation: 'relu' }),
    ],
  };
}

export const concurrencyCases: Case[] = [
  {
    name: 'concurrency: forward/backward of five modules in one encoder (chained, and interleaved) equal the same calls submitted one by one',
    async run({ device }, t) {
      const sequential = await network(device, t, undefined, 31n);
      const before = deviceStats(device);
      const encoded = await network(device, t, device.createCommandEncoder(), 31n);
      const after = deviceStats(device);
      checkEqual(after.submits, before.submits, 'the encoder path submits nothing itself');
      check(after.encodedCalls - before.encodedCalls === 10, `ten calls were encoded (${after.encodedCalls - before.encodedCalls})`);
      encoded.forEach((e, i) => checkF32(e, sequential[i]!, `tensor ${i} of the network`));
      const interleavedSequential = await network(device, t, undefined, 32n, true);
      const interleavedEncoded = await network(device, t, device.createCommandEncoder(), 32n, true);
      interleavedEncoded.forEach((e, i) => checkF32(e, interleavedSequential[i]!, `tensor ${i} of the interleaved passes`));
      // The first layer is plain dropout: pinned to the CPU as well.
      const rec = new PhiloxGenerator(31n).next();
      checkF32(sequential[1]!, dropoutCPU(testData(N, 1), { p: 0.2, ...rec }).y, 'first layer vs the CPU');
    },
  },
  {
    name: 'concurrency: three devices running every family at once, and calls in flight together on one device, equal sequential runs',
    async run(env, t) {
      const devices = [env.device, await env.newDevice(), await env.newDevice()];
      // On the first device: the calls started together, then the same calls one at a time.
      const reference: Float32Array[] = [];
      {
        const calls = familyCalls(devices[0]!, t, 5);
        await Promise.all(calls.run.map((call) => call()));
        const again = familyCalls(devices[0]!, t, 5);
        for (const call of again.run) await call();
        for (const [b, count] of again.outputs) reference.push(await t.f32(b, count));
        const together: Float32Array[] = [];
        for (const [b, count] of calls.outputs) together.push(await t.f32(b, count));
        together.forEach((o, i) => checkF32(o, reference[i]!, `calls in flight together on one device, output ${i}`));
      }
      // All three devices at once, each with its calls in flight together, plus a module network each.
      const sets = devices.map((d) => familyCalls(d, t, 5));
      const networks = devices.map((d) => network(d, t, d.createCommandEncoder(), 77n));
      await Promise.all(sets.flatMap((s) => s.run.map((call) => call())));
      const nets = await Promise.all(networks);
      for (const [k, set] of sets.entries()) {
        for (const [i, [b, count]] of set.outputs.entries()) checkF32(await t.f32(b, count, 0, devices[k]), reference[i]!, `device ${k}, output ${i}`);
        nets[k]!.forEach((o, i) => checkF32(o, nets[0]![i]!, `device ${k}, network tensor ${i}`));
      }
      check(devices.every((d) => deviceStats(d).liveBuffers > 0 && !deviceStats(d).lost), 'each device has state of its own');
    },
  },
];
