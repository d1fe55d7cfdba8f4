// Property test (fast-check): random calls of every kernel — shapes, noise shapes, p (including 0,
// 1 and within 2^-32 of them), 64-bit seeds and offsets (including the 2^64 wrap of Monte Carlo
// offsets), training flags, modes, byte offsets, in place, workgroup sizes and lowered device
// limits (chunking, 2-D grids, tie-log overflow through configureDevice), each under both dispatch
// schedules (multi-pass and single-pass) — against the CPU reference. Masks must agree bit for bit;
// values bit for bit where docs/family.md says "bit-exact", else within its tolerance for the family
// (alpha: 1 ulp of |a·x| + |b|; Gaussian:
// |x|·σ·6·2^-11; DropBlock: 3 ulp; smooth fused activations: 2^-16 of the magnitude + 2^-20).
//
// The seed is fixed so CI runs the same cases every time; a failure prints the seed and the
// shrunk counterexample. Longer runs (1000 runs take about 4.5 minutes on this project's 2-core
// SwiftShader machine; any seed with FUZZ_SEED=n):
//   FUZZ_RUNS=1000 FUZZ_SEED=7 npx vitest run test/reliability/fuzz.test.ts
import fc from 'fast-check';
import { afterAll, beforeAll, test } from 'vitest';
import {
  dropBlock, dropBlockBackward, dropout, dropoutBackward, fusedDropout, fusedDropoutBackward, gaussianDropout, mcDropout,
  type DropoutMode, type Schedule, type WorkgroupSize,
} from '../../src/index.js';
import { configureDevice, type TestLimits } from '../../src/testing.js';
import { dropBlockCPU, dropBlockGeometry } from '../../src/cpu/dropblock.js';
import { ACTIVATIONS, columnSumsCPU, fusedDropoutBackwardCPU, fusedDropoutCPU, type Activation } from '../../src/cpu/epilogue.js';
import { gaussianDropoutCPU, gaussianSigma } from '../../src/cpu/gaussian.js';
import { mcDropoutCPU } from '../../src/cpu/mc.js';
import { dropoutBackwardCPU, dropoutCPU } from '../../src/cpu/reference.js';
import { alphaConstants } from '../../src/rng/transform.js';
import { DropoutArgumentError } from '../../src/errors.js';
import { requestNodeDevice } from '../../src/node.js';
import { check, checkF32, checkU32 } from '../cases/assert.js';
import { Tracker, testData } from '../cases/env.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);

let device: GPUDevice;
let t: Tracker;
const uncaptured: string[] = [];

beforeAll(async () => {
  device = await requestNodeDevice();
  device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
  t = new Tracker(device);
});

afterAll(() => {
  t?.dispose();
  device?.destroy();
});

const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

// ---- arbitraries -------------------------------------------------------------------------------

const pArb = fc.oneof(
  fc.constantFrom(0, 1, 2 ** -32, 1 - 2 ** -32, 2 ** -33, 0.5, 0.1, 0.9, 0.25),
  fc.double({ min: 0, max: 1, noNaN: true }),
);
const u64Arb = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 64n - 1n, 2n ** 64n - 3n));
const wgArb = fc.constantFrom<WorkgroupSize>(64, 128, 256);
const atArb = fc.constantFrom(0, 0, 4, 16, 260);
const limitsArb = fc.record({
  maxBindingBytes: fc.option(fc.constantFrom(4096, 8192, 65536), { nil: undefined }),
  maxWorkgroupsPerDimension: fc.option(fc.constantFrom(1, 2, 3, 7), { nil: undefined }),
  tieCapacity: fc.option(fc.constantFrom(0, 1, 5), { nil: undefined }),
});
const common = { p: pArb, seed: u64Arb, offset: u64Arb, training: fc.oneof(fc.constant(true), fc.boolean()), workgroupSize: wgArb, limits: limitsArb };
const sizeArb = fc.oneof(fc.integer({ min: 1, max: 40_000 }), fc.constantFrom(1, 3, 4, 5, 31, 32, 33, 1023, 1024, 1025, 4097, 65_537));

/** A shape of rank 1-6 and a noise shape for it (each dimension 1 or the shape's), at most ~60k elements. */
const noiseArb = fc.array(fc.record({ size: fc.integer({ min: 1, max: 24 }), shared: fc.boolean() }), { minLength: 1, maxLength: 6 })
  .filter((dims) => product(dims.map((d) => d.size)) <= 60_000)
  .map((dims) => ({ shape: dims.map((d) => d.size), noiseShape: dims.map((d) => (d.shared ? 1 : d.size)) }));

