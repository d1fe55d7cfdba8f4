// TensorFlow.js side of the demo: backend set-up, the over-parameterized MLP (with our dropout
// layer from webgpu-dropout/tfjs) and one epoch of training with a fixed batch order.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-webgpu';
import { layers as wd } from 'webgpu-dropout/tfjs';
import { type FashionMnist, type Split } from './data.js';

export { tf, tfl };

/** Picks the webgpu backend; falls back to the cpu backend (our layer's portable path) without WebGPU. */
export async function startTensorFlow(webgpu: boolean): Promise<string> {
  if (webgpu) {
    try {
      if (await tf.setBackend('webgpu')) {
        await tf.ready();
        return 'webgpu';
      }
    } catch {
      // fall through to cpu
    }
  }
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

export interface MlpOptions {
  hidden: number[];
  rate: number;
  learningRate: number;
  /** Seeds the weight initializers: the same seed gives the same initial weights. */
  seed?: number;
}

/** input 784 → [dense relu → dropout(rate)] × hidden → dense softmax 10. */
export function buildMlp(inputSize: number, options: MlpOptions): tfl.Sequential {
  const model = tfl.sequential();
  options.hidden.forEach((units, i) => {
    const kernelInitializer = tfl.initializers.glorotUniform({ seed: (options.seed ?? 1) * 16 + i });
    model.add(tfl.layers.dense({ units, activation: 'relu', kernelInitializer, ...(i === 0 ? { inputShape: [inputSize] } : {}), name: `dense${i + 1}` }));
    model.add(wd.dropout({ rate: options.rate, seed: 1000 + i, name: `dropout${i + 1}` }));
  });
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: (options.seed ?? 1) * 16 + 15 }), name: 'output' }));
  model.compile({ optimizer: tf.train.adam(options.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

export interface Tensors {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  labels: Uint8Array;
  count: number;
}

/** Images as [count, (rows / pool) · (cols / pool)] floats in [0, 1] (pool × pool average pooling), labels one-hot. */
export function splitTensors(data: FashionMnist, split: Split, pool = 1): Tensors {
  const x = tf.tidy(() => {
    const images = tf.div(tf.cast(tf.tensor4d(split.images, [split.count, data.rows, data.cols, 1], 'int32'), 'float32'), 255) as tf.Tensor4D;
    const pooled = pool > 1 ? tf.avgPool(images, pool, pool, 'valid') : images;
    return tf.reshape(pooled, [split.count, -1]) as tf.Tensor2D;
  });
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(split.labels, 'int32'), 10), 'float32') as tf.Tensor2D);
  return { x, y, labels: split.labels, count: split.count };
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

/** One epoch of minibatch training in the given order; `onBatch(done, total)` after each batch. */
export async function trainEpoch(model: tfl.Sequential, data: Tensors, order: Int32Array, batchSize: number, onBatch: (done: number, total: number) => void | Promise<void>): Promise<void> {
  const batches = Math.ceil(order.length / batchSize);
  for (let b = 0; b < batches; b++) {
    const index = tf.tensor1d(order.subarray(b * batchSize, (b + 1) * batchSize), 'int32');
    const xb = tf.gather(data.x, index);
    const yb = tf.gather(data.y, index);
    await model.trainOnBatch(xb, yb);
    tf.dispose([index, xb, yb]);
    await onBatch(b + 1, batches);
  }
}

/** Loss and accuracy in inference mode (dropout off). */
export async function evaluate(model: tfl.Sequential, data: Tensors): Promise<{ loss: number; accuracy: number }> {
  const result = model.evaluate(data.x, data.y, { batchSize: 500 }) as tf.Scalar[];
  const [loss, accuracy] = await Promise.all(result.map((t) => t.data()));
  tf.dispose(result);
  return { loss: loss![0]!, accuracy: accuracy![0]! };
}
