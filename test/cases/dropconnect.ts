// dropConnectLinear / dropConnectLinearBackward (DropConnect fused into a linear layer) against
// their CPU twin. The mask is compared bit for bit through the zero pattern of dW (dy all ones, x
// with nonzero columns: dW[o][i] = keep · scale · Σ_b x[b][i] is 0 exactly where W's element is
// dropped), and against the mask dropout() draws on W. Values: both sides sum in f32 in the same
// index order, but the GPU may fuse a product into its addition, so each sum may differ from the
// exact one by γ_K · Σ|terms| (γ_K ≈ K · 2^-24) on either side: we allow (K + 2) · 2^-23 · Σ|terms|
// (two roundings more: the scale and the bias).
import { dropConnectLinear, dropConnectLinearBackward, dropout, DropConnectLinear, PhiloxGenerator, prepare } from 'webgpu-dropout';
import { dropConnectLinearBackwardCPU, dropConnectLinearCPU, dropRate, keepMask } from 'webgpu-dropout/cpu';
import { AssertionError, check, checkThrows, checkU32 } from './assert.js';
import { testData, type Case, type Tracker } from './env.js';
import { checkF16, f16Buffer, readF16, values } from './f16.js';

/** |actual − expected| <= (K + 2) · 2^-23 · bound[i] for each element (bound: Σ|terms|). */
function checkClose(actual: Float32Array, expected: Float32Array, bound: Float64Array, K: number, what: string): void {
  check(actual.length === expected.length, `${what}: length`);
  const bad: string[] = [];
  let total = 0;
  for (let i = 0; i < actual.length; i++) {
    const tol = (K + 2) * 2 ** -23 * bound[i]! + 2 ** -126;
    if (Math.abs(actual[i]! - expected[i]!) <= tol) continue;
    total++;
    if (bad.length < 8) bad.push(`  [${i}] expected ${expected[i]}, got ${actual[i]} (tolerance ${tol})`);
  }
  if (total) throw new AssertionError(`${what}: ${total} element(s) outside the tolerance\n${bad.join('\n')}`);
}

interface Shape { batch: number; inFeatures: number; outFeatures: number; p: number; seed: bigint; offset: bigint; training: boolean }

/** Σ|terms| of each output of the forward (y) and the backward (dx, dW, db), in f64. */
function bounds(s: Shape, x: Float32Array, w: Float32Array, b: Float32Array | undefined, dy: Float32Array, mask: Uint32Array, scale: number) {
  const { batch: B, inFeatures: K, outFeatures: N } = s;
  const kept = (n: number, k: number): boolean => ((mask[(n * K + k) >>> 5]! >>> ((n * K + k) & 31)) & 1) === 1;
  const y = new Float64Array(B * N);
  const dx = new Float64Array(B * K);
  const dW = new Float64Array(N * K);
  const db = new Float64Array(N);
  for (let bi = 0; bi < B; bi++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) if (kept(n, k)) sum += Math.abs(x[bi * K + k]! * w[n * K + k]!);
      y[bi * N + n] = sum * scale + Math.abs(b ? b[n]! : 0);
      db[n]! += Math.abs(dy[bi * N + n]!);
    }
    for (let k = 0; k < K; k++) {
      let sum = 0;
      for (let n = 0; n < N; n++) if (kept(n, k)) sum += Math.abs(dy[bi * N + n]! * w[n * K + k]!);
      dx[bi * K + k] = sum * scale;
    }
  }
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let sum = 0;
      for (let bi = 0; bi < B; bi++) sum += Math.abs(dy[bi * N + n]! * x[bi * K + k]!);
      dW[n * K + k] = sum * scale;
    }
  }
  return { y, dx, dW, db };
}

function label(s: Shape): string {
  return JSON.stringify(s, (_, v) => (typeof v === 'bigint' ? String(v) : v));
}