const specArb = fc.oneof(
  fc.record({ kind: fc.constant('dropout' as const), n: sizeArb, mode: fc.constantFrom<DropoutMode>('inverted', 'legacy', 'alpha'), at: atArb, inPlace: fc.boolean(), withMask: fc.boolean(), ...common }),
  fc.record({ kind: fc.constant('noise' as const), dims: noiseArb, mode: fc.constantFrom<DropoutMode>('inverted', 'legacy', 'alpha'), at: atArb, inPlace: fc.boolean(), ...common }),
  fc.record({ kind: fc.constant('gaussian' as const), n: sizeArb, at: atArb, inPlace: fc.boolean(), ...common, p: pArb.map((p) => Math.min(p, 0.999)) }),
  fc.record({
    kind: fc.constant('dropblock' as const),
    shape: fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 })),
      fc.tuple(fc.constant(1), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 })),
    ).map((s) => [...s]),
    blockSize: fc.integer({ min: 1, max: 11 }),
    ...common,
  }),
  fc.record({ kind: fc.constant('mc' as const), n: fc.integer({ min: 1, max: 12_000 }), samples: fc.integer({ min: 1, max: 9 }), unbiased: fc.boolean(), at: atArb, ...common }),
  fc.record({
    kind: fc.constant('fused' as const), rows: fc.integer({ min: 1, max: 600 }), cols: fc.integer({ min: 1, max: 72 }),
    activation: fc.constantFrom<Activation>(...ACTIVATIONS), residual: fc.boolean(), ...common,
  }),
);

type Spec = typeof specArb extends fc.Arbitrary<infer S> ? S : never;

// ---- checks ------------------------------------------------------------------------------------

function checkClose(actual: Float32Array, expected: Float32Array, tolerance: (i: number) => number, what: string): void {
  for (let i = 0; i < actual.length; i++) {
    const tol = tolerance(i);
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol) && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) {
      throw new Error(`${what}: [${i}] expected ${expected[i]}, got ${actual[i]} (tolerance ${tol})`);
    }
  }
}

/** A buffer holding `data` at byte `at` (sentinel around), and the tensor argument for it. */
function tensor(data: Float32Array | number, at = 0): { buffer: GPUBuffer; arg: { buffer: GPUBuffer; byteOffset: number } } {
  const n = typeof data === 'number' ? data : data.length;
  const buffer = typeof data === 'number' ? t.buffer(at + 4 * n + 32) : t.bufferAt(at + 4 * n + 32, at, data);
  return { buffer, arg: { buffer, byteOffset: at } };
}

async function runDropout(spec: Extract<Spec, { kind: 'dropout' | 'noise' }>): Promise<void> {
  const shapes = spec.kind === 'noise' ? spec.dims : { shape: [spec.n], noiseShape: undefined };
  const n = product(shapes.shape);
  const maskSize = shapes.noiseShape ? product(shapes.noiseShape) : n;
  const key = { p: spec.p, seed: spec.seed, offset: spec.offset, training: spec.training, mode: spec.mode, shape: shapes.shape, noiseShape: shapes.noiseShape, workgroupSize: spec.workgroupSize };
  const x = testData(n, Number(spec.seed % 1000n));
  const xt = tensor(x, spec.at);
  const yt = spec.inPlace ? xt : tensor(n, spec.at);
  const mask = spec.kind === 'noise' || spec.withMask ? t.buffer(4 * Math.ceil(maskSize / 32) + 16) : undefined;
  await dropout(device, { ...key, x: xt.arg, y: yt.arg, mask });
  const ref = dropoutCPU(x, key);
  if (mask) checkU32(await t.u32(mask, Math.ceil(maskSize / 32)), ref.mask, 'mask');
  const y = await t.f32(yt.buffer, n, spec.at);
  if (spec.mode === 'alpha' && spec.training && spec.p > 0 && ref.mask.some((w) => w !== 0)) {
    const { a, bias } = alphaConstants(spec.p);
    checkClose(y, ref.y, (i) => 2 ** -23 * (Math.abs(x[i]! * a) + Math.abs(bias)) + 2 ** -126, 'alpha y');
  } else {
    checkF32(y, ref.y, 'y');
  }
  // Backward, rebuilt from (seed, offset), and from the mask when there is one.
  const dy = testData(n, 7);
  const dyt = tensor(dy, spec.at);
  const dxt = spec.inPlace ? dyt : tensor(n, spec.at);
  await dropoutBackward(device, { ...key, dy: dyt.arg, dx: dxt.arg });
  const expected = dropoutBackwardCPU(dy, key);
  checkF32(await t.f32(dxt.buffer, n, spec.at), expected, 'dx rebuilt');
  if (mask) {
    const dxm = tensor(n);
    await dropoutBackward(device, { ...key, dy: tensor(dy, spec.at).arg, dx: dxm.arg, mask }); // dyt may hold dx now (in place)
    checkF32(await t.f32(dxm.buffer, n), expected, 'dx from the mask');
  }
}

