import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { PARAM_FIELDS, PARAMS_BYTES } from '../../src/kernels/dropout-params.js';
import { dispatchGrid } from '../../src/gpu/geometry.js';
import { chunkElements, elementBinding, maskBinding, planChunks } from '../../src/gpu/chunks.js';
import { PhiloxGenerator } from '../../src/rng/generator.js';
import { DropoutArgumentError } from '../../src/errors.js';

describe('uniform layout', () => {
  test('PARAM_FIELDS mirrors struct Params in shaders/dropout.wgsl, field by field', () => {
    const wgsl = readFileSync(new URL('../../shaders/dropout.wgsl', import.meta.url), 'utf8');
    const body = /struct Params \{([\s\S]*?)\n\}/.exec(wgsl)![1]!;
    const fields = [...body.matchAll(/^\s*(\w+)\s*:\s*(\w+)\s*,/gm)].map((m) => [m[1], m[2]]);
    expect(fields).toEqual(PARAM_FIELDS.map(([name, type]) => [name, type]));
    expect(PARAMS_BYTES).toBe(4 * fields.length);
  });
});

describe('dispatch geometry', () => {
  test.each([[0, 65535], [1, 65535], [65535, 65535], [65536, 65535], [200_000, 65535], [10, 3], [9, 3], [7, 1]])('%i workgroups, max %i per dimension', (workgroups, max) => {
    const [x, y] = dispatchGrid(workgroups, max);
    expect(x).toBeLessThanOrEqual(max);
    expect(x * y).toBeGreaterThanOrEqual(workgroups);
    expect(x * y - workgroups).toBeLessThan(Math.max(1, y));
  });
});

describe('chunk planning', () => {
  test('chunks are whole tiles and cover n exactly', () => {
    const size = chunkElements(8192 + 256, 256);
    expect(size % 1024).toBe(0);
    const chunks = planChunks(20_003, size);
    expect(chunks.reduce((s, c) => s + c.count, 0)).toBe(20_003);
    chunks.forEach((c, i) => expect(c.start).toBe(i * size));
  });

  test('bindings start aligned and carry the element shift', () => {
    const range = { buffer: {} as GPUBuffer, byteOffset: 260, byteLength: 4 * 5000, name: 'x' };
    const b = elementBinding(range, { start: 2048, count: 1024 }, 256);
    expect(b.offset % 256).toBe(0);
    expect(b.offset + 4 * b.shift).toBe(260 + 4 * 2048);
    expect(b.offset + b.size).toBe(260 + 4 * (2048 + 1024));
    const m = maskBinding({ ...range, byteOffset: 4 }, { start: 2048, count: 1000 }, 256);
    expect(m.offset + 4 * m.shift).toBe(4 + 4 * 64);
    expect(m.size - 4 * m.shift).toBe(4 * 32);
  });
});

describe('generator', () => {
  test('draws advance the offset; state round-trips; manualSeed rewinds', () => {
    const g = new PhiloxGenerator(5);
    expect(g.next()).toEqual({ seed: 5n, offset: 0n });
    expect(g.next(3)).toEqual({ seed: 5n, offset: 1n });
    expect(g.offset).toBe(4n);
    const s = g.getState();
    g.next();
    g.setState(s);
    expect(g.next().offset).toBe(4n);
    g.manualSeed(2n ** 64n - 1n);
    expect(g.getState()).toEqual({ seed: 2n ** 64n - 1n, offset: 0n });
    g.setState({ seed: 1n, offset: 2n ** 64n - 1n });
    g.next();
    expect(g.offset).toBe(0n);
  });

  test('bad seeds and counts are refused with the argument named', () => {
    expect(() => new PhiloxGenerator(1.5)).toThrow(DropoutArgumentError);
    expect(() => new PhiloxGenerator(2n ** 64n)).toThrow(/seed = 18446744073709551616n/);
    expect(() => new PhiloxGenerator(1).next(0)).toThrow(/count = 0/);
    expect(() => new PhiloxGenerator(1).setState({ seed: 1n, offset: -1n })).toThrow(/state.offset/);
  });
});
