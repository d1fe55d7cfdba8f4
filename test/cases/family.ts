// The dropout family beyond element-wise inverted dropout: noise shapes (spatial, recurrent,
// general), alpha and feature-alpha dropout, the legacy convention, DropConnect.
import { AlphaDropout, DropConnect, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout, PhiloxGenerator, dropout, dropoutBackward, spatialNoiseShape, type DropoutMode } from 'webgpu-dropout';
import { dropoutBackwardCPU, dropoutCPU, maskBit } from 'webgpu-dropout/cpu';
import { check, checkEqual, checkF32, checkU32 } from './assert.js';
import { testData, type Case, type Tracker } from './env.js';

const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

interface NoiseSpec {
  shape: number[];
  noiseShape?: number[];
  p: number;
  mode?: DropoutMode;
  seed?: bigint;
  offset?: bigint;
  training?: boolean;
}

/** Values of alpha mode may differ by WGSL fusing x·a + b: allow 1 ulp of |x·a| + |b|. */
function checkAffine(actual: Float32Array, expected: Float32Array, x: Float32Array, a: number, b: number, what: string): void {
  for (let i = 0; i < actual.length; i++) {
    const tol = 2 ** -23 * (Math.abs(x[i]! * a) + Math.abs(b)) + 2 ** -126;
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) throw new Error(`${what}: [${i}] expected ${expected[i]}, got ${actual[i]} (tolerance ${tol})`);
  }
}

/** Forward (with mask) and both backward modes against the CPU reference. */
export async function checkNoise(device: GPUDevice, t: Tracker, spec: NoiseSpec): Promise<void> {
  const n = product(spec.shape);
  const maskSize = spec.noiseShape ? product(spec.noiseShape) : n;
  const key = { p: spec.p, mode: spec.mode, seed: spec.seed ?? 5n, offset: spec.offset ?? 2n, training: spec.training ?? true, shape: spec.shape, noiseShape: spec.noiseShape };
  const label = `shape [${spec.shape}] noise [${spec.noiseShape ?? 'none'}] p=${spec.p} mode=${spec.mode ?? 'inverted'} training=${key.training}`;
  const x = testData(n, n + 3);
  const dy = testData(n, n + 11);
  const xb = t.buffer(4 * n + 64, x);
  const dyb = t.buffer(4 * n + 64, dy);
  const yb = t.buffer(4 * n + 64);
  const mb = t.buffer(4 * Math.ceil(maskSize / 32) + 16);
  const dxRebuilt = t.buffer(4 * n + 64);
  const dxMasked = t.buffer(4 * n + 64);
  await dropout(device, { ...key, x: xb, y: yb, mask: mb });
  await dropoutBackward(device, { ...key, dy: dyb, dx: dxRebuilt });
  await dropoutBackward(device, { ...key, dy: dyb, dx: dxMasked, mask: mb });
  const expected = dropoutCPU(x, key);
  checkU32(await t.u32(mb, Math.ceil(maskSize / 32)), expected.mask, `mask (${label})`);
  const y = await t.f32(yb, n);
  if (spec.mode === 'alpha' && key.training && spec.p > 0 && spec.p < 1) {
    const alpha = 1.7580993408473766;
    const a = 1 / Math.sqrt((alpha * alpha * spec.p + 1) * (1 - spec.p));
    checkAffine(y, expected.y, x, a, alpha * a * spec.p, `y (${label})`);
  } else {
    checkF32(y, expected.y, `y (${label})`);
  }
  const expectedDx = dropoutBackwardCPU(dy, key);
  checkF32(await t.f32(dxRebuilt, n), expectedDx, `dx rebuilt (${label})`);
  checkF32(await t.f32(dxMasked, n), expectedDx, `dx from mask (${label})`);
}

