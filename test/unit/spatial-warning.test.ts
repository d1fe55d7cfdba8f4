// Dropout2d / Dropout3d on the ranks PyTorch 1.13 runs with a deprecation warning: we run them and
// warn once per case (a fresh module here: vitest isolates test files).
import { afterEach, expect, test, vi } from 'vitest';
import { spatialNoiseShape } from '../../src/api/spatial.js';

afterEach(() => vi.restoreAllMocks());

test('one warning per deprecated (spatial dims, rank), none for the ranks PyTorch expects', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  for (let i = 0; i < 3; i++) {
    expect(spatialNoiseShape(2, [6, 5])).toEqual([6, 5]); // PyTorch: nothing shared
    expect(spatialNoiseShape(2, [2, 3, 4, 5, 6])).toEqual([2, 3, 1, 1, 1]);
    expect(spatialNoiseShape(3, [4, 5, 6])).toEqual([4, 1, 1]); // unbatched (C, ...)
    expect(spatialNoiseShape(2, [2, 3, 4, 5])).toEqual([2, 3, 1, 1]);
    expect(spatialNoiseShape(3, [2, 3, 4, 5, 6])).toEqual([2, 3, 1, 1, 1]);
    expect(spatialNoiseShape(3, [3, 4, 5, 6])).toEqual([3, 1, 1, 1]);
  }
  const messages = warn.mock.calls.map((c) => String(c[0]));
  expect(messages).toHaveLength(3);
  expect(messages.filter((m) => m.includes('2-D spatial dropout of a 2-D input'))).toHaveLength(1);
  expect(messages.filter((m) => m.includes('2-D spatial dropout of a 5-D input'))).toHaveLength(1);
  expect(messages.filter((m) => m.includes('3-D spatial dropout of a 3-D input'))).toHaveLength(1);
});
