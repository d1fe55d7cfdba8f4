// The training experiment, backend-agnostic: the page (panel 2) and the offline sweep
// (demo/sweep/sweep.mjs, TensorFlow.js in Node) build, train and score the models with these
// functions, so the numbers the sweep chose the setup by are the page's own code path.
// Imports no backend and touches no DOM.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { layers as wd } from 'webgpu-dropout/tfjs';
import type { FashionMnist, Split } from './data.js';

export interface MlpOptions {
  hidden: number[];
  /** Dropout rate after each hidden layer. */
  rate: number;
  /** Dropout rate on the input pixels (0: no input dropout layer). */
  inputRate?: number;
  learningRate: number;
  /** Seeds the weight initializers and the dropout layers' streams. */
  seed?: number;
}

/** input → [dropout(inputRate)] → [dense relu → dropout(rate)] × hidden → dense softmax 10. */
export function buildMlp(inputSize: number, options: MlpOptions): tfl.Sequential {
  const seed = options.seed ?? 1;
  const model = tfl.sequential();
  const inputRate = options.inputRate ?? 0;
  if (inputRate > 0) model.add(wd.dropout({ rate: inputRate, seed: seed * 1000 + 99, inputShape: [inputSize], name: 'dropout0' }));
  options.hidden.forEach((units, i) => {
    const kernelInitializer = tfl.initializers.glorotUniform({ seed: seed * 16 + i });
    const first = i === 0 && inputRate === 0;
    model.add(tfl.layers.dense({ units, activation: 'relu', kernelInitializer, ...(first ? { inputShape: [inputSize] } : {}), name: `dense${i + 1}` }));
    model.add(wd.dropout({ rate: options.rate, seed: seed * 1000 + i, name: `dropout${i + 1}` }));
  });
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 16 + 15 }), name: 'output' }));
  model.compile({ optimizer: tf.train.adam(options.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/**
 * The two models of one run: p = 0 and the given rates, with identical initial weights (copied,
 * whatever the initializers did; dropout layers have no weights, so the lists line up).
 */
export function buildPair(inputSize: number, options: MlpOptions): { plain: tfl.Sequential; dropout: tfl.Sequential } {
  const plain = buildMlp(inputSize, { ...options, rate: 0, inputRate: 0 });
  const dropout = buildMlp(inputSize, options);
  dropout.setWeights(plain.getWeights());
  return { plain, dropout };
}

export interface Tensors {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  labels: Uint8Array;
  count: number;
}

/** Images as [count, rows · cols] floats in [0, 1], labels one-hot. */
export function splitTensors(data: Pick<FashionMnist, 'rows' | 'cols'>, split: Split): Tensors {
  const x = tf.tidy(() => tf.div(tf.tensor2d(split.images, [split.count, data.rows * data.cols], 'int32'), 255) as tf.Tensor2D);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(split.labels, 'int32'), 10), 'float32') as tf.Tensor2D);
  return { x, y, labels: split.labels, count: split.count };
}

/** The first `count / 10` images of each class, in file order (what scripts/demo-data.mjs also picks). */
export function balancedSubset(labels: Uint8Array, count: number): number[] {
  const perClass = Math.floor(count / 10);
  const taken = new Array<number>(10).fill(0);
  const picked: number[] = [];
  labels.forEach((label, i) => {
    if (taken[label]! < perClass) {
      taken[label]!++;
      picked.push(i);
    }
  });
  return picked;
}

/** `count` class-balanced rows of `all` (all of it when count ≥ all.count); caller disposes a new one. */
export function subsetTensors(all: Tensors, count: number): Tensors {
  if (count >= all.count) return all;
  const picked = balancedSubset(all.labels, count);
  return tf.tidy(() => {
    const index = tf.tensor1d(picked, 'int32');
    return { x: tf.gather(all.x, index), y: tf.gather(all.y, index), labels: Uint8Array.from(picked, (i) => all.labels[i]!), count: picked.length };
  });
}

