// Runs the shared GPU correctness cases (test/cases) in Node on the `webgpu` package, each under
// its own dispatch schedule (test/cases/runner.ts).
import { afterAll, beforeAll, test } from 'vitest';
import { requestNodeAdapter } from '../../src/node.js';
import { cases } from '../cases/index.js';
import { CaseDevices, runCase } from '../cases/runner.js';

const devices = new CaseDevices(() => requestNodeAdapter());
let device: GPUDevice;

beforeAll(async () => {
  device = await devices.create();
});

afterAll(() => device?.destroy());

for (const c of cases) test(c.name, () => runCase(c, device, devices, 'node'));
