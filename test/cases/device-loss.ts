// Device loss: device.destroy() after calls, and while calls of every kernel family are pending
// (compiling, recorded, awaiting their error scopes, downloads mapping). Pending and later calls
// reject with DropoutDeviceLostError (code DEVICE_LOST) — never another error, never a silent
// success — the library's per-device state is dropped (deviceStats: lost, nothing live or
// cached), and a new device gives the CPU reference's results, with the generator's state carried
// over (masks are a function of (seed, offset), not of the device).
import {
  Dropout, DropoutDeviceLostError, GaussianDropout, PhiloxGenerator, createStorageBuffer, deviceStats, downloadFloat32,
  dropBlock, dropout, dropoutBackward, fusedDropout, gaussianDropout, mcDropout, releaseDevice, uploadFloat32,
} from 'webgpu-dropout';
import { configureDevice } from 'webgpu-dropout/testing';
import { dropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkEqual, checkF32, checkThrows } from './assert.js';
import { testData, type Case, type Tracker } from './env.js';

const n = 4099;
const key = { p: 0.3, training: true, seed: 5n };

/** One call of every kind on `device`, started now and not awaited. */
function startCalls(device: GPUDevice, t: Tracker, salt: number): Promise<unknown>[] {
  const x = t.buffer(4 * n + 16, testData(n, salt), undefined, device);
  const b = () => t.buffer(4 * n + 16, undefined, undefined, device);
  const encoder = device.createCommandEncoder();
  const shape = [1, 1, 37, 111]; // 4107 elements
  return [
    dropout(device, { ...key, x, y: b(), mask: b(), n, offset: 1n }),
    dropoutBackward(device, { ...key, dy: x, dx: b(), n, offset: 1n }),
    dropout(device, { ...key, x, y: b(), shape: [4099, 1], noiseShape: [4099, 1], offset: 2n, workgroupSize: 256 }),
    dropout(device, { ...key, x, y: b(), shape: [1, 4099], noiseShape: [1, 1], offset: 3n }),
    dropout(device, { ...key, x, y: b(), n, offset: 4n, encoder }),
    gaussianDropout(device, { ...key, x, y: b(), n, offset: 5n }),
    dropBlock(device, { ...key, x: t.buffer(4 * 4107 + 16, undefined, undefined, device), y: t.buffer(4 * 4107 + 16, undefined, undefined, device), shape, blockSize: 5, offset: 6n }),
    mcDropout(device, { ...key, x, n, samples: 3, mean: b(), variance: b(), offset: 7n }),
    fusedDropout(device, { ...key, x, bias: t.buffer(4 * 4099, undefined, undefined, device), y: b(), shape: [1, 4099], activation: 'gelu', offset: 8n }),
    (async () => new Dropout(device, { p: 0.5 }).forward(x, b(), n))(),
    downloadFloat32(device, x, n),
  ];
}

/** Every promise settles as fulfilled or as DEVICE_LOST; returns [fulfilled, lost]. */
async function settle(promises: Promise<unknown>[], what: string): Promise<[number, number]> {
  const results = await Promise.allSettled(promises);
  let fulfilled = 0;
  let lost = 0;
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') {
      fulfilled++;
      continue;
    }
    const e = r.reason as Error;
    check(e instanceof DropoutDeviceLostError && e.code === 'DEVICE_LOST', `${what}: call #${i} rejected with ${e?.name}: ${e?.message} instead of DEVICE_LOST`);
    check(e.message.includes('Request a new GPUDevice'), `${what}: the message says how to recover: ${e.message}`);
    lost++;
  }
  return [fulfilled, lost];
}

/** The state of a lost device is gone: nothing cached or owned, the loss recorded. */
function checkDropped(device: GPUDevice, what: string): void {
  const stats = deviceStats(device);
  check(stats.lost, `${what}: deviceStats reports the loss`);
  checkEqual(stats.liveBuffers, 0, `${what}: live buffers`);
  checkEqual(stats.cachedPipelines, 0, `${what}: cached pipelines`);
}

/** A new device computes what the CPU reference says. */
async function checkFreshDevice(env: { newDevice(): Promise<GPUDevice> }, t: Tracker): Promise<void> {
  const fresh = await env.newDevice();
  const x = testData(n, 9);
  const xb = t.buffer(4 * n, x, undefined, fresh);
  const yb = t.buffer(4 * n, undefined, undefined, fresh);
  await dropout(fresh, { ...key, x: xb, y: yb, n, offset: 11n });
  checkF32(await t.f32(yb, n, 0, fresh), dropoutCPU(x, { ...key, offset: 11n }).y, 'a new device works');
  check(!deviceStats(fresh).lost && deviceStats(fresh).liveBuffers > 0, 'the new device has state of its own');
}

