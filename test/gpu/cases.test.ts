// Runs the shared GPU correctness cases (test/cases) in Node on the `webgpu` package, once per
// schedule (test/cases/schedules.ts).
import { afterAll, beforeAll, describe, test } from 'vitest';
import { requestNodeAdapter } from '../../src/node.js';
import { cases } from '../cases/index.js';
import { CaseDevices, runCase, schedules } from '../cases/runner.js';

const devices = new CaseDevices(() => requestNodeAdapter());
let device: GPUDevice;

beforeAll(async () => {
  device = await devices.create();
});

afterAll(() => device?.destroy());

for (const schedule of schedules) {
  describe(schedule.name, () => {
    for (const c of cases) test(c.name, () => runCase(c, device, devices, schedule, 'node'));
  });
}