async function runGaussian(spec: Extract<Spec, { kind: 'gaussian' }>): Promise<void> {
  const { n } = spec;
  const key = { n, p: spec.p, seed: spec.seed, offset: spec.offset, training: spec.training, workgroupSize: spec.workgroupSize };
  const x = testData(n, 3);
  const xt = tensor(x, spec.at);
  const yt = spec.inPlace ? xt : tensor(n, spec.at);
  await gaussianDropout(device, { ...key, x: xt.arg, y: yt.arg });
  const ref = gaussianDropoutCPU(x, key);
  const sigma = gaussianSigma(spec.p);
  checkClose(await t.f32(yt.buffer, n, spec.at), ref, (i) => Math.abs(x[i]!) * sigma * 6 * 2 ** -11 + 4 * 2 ** -24 * Math.abs(ref[i]!) + 2 ** -126, 'gaussian y');
}

async function runDropBlock(spec: Extract<Spec, { kind: 'dropblock' }>): Promise<void> {
  const dims = spec.shape.length === 5 ? 3 : 2;
  const spatial = spec.shape.slice(2);
  fc.pre(Math.min(spec.blockSize, ...spatial) % 2 === 1); // torchvision needs an odd effective size
  const n = dropBlockGeometry(spec.shape, spec.p, spec.blockSize, dims).numel;
  const key = { shape: spec.shape, p: spec.p, blockSize: spec.blockSize, seed: spec.seed, offset: spec.offset, training: spec.training, workgroupSize: spec.workgroupSize };
  const x = testData(n, 5).map((v) => v || 1);
  const xt = tensor(x);
  const yt = tensor(n);
  const mask = t.buffer(4 * Math.ceil(n / 32) + 16);
  await dropBlock(device, { ...key, x: xt.arg, y: yt.arg, mask });
  const ref = dropBlockCPU(x, key);
  checkU32(await t.u32(mask, Math.ceil(n / 32)), ref.mask, 'block mask');
  const y = await t.f32(yt.buffer, n);
  checkClose(y, ref.y, (i) => 3 * 2 ** -23 * Math.abs(ref.y[i]!), 'dropblock y');
  const dxt = tensor(n);
  await dropBlockBackward(device, { ...key, dy: xt.arg, dx: dxt.arg });
  checkF32(await t.f32(dxt.buffer, n), y, 'dropblock backward (rebuilt) with dy = x equals the forward');
}

async function runMc(spec: Extract<Spec, { kind: 'mc' }>): Promise<void> {
  const { n, samples } = spec;
  const unbiased = spec.unbiased && samples >= 2;
  const key = { n, p: spec.p, samples, unbiased, seed: spec.seed, offset: spec.offset, workgroupSize: spec.workgroupSize };
  const x = testData(n, 9);
  const xt = tensor(x, spec.at);
  const out = tensor(n * samples, spec.at);
  const mean = tensor(n);
  const variance = tensor(n, spec.at);
  await mcDropout(device, { ...key, x: xt.arg, out: out.arg, mean: mean.arg, variance: variance.arg });
  const ref = mcDropoutCPU(x, key);
  checkF32(await t.f32(out.buffer, n * samples, spec.at), ref.samples, 'mc samples');
  checkF32(await t.f32(mean.buffer, n), ref.mean, 'mc mean');
  checkF32(await t.f32(variance.buffer, n, spec.at), ref.variance, 'mc variance');
}

async function runFused(spec: Extract<Spec, { kind: 'fused' }>): Promise<void> {
  const { rows, cols, activation } = spec;
  const n = rows * cols;
  const shape = [rows, cols];
  const key = { shape, activation, p: spec.p, seed: spec.seed, offset: spec.offset, training: spec.training, workgroupSize: spec.workgroupSize };
  const x = testData(n, 11).map((v) => v % 8);
  const bias = testData(cols, 12).map((v) => v % 2);
  const residual = spec.residual ? testData(n, 13).map((v) => v % 4) : null;
  const dy = testData(n, 14).map((v) => v % 3);
  const xt = tensor(x);
  const yt = tensor(n);
  const mask = t.buffer(4 * Math.ceil(n / 32) + 16);
  const bt = tensor(bias);
  await fusedDropout(device, { ...key, x: xt.arg, bias: bt.arg, residual: residual ? tensor(residual).arg : undefined, y: yt.arg, mask });
  const ref = fusedDropoutCPU(x, bias, residual, key);
  checkU32(await t.u32(mask, Math.ceil(n / 32)), ref.mask, 'fused mask');
  const exact = activation === 'none' || activation === 'relu';
  const y = await t.f32(yt.buffer, n);
  if (exact) checkF32(y, ref.y, 'fused y');
  else checkClose(y, ref.y, (i) => 2 ** -16 * (Math.abs(ref.y[i]!) + Math.abs(residual?.[i] ?? 0) + 1) + 2 ** -20, 'fused y');
  const dxt = tensor(n);
  const dbias = tensor(cols);
  await fusedDropoutBackward(device, { ...key, dy: tensor(dy).arg, x: xt.arg, bias: bt.arg, dx: dxt.arg, dbias: dbias.arg });
  const refBack = fusedDropoutBackwardCPU(dy, x, bias, key);
  const dx = await t.f32(dxt.buffer, n);
  if (exact) checkF32(dx, refBack.dx, 'fused dx');
  else {
    // |act'| <= 1.2 for these activations; the kept gradient is dy · scale · act'(x + b).
    const scale = 1 / (1 - Math.min(spec.p, 1 - 2 ** -32));
    checkClose(dx, refBack.dx, (i) => 2 ** -16 * Math.abs(dy[i]!) * scale * 1.2 + 2 ** -20, 'fused dx');
  }
  checkF32(await t.f32(dbias.buffer, cols), columnSumsCPU(dx, rows, cols), 'dbias: fixed-order sums of the GPU dx');
}

