import { describe, expect, test } from 'vitest';
import { mulhi32, philox4x32, PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from '../../src/rng/philox.js';
import { PHILOX_KATS } from '../cases/kat.js';

// An independent Philox4x32-10 in BigInt arithmetic, straight from the paper's definition.
function philoxBig(counter: number[], key: number[]): number[] {
  const mask = 0xffffffffn;
  let [c0, c1, c2, c3] = counter.map(BigInt) as [bigint, bigint, bigint, bigint];
  let [k0, k1] = key.map(BigInt) as [bigint, bigint];
  for (let r = 0; r < 10; r++) {
    const p0 = BigInt(PHILOX_M0) * c0;
    const p1 = BigInt(PHILOX_M1) * c2;
    [c0, c1, c2, c3] = [((p1 >> 32n) ^ c1 ^ k0) & mask, p1 & mask, ((p0 >> 32n) ^ c3 ^ k1) & mask, p0 & mask];
    k0 = (k0 + BigInt(PHILOX_W0)) & mask;
    k1 = (k1 + BigInt(PHILOX_W1)) & mask;
  }
  return [c0, c1, c2, c3].map(Number);
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

describe('Philox4x32-10 on the CPU', () => {
  test.each(PHILOX_KATS)('Random123 known answer %#', (counter, key, expected) => {
    expect([...philox4x32(counter, key)]).toEqual(expected);
  });

  test('equals a BigInt implementation on 2000 random blocks', () => {
    const next = lcg(7);
    for (let i = 0; i < 2000; i++) {
      const counter = [next(), next(), next(), next()];
      const key = [next(), next()];
      expect([...philox4x32(counter, key)]).toEqual(philoxBig(counter, key));
    }
  });

  test('mulhi32 is exact at the edges and on random pairs', () => {
    const next = lcg(99);
    const pairs: [number, number][] = [[0, 0], [0xffffffff, 0xffffffff], [1, 0xffffffff], [0x10000, 0x10000], [PHILOX_M0, 0xffffffff]];
    for (let i = 0; i < 5000; i++) pairs.push([next(), next()]);
    for (const [a, b] of pairs) expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
  });
});

test('u64Words: the low and high 32-bit words of a u64, on both sides of 2^53 (the fast path ends there)', async () => {
  const { u64Words } = await import('../../src/rng/seed.js');
  const values = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 52n + 12345n, 2n ** 53n - 2n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n + 5n, 2n ** 64n - 1n];
  for (let i = 1; i <= 200; i++) values.push(BigInt.asUintN(64, BigInt(i) * 0x9e3779b97f4a7c15n) >> BigInt(i % 24)); // spread over [2^40, 2^64)
  for (const v of values) expect(u64Words(v), `${v}`).toEqual([Number(v & 0xffffffffn), Number(v >> 32n)]);
});
