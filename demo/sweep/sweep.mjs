// The offline sweep that chose the demo's training experiment (panel 2): the page's own model code
// (demo/src/experiment.ts, bundled here with Vite) trained by TensorFlow.js in Node on the wasm
// backend (single-threaded) or the cpu backend, with our dropout layer's portable path (the same
// masks as the WebGPU kernels). For every combination of architecture, training-set size, learning
// rate and seed it trains one model without dropout and one per dropout setting from the same
// initial weights with the same batch order, evaluates both in inference mode after every epoch
// on the page's 1,000 test images, and appends one JSON line per run to --out.
//
//   nice -n 19 node demo/sweep/sweep.mjs --hidden 128x128,256x256 --images 500,2000 \
//     --lr 0.001,0.002 --rates 0.5,0.2+0.5 --seeds 1,2,3 --epochs 40 --out demo/sweep/results/x.jsonl
//
// --rates: hidden rate, or input+hidden ("0.2+0.5" = input dropout 0.2, hidden 0.5).
// --from DIR: the four Fashion-MNIST *-ubyte.gz files (default: Debian's dataset-fashion-mnist,
// /usr/share/datasets/fashion-mnist). Images are picked as scripts/demo-data.mjs picks them (the
// first N of each class in file order), so a size the bundled subset holds gives the page's images.
// demo/sweep/summarize.mjs turns the JSON lines into the tables of docs/demo.md.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { importExperiment, root } from './bundle.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const list = (name, fallback) => option(name, fallback).split(',');
const grid = {
  hidden: list('hidden', '128x128').map((h) => h.split('x').map(Number)),
  images: list('images', '500').map(Number),
  lr: list('lr', '0.002').map(Number),
  rates: list('rates', '0.5').map((r) => {
    const [a, b] = r.split('+').map(Number);
    return b === undefined ? { inputRate: 0, rate: a } : { inputRate: a, rate: b };
  }),
  seeds: list('seeds', '1').map(Number),
};
const epochs = Number(option('epochs', 20));
const batchSize = Number(option('batch', 50));
const testPerClass = Number(option('test', 100));
const backend = option('backend', 'wasm');
const from = option('from', '/usr/share/datasets/fashion-mnist');
const out = resolve(root, option('out', 'demo/sweep/results/sweep.jsonl'));

const experiment = await importExperiment();
const tf = await import('@tensorflow/tfjs-core');
if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
else await import('@tensorflow/tfjs-backend-cpu');
await tf.setBackend(backend);
await tf.ready();

function readIdx(file) {
  const path = join(from, file);
  if (!existsSync(path)) throw new Error(`${path} not found: install Debian's dataset-fashion-mnist or pass --from DIR`);
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = [];
  for (let d = 0; d < (view.getUint32(0) & 0xff); d++) dims.push(view.getUint32(4 + 4 * d));
  return { dims, data: bytes.subarray(4 + 4 * dims.length) };
}

/** The first `perClass` images of each class, in file order (scripts/demo-data.mjs's choice). */
function split(imagesFile, labelsFile, perClass) {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile).data;
  const size = images.dims[1] * images.dims[2];
  const picked = experiment.balancedSubset(labels, perClass * 10);
  const out = new Uint8Array(picked.length * size);
  picked.forEach((i, k) => out.set(images.data.subarray(i * size, (i + 1) * size), k * size));
  return { images: out, labels: Uint8Array.from(picked, (i) => labels[i]), count: picked.length };
}

const shape = { rows: 28, cols: 28 };
const maxImages = Math.max(...grid.images);
const trainAll = experiment.splitTensors(shape, split('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', maxImages / 10));
const test = experiment.splitTensors(shape, split('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', testPerClass));
mkdirSync(dirname(out), { recursive: true });

const round = (x) => Math.round(x * 1e4) / 1e4;
async function trainCurve(model, train, seed) {
  const curve = { train: [], test: [], trainOn: [] };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const during = await experiment.trainEpoch(model, train, experiment.epochOrder(train.count, seed, epoch), batchSize);
    curve.trainOn.push({ loss: round(during.loss), accuracy: round(during.accuracy) });
    for (const [key, data] of [['train', train], ['test', test]]) {
      const score = await experiment.evaluate(model, data);
      curve[key].push({ loss: round(score.loss), accuracy: round(score.accuracy) });
    }
  }
  return { curve, ece: round(await experiment.calibrationError(model, test)) };
}

const started = Date.now();
let runs = 0;
for (const hidden of grid.hidden) {
  for (const images of grid.images) {
    const train = experiment.subsetTensors(trainAll, images);
    for (const lr of grid.lr) {
      for (const seed of grid.seeds) {
        const t0 = Date.now();
        const base = { hidden, images, lr, seed, epochs, batchSize, testImages: test.count, backend };
        const plain = experiment.buildMlp(784, { hidden, rate: 0, learningRate: lr, seed });
        const initial = plain.getWeights().map((w) => w.clone());
        const plainRun = await trainCurve(plain, train, seed);
        plain.optimizer?.dispose();
        plain.dispose();
        const line = { ...base, plain: plainRun, dropout: [] };
        for (const rates of grid.rates) {
          const model = experiment.buildMlp(784, { hidden, ...rates, learningRate: lr, seed });
          model.setWeights(initial);
          line.dropout.push({ ...rates, ...(await trainCurve(model, train, seed)) });
          model.optimizer?.dispose();
          model.dispose();
        }
        tf.dispose(initial);
        line.seconds = round((Date.now() - t0) / 1000);
        appendFileSync(out, `${JSON.stringify(line)}\n`);
        runs++;
        const s = (run) => experiment.summarizeCurve(run.curve);
        const fmt = (r) => `best ${(100 * r.bestAccuracy).toFixed(1)}@${r.bestEpoch} final ${(100 * r.finalAccuracy).toFixed(1)} gap ${(100 * r.gap).toFixed(1)}`;
        console.log(`${hidden.join('x')} n=${images} lr=${lr} seed=${seed}: plain ${fmt(s(plainRun))} | ${line.dropout.map((d) => `${d.inputRate ? `${d.inputRate}+` : ''}${d.rate}: ${fmt(s(d))}`).join(' | ')} (${line.seconds} s, total ${((Date.now() - started) / 60000).toFixed(1)} min)`);
      }
    }
    if (train !== trainAll) tf.dispose([train.x, train.y]);
  }
}
console.log(`✓ ${runs} runs in ${((Date.now() - started) / 60000).toFixed(1)} min → ${out.replace(root, '')}`);
