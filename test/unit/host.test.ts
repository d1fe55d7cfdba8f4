import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { TILE_ELEMENTS } from '../../src/rng/layout.js';
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

describe('broadcast uniform layout', () => {
  test('BROADCAST_FIELDS mirrors struct Params in shaders/broadcast.wgsl, then the two vec4 arrays', async () => {
    const { BROADCAST_FIELDS, BROADCAST_PARAMS_BYTES } = await import('../../src/kernels/broadcast.js');
    const wgsl = readFileSync(new URL('../../shaders/broadcast.wgsl', import.meta.url), 'utf8');
    const body = /struct Params \{([\s\S]*?)\n\}/.exec(wgsl)![1]!;
    const scalars = [...body.matchAll(/^\s*(\w+)\s*:\s*(u32|f32)\s*,/gm)].map((m) => m[1]);
    expect(scalars).toEqual([...BROADCAST_FIELDS]);
    expect(body).toMatch(/sizes: array<vec4<u32>, 2>,\s+\/\/[^\n]*\n\s*strides: array<vec4<u32>, 2>,/);
    expect(BROADCAST_PARAMS_BYTES).toBe(4 * scalars.length + 64);
    expect((4 * scalars.length) % 16).toBe(0); // the arrays start 16-byte aligned
  });
});

