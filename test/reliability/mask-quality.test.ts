// Statistical quality of the masks the GPU draws, for p = 0.01, 0.1, 0.5 and 0.9: every position
// keeps at the binomial rate across many offsets, and no dependence shows between neighbouring
// elements (lags inside a Philox block, a vec4, a word's bytes, a tile), between consecutive
// offsets (and offsets 2^32 apart), or between nearby seeds; runs tests along elements and along
// offsets; a Kolmogorov–Smirnov test of the 32-bit Philox words behind the decisions.
//
// Significance: every test is deterministic (fixed seeds), and each is run at α = 1e-5, so the
// whole file (about 100 tests) would reject a perfect generator with probability < 1e-3
// (Bonferroni). A "power" test below feeds deliberately flawed masks through the same checks and
// requires each flaw to be caught, so the checks can fail.
//
// The words for the KS test are computed on the CPU (philox4x32, the level-0 words whose nibbles
// and tie bytes decide the elements): the GPU's masks are pinned to the CPU bit for bit
// (test/cases, and the draw checked below), so they are the same numbers.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dropout } from '../../src/index.js';
import { keepMask } from '../../src/rng/mask.js';
import { philox4x32 } from '../../src/rng/philox.js';
import { requestNodeDevice } from '../../src/node.js';
import { Tracker } from '../cases/env.js';
import { binomialBounds, chiSquareSurvival, independence2x2, ksUniform, popcount, runsFromCounts } from './statistics.js';

const ALPHA = 1e-5;
const SEED = 0x5eed_0000_1234n;
const OFFSETS = 2048; // draws per p
const N = 4096; // positions per draw: two tiles and a bit (a tile is 1536 elements)
const WORDS = N / 32;
const RATES = [0.01, 0.1, 0.5, 0.9];

let device: GPUDevice;
let t: Tracker;

beforeAll(async () => {
  device = await requestNodeDevice();
  t = new Tracker(device);
});

afterAll(() => {
  t?.dispose();
  device?.destroy();
});

/** Keep masks of `n` elements at (seed, offset) for each pair, drawn by dropout() into one buffer. */
async function drawMasks(p: number, keys: { seed: bigint; offset: bigint }[], n = N): Promise<Uint32Array[]> {
  const words = n / 32;
  const x = t.buffer(4 * n);
  const y = t.buffer(4 * n);
  const masks = t.buffer(4 * words * keys.length);
  const encoder = device.createCommandEncoder();
  for (const [i, key] of keys.entries()) {
    await dropout(device, { x, y, n, p, training: true, ...key, mask: { buffer: masks, byteOffset: 4 * words * i }, encoder });
  }
  device.queue.submit([encoder.finish()]);
  const all = await t.u32(masks, words * keys.length);
  t.buffers.delete(masks);
  masks.destroy();
  return keys.map((_, i) => all.subarray(i * words, (i + 1) * words));
}

/** Word i of the draw's level-0 Philox output: word i % 4 of block i / 4 (counter (block, 0, offset)). */
function levelZero(key: { seed: bigint; offset: bigint }, i: number): number {
  const words = philox4x32([Math.floor(i / 4), 0, Number(key.offset & 0xffffffffn), Number(key.offset >> 32n)], [Number(key.seed & 0xffffffffn), Number(key.seed >> 32n)]);
  return words[i % 4]!;
}

const offsets = (count: number, from = 0n): { seed: bigint; offset: bigint }[] => Array.from({ length: count }, (_, i) => ({ seed: SEED, offset: from + BigInt(i) }));
const bit = (m: Uint32Array, e: number): number => (m[e >>> 5]! >>> (e & 31)) & 1;

/** Bits e + lag of word j's elements e (0 past the end). */
function shifted(d: Uint32Array, j: number, lag: number): number {
  const q = j + (lag >>> 5);
  const r = lag & 31;
  const lo = d[q] ?? 0;
  return r === 0 ? lo : ((lo >>> r) | ((d[q + 1] ?? 0) << (32 - r))) >>> 0;
}

