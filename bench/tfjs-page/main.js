// The TensorFlow.js benchmark page, opened by bench/tfjs.mjs in headless Chromium. Everything runs
// on the tfjs `webgpu` backend (one GPUDevice, tfjs's own), timed by wall clock:
// - a training step (model.trainOnBatch, which ends by reading the loss back) of an MLP
//   784-512-512-10 with dropout after each hidden layer, batch 256: tf.layers.dropout vs our
//   layer, plus the same MLP without dropout to show what dropout itself costs;
// - dropout alone at one hidden layer's size, [256, 512]: forward + backward through tf.grad;
// - the bare op at 2^22 elements: tf.dropout vs our dropout, from the call until the GPU is done
//   (tfjs's pending pass ended and submitted, then onSubmittedWorkDone).
// Implementations are interleaved in every round (first place rotating) so machine drift hits
// them alike.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-webgpu';
import { dropout, dropoutStats, layers } from '../../dist/tfjs.js';
import { summarize } from '../core.mjs';

const log = document.getElementById('log');
const say = (line) => { log.textContent += `\n${line}`; };

function options() {
  const q = new URL(window.location.href).searchParams;
  return { samples: Number(q.get('samples')), warmup: Number(q.get('warmup')), rate: Number(q.get('rate')), opRates: q.get('opRates').split(',').map(Number), log2n: Number(q.get('log2n')) };
}

/** Ends tfjs's open compute pass, submits what is pending and waits for the GPU. */
async function gpuDone(backend) {
  backend.endComputePassEncoder();
  if (backend.commandEncoder) backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

/** Deterministic inputs: x in [-0.5, 0.5), one-hot labels. */
function batch(size, features, classes) {
  const x = new Float32Array(size * features);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) >>> 0) / 2 ** 32 - 0.5;
  const y = new Float32Array(size * classes);
  for (let i = 0; i < size; i++) y[i * classes + (i % classes)] = 1;
  return { x: tf.tensor2d(x, [size, features]), y: tf.tensor2d(y, [size, classes]) };
}

function mlp(dropoutLayer) {
  const hidden = (extra) => [tfl.layers.dense({ units: 512, activation: 'relu', ...extra }), ...(dropoutLayer ? [dropoutLayer()] : [])];
  const model = tfl.sequential({ layers: [...hidden({ inputShape: [784] }), ...hidden({}), tfl.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  return model;
}

async function interleaved(impls, { samples, warmup }, progress) {
  const times = impls.map(() => []);
  for (let w = 0; w < warmup; w++) for (const impl of impls) await impl.run();
  for (let s = 0; s < samples; s++) {
    // Rotate who goes first, so no implementation always follows the same one.
    for (let k = 0; k < impls.length; k++) {
      const i = (s + k) % impls.length;
      times[i].push(await impls[i].run());
    }
    await progress(s + 1);
  }
  return impls.map((impl, i) => ({ name: impl.name, ...summarize(times[i]), samples: times[i] }));
}

async function trainingStep(opts, backend) {
  const { x, y } = batch(256, 784, 10);
  const models = {
    'no dropout': mlp(null),
    'tf.layers.dropout': mlp(() => tfl.layers.dropout({ rate: opts.rate })),
    'webgpu-dropout layer': mlp(() => layers.dropout({ rate: opts.rate })),
  };
  // The same initial weights for all three.
  const weights = models['no dropout'].getWeights();
  for (const name of ['tf.layers.dropout', 'webgpu-dropout layer']) models[name].setWeights(weights);
  const before = dropoutStats().gpu;
  const impls = Object.entries(models).map(([name, model]) => ({
    name,
    run: async () => {
      const t0 = performance.now();
      await model.trainOnBatch(x, y);
      return performance.now() - t0;
    },
  }));
  const results = await interleaved(impls, opts, (s) => window.benchProgress({ stage: 'MLP training step', round: s, samples: opts.samples }));
  const fused = dropoutStats().gpu - before;
  await gpuDone(backend);
  for (const model of Object.values(models)) model.dispose();
  tf.dispose([x, y]);
  return { results, fusedDraws: fused };
}

/** What dropout adds to the MLP step, alone: forward + backward (tf.grad) at one hidden layer's size. */
async function layerAlone(opts, backend) {
  const shape = [256, 512];
  const { x, y } = batch(256, 512, 1);
  const dy = tf.onesLike(x);
  y.dispose();
  const timed = (name, op) => ({
    name,
    run: async () => {
      const t0 = performance.now();
      const dx = tf.grad((v) => op(v))(x, dy);
      await gpuDone(backend);
      const ms = performance.now() - t0;
      dx.dispose();
      return ms;
    },
  });
  const results = await interleaved([
    timed('tf.dropout', (v) => tf.dropout(v, opts.rate)),
    timed('webgpu-dropout dropout', (v) => dropout(v, opts.rate)),
  ], opts, (s) => window.benchProgress({ stage: `dropout forward + backward [${shape}]`, round: s, samples: opts.samples }));
  tf.dispose([x, dy]);
  return results;
}

async function bareOp(opts, backend) {
  const n = 2 ** opts.log2n;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = ((i * 2654435761) >>> 0) / 2 ** 32 - 0.5;
  const x = tf.tensor1d(data);
  const out = [];
  for (const p of opts.opRates) {
    const timed = (name, op) => ({
      name,
      run: async () => {
        const t0 = performance.now();
        const y = op();
        await gpuDone(backend);
        const ms = performance.now() - t0;
        y.dispose();
        return ms;
      },
    });
    const results = await interleaved([
      timed('tf.dropout', () => tf.dropout(x, p)),
      timed('webgpu-dropout dropout', () => dropout(x, p)),
    ], opts, (s) => window.benchProgress({ stage: `op 2^${opts.log2n} p=${p}`, round: s, samples: opts.samples }));
    out.push(...results.map((r) => ({ ...r, n, p })));
  }
  x.dispose();
  return out;
}

async function main() {
  const opts = options();
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
  const backend = tf.backend();
  const problems = [];
  backend.device.addEventListener('uncapturederror', (event) => problems.push(`uncaptured WebGPU error: ${event.error.message}`));
  const info = backend.adapterInfo ?? {};
  const adapter = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  await window.benchStart({ adapter, tfjs: tf.version_core, isolated: window.crossOriginIsolated });
  const tensors = tf.memory().numTensors;
  say('MLP training step…');
  const mlpResults = await trainingStep(opts, backend);
  say('dropout alone…');
  const aloneResults = await layerAlone(opts, backend);
  say('bare op…');
  const opResults = await bareOp(opts, backend);
  await gpuDone(backend);
  const left = tf.memory().numTensors - tensors;
  if (left !== 0) problems.push(`${left} tensors left alive after the benchmark`);
  say('done');
  await window.benchDone({ mlp: mlpResults, alone: aloneResults, op: opResults, problems });
}

main().catch((error) => window.benchDone({ fatal: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
