import { describe, expect, test } from 'vitest';
import { blocksFor, elementSlot, slotElement, TILE_ELEMENTS } from '../../src/rng/layout.js';
import { elementUniform, keepMask, maskBit } from '../../src/rng/mask.js';
import { dropRate } from '../../src/rng/threshold.js';
import { dropoutCPU, applyMaskCPU } from '../../src/cpu/reference.js';

describe('layout', () => {
  test('element ↔ (block, word, byte) is a bijection over three tiles', () => {
    const seen = new Set<string>();
    for (let e = 0; e < 3 * TILE_ELEMENTS; e++) {
      const s = elementSlot(e);
      expect(slotElement(s.block, s.word, s.byte)).toBe(e);
      expect(s.word).toBeLessThan(4);
      expect(s.byte).toBeLessThan(4);
      seen.add(`${s.block}:${s.word}:${s.byte}`);
    }
    expect(seen.size).toBe(3 * TILE_ELEMENTS);
    expect(blocksFor(1)).toBe(64);
    expect(blocksFor(1025)).toBe(128);
  });

  test('the documented example mapping holds', () => {
    // README: element 4·lane + 256·k + c of tile t is byte k of word c of block 64·t + lane.
    expect(elementSlot(0)).toEqual({ block: 0, word: 0, byte: 0 });
    expect(elementSlot(5)).toEqual({ block: 1, word: 1, byte: 0 });
    expect(elementSlot(256)).toEqual({ block: 0, word: 0, byte: 1 });
    expect(elementSlot(1024 + 259)).toEqual({ block: 64, word: 3, byte: 1 });
  });
});

describe('thresholds', () => {
  test.each([
    [0, 0, 0, 0x100],
    [0.5, 2 ** 31, 0x80, 0x100],
    [0.25, 2 ** 30, 0x40, 0x100],
    [0.1, 429496730, 0x1a, 0x19],
    [2 ** -32, 1, 1, 0],
    [1 - 2 ** -32, 2 ** 32 - 1, 0x100, 0xff],
  ])('p=%s → T=%s, keepFrom=%s, tieByte=%s', (p, T, keepFrom, tieByte) => {
    const r = dropRate(p);
    expect(r.threshold).toBe(T);
    expect(r.keepFrom).toBe(keepFrom);
    expect(r.tieByte).toBe(tieByte);
    expect(Math.abs(r.threshold / 2 ** 32 - p)).toBeLessThanOrEqual(2 ** -33);
  });

  test('p = 1 and p within 2^-33 of 1 drop everything', () => {
    expect(dropRate(1).dropsAll).toBe(true);
    expect(dropRate(1 - 2 ** -34).dropsAll).toBe(true);
    expect(dropRate(1 - 2 ** -32).dropsAll).toBe(false);
  });

  test('scale is the f32 of 1/(1-p)', () => {
    expect(dropRate(0.1).scale).toBe(Math.fround(1 / 0.9));
    expect(dropRate(1 - 2 ** -32).scale).toBe(2 ** 32);
  });
});

describe('mask contract on the CPU', () => {
  const key = { seed: 0xfeedn, offset: 3n };

  test('keepMask keeps exactly the elements whose uniform is >= T (ties included)', () => {
    const n = 3000;
    for (const p of [0.1, 0.5, 0.77, 2 ** -32]) {
      const mask = keepMask(key, p, n);
      const T = dropRate(p).threshold;
      for (let e = 0; e < n; e++) expect(maskBit(mask, e), `e=${e} p=${p}`).toBe(elementUniform(key, e) >= T);
    }
  });

  test('a tied top byte is decided by the lower bytes', () => {
    // Find elements whose top byte equals p=0.1's (0x19) and check both outcomes occur.
    const n = 20_000;
    const mask = keepMask(key, 0.1, n);
    let keptTies = 0;
    let droppedTies = 0;
    for (let e = 0; e < n; e++) {
      const u = elementUniform(key, e);
      if (u >>> 24 !== 0x19) continue;
      if (maskBit(mask, e)) keptTies++;
      else droppedTies++;
    }
    expect(keptTies).toBeGreaterThan(0);
    expect(droppedTies).toBeGreaterThan(0);
  });

  test('a prefix of a draw is the same draw (masks do not depend on n)', () => {
    const long = keepMask(key, 0.3, 5000);
    const short = keepMask(key, 0.3, 1500);
    for (let e = 0; e < 1500; e++) expect(maskBit(short, e)).toBe(maskBit(long, e));
    expect(short[short.length - 1]! >>> (1500 % 32)).toBe(0);
  });

  test('masks are monotone in p for a fixed draw', () => {
    const lo = keepMask(key, 0.2, 4000);
    const hi = keepMask(key, 0.6, 4000);
    for (let i = 0; i < lo.length; i++) expect((hi[i]! & ~lo[i]!) >>> 0).toBe(0);
  });

  test('different offsets and seeds give different masks', () => {
    const a = keepMask(key, 0.5, 4096);
    const b = keepMask({ ...key, offset: 4n }, 0.5, 4096);
    const c = keepMask({ ...key, seed: 0xfeeen }, 0.5, 4096);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe('CPU reference values', () => {
  test('kept values are f32(x * scale), dropped ones +0, eval is a copy', () => {
    const x = new Float32Array([1, -2, 3.5, 1e-3, -0, 7, 8, 9]);
    const { y, mask } = dropoutCPU(x, { p: 0.3, seed: 1n, offset: 0n });
    const scale = Math.fround(1 / 0.7);
    for (let e = 0; e < x.length; e++) expect(Object.is(y[e], maskBit(mask, e) ? Math.fround(x[e]! * scale) : 0)).toBe(true);
    expect(dropoutCPU(x, { p: 0.3, seed: 1n, offset: 0n, training: false }).y).toEqual(x);
    expect(applyMaskCPU(x, mask, 0.3)).toEqual(y);
  });
});
