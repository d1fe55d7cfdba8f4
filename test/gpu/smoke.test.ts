import { expect, test } from 'vitest';
import { dropout } from '../../src/api/functional.js';
import { dropoutCPU } from '../../src/cpu/reference.js';
import { gpuDevice, makeBuffer, readF32, readU32, testData } from './harness.js';
import { diffF32, diffU32, table } from './compare.js';

test('smoke', async () => {
  const device = await gpuDevice();
  for (const [n, p] of [[5000, 0.1], [4096, 0.5], [33, 0.9]] as const) {
    const data = testData(n);
    const x = makeBuffer(device, n * 4, data);
    const y = makeBuffer(device, n * 4);
    const mask = makeBuffer(device, Math.ceil(n / 32) * 4);
    await dropout(device, { x, y, mask, n, p, training: true, seed: 5n, offset: 3n });
    const ref = dropoutCPU(data, { p, seed: 5n, offset: 3n });
    const d = diffF32(ref.y, await readF32(device, y, n));
    expect(d, table(d)).toEqual([]);
    const m = diffU32(ref.mask, await readU32(device, mask, ref.mask.length));
    expect(m, table(m, true)).toEqual([]);
  }
});
