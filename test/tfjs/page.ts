// The TensorFlow.js integration suite, run in headless Chrome by test/tfjs/run.mjs against the
// built bundle ('webgpu-dropout/tfjs' → dist/tfjs.js). GPU values are compared bit for bit with
// the CPU reference (flushed subnormals allowed); each case is reported by name.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { dropout, dropoutStats, generatorFor, layers, philoxSeed, Dropout, SpatialDropout1D, SpatialDropout2D, DropoutArgumentError } from 'webgpu-dropout/tfjs';
import { deviceStats } from 'webgpu-dropout';
import { configureDevice } from 'webgpu-dropout/testing';
import { applyMaskCPU, dropoutCPU, dropoutBackwardCPU, keepMask, maskIndices } from 'webgpu-dropout/cpu';
import { check, checkEqual, checkF32, checkThrows } from '../cases/assert.js';
import { testData } from '../cases/env.js';

interface Report { name: string; status: 'passed' | 'failed' | 'skipped'; ms: number; detail?: string }
declare global {
  interface Window {
    tfjsReportCase(report: Report): Promise<void>;
    tfjsReportDone(summary: { passed: number; failed: number; skipped: number; adapter: string }): Promise<void>;
  }
}

class Skip extends Error {}

interface TfCase {
  name: string;
  backend: 'webgpu' | 'cpu' | 'webgl' | 'wasm';
  run(): Promise<void>;
}

/** tfjs-backend-webgpu's internals that the checks look at. */
interface Internals {
  device: GPUDevice;
  tensorMap: { get(id: object): { resource: unknown } | undefined };
  bufferManager: { numBytesAllocated: number; numBytesUsed: number };
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: GPUCommandEncoder | null;
}

const internals = (): Internals => tf.backend() as unknown as Internals;
const log = document.getElementById('log')!;
const uncaptured: string[] = [];