/** A deterministic permutation of 0..n-1 (mulberry32-driven Fisher–Yates). */
export function permutation(n: number, seed: number): Int32Array {
  let s = seed >>> 0;
  const random = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The batch order of `epoch` (1-based) for a run seeded `seed`: both models see the same one. */
export const epochOrder = (n: number, seed: number, epoch: number): Int32Array => permutation(n, seed * 1000 + epoch);

/**
 * One epoch of minibatch training in the given order; `onBatch(done, total)` after each batch.
 * Returns the loss and accuracy of the batches as they were trained (dropout on), averaged over
 * the epoch: what Keras-style `fit()` logs report as training accuracy.
 */
export async function trainEpoch(model: tfl.Sequential, data: Tensors, order: Int32Array, batchSize: number, onBatch?: (done: number, total: number) => void | Promise<void>): Promise<Score> {
  const batches = Math.ceil(order.length / batchSize);
  let loss = 0;
  let accuracy = 0;
  for (let b = 0; b < batches; b++) {
    const rows = order.subarray(b * batchSize, (b + 1) * batchSize);
    const index = tf.tensor1d(rows, 'int32');
    const xb = tf.gather(data.x, index);
    const yb = tf.gather(data.y, index);
    const [batchLoss, batchAccuracy] = (await model.trainOnBatch(xb, yb)) as number[];
    loss += batchLoss! * rows.length;
    accuracy += batchAccuracy! * rows.length;
    tf.dispose([index, xb, yb]);
    await onBatch?.(b + 1, batches);
  }
  return { loss: loss / order.length, accuracy: accuracy / order.length };
}

export interface Score {
  loss: number;
  accuracy: number;
}

/** Loss and accuracy in inference mode (dropout off). */
export async function evaluate(model: tfl.Sequential, data: Tensors): Promise<Score> {
  const result = model.evaluate(data.x, data.y, { batchSize: 500 }) as tf.Scalar[];
  const [loss, accuracy] = await Promise.all(result.map((t) => t.data()));
  tf.dispose(result);
  return { loss: loss![0]!, accuracy: accuracy![0]! };
}

/**
 * Expected calibration error in inference mode: the test images binned by their top probability
 * (10 equal bins), |accuracy − mean confidence| per bin, weighted by the bin's share.
 */
export async function calibrationError(model: tfl.Sequential, data: Tensors, bins = 10): Promise<number> {
  const probs = model.predict(data.x, { batchSize: 500 }) as tf.Tensor2D;
  const values = await probs.data();
  probs.dispose();
  const count = new Array<number>(bins).fill(0);
  const hits = new Array<number>(bins).fill(0);
  const confidence = new Array<number>(bins).fill(0);
  for (let i = 0; i < data.count; i++) {
    let top = 0;
    for (let c = 1; c < 10; c++) if (values[i * 10 + c]! > values[i * 10 + top]!) top = c;
    const p = values[i * 10 + top]!;
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    count[bin]!++;
    confidence[bin]! += p;
    if (top === data.labels[i]) hits[bin]!++;
  }
  return count.reduce((sum, n, b) => (n > 0 ? sum + Math.abs(hits[b]! - confidence[b]!) / data.count : sum), 0);
}

export interface Curve {
  /** After each epoch, inference mode (dropout off). */
  train: Score[];
  test: Score[];
  /** During each epoch, dropout on (the batches' own scores, averaged). */
  trainOn?: Score[];
}

export interface RunSummary {
  /** Best test accuracy over the epochs, and its (1-based) epoch. */
  bestAccuracy: number;
  bestEpoch: number;
  finalAccuracy: number;
  /** Train accuracy − test accuracy after the last epoch (both in inference mode). */
  gap: number;
  finalTestLoss: number;
  minTestLoss: number;
  minTestLossEpoch: number;
}

/** The numbers the page and the sweep report for one training curve, cut at `epochs`. */
export function summarizeCurve(curve: Curve, epochs = curve.test.length): RunSummary {
  const test = curve.test.slice(0, epochs);
  const last = test.length - 1;
  let best = 0;
  let minLoss = 0;
  test.forEach((point, i) => {
    if (point.accuracy > test[best]!.accuracy) best = i;
    if (point.loss < test[minLoss]!.loss) minLoss = i;
  });
  return {
    bestAccuracy: test[best]!.accuracy,
    bestEpoch: best + 1,
    finalAccuracy: test[last]!.accuracy,
    gap: curve.train[last]!.accuracy - test[last]!.accuracy,
    finalTestLoss: test[last]!.loss,
    minTestLoss: test[minLoss]!.loss,
    minTestLossEpoch: minLoss + 1,
  };
}