/** Every element of a channel shares its fate: all kept or all dropped. */
function checkChannels(y: Float32Array, x: Float32Array, shape: readonly number[], noise: readonly number[], what: string): number {
  const groups = new Map<string, boolean>();
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let e = 0; e < y.length; e++) {
    const key = index.map((v, d) => (noise[d] === 1 ? '*' : v)).join(',');
    const kept = y[e] !== 0 || x[e] === 0;
    if (x[e] !== 0) {
      const seen = groups.get(key);
      if (seen !== undefined && seen !== kept) throw new Error(`${what}: channel ${key} is partly dropped`);
      groups.set(key, kept);
    }
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return groups.size;
}

export const familyCases: Case[] = [
  {
    name: 'noise shapes: channel (NCHW), channels-last (NHWC), recurrent (B,T,H), rank 6, odd inner sizes — bit-exact',
    async run({ device }, t) {
      const specs: NoiseSpec[] = [
        { shape: [3, 5, 7, 9], noiseShape: [3, 5, 1, 1], p: 0.3 },
        { shape: [2, 4, 6, 8], noiseShape: [2, 4, 1, 1], p: 0.5 },
        { shape: [2, 6, 10, 12], noiseShape: [2, 1, 1, 12], p: 0.2 },
        { shape: [4, 33, 20], noiseShape: [4, 1, 20], p: 0.4 },
        { shape: [4, 33, 21], noiseShape: [4, 1, 21], p: 0.1 },
        { shape: [2, 3, 1, 4, 5, 3], noiseShape: [2, 1, 1, 4, 1, 3], p: 0.25 },
        { shape: [5, 7, 11], noiseShape: [1, 1, 1], p: 0.5, seed: 1n },
        { shape: [5, 7, 11], noiseShape: [5, 7, 11], p: 0.5 },
        { shape: [64, 128, 9], noiseShape: [64, 128, 1], p: 0.1, offset: 2n ** 40n },
      ];
      for (const spec of specs) await checkNoise(device, t, spec);
    },
  },
  {
    name: 'noise shapes: p = 1, p = 0, eval, and chunked tensors',
    async run({ device }, t) {
      await checkNoise(device, t, { shape: [3, 5, 16], noiseShape: [3, 5, 1], p: 1 });
      await checkNoise(device, t, { shape: [3, 5, 16], noiseShape: [3, 5, 1], p: 0 });
      await checkNoise(device, t, { shape: [3, 5, 16], noiseShape: [3, 5, 1], p: 0.5, training: false });
      const { configureDevice } = await import('webgpu-dropout/testing');
      configureDevice(device, { maxBindingBytes: 8192 + device.limits.minStorageBufferOffsetAlignment });
      try {
        await checkNoise(device, t, { shape: [4, 8, 1001], noiseShape: [4, 8, 1], p: 0.3 });
      } finally {
        configureDevice(device, {});
      }
    },
  },
  {
    name: 'Dropout1d/2d/3d zero whole channels, batched, unbatched and channels-last, like PyTorch',
    async run({ device }, t) {
      type Layer = typeof Dropout1d | typeof Dropout2d | typeof Dropout3d;
      const cases: [Layer, 1 | 2 | 3, number[], boolean][] = [
        [Dropout1d, 1, [4, 6, 10], false], [Dropout1d, 1, [6, 10], false], [Dropout1d, 1, [4, 10, 6], true],
        [Dropout2d, 2, [2, 5, 6, 7], false], [Dropout2d, 2, [5, 6, 7], false], [Dropout2d, 2, [2, 6, 7, 5], true],
        [Dropout3d, 3, [2, 3, 4, 5, 6], false], [Dropout3d, 3, [3, 4, 5, 6], false], [Dropout3d, 3, [2, 4, 5, 6, 3], true],
      ];
      for (const [Layer, dims, shape, channelsLast] of cases) {
        const n = product(shape);
        const x = testData(n, 9).map((v) => v || 1);
        const xb = t.buffer(4 * n, x);
        const yb = t.buffer(4 * n);
        const layer = new Layer(device, { p: 0.5, generator: new PhiloxGenerator(31n), channelsLast });
        const rec = await layer.forward(xb, yb, shape);
        const noise = spatialNoiseShape(dims, shape, channelsLast);
        checkEqual(String(rec.noiseShape), String(noise), `${Layer.name} noise shape`);
        const y = await t.f32(yb, n);
        const channels = checkChannels(y, x, shape, noise, `${Layer.name} [${shape}]`);
        checkEqual(channels, product(noise), `${Layer.name} [${shape}] channel count`);
        checkF32(y, dropoutCPU(x, { p: 0.5, seed: rec.seed, offset: rec.offset, shape, noiseShape: noise }).y, `${Layer.name} [${shape}] vs CPU`);
      }
    },
  },
  {
    name: 'AlphaDropout and FeatureAlphaDropout: PyTorch formulas, masks exact, values within 1 ulp, backward exact',
    async run({ device }, t) {
      for (const p of [0.1, 0.5, 0.9]) await checkNoise(device, t, { shape: [3001], p, mode: 'alpha' });
      await checkNoise(device, t, { shape: [4, 6, 5, 5], noiseShape: [4, 6, 1, 1], p: 0.3, mode: 'alpha' });
      await checkNoise(device, t, { shape: [1000], p: 1, mode: 'alpha' });
      await checkNoise(device, t, { shape: [1000], p: 0.2, mode: 'alpha', training: false });
      // Self-normalization: standard-normal input keeps mean ~0 and variance ~1.
      const n = 1 << 18;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i += 2) {
        const r = Math.sqrt(-2 * Math.log((i + 1) / (n + 1)));
        const th = 2 * Math.PI * (((i * 2654435761) >>> 0) / 2 ** 32);
        x[i] = r * Math.cos(th);
        x[i + 1] = r * Math.sin(th);
      }
      const xb = t.buffer(4 * n, x);
      const yb = t.buffer(4 * n);
      await new AlphaDropout(device, { p: 0.3 }).forward(xb, yb, n);
      const y = await t.f32(yb, n);
      const mean = y.reduce((s, v) => s + v, 0) / n;
      const variance = y.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
      check(Math.abs(mean) < 0.02 && Math.abs(variance - 1) < 0.03, `alpha dropout keeps mean 0 / variance 1: got ${mean.toFixed(4)} / ${variance.toFixed(4)}`);
      const shape = [2, 3, 8, 8];
      const fb = t.buffer(4 * product(shape), testData(product(shape), 2).map((v) => v || 1));
      const fy = t.buffer(4 * product(shape));
      const rec = await new FeatureAlphaDropout(device, { p: 0.5 }).forward(fb, fy, shape);
      checkEqual(String(rec.noiseShape), '2,3,1,1', 'FeatureAlphaDropout noise shape');
    },
  },
  {
    name: 'legacy convention: no scaling in training, times (1 - p) in eval, both directions exact',
    async run({ device }, t) {
      await checkNoise(device, t, { shape: [5003], p: 0.3, mode: 'legacy' });
      await checkNoise(device, t, { shape: [5003], p: 0.3, mode: 'legacy', training: false });
      await checkNoise(device, t, { shape: [6, 7, 9], noiseShape: [6, 7, 1], p: 0.4, mode: 'legacy', training: false });
      await checkNoise(device, t, { shape: [6, 7, 9], noiseShape: [6, 7, 1], p: 0.4, mode: 'legacy' });
      const n = 100;
      const xb = t.buffer(4 * n, testData(n));
      const yb = t.buffer(4 * n);
      const layer = new Dropout(device, { p: 0.25, mode: 'legacy' }).eval();
      await layer.forward(xb, yb, n);
      checkF32(await t.f32(yb, n), testData(n).map((v) => Math.fround(v * 0.75)), 'legacy eval module');
    },
  },
  {
    name: 'DropConnect: a fresh weight mask per step, gradient through the same mask',
    async run({ device }, t) {
      const shape = [32, 48];
      const n = product(shape);
      const w = testData(n, 4);
      const wb = t.buffer(4 * n, w);
      const dc = new DropConnect(device, { p: 0.5, generator: new PhiloxGenerator(3n) });
      const m1 = t.buffer(4 * n);
      const m2 = t.buffer(4 * n);
      const r1 = await dc.forward(wb, m1, shape);
      const g = testData(n, 8);
      const gb = t.buffer(4 * n, g);
      const dw = t.buffer(4 * n);
      await dc.backward(gb, dw);
      const r2 = await dc.forward(wb, m2, shape);
      check(r2.offset !== r1.offset, 'each step draws a new mask');
      const ref1 = dropoutCPU(w, { p: 0.5, seed: r1.seed, offset: r1.offset });
      checkF32(await t.f32(m1, n), ref1.y, 'masked weights');
      checkF32(await t.f32(dw, n), g.map((v, i) => (maskBit(ref1.mask, i) ? Math.fround(v * 2) : 0)), 'weight gradient');
    },
  },
];

