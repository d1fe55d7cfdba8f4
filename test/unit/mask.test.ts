import { describe, expect, test } from 'vitest';
import { blocksFor, elementSlot, slotElement, TILE_ELEMENTS } from '../../src/rng/layout.js';
import { elementKept, keepMask, maskBit } from '../../src/rng/mask.js';
import { philox4x32 } from '../../src/rng/philox.js';
import { dropRate } from '../../src/rng/threshold.js';
import { dropoutCPU, applyMaskCPU } from '../../src/cpu/reference.js';
import { alphaConstants } from '../../src/rng/transform.js';

describe('layout', () => {
  test('element ↔ (block, slot) is a bijection over three tiles', () => {
    const seen = new Set<string>();
    for (let e = 0; e < 3 * TILE_ELEMENTS; e++) {
      const s = elementSlot(e);
      expect(slotElement(s.block, s.slot)).toBe(e);
      expect(s.word).toBeLessThan(4);
      expect(s.nibble).toBeLessThan(6);
      expect(s.slot).toBe(4 * s.nibble + s.word);
      seen.add(`${s.block}:${s.slot}`);
    }
    expect(seen.size).toBe(3 * TILE_ELEMENTS);
    expect(TILE_ELEMENTS).toBe(1536);
    expect(blocksFor(1)).toBe(64);
    expect(blocksFor(1537)).toBe(128);
  });

  test('the documented example mapping holds', () => {
    // docs/mask-contract.md: element 4·lane + 256·k + c of tile t is nibble k of word c of block 64·t + lane.
    expect(elementSlot(0)).toEqual({ block: 0, word: 0, nibble: 0, slot: 0 });
    expect(elementSlot(5)).toEqual({ block: 1, word: 1, nibble: 0, slot: 1 });
    expect(elementSlot(256)).toEqual({ block: 0, word: 0, nibble: 1, slot: 4 });
    expect(elementSlot(1280 + 3)).toEqual({ block: 0, word: 3, nibble: 5, slot: 23 });
    expect(elementSlot(1536 + 259)).toEqual({ block: 64, word: 3, nibble: 1, slot: 7 });
  });
});

describe('thresholds', () => {
  test.each([
    // p, T, top nibble, ties, tie byte, deep, deep threshold
    [0, 0, 0, false, 0, false, 0],
    [0.5, 2 ** 31, 8, false, 0, false, 0],
    [0.25, 2 ** 30, 4, false, 0, false, 0],
    [0.1, 429496730, 1, true, 0x99, true, 0x9999a],
    [0.2, 858993459, 3, true, 0x33, true, 0x33333],
    [2 ** -32, 1, 0, true, 0, true, 1],
    [1 / 256, 2 ** 24, 0, true, 0x10, false, 0],
    [1 - 2 ** -32, 2 ** 32 - 1, 15, true, 0xff, true, 0xfffff],
  ])('p=%s → T=%s, top nibble %s, ties %s, tie byte %s, deep %s (%s)', (p, T, top, ties, tieByte, deep, deepThreshold) => {
    const r = dropRate(p);
    expect(r.threshold).toBe(T);
    expect([r.topNibble, r.ties, r.tieByte, r.deep, r.deepThreshold]).toEqual([top, ties, tieByte, deep, deepThreshold]);
    expect(r.topNibble * 2 ** 28 + r.tieByte * 2 ** 20 + r.deepThreshold).toBe(T);
    expect(Math.abs(r.threshold / 2 ** 32 - p)).toBeLessThanOrEqual(2 ** -33);
  });

  test('p = 1 and p within 2^-33 of 1 drop everything', () => {
    expect(dropRate(1).dropsAll).toBe(true);
    expect(dropRate(1 - 2 ** -34).dropsAll).toBe(true);
    expect(dropRate(1 - 2 ** -32).dropsAll).toBe(false);
  });

  test('scale is PyTorch\'s f32(1 / f32(1 - p)) (values printed by torch 1.13: F.dropout(torch.ones(64), p, True).max())', () => {
    const torch: [number, number][] = [[0.04, 1.0416667461395264], [0.09, 1.0989010334014893], [0.15, 1.1764705181121826], [0.42, 1.7241380214691162], [0.45, 1.8181817531585693], [0.1, 1.1111111640930176]];
    for (const [p, scale] of torch) expect(dropRate(p).scale, `p = ${p}`).toBe(scale);
    expect(dropRate(1 - 2 ** -32).scale).toBe(2 ** 32);
  });

  test('alpha dropout constants are PyTorch\'s (values printed by torch 1.13: F.alpha_dropout(zeros(4000), p, True))', () => {
    const torch: [number, number, number][] = [[0.9, -0.2858858108520508, 2.5729739665985107], [0.1, -1.4577387571334839, 0.16197097301483154], [0.3, -1.059548258781433, 0.4540920555591583]];
    for (const [p, dropped, bias] of torch) {
      expect(alphaConstants(p).dropped, `dropped at p = ${p}`).toBe(dropped);
      expect(alphaConstants(p).bias, `bias at p = ${p}`).toBe(bias);
    }
  });
});