async function compare(device: GPUDevice, t: Tracker, s: Shape, withBias: boolean): Promise<void> {
  const { batch: B, inFeatures: K, outFeatures: N } = s;
  const x = testData(B * K, 1 + K).map((v) => Math.max(-4, Math.min(4, v)));
  const w = testData(N * K, 2 + N).map((v) => Math.max(-4, Math.min(4, v)));
  const b = withBias ? testData(N, 3) : undefined;
  const dy = testData(B * N, 4).map((v) => Math.max(-4, Math.min(4, v)));
  const bufs = { x: t.buffer(4 * B * K, x), weight: t.buffer(4 * N * K, w), y: t.buffer(4 * B * N), dy: t.buffer(4 * B * N, dy), dx: t.buffer(4 * B * K), dWeight: t.buffer(4 * N * K), dBias: t.buffer(4 * N) };
  const bias = b ? t.buffer(4 * N, b) : undefined;
  await dropConnectLinear(device, { ...s, x: bufs.x, weight: bufs.weight, bias, y: bufs.y });
  await dropConnectLinearBackward(device, { ...s, dy: bufs.dy, x: bufs.x, weight: bufs.weight, dx: bufs.dx, dWeight: bufs.dWeight, dBias: bufs.dBias });
  const ref = dropConnectLinearCPU(x, w, b, s);
  const grads = dropConnectLinearBackwardCPU(dy, x, w, s);
  const scale = dropRate(s.training ? s.p : 0).scale;
  const bound = bounds(s, x, w, b, dy, ref.mask, scale);
  checkClose(await t.f32(bufs.y, B * N), ref.y, bound.y, K, `y ${label(s)}`);
  checkClose(await t.f32(bufs.dx, B * K), grads.dx, bound.dx, N, `dx ${label(s)}`);
  checkClose(await t.f32(bufs.dWeight, N * K), grads.dWeight, bound.dW, B, `dW ${label(s)}`);
  checkClose(await t.f32(bufs.dBias, N), grads.dBias, bound.db, B, `db ${label(s)}`);
}

/** The keep mask of the kernel, read off dW's zero pattern (dy all ones, x columns positive). */
async function maskFromDW(device: GPUDevice, t: Tracker, s: Shape): Promise<Uint32Array> {
  const { batch: B, inFeatures: K, outFeatures: N } = s;
  const x = new Float32Array(B * K).map((_, e) => 1 + (e % K) / K + Math.floor(e / K) / 64);
  const dWeight = t.buffer(4 * N * K);
  await dropConnectLinearBackward(device, { ...s, dy: t.buffer(4 * B * N, new Float32Array(B * N).fill(1)), x: t.buffer(4 * B * K, x), weight: t.buffer(4 * N * K, new Float32Array(N * K).fill(1)), dWeight });
  const dW = await t.f32(dWeight, N * K);
  const words = new Uint32Array(Math.ceil((N * K) / 32));
  dW.forEach((v, e) => { if (v !== 0) words[e >>> 5]! |= 1 << (e & 31); });
  return words;
}

