// A tensor larger than the device's real maxStorageBufferBindingSize (128 MiB on a default-limits
// device), so the kernels must bind it in chunks. Node only: the browser suite lowers the limit.
import { expect, test } from 'vitest';
import { dropout, dropoutBackward } from '../../src/index.js';
import { requestNodeDevice } from '../../src/node.js';
import { dropoutCPU } from '../../src/cpu/reference.js';
import { checkF32, checkU32 } from '../cases/assert.js';
import { Tracker, testData } from '../cases/env.js';

test('2^25 + 4099 elements (134 MB, past maxStorageBufferBindingSize) match the CPU (~15 s)', async () => {
  const device = await requestNodeDevice({ requiredLimits: {} }); // default limits: 128 MiB bindings
  const t = new Tracker(device);
  try {
    const n = 2 ** 25 + 4099;
    expect(4 * n).toBeGreaterThan(device.limits.maxStorageBufferBindingSize);
    const x = testData(n, 3);
    const xb = t.buffer(4 * n, x);
    const yb = t.buffer(4 * n);
    const mb = t.buffer(4 * Math.ceil(n / 32));
    const key = { p: 0.1, training: true, seed: 2n ** 50n + 1n, offset: 12n };
    await dropout(device, { ...key, x: xb, y: yb, mask: mb, n });
    const ref = dropoutCPU(x, key);
    checkU32(await t.u32(mb, ref.mask.length), ref.mask, 'mask of a chunked tensor');
    checkF32(await t.f32(yb, n), ref.y, 'y of a chunked tensor');
    await dropoutBackward(device, { ...key, dy: xb, dx: yb, n });
    checkF32(await t.f32(yb, n), ref.y, 'dx rebuilt for a chunked tensor');
  } finally {
    t.dispose();
    device.destroy();
  }
});