export const deviceLossCases: Case[] = [
  {
    name: 'device loss: calls after destroy() reject with DEVICE_LOST at once, the state is dropped, a new device works',
    async run(env, t) {
      const lost = await env.newDevice();
      await Promise.all(startCalls(lost, t, 1));
      check(deviceStats(lost).liveBuffers > 0 && deviceStats(lost).cachedPipelines > 0, 'the library kept state for the device');
      lost.destroy();
      const info = await lost.lost;
      checkEqual(info.reason, 'destroyed', 'loss reason');
      checkDropped(lost, 'after the loss');
      // Every entry point refuses a known-lost device before recording anything.
      const [fulfilled, rejected] = await settle(startCalls(lost, t, 2), 'after destroy()');
      checkEqual(fulfilled, 0, 'calls on a lost device that resolved');
      check(rejected > 0, 'calls rejected');
      const x = t.buffer(16, undefined, undefined, lost);
      for (const [what, body] of [
        ['new Dropout', () => new Dropout(lost, { p: 0.5 })],
        ['new GaussianDropout', () => new GaussianDropout(lost, { p: 0.5 })],
        ['uploadFloat32', () => uploadFloat32(lost, new Float32Array(4))],
        ['createStorageBuffer', () => createStorageBuffer(lost, 4)],
        ['configureDevice', () => configureDevice(lost, {})],
        ['downloadFloat32', () => downloadFloat32(lost, x, 4)],
      ] as const) {
        await checkThrows(body, { code: 'DEVICE_LOST', includes: ['destroyed'] }, `${what} on a lost device`);
      }
      releaseDevice(lost); // a no-op, not an error
      checkDropped(lost, 'after everything');
      await checkFreshDevice(env, t);
    },
  },
  {
    name: 'device loss: destroy() while calls of every family are pending (compiling, awaiting scopes, mapping) rejects each with DEVICE_LOST',
    async run(env, t) {
      // Started in one tick: none can finish before destroy(), so every one must reject.
      const first = await env.newDevice();
      const pending = startCalls(first, t, 3);
      first.destroy();
      const [fulfilled, rejected] = await settle(pending, 'destroyed with every call pending');
      checkEqual(fulfilled, 0, 'pending calls that claimed success');
      checkEqual(rejected, pending.length, 'pending calls rejected');
      checkDropped(first, 'after pending calls');

      // Destroyed mid-stream: a chain of module forward/backward steps, lost after a few steps.
      // Steps that finished before the loss resolve; every later one rejects with DEVICE_LOST.
      const second = await env.newDevice();
      const generator = new PhiloxGenerator(77n);
      const layer = new Dropout(second, { p: 0.2, generator });
      const x = t.buffer(4 * n, testData(n, 4), undefined, second);
      const y = t.buffer(4 * n, undefined, undefined, second);
      const dx = t.buffer(4 * n, undefined, undefined, second);
      const steps: Promise<unknown>[] = [];
      let chain: Promise<unknown> = Promise.resolve();
      let saved = generator.getState();
      for (let i = 0; i < 40; i++) {
        // Each step runs after the previous one settles, so every step after the loss calls in.
        const step = chain.then(async () => {
          if (i === 6) {
            saved = generator.getState();
            second.destroy();
          }
          await layer.forward(x, y, n);
          await layer.backward(y, dx);
        });
        chain = step.catch(() => undefined);
        steps.push(step);
      }
      const [done, lostSteps] = await settle(steps, 'destroyed mid-stream');
      checkEqual(done, 6, 'steps that finished before the loss');
      checkEqual(lostSteps, 34, 'steps after the loss');
      checkDropped(second, 'mid-stream');

      // Recovery: a new device and buffers, the same generator state: the step that was lost
      // replays with the mask it would have had.
      const third = await env.newDevice();
      const data = testData(n, 4);
      const x3 = t.buffer(4 * n, data, undefined, third);
      const y3 = t.buffer(4 * n, undefined, undefined, third);
      generator.setState(saved);
      const rebuilt = new Dropout(third, { p: 0.2, generator });
      const record = await rebuilt.forward(x3, y3, n);
      checkEqual(record.offset, saved.offset, 'the replayed step uses the lost step\'s offset');
      checkF32(await t.f32(y3, n, 0, third), dropoutCPU(data, { p: 0.2, seed: 77n, offset: saved.offset }).y, 'replayed step on the new device');
      await checkFreshDevice(env, t);
    },
  },
];
