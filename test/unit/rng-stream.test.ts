// scripts/rng-stream.mjs (the dieharder feed) streams exactly the uniforms and Philox words of the
// mask contract: its own Philox, checked here against the library's CPU reference.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { elementUniform } from '../../src/rng/mask.js';
import { philox4x32 } from '../../src/rng/philox.js';

const script = fileURLToPath(new URL('../../scripts/rng-stream.mjs', import.meta.url));
const stream = (...args: string[]): Uint32Array => {
  const result = spawnSync(process.execPath, [script, ...args], { maxBuffer: 1 << 24 });
  expect(result.status).toBe(0);
  return new Uint32Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength / 4);
};

test('uniforms mode: word e is elementUniform(e) of the draw (seed, offset), in element order', () => {
  const seed = 0xfedcba9876543210n;
  const offset = 2n ** 40n + 7n;
  const words = stream('--seed', `0x${seed.toString(16)}`, '--offset', `${offset}`, '--limit', `${4 * 3000}`);
  expect(words.length).toBe(3000);
  for (let e = 0; e < 3000; e += 7) expect(words[e]).toBe(elementUniform({ seed, offset }, e));
});

test('words mode: Philox4x32-10 output of blocks 0, 1, … with levels 0-3 each', () => {
  const words = stream('--mode', 'words', '--seed', '5', '--offset', '3', '--limit', `${4 * 16 * 70}`);
  for (const block of [0, 1, 63, 64, 69]) {
    for (let level = 0; level < 4; level++) {
      expect(Array.from(words.subarray(16 * block + 4 * level, 16 * block + 4 * level + 4))).toEqual(Array.from(philox4x32([block, level, 3, 0], [5, 0])));
    }
  }
});