async function runSpec(spec: Spec, schedule: Schedule): Promise<void> {
  const align = device.limits.minStorageBufferOffsetAlignment;
  const limits: TestLimits = {
    ...(spec.limits.maxBindingBytes ? { maxBindingBytes: spec.limits.maxBindingBytes + align } : {}),
    ...(spec.limits.maxWorkgroupsPerDimension ? { maxWorkgroupsPerDimension: spec.limits.maxWorkgroupsPerDimension } : {}),
    ...(spec.limits.tieCapacity !== undefined ? { tieCapacity: spec.limits.tieCapacity } : {}),
    schedule,
  };
  configureDevice(device, limits);
  try {
    switch (spec.kind) {
      case 'dropout': case 'noise': return await runDropout(spec);
      case 'gaussian': return await runGaussian(spec);
      case 'dropblock': return await runDropBlock(spec);
      case 'mc': return await runMc(spec);
      case 'fused': return await runFused(spec);
    }
  } finally {
    configureDevice(device, { schedule: 'auto' });
    t.dispose(); // buffers of this run; the device stays
  }
}

/** runSpec, where the documented refusals under the lowered test limits pass. */
async function runOrRefuse(spec: Spec, schedule: Schedule): Promise<void> {
  try {
    await runSpec(spec, schedule);
  } catch (error) {
    if (fc.PreconditionFailure.isFailure(error)) throw error;
    // Documented refusals under the lowered test limits, not failures of the property: Monte
    // Carlo dropout needs each buffer in one binding (docs/guide.md), and dbias needs 256 rows of dx
    // in one binding (a few KiB here; 131,071 columns at WebGPU's smallest default limit).
    const refused = error instanceof DropoutArgumentError
      && ((spec.kind === 'mc' && error.message.includes('for Monte Carlo dropout')) || (spec.kind === 'fused' && error.message.includes('for the bias gradient')));
    if (refused && spec.limits.maxBindingBytes !== undefined) return;
    throw error;
  }
}

test(`fuzz: ${RUNS} random calls of every kernel (seed ${SEED}) equal the CPU reference — masks bit-exact, values within the documented tolerance (~${Math.ceil(10 + RUNS * 0.6)} s)`, async () => {
  const seen = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(specArb, async (spec) => {
      seen.set(spec.kind, (seen.get(spec.kind) ?? 0) + 1);
      // Every spec under both schedules: the results must not depend on the schedule.
      for (const schedule of ['multi-pass', 'single-pass'] as const) await runOrRefuse(spec, schedule);
      check(uncaptured.length === 0, `uncaptured WebGPU errors: ${uncaptured.join('\n')}`);
    }),
    {
      seed: SEED, numRuns: RUNS, endOnFailure: false,
      // Counterexamples found by longer runs, kept as regressions (run first, every time).
      examples: [
        // FUZZ_SEED=7: DropBlock with 0 < p < 2^-33 copied x on the GPU (threshold 0) but scaled
        // by numel / (eps + numel) on the CPU, as torchvision does for any p != 0.
        [{ kind: 'dropblock', shape: [1, 1, 1, 1, 1], blockSize: 1, p: 5e-324, seed: 0n, offset: 0n, training: true, workgroupSize: 64, limits: { maxBindingBytes: undefined, maxWorkgroupsPerDimension: undefined, tieCapacity: undefined } }],
      ],
    },
  );
  console.log(`fuzz: ${RUNS} runs, seed ${SEED}, by kernel: ${JSON.stringify(Object.fromEntries(seen))}`);
}, 60 * 60_000);