export const dropConnectCases: Case[] = [
  {
    name: 'dropConnectLinear f16: matches the CPU twin on the f16 inputs (1 f16 ulp + the f32 bound) where shader-f16 exists, else a typed UNSUPPORTED refusal',
    async run({ device }, t) {
      const s: Shape = { batch: 20, inFeatures: 33, outFeatures: 17, p: 0.3, seed: 12n, offset: 7n, training: true };
      const { batch: B, inFeatures: K, outFeatures: N } = s;
      const x = values(B * K, 1, 2);
      const w = values(N * K, 2, 1);
      const b = values(N, 3, 1);
      const dy = values(B * N, 4, 1);
      const y = f16Buffer(t, B * N);
      const dx = f16Buffer(t, B * K);
      const dWeight = f16Buffer(t, N * K);
      const dBias = f16Buffer(t, N);
      const xb = f16Buffer(t, B * K, x.bits);
      const wb = f16Buffer(t, N * K, w.bits);
      const forward = () => dropConnectLinear(device, { ...s, dtype: 'f16', x: xb, weight: wb, bias: f16Buffer(t, N, b.bits), y });
      if (!device.features.has('shader-f16')) {
        await checkThrows(forward, { code: 'UNSUPPORTED' }, 'f16 without shader-f16');
        return;
      }
      await forward();
      await dropConnectLinearBackward(device, { ...s, dtype: 'f16', dy: f16Buffer(t, B * N, dy.bits), x: xb, weight: wb, dx, dWeight, dBias });
      const ref = dropConnectLinearCPU(x.f32, w.f32, b.f32, s);
      const grads = dropConnectLinearBackwardCPU(dy.f32, x.f32, w.f32, s);
      const bound = bounds(s, x.f32, w.f32, b.f32, dy.f32, ref.mask, dropRate(0.3).scale);
      const f32 = (sums: Float64Array, k: number) => (i: number) => (k + 2) * 2 ** -23 * sums[i]!;
      checkF16(await readF16(t, y, B * N), ref.y, 'y f16', f32(bound.y, K));
      checkF16(await readF16(t, dx, B * K), grads.dx, 'dx f16', f32(bound.dx, N));
      checkF16(await readF16(t, dWeight, N * K), grads.dWeight, 'dW f16', f32(bound.dW, B));
      checkF16(await readF16(t, dBias, N), grads.dBias, 'db f16', f32(bound.db, B));
    },
  },
  {
    name: 'dropConnectLinear: the mask drawn in the matmul kernel is dropout()\'s mask on W, bit for bit (zero pattern of dW)',
    async run({ device }, t) {
      const shapes: Shape[] = [
        { batch: 3, inFeatures: 37, outFeatures: 29, p: 0.5, seed: 1n, offset: 0n, training: true },
        { batch: 17, inFeatures: 130, outFeatures: 70, p: 0.1, seed: 2n ** 64n - 5n, offset: 2n ** 63n + 9n, training: true },
        { batch: 1, inFeatures: 1, outFeatures: 53, p: 0.3, seed: 77n, offset: 4n, training: true },
        { batch: 2, inFeatures: 257, outFeatures: 31, p: 0.9, seed: 5n, offset: 2n ** 32n, training: true },
      ];
      for (const s of shapes) {
        const n = s.outFeatures * s.inFeatures;
        const expected = keepMask(s, s.p, n);
        checkU32(await maskFromDW(device, t, s), expected, `dW's zero pattern vs keepMask, ${label(s)}`);
        const mask = t.buffer(4 * expected.length);
        await dropout(device, { x: t.buffer(4 * n, new Float32Array(n).fill(1)), y: t.buffer(4 * n), mask, n, p: s.p, training: true, seed: s.seed, offset: s.offset });
        checkU32(await t.u32(mask, expected.length), expected, `dropout() on W vs keepMask, ${label(s)}`);
      }
    },
  },
  {
    name: 'dropConnectLinear: y, dx, dW, db match the CPU twin within the summation bound (odd shapes, bias or not, eval, p = 0 and 1)',
    async run({ device }, t) {
      const shapes: [Shape, boolean][] = [
        [{ batch: 37, inFeatures: 53, outFeatures: 29, p: 0.5, seed: 3n, offset: 1n, training: true }, true],
        [{ batch: 16, inFeatures: 64, outFeatures: 48, p: 0.1, seed: 4n, offset: 2n ** 40n, training: true }, false],
        [{ batch: 5, inFeatures: 1, outFeatures: 3, p: 0.25, seed: 5n, offset: 0n, training: true }, true],
        [{ batch: 130, inFeatures: 19, outFeatures: 21, p: 0.2, seed: 8n, offset: 3n, training: true }, true], // two 128-row tiles, the second partial
        [{ batch: 20, inFeatures: 33, outFeatures: 17, p: 0.5, seed: 6n, offset: 0n, training: false }, true],
        [{ batch: 9, inFeatures: 18, outFeatures: 40, p: 0, seed: 7n, offset: 0n, training: true }, true],
        [{ batch: 9, inFeatures: 18, outFeatures: 40, p: 1, seed: 7n, offset: 0n, training: true }, true],
      ];
      for (const [s, bias] of shapes) await compare(device, t, s, bias);
    },
  },
  {
    name: 'DropConnectLinear module: forward draws from its generator, backward rebuilds the same mask; eval is the plain layer; bad arguments refused',
    async run({ device }, t) {
      const shape = { batch: 6, inFeatures: 40, outFeatures: 24 };
      const n = shape.outFeatures * shape.inFeatures;
      const x = testData(shape.batch * shape.inFeatures, 9);
      const w = testData(n, 10);
      const xb = t.buffer(4 * x.length, x);
      const wb = t.buffer(4 * n, w);
      const y = t.buffer(4 * shape.batch * shape.outFeatures);
      const gen = new PhiloxGenerator(11n);
      gen.next();
      const layer = new DropConnectLinear(device, { inFeatures: shape.inFeatures, outFeatures: shape.outFeatures, p: 0.4, generator: gen });
      const record = await layer.forward(xb, wb, y, { batch: shape.batch });
      check(record.seed === 11n && record.offset === 1n && gen.offset === 2n, 'the forward took the generator\'s next draw');
      const ref = dropConnectLinearCPU(x, w, undefined, { ...shape, p: 0.4, seed: 11n, offset: 1n });
      const bound = bounds({ ...shape, p: 0.4, seed: 11n, offset: 1n, training: true }, x, w, undefined, new Float32Array(shape.batch * shape.outFeatures), ref.mask, dropRate(0.4).scale);
      checkClose(await t.f32(y, shape.batch * shape.outFeatures), ref.y, bound.y, shape.inFeatures, 'module forward');
      const dWeight = t.buffer(4 * n);
      const x1 = new Float32Array(x.length).fill(1);
      await layer.backward(t.buffer(4 * shape.batch * shape.outFeatures, new Float32Array(shape.batch * shape.outFeatures).fill(1)), t.buffer(4 * x.length, x1), wb, { dWeight });
      const dW = await t.f32(dWeight, n);
      const expected = keepMask({ seed: 11n, offset: 1n }, 0.4, n);
      const zero = new Uint32Array(expected.length);
      dW.forEach((v, e) => { if (v !== 0) zero[e >>> 5]! |= 1 << (e & 31); });
      checkU32(zero, expected, 'module backward: the same mask');
      layer.eval();
      await layer.forward(xb, wb, y, { batch: shape.batch });
      check(gen.offset === 2n, 'eval draws nothing');
      const plain = dropConnectLinearCPU(x, w, undefined, { ...shape, p: 0.4, seed: 0n, offset: 0n, training: false });
      checkClose(await t.f32(y, shape.batch * shape.outFeatures), plain.y, bounds({ ...shape, p: 0, seed: 0n, offset: 0n, training: false }, x, w, undefined, new Float32Array(shape.batch * shape.outFeatures), keepMask({ seed: 0n, offset: 0n }, 0, n), 1).y, shape.inFeatures, 'eval forward');
      const common = { ...shape, x: xb, weight: wb, y, p: 0.5, training: true, seed: 1n, offset: 0n };
      await prepare(device, dropConnectLinear, common);
      const { y: _y, ...inputs } = common;
      await prepare(device, dropConnectLinearBackward, { ...inputs, dy: y, dx: t.buffer(4 * x.length), dWeight });
      await checkThrows(() => prepare(device, dropConnectLinear, { ...common, p: -1 }), { code: 'INVALID_ARGUMENT', argument: 'p' }, 'prepare with p = -1');
      await checkThrows(() => dropConnectLinear(device, { ...common, p: 2 }), { code: 'INVALID_ARGUMENT', argument: 'p' }, 'p = 2');
      await checkThrows(() => dropConnectLinear(device, { ...common, batch: 1.5 }), { code: 'INVALID_ARGUMENT', argument: 'batch' }, 'batch 1.5');
      await checkThrows(() => dropConnectLinear(device, { ...common, y: xb }), { code: 'INVALID_ARGUMENT', argument: 'y' }, 'y is x');
      await checkThrows(() => dropConnectLinear(device, { ...common, outFeatures: 1000 }), { code: 'INVALID_ARGUMENT', argument: 'weight' }, 'W too small');
      await checkThrows(() => dropConnectLinear(device, { ...common, outFeatures: 2 ** 31, inFeatures: 2 ** 6 }), { code: 'INVALID_ARGUMENT', argument: 'outFeatures' }, 'W past one draw');
      await checkThrows(() => dropConnectLinearBackward(device, { ...inputs, dy: y }), { code: 'INVALID_ARGUMENT', argument: 'dx' }, 'no gradient asked for');
      await checkThrows(() => dropConnectLinear(device, { ...common, workgroupSize: 64 } as never), { code: 'INVALID_ARGUMENT', argument: 'workgroupSize' }, 'an option it does not take');
      if (!device.features.has('shader-f16')) {
        await checkThrows(() => dropConnectLinear(device, { ...common, dtype: 'f16' }), { code: 'UNSUPPORTED' }, 'f16 without shader-f16');
      }
    },
  },
];