async function useBackend(name: TfCase['backend']): Promise<void> {
  if (tf.getBackend() === name) return;
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new Skip(`backend ${name} did not initialize: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!ok) throw new Skip(`backend ${name} did not initialize under this browser`);
  await tf.ready();
  if (name === 'webgpu') {
    const device = internals().device;
    if (!watched.has(device)) {
      watched.add(device);
      device.addEventListener('uncapturederror', (event) => uncaptured.push((event as GPUUncapturedErrorEvent).error.message));
    }
  }
}
const watched = new WeakSet<GPUDevice>();

/** Submits tfjs's pending work and waits for the GPU (webgpu backend). */
async function settle(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const b = internals();
  b.endComputePassEncoder();
  if (b.commandEncoder) b.submitQueue();
  await b.device.queue.onSubmittedWorkDone();
}

async function values(t: tf.Tensor): Promise<Float32Array> {
  const data = await t.data();
  check(data instanceof Float32Array, `expected float32 data, got ${data.constructor.name}`);
  return data as Float32Array;
}

const key = (seed: number, offset: number) => ({ seed: BigInt(seed), offset: BigInt(offset) });

/** Our op with a pinned draw against dropoutCPU, forward and backward. */
/** The packed mask over the elements of `shape` for a draw over `noiseShape` (any rank). */
function elementMask(shape: number[], noiseShape: number[], p: number, drawKey: { seed: bigint; offset: bigint }): Uint32Array {
  const indices = maskIndices(shape, noiseShape);
  const bits = keepMask(drawKey, p, noiseShape.reduce((a, b) => a * b, 1));
  const out = new Uint32Array(Math.ceil(indices.length / 32));
  indices.forEach((m, e) => { if ((bits[m >>> 5]! >>> (m & 31)) & 1) out[e >>> 5]! |= 1 << (e & 31); });
  return out;
}

async function checkOp(shape: number[], p: number, seed: number, offset: number, noiseShape?: (number | null)[], salt = 1, webgpuPath: 'gpu' | 'fallback' = 'gpu'): Promise<void> {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = testData(n, salt);
  const dyData = testData(n, salt + 100);
  const padded = noiseShape && [...new Array<number>(shape.length - noiseShape.length).fill(1), ...noiseShape];
  const resolved = padded?.map((d, i) => d ?? shape[i]!);
  const ref = { p, ...key(seed, offset), ...(resolved ? { shape, noiseShape: resolved } : {}) };
  // The CPU reference takes shapes of rank <= 8; above, its mask is expanded by maskIndices.
  const expanded = resolved && shape.length > 8 ? elementMask(shape, resolved, p, key(seed, offset)) : null;
  const expected = expanded ? applyMaskCPU(data, expanded, p) : dropoutCPU(data, ref).y;
  const expectedDx = expanded ? applyMaskCPU(dyData, expanded, p) : dropoutBackwardCPU(dyData, ref);
  const x = tf.tensor(data, shape);
  const dy = tf.tensor(dyData, shape);
  const before = dropoutStats();
  const y = dropout(x, p, { noiseShape, seed, offset });
  const dx = tf.grad((v: tf.Tensor) => dropout(v, p, { noiseShape, seed, offset }))(x, dy);
  const after = dropoutStats();
  const what = `shape [${shape}] p ${p} (${seed}, ${offset})${noiseShape ? ` noise [${noiseShape}]` : ''} on ${tf.getBackend()}`;
  checkF32(await values(y), expected, `forward ${what}`);
  checkF32(await values(dx), expectedDx, `gradient ${what}`);
  const path = tf.getBackend() === 'webgpu' ? webgpuPath : 'fallback';
  checkEqual(after[path] - before[path], 3, `draws on the ${path} path (forward, forward under tf.grad, backward)`);
  tf.dispose([x, dy, y, dx]);
}

async function countTensorsAround(body: () => Promise<void>, what: string): Promise<void> {
  const before = tf.memory().numTensors;
  await body();
  checkEqual(tf.memory().numTensors, before, `${what}: live tensors after the case`);
}

/** Deterministic two-class data: points in R^d, the class is the sign of a fixed linear form (plus a margin). */
function blobs(count: number, d: number): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const x = new Float32Array(count * d);
  const y = new Float32Array(count * 2);
  let state = 12345;
  const rand = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  for (let i = 0; i < count; i++) {
    let dot = 0;
    for (let j = 0; j < d; j++) {
      const v = rand();
      x[i * d + j] = v;
      dot += v * (j % 3 === 0 ? 1 : -0.5);
    }
    y[i * 2 + (dot > 0 ? 1 : 0)] = 1;
  }
  return { xs: tf.tensor2d(x, [count, d]), ys: tf.tensor2d(y, [count, 2]) };
}

function disposeModel(model: tfl.LayersModel): void {
  model.optimizer?.dispose();
  model.dispose();
}

function mlp(dropoutLayer: tfl.layers.Layer, inputs = 20): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 32, activation: 'relu', inputShape: [inputs] }),
      dropoutLayer,
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

function opCases(backend: TfCase['backend']): TfCase[] {
  return [
    {
      name: `op on ${backend}: element-wise forward and tf.grad backward match the CPU reference bit for bit`,
      backend,
      run: async () => {
        for (const [shape, p, seed, offset] of [
          [[1000], 0.1, 42, 0], [[64, 256], 0.5, 7, 3], [[3, 5, 7], 0.3, 1, 2 ** 40], [[4096 * 3 + 5], 0.25, 2 ** 53 - 1, 9], [[2, 2], 0.9, 0, 0],
        ] as [number[], number, number, number][]) {
          await checkOp(shape, p, seed, offset);
        }
      },
    },
    {
      name: `op on ${backend}: noise shapes (same rank with nulls, shorter ranks) match the CPU reference`,
      backend,
      run: async () => {
        await checkOp([8, 16, 32], 0.3, 5, 1, [8, 1, 32]);
        await checkOp([8, 16, 32], 0.5, 5, 2, [null, 1, null]);
        await checkOp([8, 16, 33], 0.1, 6, 3, [1, 16, 1]);
        await checkOp([4, 6, 10], 0.4, 8, 4, [6, 10]); // aligned right: [1, 6, 10]
        await checkOp([4, 6, 10], 0.4, 8, 5, [1]); // one value for the whole tensor
        await checkOp([4, 6, 10], 0.2, 9, 6, [4, 6, 10]); // equal to the shape: element-wise
        await checkOp([2, 3, 4, 5], 0.3, 10, 7, [2, 1, 4, 1]); // collapsed rank 4
        await checkOp([2, 3, 2, 3, 2, 4], 0.3, 10, 8, [2, 1, 2, 1, 2, 1]); // collapsed rank 6
      },
    },
    {
      // Regression: a collapsed noise shape of more than 8 dimensions overran the broadcast
      // kernel's uniforms on webgpu (128 of 512 values wrong at rank 9); it now takes the portable path.
      name: `op on ${backend}: noise shapes that collapse to more than 8 dimensions match the CPU reference`,
      backend,
      run: async () => {
        await checkOp([2, 2, 2, 2, 2, 2, 2, 2, 2], 0.5, 3, 1, [2, 1, 2, 1, 2, 1, 2, 1, 2], 1, 'fallback');
        await checkOp([2, 3, 2, 3, 2, 3, 2, 3, 2, 3], 0.5, 3, 2, [2, 1, 2, 1, 2, 1, 2, 1, 2, 1], 2, 'fallback');
        await checkOp([2, 2, 2, 2, 2, 2, 2, 2, 3, 3], 0.5, 3, 3, [2, 1, 2, 1, 2, 1, 2, 1, 1, 1]); // collapses to 8: the kernels
      },
    },
  ];
}

const webgpuCases: TfCase[] = [
  ...opCases('webgpu'),
  {
    name: 'op on webgpu: NaN, ±Inf, -0 and subnormals (dropped → +0, kept scaled)',
    backend: 'webgpu',
    run: async () => {
      const special = [NaN, Infinity, -Infinity, -0, 0, 1e-40, -1e-40, 3.4e38, -3.4e38, 1, -1, 2 ** -126];
      const data = new Float32Array(4096).map((_, i) => special[i % special.length]!);
      const x = tf.tensor(data);
      const y = dropout(x, 0.5, { seed: 3, offset: 11 });
      checkF32(await values(y), dropoutCPU(data, { p: 0.5, ...key(3, 11) }).y, 'special values');
      tf.dispose([x, y]);
    },
  },
  {
    name: 'op on webgpu: zero-copy — no buffer created and no copy recorded once the pool is warm; output owned by tfjs',
    backend: 'webgpu',
    run: async () => {
      const b = internals();
      const x = tf.tensor(testData(1 << 16, 5), [256, 256]);
      tf.dispose(dropout(x, 0.5, { seed: 1, offset: 0 })); // warm: pipelines, pooled output and uniforms
      await settle();
      const device = b.device;
      const created: number[] = [];
      const copies: number[] = [];
      const createBuffer = device.createBuffer.bind(device);
      const copy = GPUCommandEncoder.prototype.copyBufferToBuffer;
      device.createBuffer = (descriptor: GPUBufferDescriptor) => { created.push(descriptor.size); return createBuffer(descriptor); };
      GPUCommandEncoder.prototype.copyBufferToBuffer = function (this: GPUCommandEncoder, ...args: unknown[]) {
        copies.push(1);
        return (copy as (...a: unknown[]) => void).apply(this, args);
      } as typeof copy;
      let y: tf.Tensor;
      let inputBuffer: unknown;
      try {
        inputBuffer = b.tensorMap.get(x.dataId)?.resource;
        y = dropout(x, 0.5, { seed: 1, offset: 1 });
      } finally {
        device.createBuffer = createBuffer;
        GPUCommandEncoder.prototype.copyBufferToBuffer = copy;
      }
      checkEqual(created.length, 0, `buffers created by a warm forward (sizes ${created.join(', ')})`);
      checkEqual(copies.length, 0, 'copyBufferToBuffer calls recorded by a forward');
      const output = b.tensorMap.get(y.dataId)?.resource;
      check(output instanceof GPUBuffer && output !== inputBuffer, 'the output lives in its own GPUBuffer of the backend');
      check(b.tensorMap.get(x.dataId)?.resource === inputBuffer, 'the input keeps its buffer (read in place)');
      checkF32(await values(y), dropoutCPU(testData(1 << 16, 5), { p: 0.5, ...key(1, 1) }).y, 'zero-copy output');
      tf.dispose([x, y]);
    },
  },
  {
    name: 'op on webgpu: ordered after tfjs kernels still pending in its pass and before those that read it (across submit batches)',
    backend: 'webgpu',
    run: async () => {
      const n = 5000;
      const data = testData(n, 9);
      let expectedIn = data;
      let a = tf.tensor(data);
      const one = tf.scalar(1);
      for (let i = 0; i < 20; i++) { // more dispatches than one submit batch (15)
        const next = tf.add(a, one);
        a.dispose();
        a = next;
        expectedIn = expectedIn.map((v) => Math.fround(v + 1));
      }
      const y = dropout(a, 0.3, { seed: 4, offset: 4 });
      const two = tf.scalar(2);
      const z = tf.mul(y, two);
      const expected = dropoutCPU(expectedIn, { p: 0.3, ...key(4, 4) }).y.map((v) => v * 2);
      checkF32(await values(z), expected, 'add×20 → dropout → mul');
      tf.dispose([a, y, z, one, two]);
    },
  },
  {
    name: 'op on webgpu: chunked bindings, 2-D grids and the tie-log overflow (device limits lowered) still match',
    backend: 'webgpu',
    run: async () => {
      const device = internals().device;
      try {
        configureDevice(device, { maxBindingBytes: 4096 * 4 + device.limits.minStorageBufferOffsetAlignment, maxWorkgroupsPerDimension: 3, tieCapacity: 0 });
        await checkOp([10 * 1024 + 7], 0.1, 12, 1);
        await checkOp([6, 1024 * 3 + 4], 0.1, 12, 2, [6, 1]);
      } finally {
        configureDevice(device, {});
      }
    },
  },
  {
    name: 'op on webgpu: kernels that cannot be prepared fall back to the portable path (warned once), then the GPU path works',
    backend: 'webgpu',
    run: async () => {
      // Collapsed rank 6 with scalar access (729 elements) and an innermost size of 3: a broadcast
      // variant no other case compiles, so its pipeline is created (and refused) here.
      const shape = [3, 3, 3, 3, 3, 3];
      const noiseShape = [3, 1, 3, 1, 3, 1];
      const data = testData(729, 12);
      const expected = dropoutCPU(data, { p: 0.3, ...key(13, 1), shape, noiseShape }).y;
      const device = internals().device;
      const create = device.createComputePipeline;
      const warn = console.warn;
      const warnings: string[] = [];
      const x = tf.tensor(data, shape);
      const before = dropoutStats();
      let y: tf.Tensor;
      let refused = 0;
      // Refuse our broadcast pipelines only (the fallback's tfjs kernels compile pipelines too).
      device.createComputePipeline = (descriptor: GPUComputePipelineDescriptor) => {
        if (descriptor.label?.startsWith('broadcast:')) {
          refused++;
          throw new Error('test: pipeline creation refused');
        }
        return create.call(device, descriptor);
      };
      console.warn = (...args: unknown[]) => { warnings.push(args.map(String).join(' ')); };
      try {
        y = dropout(x, 0.3, { noiseShape, seed: 13, offset: 1 });
      } finally {
        device.createComputePipeline = create;
        console.warn = warn;
      }
      const after = dropoutStats();
      check(refused > 0, 'the broadcast pipeline was not already compiled (pick a variant no other case uses)');
      checkEqual(after.fallback - before.fallback, 1, 'draws on the fallback path');
      checkEqual(after.gpu - before.gpu, 0, 'draws on the GPU path');
      check(warnings.some((w) => w.includes('test: pipeline creation refused')), `a warning names the cause: ${warnings.join(' | ')}`);
      checkF32(await values(y), expected, 'fallback values');
      const again = dropout(x, 0.3, { noiseShape, seed: 13, offset: 1 });
      checkEqual(dropoutStats().gpu - after.gpu, 1, 'the next call runs on the GPU');
      checkF32(await values(again), expected, 'GPU values (collapsed rank 6)');
      tf.dispose([x, y, again]);
    },
  },
  {
    name: 'op on webgpu: the positional tf.dropout form draws fresh offsets from the seed\'s generator',
    backend: 'webgpu',
    run: async () => {
      const data = testData(2048, 2);
      const x = tf.tensor(data, [32, 64]);
      const gen = generatorFor(1234);
      const first = gen.offset;
      const y1 = dropout(x, 0.4, null, 1234);
      const y2 = dropout(x, 0.4, [null, 1], 1234);
      checkEqual(gen.offset, first + 2n, 'offsets consumed');
      checkF32(await values(y1), dropoutCPU(data, { p: 0.4, seed: philoxSeed(1234), offset: first }).y, 'first draw');
      checkF32(await values(y2), dropoutCPU(data, { p: 0.4, seed: 1234n, offset: first + 1n, shape: [32, 64], noiseShape: [32, 1] }).y, 'second draw');
      const s = dropout(x, 0.4, { seed: 'my-run', offset: 0 });
      checkF32(await values(s), dropoutCPU(data, { p: 0.4, seed: philoxSeed('my-run'), offset: 0n }).y, 'string seed');
      tf.dispose([x, y1, y2, s]);
    },
  },
  {
    name: 'op on webgpu: rate 0 and empty tensors return copies; typed errors for bad arguments',
    backend: 'webgpu',
    run: async () => {
      const x = tf.tensor([1, 2, 3, 4]);
      const same = dropout(x, 0);
      check(same !== x, 'rate 0 returns a new tensor');
      checkF32(await values(same), new Float32Array([1, 2, 3, 4]), 'rate 0');
      const nothing = tf.zeros([0, 3]);
      const empty = dropout(nothing, 0.5);
      checkEqual(empty.size, 0, 'empty size');
      for (const rate of [1, -0.1, NaN, '0.5' as unknown as number]) {
        await checkThrows(() => dropout(x, rate), { code: 'INVALID_ARGUMENT', argument: 'rate' }, `rate ${String(rate)}`);
      }
      const ints = tf.tensor([1, 2], [2], 'int32');
      const ones = tf.ones([4, 5]);
      await checkThrows(() => dropout(ints, 0.5), { code: 'INVALID_ARGUMENT', argument: 'x.dtype' }, 'int32 input');
      await checkThrows(() => dropout(ones, 0.5, [3, 1]), { code: 'INVALID_ARGUMENT', argument: 'noiseShape[0]' }, 'noise dimension 3 of 4');
      await checkThrows(() => dropout(ones, 0.5, [1, 1, 1]), { code: 'INVALID_ARGUMENT', argument: 'noiseShape' }, 'noise rank too high');
      await checkThrows(() => dropout(x, 0.5, null, NaN), { code: 'INVALID_ARGUMENT', argument: 'seed' }, 'NaN seed');
      await checkThrows(() => new Dropout({ rate: 'half' as unknown as number }), { code: 'INVALID_ARGUMENT', argument: 'rate' }, 'layer rate');
      await checkThrows(() => new SpatialDropout2D({ rate: 0.1, dataFormat: 'nchw' as 'channelsFirst' }), { code: 'INVALID_ARGUMENT', argument: 'dataFormat' }, 'dataFormat');
      const error = await checkThrows(() => dropout(x, 2), { code: 'INVALID_ARGUMENT', argument: 'rate' }, 'rate 2');
      check(error instanceof DropoutArgumentError && error.value === 2 && error.allowed.includes('[0, 1)'), 'error carries value and allowed');
      tf.dispose([x, same, nothing, empty, ints, ones]);
    },
  },
  {
    name: 'layer on webgpu: training calls draw consecutive offsets of the layer\'s seed; inference is the identity',
    backend: 'webgpu',
    run: async () => {
      const data = testData(16 * 40, 3);
      const x = tf.tensor(data, [16, 40]);
      const layer = layers.dropout({ rate: 0.3, seed: 77 });
      const y0 = layer.apply(x, { training: true }) as tf.Tensor;
      const y1 = layer.apply(x, { training: true }) as tf.Tensor;
      checkF32(await values(y0), dropoutCPU(data, { p: 0.3, ...key(77, 0) }).y, 'first training call');
      checkF32(await values(y1), dropoutCPU(data, { p: 0.3, ...key(77, 1) }).y, 'second training call');
      // Layer.apply clones an output that is its input (tfjs-layers' own Dropout returns the same).
      const inferred = [layer.apply(x) as tf.Tensor, layer.apply(x, { training: false }) as tf.Tensor];
      for (const y of inferred) checkF32(await values(y), data, 'inference: the input values');
      const noise = new Dropout({ rate: 0.5, seed: 5, noiseShape: [null, 1] });
      const yn = noise.apply(x, { training: true }) as tf.Tensor;
      checkF32(await values(yn), dropoutCPU(data, { p: 0.5, ...key(5, 0), shape: [16, 40], noiseShape: [16, 1] }).y, 'noiseShape [null, 1]');
      const model = mlp(layers.dropout({ rate: 0.5 }), 40);
      const viaModel = model.predict(x) as tf.Tensor;
      const reference = mlp(tfl.layers.dropout({ rate: 0.5 }), 40);
      reference.setWeights(model.getWeights());
      const viaReference = reference.predict(x) as tf.Tensor;
      checkF32(await values(viaModel), await values(viaReference), 'predict equals tf.layers.dropout model (identity)');
      tf.dispose([x, y0, y1, yn, viaModel, viaReference, ...inferred]);
      disposeModel(model);
      disposeModel(reference);
    },
  },
  {
    name: 'layer on webgpu: spatialDropout1d, spatialDropout2d (channelsLast, channelsFirst) share the mask like Keras',
    backend: 'webgpu',
    run: async () => {
      const d1 = testData(4 * 10 * 8, 4);
      const x1 = tf.tensor(d1, [4, 10, 8]);
      const s1 = new SpatialDropout1D({ rate: 0.4, seed: 21 });
      const y1 = s1.apply(x1, { training: true }) as tf.Tensor;
      checkF32(await values(y1), dropoutCPU(d1, { p: 0.4, ...key(21, 0), shape: [4, 10, 8], noiseShape: [4, 1, 8] }).y, 'spatialDropout1d');
      const d2 = testData(2 * 6 * 5 * 12, 6);
      const x2 = tf.tensor(d2, [2, 6, 5, 12]);
      const last = layers.spatialDropout2d({ rate: 0.25, seed: 22 });
      const y2 = last.apply(x2, { training: true }) as tf.Tensor;
      checkF32(await values(y2), dropoutCPU(d2, { p: 0.25, ...key(22, 0), shape: [2, 6, 5, 12], noiseShape: [2, 1, 1, 12] }).y, 'spatialDropout2d channelsLast');
      const first = layers.spatialDropout2d({ rate: 0.25, seed: 23, dataFormat: 'channelsFirst' });
      const y3 = first.apply(x2, { training: true }) as tf.Tensor;
      checkF32(await values(y3), dropoutCPU(d2, { p: 0.25, ...key(23, 0), shape: [2, 6, 5, 12], noiseShape: [2, 6, 1, 1] }).y, 'spatialDropout2d channelsFirst');
      tf.dispose([x1, y1, x2, y2, y3]);
    },
  },
  {
    name: 'model.fit on webgpu: a small classifier with our dropout trains (loss falls); spatial layers train in a conv net',
    backend: 'webgpu',
    run: async () => {
      const { xs, ys } = blobs(256, 20);
      const model = mlp(layers.dropout({ rate: 0.2, seed: 1 }));
      const before = dropoutStats().gpu;
      const history = await model.fit(xs, ys, { epochs: 30, batchSize: 64, verbose: 0 });
      const losses = history.history.loss as number[];
      check(losses.at(-1)! < 0.6 * losses[0]!, `loss should fall: ${losses[0]} → ${losses.at(-1)}`);
      checkEqual(dropoutStats().gpu - before, 30 * 4 * 2, 'fused draws (forward + backward per step)');
      const conv = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
          layers.spatialDropout2d({ rate: 0.2 }),
          tfl.layers.reshape({ targetShape: [36, 4] }),
          layers.spatialDropout1d({ rate: 0.2 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      conv.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      const images = tf.tidy(() => tf.reshape(tf.tile(tf.slice(xs, [0, 0], [256, 16]), [1, 4]), [256, 8, 8, 1]));
      const convHistory = await conv.fit(images, ys, { epochs: 6, batchSize: 64, verbose: 0 });
      const convLosses = convHistory.history.loss as number[];
      check(convLosses.at(-1)! < convLosses[0]!, `conv loss should fall: ${convLosses[0]} → ${convLosses.at(-1)}`);
      tf.dispose([xs, ys, images]);
      disposeModel(model);
      disposeModel(conv);
    },
  },
  {
    name: 'memory on webgpu: 200 model.fit steps leave tensors, tfjs GPU bytes and our buffers unchanged',
    backend: 'webgpu',
    run: async () => {
      const { xs, ys } = blobs(400, 20);
      const model = mlp(layers.dropout({ rate: 0.3 }));
      // Warm-up: optimizer slots, pipelines, and tfjs's buffer pool, which (with tf.layers.dropout
      // too) grows by a few buffers at the first epoch boundaries of a multi-epoch fit.
      await model.fit(xs, ys, { epochs: 3, batchSize: 20, verbose: 0 });
      await settle();
      const b = internals();
      const before = { tensors: tf.memory().numTensors, used: b.bufferManager.numBytesUsed, allocated: b.bufferManager.numBytesAllocated, ours: deviceStats(b.device).liveBuffers };
      const draws = dropoutStats().gpu;
      await model.fit(xs, ys, { epochs: 10, batchSize: 20, verbose: 0 }); // 10 × 20 = 200 steps
      await settle();
      const after = { tensors: tf.memory().numTensors, used: b.bufferManager.numBytesUsed, allocated: b.bufferManager.numBytesAllocated, ours: deviceStats(b.device).liveBuffers };
      checkEqual(dropoutStats().gpu - draws, 400, 'fused draws in 200 steps');
      checkEqual(after.tensors, before.tensors, 'tf.memory().numTensors');
      checkEqual(after.used, before.used, 'tfjs GPU bytes in use');
      checkEqual(after.allocated, before.allocated, 'tfjs GPU bytes allocated (pool did not grow)');
      checkEqual(after.ours, before.ours, 'webgpu-dropout buffers on the device');
      tf.dispose([xs, ys]);
      disposeModel(model);
    },
  },
  {
    name: 'save/load on webgpu: models with our layers round-trip (withSaveHandler and localstorage://), configs and predictions equal',
    backend: 'webgpu',
    run: async () => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.inputLayer({ inputShape: [4, 4, 3] }),
          layers.spatialDropout2d({ rate: 0.1, seed: 3, dataFormat: 'channelsFirst' }),
          tfl.layers.reshape({ targetShape: [16, 3] }),
          layers.spatialDropout1d({ rate: 0.2, seed: 4 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 8 }),
          layers.dropout({ rate: 0.3, seed: 5, noiseShape: [null, 8] }),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      let saved: tf.io.ModelArtifacts | null = null;
      await model.save(tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      check(saved !== null, 'artifacts saved');
      const topology = JSON.stringify((saved as tf.io.ModelArtifacts).modelTopology);
      for (const name of ['WebGPUDropout', 'WebGPUSpatialDropout1D', 'WebGPUSpatialDropout2D']) check(topology.includes(`"${name}"`), `topology names ${name}`);
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      await model.save('localstorage://webgpu-dropout-test');
      const fromStorage = await tfl.loadLayersModel('localstorage://webgpu-dropout-test');
      await tf.io.removeModel('localstorage://webgpu-dropout-test');
      const x = tf.tensor(testData(2 * 48, 8), [2, 4, 4, 3]);
      const expected = model.predict(x) as tf.Tensor;
      for (const other of [loaded, fromStorage]) {
        const [a, b] = [model.layers, other.layers];
        checkEqual(b.length, a.length, 'layer count');
        a.forEach((layer, i) => {
          checkEqual(b[i]!.getClassName(), layer.getClassName(), `layer ${i} class`);
          checkEqual(JSON.stringify(b[i]!.getConfig()), JSON.stringify(layer.getConfig()), `layer ${i} config`);
        });
        const kinds = b.map((l) => (l instanceof SpatialDropout2D ? '2d' : l instanceof SpatialDropout1D ? '1d' : l instanceof Dropout ? 'dropout' : '-')).join(',');
        checkEqual(kinds, '-,2d,-,1d,-,-,dropout,-', 'our classes rebuilt in place (after the input layer)');
        const y = other.predict(x) as tf.Tensor;
        checkF32(await values(y), await values(expected), 'predictions');
        y.dispose();
        other.dispose();
      }
      tf.dispose([x, expected]);
      model.dispose();
    },
  },
];

function fallbackCases(backend: 'cpu' | 'webgl' | 'wasm'): TfCase[] {
  return [
    ...opCases(backend),
    {
      name: `layer on ${backend}: training draws match the CPU reference; model.fit trains with stable memory`,
      backend,
      run: async () => {
        const data = testData(8 * 24, 11);
        const x = tf.tensor(data, [8, 24]);
        const layer = layers.dropout({ rate: 0.5, seed: 31, noiseShape: [null, 24] });
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        checkF32(await values(y), dropoutCPU(data, { p: 0.5, ...key(31, 0) }).y, 'layer training call');
        tf.dispose([x, y]);
        const { xs, ys } = blobs(128, 20);
        const model = mlp(layers.dropout({ rate: 0.2 }));
        const history = await model.fit(xs, ys, { epochs: 2, batchSize: 32, verbose: 0 });
        const tensors = tf.memory().numTensors;
        const more = await model.fit(xs, ys, { epochs: 20, batchSize: 32, verbose: 0 });
        checkEqual(tf.memory().numTensors, tensors, 'tensors after 80 more steps');
        const losses = [...(history.history.loss as number[]), ...(more.history.loss as number[])];
        check(losses.at(-1)! < 0.7 * losses[0]!, `loss should fall: ${losses[0]} → ${losses.at(-1)}`);
        tf.dispose([xs, ys]);
        disposeModel(model);
      },
    },
  ];
}

const cases: TfCase[] = [...webgpuCases, ...fallbackCases('cpu'), ...fallbackCases('webgl'), ...fallbackCases('wasm')];

async function main(): Promise<void> {
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  const adapter = await navigator.gpu?.requestAdapter();
  const adapterName = adapter ? [adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(' ') : 'none';
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const grep = new URL(window.location.href).searchParams.get('grep') ?? '';
  for (const c of cases.filter((c) => c.name.includes(grep))) {
    const t0 = performance.now();
    let status: Report['status'] = 'passed';
    let detail: string | undefined;
    try {
      await useBackend(c.backend);
      await countTensorsAround(() => c.run(), c.name);
      await settle();
      if (uncaptured.length) throw new Error(`uncaptured WebGPU errors:\n${uncaptured.splice(0).join('\n')}`);
    } catch (e) {
      if (e instanceof Skip) {
        status = 'skipped';
        detail = e.message;
      } else {
        status = 'failed';
        detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    }
    if (status === 'passed') passed++;
    else if (status === 'failed') failed++;
    else skipped++;
    log.textContent += `\n${status} ${c.name}`;
    await window.tfjsReportCase({ name: c.name, status, ms: performance.now() - t0, detail });
  }
  await window.tfjsReportDone({ passed, failed, skipped, adapter: adapterName });
}

main().catch((e) => window.tfjsReportDone({ passed: 0, failed: 1, skipped: 0, adapter: `setup failed: ${e instanceof Error ? e.message : String(e)}` }));
