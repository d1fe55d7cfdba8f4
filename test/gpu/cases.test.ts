// Runs the shared GPU correctness cases (test/cases) in Node on the `webgpu` package.
import { afterAll, beforeAll, test } from 'vitest';
import { requestNodeAdapter } from '../../src/node.js';
import { cases, EXPECTED_UNCAPTURED, Tracker, type CaseEnv } from '../cases/index.js';

let env: CaseEnv;
const uncaptured: string[] = [];

async function newDevice(): Promise<GPUDevice> {
  const adapter = await requestNodeAdapter(); // an adapter makes one device
  const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
  device.addEventListener('uncapturederror', (event) => {
    const message = (event as GPUUncapturedErrorEvent).error.message;
    if (!message.includes(EXPECTED_UNCAPTURED)) uncaptured.push(message);
  });
  return device;
}

beforeAll(async () => {
  env = { device: await newDevice(), newDevice, where: 'node' };
});

afterAll(() => env?.device.destroy());

for (const c of cases) {
  test(c.name, async () => {
    const t = new Tracker(env.device);
    const extra = new Set<GPUDevice>();
    try {
      await c.run({ ...env, newDevice: async () => { const d = await newDevice(); extra.add(d); return d; } }, t);
    } finally {
      t.dispose();
      for (const d of extra) d.destroy();
    }
    if (uncaptured.length) throw new Error(`uncaptured WebGPU errors:\n${uncaptured.splice(0).join('\n')}`);
  });
}