familyCases.push({
  name: 'GaussianDropout: noise within WGSL sin/cos/log accuracy of the CPU twin, N(1, p/(1-p)) statistics, backward reuses the noise',
  async run({ device }, t) {
    const { gaussianDropout, gaussianDropoutBackward, GaussianDropout } = await import('webgpu-dropout');
    const { gaussianDropoutCPU, gaussianSigma } = await import('webgpu-dropout/cpu');
    for (const [n, p] of [[1, 0.2], [7, 0.5], [4099, 0.1], [65536, 0.5]] as const) {
      const x = testData(n, 21);
      const xb = t.buffer(4 * n + 16, x);
      const yb = t.buffer(4 * n + 16);
      const key = { n, p, training: true, seed: 77n, offset: 5n };
      await gaussianDropout(device, { ...key, x: xb, y: yb });
      const y = await t.f32(yb, n);
      const expected = gaussianDropoutCPU(x, key);
      const sigma = gaussianSigma(p);
      for (let i = 0; i < n; i++) {
        // |z| <= 6 (u1 >= 2^-25), so WGSL's 2^-11 absolute error in sin/cos gives <= 6·2^-11 in z.
        const tol = Math.abs(x[i]!) * sigma * 6 * 2 ** -11 + 4 * 2 ** -24 * Math.abs(expected[i]!) + 2 ** -126;
        check(Math.abs(y[i]! - expected[i]!) <= tol, `gaussian n=${n} p=${p} [${i}]: expected ${expected[i]}, got ${y[i]} (tolerance ${tol})`);
      }
      const dxb = t.buffer(4 * n + 16);
      await gaussianDropoutBackward(device, { ...key, dy: xb, dx: dxb });
      checkF32(await t.f32(dxb, n), y, `gaussian backward with dy = x equals the forward (n=${n})`);
    }
    const n = 1 << 18;
    const ones = t.buffer(4 * n, new Float32Array(n).fill(1));
    const yb = t.buffer(4 * n);
    await new GaussianDropout(device, { p: 0.2 }).forward(ones, yb, n);
    const y = await t.f32(yb, n);
    const mean = y.reduce((s, v) => s + v, 0) / n;
    const variance = y.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    check(Math.abs(mean - 1) < 0.005 && Math.abs(variance - 0.25) < 0.01, `multiplier ~ N(1, 0.25): mean ${mean.toFixed(4)}, variance ${variance.toFixed(4)}`);
    const eb = t.buffer(4 * n);
    await new GaussianDropout(device, { p: 0.2 }).eval().forward(ones, eb, n);
    checkF32(await t.f32(eb, n), new Float32Array(n).fill(1), 'gaussian eval is the identity');
  },
});