/**
 * An independent, slow statement of the keep rule on a block's 24 level-0 slots: the full 32-bit
 * uniform of each slot is assembled from its nibble, its tie byte (by rank) and its deep word (by
 * deep rank), drawing every level eagerly, and compared with T.
 */
function uniformsOfBlock(key: { seed: bigint; offset: bigint }, p: number, block: number): number[] {
  const T = dropRate(p).threshold;
  const t0 = Math.floor(T / 2 ** 28);
  const t1 = Math.floor(T / 2 ** 20) % 256;
  const keyWords = [Number(key.seed & 0xffffffffn), Number(key.seed >> 32n)];
  const R = (L: number) => philox4x32([block, L, Number(key.offset & 0xffffffffn), Number(key.offset >> 32n)], keyWords);
  const levels = Array.from({ length: 9 }, (_, L) => R(L));
  const bytes = [...levels[1]!, ...levels[2]!].flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);
  const deepWords = levels.slice(3).flatMap((l) => [...l]);
  const u: number[] = [];
  let rank = 0;
  let deep = 0;
  for (let slot = 0; slot < 24; slot++) {
    const nibble = (levels[0]![slot % 4]! >>> (4 * (slot >> 2))) & 15;
    if (nibble !== t0) { u.push(nibble * 2 ** 28); continue; }
    const tieByte = rank < 4 ? levels[0]![rank]! >>> 24 : bytes[rank - 4]!;
    rank++;
    if (tieByte !== t1) { u.push(nibble * 2 ** 28 + tieByte * 2 ** 20); continue; }
    u.push(nibble * 2 ** 28 + tieByte * 2 ** 20 + (deepWords[deep++]! >>> 12));
  }
  return u;
}

describe('mask contract on the CPU', () => {
  const key = { seed: 0xfeedn, offset: 3n };

  test('keepMask keeps exactly the elements whose assembled uniform is >= T, and so does elementKept', () => {
    const n = 3 * 1536 + 17;
    for (const p of [0.1, 0.5, 0.77, 0.97, 2 ** -32, 1 / 256 + 2 ** -30, 0.3]) {
      const mask = keepMask(key, p, n);
      const T = dropRate(p).threshold;
      for (let block = 0; block < blocksFor(n); block++) {
        const u = uniformsOfBlock(key, p, block);
        for (let slot = 0; slot < 24; slot++) {
          const e = slotElement(block, slot);
          if (e >= n) continue;
          // A uniform assembled only as far as it decides compares with T as the full one would.
          expect(maskBit(mask, e), `e=${e} p=${p}`).toBe(u[slot]! >= T);
        }
      }
      for (const e of [0, 1, 255, 1535, 1536, n - 1]) expect(elementKept(key, p, e)).toBe(maskBit(mask, e));
    }
  });

  test('ties are settled both ways by tie bytes, and deep ties by deep words', () => {
    // At p = 0.1 ties are 1 in 16 elements; count those kept and dropped at each stage.
    const n = 200 * 1536;
    const p = 0.1;
    const T = dropRate(p).threshold;
    const mask = keepMask(key, p, n);
    const seen = { tieKept: 0, tieDropped: 0, deep: 0 };
    for (let block = 0; block < blocksFor(n); block++) {
      const u = uniformsOfBlock(key, p, block);
      for (let slot = 0; slot < 24; slot++) {
        const top = Math.floor(u[slot]! / 2 ** 28);
        if (top !== 1) continue;
        const e = slotElement(block, slot);
        if (u[slot]! % 2 ** 20 !== 0) seen.deep++;
        else if (maskBit(mask, e)) seen.tieKept++;
        else seen.tieDropped++;
        expect(maskBit(mask, e)).toBe(u[slot]! >= T);
      }
    }
    expect(seen.tieKept).toBeGreaterThan(0);
    expect(seen.tieDropped).toBeGreaterThan(0);
    expect(seen.deep).toBeGreaterThan(0);
  });

  test('a prefix of a draw is the same draw (masks do not depend on n)', () => {
    const long = keepMask(key, 0.3, 5000);
    const short = keepMask(key, 0.3, 1500);
    for (let e = 0; e < 1500; e++) expect(maskBit(short, e)).toBe(maskBit(long, e));
    expect(short[short.length - 1]! >>> (1500 % 32)).toBe(0);
  });

  test('masks are monotone in p for a fixed draw', () => {
    for (const [a, b] of [[0.2, 0.6], [0.1, 0.1 + 2 ** -20], [0.1, 0.1 + 2 ** -26], [0.05, 0.0625], [0.9, 0.97]]) {
      const lo = keepMask(key, a!, 4000);
      const hi = keepMask(key, b!, 4000);
      for (let i = 0; i < lo.length; i++) expect((hi[i]! & ~lo[i]!) >>> 0, `p ${a} → ${b}`).toBe(0);
    }
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
