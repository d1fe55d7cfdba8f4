// scripts/rng-stream.mjs (the dieharder feed) streams exactly the masks and Philox words of the
// mask contract: its own Philox, checked here against the library's CPU reference.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { keepMask } from '../../src/rng/mask.js';
import { philox4x32 } from '../../src/rng/philox.js';

const script = fileURLToPath(new URL('../../scripts/rng-stream.mjs', import.meta.url));
const stream = (...args: string[]): Uint32Array => {
  const result = spawnSync(process.execPath, [script, ...args], { maxBuffer: 1 << 24 });
  expect(result.status).toBe(0);
  return new Uint32Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength / 4);
};

test('mask mode: the packed keep mask at p = 1/2 of the draw (seed, offset), in element order', () => {
  const seed = 0xfedcba9876543210n;
  const offset = 2n ** 40n + 7n;
  const words = stream('--seed', `0x${seed.toString(16)}`, '--offset', `${offset}`, '--limit', `${4 * 300}`);
  expect(words.length).toBe(300); // 9600 elements: six tiles and a quarter
  expect(Array.from(words)).toEqual(Array.from(keepMask({ seed, offset }, 0.5, 300 * 32)));
});

test('words mode: level-0 Philox4x32-10 output of blocks 0, 1, …', () => {
  const words = stream('--mode', 'words', '--seed', '5', '--offset', '3', '--limit', `${4 * 4 * 70}`);
  for (const block of [0, 1, 63, 64, 69]) {
    expect(Array.from(words.subarray(4 * block, 4 * block + 4))).toEqual(Array.from(philox4x32([block, 0, 3, 0], [5, 0])));
  }
});