familyCases.push({
  name: 'DropBlock 2-D and 3-D: block masks bit-exact with the CPU twin, scale within 3 ulp, backward both ways',
  async run({ device }, t) {
    const { dropBlock, dropBlockBackward, DropBlock2d } = await import('webgpu-dropout');
    const { dropBlockCPU } = await import('webgpu-dropout/cpu');
    const specs: [number[], number, number][] = [
      [[2, 3, 11, 13], 0.2, 3], [[1, 2, 16, 16], 0.1, 5], [[2, 2, 9, 7], 0.3, 7], [[1, 1, 5, 5], 0.2, 1],
      [[3, 1, 12, 12], 0.15, 9], [[1, 2, 6, 7, 9], 0.1, 3], [[1, 1, 5, 5, 5], 0.05, 3],
      // Widths that are multiples of 32 (the padded rows are the mask), wider than a word, and a
      // block almost as wide as the map.
      [[1, 3, 8, 32], 0.2, 3], [[2, 1, 20, 64], 0.1, 7], [[1, 2, 5, 40], 0.3, 5], [[1, 1, 4, 6, 32], 0.1, 3], [[1, 1, 33, 33], 0.1, 31],
    ];
    for (const [shape, p, blockSize] of specs) {
      const n = product(shape);
      const label = `shape [${shape}] p=${p} block ${blockSize}`;
      const x = testData(n, n).map((v) => v || 0.5);
      const dy = testData(n, n + 1);
      const xb = t.buffer(4 * n + 16, x);
      const yb = t.buffer(4 * n + 16);
      const mb = t.buffer(4 * Math.ceil(n / 32) + 16);
      const key = { shape, p, blockSize, training: true, seed: 2024n, offset: 9n };
      await dropBlock(device, { ...key, x: xb, y: yb, mask: mb });
      const ref = dropBlockCPU(x, key);
      checkU32(await t.u32(mb, Math.ceil(n / 32)), ref.mask, `block mask (${label})`);
      const y = await t.f32(yb, n);
      for (let i = 0; i < n; i++) {
        const tol = 3 * 2 ** -23 * Math.abs(ref.y[i]!);
        check(Math.abs(y[i]! - ref.y[i]!) <= tol, `y (${label}) [${i}]: expected ${ref.y[i]}, got ${y[i]}`);
      }
      const dxRebuilt = t.buffer(4 * n + 16);
      const dxMasked = t.buffer(4 * n + 16);
      const dyb = t.buffer(4 * n + 16, dy);
      await dropBlockBackward(device, { ...key, dy: dyb, dx: dxRebuilt });
      await dropBlockBackward(device, { ...key, dy: dyb, dx: dxMasked, mask: mb });
      const expectedDx = dropBlockCPU(dy, key).y;
      const [a, b] = [await t.f32(dxRebuilt, n), await t.f32(dxMasked, n)];
      checkF32(a, b, `dx rebuilt vs from mask (${label})`);
      for (let i = 0; i < n; i++) check(Math.abs(a[i]! - expectedDx[i]!) <= 3 * 2 ** -23 * Math.abs(expectedDx[i]!), `dx (${label}) [${i}]`);
    }
    // A dropped block is a whole blockSize × blockSize square: check one map's shape of holes.
    const shape = [1, 1, 32, 32];
    const ones = t.buffer(4 * 1024, new Float32Array(1024).fill(1));
    const out = t.buffer(4 * 1024);
    const layer = new DropBlock2d(device, { p: 0.1, blockSize: 5, generator: new PhiloxGenerator(5n) });
    await layer.forward(ones, out, shape);
    const y = await t.f32(out, 1024);
    const dropped = y.filter((v) => v === 0).length;
    check(dropped > 0 && dropped < 1024, `some but not all dropped (${dropped})`);
    const { checkThrows } = await import('./assert.js');
    await checkThrows(() => dropBlock(device, { x: ones, y: out, shape: [1, 1, 4, 4], p: 0.1, blockSize: 5, training: true, seed: 1n, offset: 0n }), { code: 'INVALID_ARGUMENT', argument: 'blockSize', includes: ['odd'] }, 'even effective block size');
    await checkThrows(() => dropBlock(device, { x: ones, y: out, shape: [1, 32, 32], p: 0.1, blockSize: 3, training: true, seed: 1n, offset: 0n }), { code: 'INVALID_ARGUMENT', argument: 'shape', includes: ['rank 4'] }, 'rank-3 input');
    await layer.eval().forward(ones, out, shape);
    checkF32(await t.f32(out, 1024), new Float32Array(1024).fill(1), 'DropBlock eval is the identity');
  },
});