/** Runs along the concatenated bits of `draws` (element order inside each draw). */
function runsAlongElements(draws: Uint32Array[]): ReturnType<typeof runsFromCounts> {
  let ones = 0;
  let changes = 0;
  let previous = -1;
  for (const d of draws) {
    for (const w of d) {
      ones += popcount(w);
      changes += popcount((w ^ (w >>> 1)) & 0x7fffffff);
      if (previous >= 0 && previous !== (w & 1)) changes++;
      previous = w >>> 31;
    }
  }
  const n = draws.length * draws[0]!.length * 32;
  return runsFromCounts(ones, changes + 1, n);
}

/** Runs along the offsets of each position (position-major: all draws of element 0, then of 1, …). */
function runsAlongOffsets(draws: Uint32Array[], n: number): ReturnType<typeof runsFromCounts> {
  let ones = 0;
  let changes = 0;
  for (const [i, d] of draws.entries()) {
    for (const w of d) ones += popcount(w);
    if (i > 0) for (let w = 0; w < d.length; w++) changes += popcount(d[w]! ^ draws[i - 1]![w]!);
  }
  for (let e = 1; e < n; e++) if (bit(draws[0]!, e) !== bit(draws.at(-1)!, e - 1)) changes++;
  return runsFromCounts(ones, changes + 1, draws.length * n);
}

/** 2×2 counts of the same positions in draws a[i] and b[i]. */
function pairCounts(a: Uint32Array[], b: Uint32Array[]): ReturnType<typeof independence2x2> {
  let n11 = 0; let n1x = 0; let nx1 = 0; let n = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    for (let w = 0; w < a[i]!.length; w++) {
      n11 += popcount(a[i]![w]! & b[i]![w]!); n1x += popcount(a[i]![w]!); nx1 += popcount(b[i]![w]!);
    }
    n += 32 * a[i]!.length;
  }
  return independence2x2(n11, n1x, nx1, n);
}

interface Finding { test: string; p: number; detail: string }

/** Runs every check on a set of draws; returns the failures (empty for a good generator). */
function checkDraws(p: number, draws: Uint32Array[], label: string): Finding[] {
  const findings: Finding[] = [];
  const fail = (name: string, pValue: number, detail: string) => {
    if (!(pValue >= ALPHA)) findings.push({ test: `${label}: ${name}`, p: pValue, detail });
  };
  const m = draws.length;
  const q = Math.round(p * 2 ** 32) / 2 ** 32; // the exact drop probability of the threshold
  // Per position: the number of draws that keep it ~ Binomial(m, 1 - q).
  const kept = new Float64Array(N);
  for (const d of draws) for (let e = 0; e < N; e++) kept[e]! += (d[e >>> 5]! >>> (e & 31)) & 1;
  const [low, high] = binomialBounds(m, 1 - q, ALPHA / N); // Bonferroni over the positions
  const outside = [...kept.keys()].filter((e) => kept[e]! < low || kept[e]! > high);
  if (outside.length) findings.push({ test: `${label}: per-position keep count in [${low}, ${high}]`, p: 0, detail: `positions ${outside.slice(0, 8).join(', ')} kept ${outside.slice(0, 8).map((e) => kept[e]).join(', ')} times of ${m}` });
  const mean = m * (1 - q);
  const chi2 = kept.reduce((s, k) => s + (k - mean) ** 2, 0) / (m * q * (1 - q));
  const upper = chiSquareSurvival(chi2, N);
  fail('per-position counts, chi-square (two-sided)', 2 * Math.min(upper, 1 - upper), `χ² = ${chi2.toFixed(1)} on ${N} dof`);
  const total = kept.reduce((a, b) => a + b, 0);
  const z = (total - m * N * (1 - q)) / Math.sqrt(m * N * q * (1 - q));
  fail('overall keep rate', chiSquareSurvival(z * z, 1), `kept ${total} of ${m * N}, z = ${z.toFixed(2)}`);
  // Neighbours inside a draw: e and e + lag. Lags 1-3: the other words of the same Philox block;
  // 4: the next block; 256 … 1280: other nibbles of the same Philox word (tied elements of one
  // block also share its tie bytes); 1536: the next tile.
  for (const lag of [1, 2, 3, 4, 5, 8, 16, 64, 255, 256, 512, 768, 1024, 1280, 1536]) {
    let n11 = 0; let n1x = 0; let nx1 = 0;
    for (const d of draws) {
      for (let j = 0; j < WORDS; j++) {
        const valid = Math.max(0, Math.min(32, N - lag - 32 * j)); // pairs with e + lag < N
        if (valid === 0) break;
        const keep = valid === 32 ? 0xffffffff : (1 << valid) - 1;
        const a = d[j]! & keep;
        const b = shifted(d, j, lag) & keep;
        n11 += popcount(a & b); n1x += popcount(a); nx1 += popcount(b);
      }
    }
    const r = independence2x2(n11, n1x, nx1, m * (N - lag));
    fail(`independence of elements e and e + ${lag}`, r.p, `χ² = ${r.chi2.toFixed(2)}, phi = ${r.phi.toFixed(5)}`);
  }
  // The same position in consecutive draws (offsets o and o + 1).
  const consecutive = pairCounts(draws.slice(0, -1), draws.slice(1));
  fail('independence of consecutive offsets', consecutive.p, `χ² = ${consecutive.chi2.toFixed(2)}, phi = ${consecutive.phi.toFixed(5)}`);
  // Runs along the elements of each draw (concatenated) and along the offsets of each position.
  const along = runsAlongElements(draws);
  fail('runs along elements', along.p, `z = ${along.z.toFixed(2)}`);
  const across = runsAlongOffsets(draws, N);
  fail('runs along offsets', across.p, `z = ${across.z.toFixed(2)}`);
  return findings;
}

