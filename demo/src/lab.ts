// State shared by the TensorFlow.js panels (training, activations, Monte Carlo): the data as
// tensors and the two models, rebuilt with the same initial weights for every training run.
import { type FashionMnist } from './data.js';
import { buildMlp, splitTensors, tf, type Tensors, type tfl } from './model.js';

/**
 * The experiment, chosen by measurement on SwiftShader (2 CPU cores): big enough to overfit
 * clearly within 20 epochs, small enough to train in a few minutes (see the README's Demo section).
 */
export const SETUP = {
  /** Average pooling of the 28×28 images (1 = none: 784 inputs). */
  pool: 1,
  hidden: [128, 128],
  rate: 0.5,
  learningRate: 0.002,
  batchSize: 50,
  /** Training images per run (class-balanced, from the 2,000 shipped); the panel offers 500, 1,000, 2,000. */
  trainImages: 500,
  defaultEpochs: 20,
  seed: 7,
};

export interface Lab {
  backend: string;
  data: FashionMnist;
  /** The training images of the current run (a class-balanced subset). */
  train: Tensors;
  test: Tensors;
  inputs: number;
  plain: tfl.Sequential;
  dropout: tfl.Sequential;
  /** Epochs the current models have been trained for. */
  epochs: number;
  training: boolean;
  /** Called after every epoch and when a run starts or ends. */
  listeners: Set<() => void>;
  /** Disposes the models and builds fresh ones with identical initial weights, for `trainImages` training images. */
  reset(trainImages: number): void;
  notify(): void;
}

/** The first `count / 10` images of each class, in file order. */
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
  return picked.sort((a, b) => a - b);
}

export function createLab(data: FashionMnist, backend: string): Lab {
  const all = splitTensors(data, data.train, SETUP.pool);
  const test = splitTensors(data, data.test, SETUP.pool);
  const inputs = all.x.shape[1];
  const subset = (count: number): Tensors => {
    if (count >= all.count) return all;
    const picked = balancedSubset(data.train.labels, count);
    return tf.tidy(() => {
      const index = tf.tensor1d(picked, 'int32');
      return { x: tf.gather(all.x, index), y: tf.gather(all.y, index), labels: Uint8Array.from(picked, (i) => data.train.labels[i]!), count: picked.length };
    });
  };
  const build = (rate: number): tfl.Sequential => buildMlp(inputs, { hidden: SETUP.hidden, rate, learningRate: SETUP.learningRate, seed: SETUP.seed });
  const pair = (): { plain: tfl.Sequential; dropout: tfl.Sequential } => {
    const plain = build(0);
    const dropout = build(SETUP.rate);
    // Same initial weights, whatever the initializers did: copy them over.
    dropout.setWeights(plain.getWeights());
    return { plain, dropout };
  };
  const lab: Lab = {
    backend, data, test, inputs,
    train: subset(SETUP.trainImages),
    ...pair(),
    epochs: 0,
    training: false,
    listeners: new Set(),
    reset(trainImages) {
      for (const model of [lab.plain, lab.dropout]) {
        model.optimizer?.dispose();
        model.dispose();
      }
      if (lab.train !== all) tf.dispose([lab.train.x, lab.train.y]);
      Object.assign(lab, pair(), { epochs: 0, train: subset(trainImages) });
    },
    notify() {
      for (const listener of lab.listeners) listener();
    },
  };
  return lab;
}

/** The test images at `indices` as a [indices.length, inputs] tensor (caller disposes). */
export function testBatch(lab: Lab, indices: number[]): tf.Tensor2D {
  return tf.tidy(() => tf.gather(lab.test.x, tf.tensor1d(indices, 'int32')) as tf.Tensor2D);
}