describe('scalar-only uniform layouts', () => {
  test.each([
    ['gaussian.wgsl', async () => { const m = await import('../../src/kernels/gaussian.js'); return [m.GAUSSIAN_FIELDS, m.GAUSSIAN_PARAMS_BYTES - 16] as const; }],
    ['dropblock.wgsl', async () => { const m = await import('../../src/kernels/dropblock.js'); return [m.DROPBLOCK_FIELDS, m.DROPBLOCK_PARAMS_BYTES] as const; }],
    ['mc.wgsl', async () => { const m = await import('../../src/kernels/mc.js'); return [m.MC_FIELDS, m.MC_PARAMS_BYTES] as const; }],
    ['reduce.wgsl', async () => [['rows', 'cols', 'blocks', 'src_shift', 'out_shift', 'pad0', 'pad1', 'pad2'], 32] as const],
  ])('the host mirror of struct Params in shaders/%s matches it field by field', async (file, load) => {
    const [fields, bytes] = await load();
    const wgsl = readFileSync(new URL(`../../shaders/${file}`, import.meta.url), 'utf8');
    const body = /struct Params \{([\s\S]*?)\n\}/.exec(wgsl)![1]!;
    expect([...body.matchAll(/^\s*(\w+)\s*:\s*(u32|f32)\s*,/gm)].map((m) => m[1])).toEqual([...fields]);
    expect(bytes).toBe(4 * fields.length);
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
    const size = chunkElements(4 * 3 * 1536 + 256, 256);
    expect(size).toBe(3 * 1536);
    expect(size % TILE_ELEMENTS).toBe(0);
    expect(chunkElements(2 ** 31, 256) % TILE_ELEMENTS).toBe(0);
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

describe('spatial noise shapes follow PyTorch', async () => {
  const { spatialNoiseShape } = await import('../../src/api/spatial.js');
  const { collapse } = await import('../../src/shape.js');
  test.each([
    [1, [4, 6, 10], false, [4, 6, 1]],
    [1, [6, 10], false, [6, 1]],
    [2, [2, 5, 6, 7], false, [2, 5, 1, 1]],
    [2, [5, 6, 7], false, [5, 6, 1]], // PyTorch 1.13 reads a 3-D input to dropout2d as (N, C, L)
    [3, [2, 3, 4, 5, 6], false, [2, 3, 1, 1, 1]],
    [3, [3, 4, 5, 6], false, [3, 1, 1, 1]],
    [2, [2, 6, 7, 5], true, [2, 1, 1, 5]],
    [1, [10, 6], true, [1, 6]],
    [0, [2, 3, 4], false, [2, 3, 1]],
  ] as const)('%i-D of %j (channelsLast %s) → %j', (dims, shape, channelsLast, expected) => {
    expect(spatialNoiseShape(dims, shape, channelsLast)).toEqual(expected);
  });
  test('ranks PyTorch 1.13 refuses are refused (dropout1d outside 2-3, dropout2d and feature dropout below 2)', () => {
    expect(() => spatialNoiseShape(1, [2, 3, 4, 5])).toThrow(/rank 2 or 3/);
    expect(() => spatialNoiseShape(2, [3])).toThrow(/rank 2/);
    expect(() => spatialNoiseShape(0, [3])).toThrow(/rank 2/);
  });
  test('collapse merges neighbours and drops size-1 dimensions', () => {
    expect(collapse([8, 16, 32, 32], [8, 16, 1, 1])).toEqual({ sizes: [1024, 128], strides: [0, 1], maskSize: 128 });
    expect(collapse([4, 33, 20], [4, 1, 20])).toEqual({ sizes: [20, 33, 4], strides: [1, 0, 20], maskSize: 80 });
    expect(collapse([2, 1, 5], [1, 1, 1])).toEqual({ sizes: [10], strides: [0], maskSize: 1 });
  });
});

describe('BufferUsage', () => {
  test('equals WebGPU\'s GPUBufferUsage (Dawn\'s, from the webgpu package), flag by flag', async () => {
    const { globals } = await import('webgpu');
    const { BufferUsage } = await import('../../src/gpu/usage.js');
    const dawn = (globals as unknown as { GPUBufferUsage: Record<string, number> }).GPUBufferUsage;
    const names = Object.keys(dawn).filter((name) => /^[A-Z_]+$/.test(name));
    expect(names.length).toBeGreaterThanOrEqual(10);
    expect(Object.fromEntries(names.map((name) => [name, dawn[name]]))).toEqual({ ...BufferUsage });
  });

  test('usageNames names the flags of a mask, unknown bits in hex', async () => {
    const { BufferUsage, usageNames } = await import('../../src/gpu/usage.js');
    expect(usageNames(BufferUsage.STORAGE | BufferUsage.COPY_SRC)).toBe('COPY_SRC | STORAGE');
    expect(usageNames(0x48)).toBe('COPY_DST | UNIFORM');
    expect(usageNames(0)).toBe('none');
    expect(usageNames(0x80 | 0x1000)).toBe('STORAGE | 0x1000');
    });
  });

describe('schedule', () => {
  const info = (fields: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }): GPUAdapterInfo =>
    ({ vendor: '', architecture: '', device: '', description: '', ...fields }) as GPUAdapterInfo;

  test('CPU adapters (SwiftShader, llvmpipe, WARP, fallback) are recognized; GPUs and unknown adapters are not', async () => {
    const { isCpuAdapter } = await import('../../src/gpu/schedule.js');
    expect(isCpuAdapter(info({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' }))).toBe(true);
    expect(isCpuAdapter(info({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe(true);
    expect(isCpuAdapter(info({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }))).toBe(true);
    expect(isCpuAdapter(info({ vendor: 'unknown', isFallbackAdapter: true }))).toBe(true);
    expect(isCpuAdapter(info({ vendor: 'nvidia', architecture: 'ada-lovelace', description: 'NVIDIA GeForce RTX 4090' }))).toBe(false);
    expect(isCpuAdapter(info({ vendor: 'apple', architecture: 'metal-3', isFallbackAdapter: false }))).toBe(false);
    expect(isCpuAdapter(undefined)).toBe(false);
  });

  test("resolveSchedule: a forced schedule wins; 'auto' follows device.adapterInfo", async () => {
    const { resolveSchedule } = await import('../../src/gpu/schedule.js');
    const device = (adapterInfo?: GPUAdapterInfo): GPUDevice => ({ adapterInfo }) as unknown as GPUDevice;
    const swiftshader = device(info({ architecture: 'swiftshader' }));
    const gpu = device(info({ vendor: 'amd', architecture: 'rdna-3' }));
    expect(resolveSchedule(swiftshader)).toBe('multi-pass');
    expect(resolveSchedule(swiftshader, 'auto')).toBe('multi-pass');
    expect(resolveSchedule(swiftshader, 'single-pass')).toBe('single-pass');
    expect(resolveSchedule(gpu)).toBe('single-pass');
    expect(resolveSchedule(gpu, 'multi-pass')).toBe('multi-pass');
    expect(resolveSchedule(device())).toBe('single-pass');
  });
});