describe('mask quality (GPU draws)', () => {
  for (const p of RATES) {
    test(`p = ${p}: ${OFFSETS} offsets × ${N} positions — binomial per position, independent neighbours, offsets and seeds, runs (α = 1e-5 each)`, async () => {
      const draws = await drawMasks(p, offsets(OFFSETS));
      // The GPU's draw is the CPU's, bit for bit (spot check; test/cases pins every kernel).
      expect(draws[7]).toEqual(keepMask({ seed: SEED, offset: 7n }, p, N));
      const findings = checkDraws(p, draws, 'offsets 0…2047');
      // Streams next to this one: offsets 2^32 apart (the counter's high word), seeds + 1, + 2^32, and the top bit.
      const others: [string, { seed: bigint; offset: bigint }[]][] = [
        ['offset + 2^32', offsets(256, 2n ** 32n)],
        ['seed + 1', offsets(256).map((k) => ({ ...k, seed: SEED + 1n }))],
        ['seed + 2^32', offsets(256).map((k) => ({ ...k, seed: SEED + 2n ** 32n }))],
        ['seed ^ 2^63', offsets(256).map((k) => ({ ...k, seed: SEED ^ (2n ** 63n) }))],
      ];
      for (const [name, keys] of others) {
        const other = await drawMasks(p, keys);
        const r = pairCounts(draws.slice(0, 256), other);
        if (!(r.p >= ALPHA)) findings.push({ test: `independence of offsets 0…255 from ${name}`, p: r.p, detail: `χ² = ${r.chi2.toFixed(2)}, phi = ${r.phi.toFixed(5)}` });
      }
      // One long draw: 2^20 elements, runs in element order and the keep rate.
      const [long] = await drawMasks(p, [{ seed: SEED, offset: 99n }], 2 ** 20);
      const runs = runsAlongElements([long!]);
      if (!(runs.p >= ALPHA)) findings.push({ test: 'runs along a 2^20-element draw', p: runs.p, detail: `z = ${runs.z.toFixed(2)}` });
      expect(findings, JSON.stringify(findings, null, 1)).toEqual([]);
    }, 300_000);
  }

  test('power: each check catches a deliberately flawed generator', async () => {
    const p = 0.1;
    const good = await drawMasks(p, offsets(OFFSETS));
    expect(checkDraws(p, good, 'good')).toEqual([]);
    const flawed = (name: string, change: (d: Uint32Array, i: number) => void): Finding[] => {
      const copies = good.map((d) => Uint32Array.from(d));
      copies.forEach(change);
      return checkDraws(p, copies, name);
    };
    const names = (f: Finding[]) => f.map((x) => x.test).join('\n');
    // One position in 512 dropped 20% more often (a biased lane).
    expect(names(flawed('biased lane', (d, i) => { if (i % 5 === 0) for (let e = 0; e < N; e += 512) d[e >>> 5]! &= ~(1 << (e & 31)); }))).toMatch(/per-position/);
    // Element e + 256 copies element e 3% of the time (bytes of one Philox word leaking).
    expect(names(flawed('byte leak', (d, i) => { for (let e = i % 31; e + 256 < N; e += 31) { const b = bit(d, e); d[(e + 256) >>> 5] = (d[(e + 256) >>> 5]! & ~(1 << ((e + 256) & 31))) | (b << ((e + 256) & 31)); } }))).toMatch(/e and e \+ 256/);
    // Every 40th draw repeats the previous offset's mask (an offset reused).
    expect(names(flawed('offset reuse', (d, i) => { if (i % 40 === 1) d.set(good[i - 1]!); }))).toMatch(/consecutive offsets/);
    // Sticky bits: 2% of the elements repeat their left neighbour (fewer runs along elements).
    expect(names(flawed('sticky bits', (d, i) => { for (let e = 1 + (i % 50); e < N; e += 50) { const b = bit(d, e - 1); d[e >>> 5] = (d[e >>> 5]! & ~(1 << (e & 31))) | (b << (e & 31)); } }))).toMatch(/runs along elements/);
    // A 3% tendency to repeat the previous offset's bit, position by position (fewer runs along offsets).
    expect(names(flawed('sticky offsets', (d, i) => { if (i === 0) return; for (let e = i % 33; e < N; e += 33) { const b = bit(good[i - 1]!, e); d[e >>> 5] = (d[e >>> 5]! & ~(1 << (e & 31))) | (b << (e & 31)); } }))).toMatch(/runs along offsets|consecutive offsets/);
    // KS: words bent by u^1.02 (a 0.7% shift at most) are rejected at the sample size used below.
    const bent = Float64Array.from({ length: 2 ** 17 }, (_, i) => (levelZero({ seed: SEED, offset: 0n }, i) / 2 ** 32) ** 1.02);
    expect(ksUniform(bent).p).toBeLessThan(ALPHA);
  }, 300_000);
});

describe('level-0 words (CPU, pinned to the GPU masks)', () => {
  const uniforms = (count: number, key: (i: number) => { seed: bigint; offset: bigint; e: number }): Float64Array =>
    Float64Array.from({ length: count }, (_, i) => { const k = key(i); return levelZero(k, k.e) / 2 ** 32; });
  test('Kolmogorov–Smirnov: 2^17 level-0 words along blocks, 2^15 along offsets, 2^15 along seeds, are U(0, 1) (α = 1e-5 each)', () => {
    for (const [name, values] of [
      ['words 0…2^17 - 1 (blocks 0…2^15 - 1)', uniforms(2 ** 17, (i) => ({ seed: SEED, offset: 0n, e: i }))],
      ['word 12345 at offsets 0…2^15 - 1', uniforms(2 ** 15, (i) => ({ seed: SEED, offset: BigInt(i), e: 12345 }))],
      ['word 0 under seeds S…S + 2^15 - 1', uniforms(2 ** 15, (i) => ({ seed: SEED + BigInt(i), offset: 0n, e: 0 }))],
    ] as const) {
      const { d, p } = ksUniform(values);
      expect(p, `${name}: D = ${d}`).toBeGreaterThanOrEqual(ALPHA);
    }
  }, 120_000);
});
