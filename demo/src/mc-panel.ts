// Panel 4: Monte Carlo dropout with the trained dropout model: K stochastic passes (dropout on at
// prediction time, model.apply(x, { training: true })) of 150 test images; three it gets right and
// three it gets wrong (by the mean prediction) shown with mean and spread per class, and the
// average uncertainty of both groups.
import { CLASS_NAMES } from './data.js';
import { testBatch, type Lab } from './lab.js';
import { permutation, tf } from './model.js';
import { $, drawValues, errorText, nextFrame, percent } from './ui.js';

const SHORT = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Boot'];
const PER_KIND = 3;
/** Test images sampled per run: the examples are picked among them, and the summary line covers them all. */
const SUMMARY_IMAGES = 150;

interface Prediction { mean: number[]; std: number[]; agreement: number; top: number; entropy: number }

/** Mean and standard deviation over K rows of class probabilities, how often the K passes vote for the mean's top class, and the mean's entropy. */
function summarize(probs: Float32Array, k: number, offset: number): Prediction {
  const mean = new Array<number>(10).fill(0);
  const sq = new Array<number>(10).fill(0);
  const votes = new Array<number>(10).fill(0);
  for (let s = 0; s < k; s++) {
    const row = probs.subarray((offset + s) * 10, (offset + s + 1) * 10);
    let best = 0;
    for (let c = 0; c < 10; c++) {
      mean[c]! += row[c]! / k;
      sq[c]! += (row[c]! * row[c]!) / k;
      if (row[c]! > row[best]!) best = c;
    }
    votes[best]!++;
  }
  const std = mean.map((m, c) => Math.sqrt(Math.max(0, sq[c]! - m * m)));
  const top = mean.indexOf(Math.max(...mean));
  const entropy = -mean.reduce((h, m) => h + (m > 0 ? m * Math.log(m) : 0), 0);
  return { mean, std, agreement: votes[top]! / k, top, entropy };
}

/** K stochastic passes of each image (rows image-major): probabilities [images.length · K, 10]. */
async function sample(lab: Lab, images: number[], k: number): Promise<Float32Array> {
  const x = testBatch(lab, images);
  const tiled = tf.tidy(() => tf.reshape(tf.tile(tf.expandDims(x, 1), [1, k, 1]), [images.length * k, lab.inputs]));
  const probs = lab.dropout.apply(tiled, { training: true }) as tf.Tensor;
  const out = (await probs.data()) as Float32Array;
  tf.dispose([x, tiled, probs]);
  return out;
}

function drawBars(canvas: HTMLCanvasElement, prediction: Prediction, truth: number): void {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 300;
  const height = canvas.clientHeight || 150;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const g = canvas.getContext('2d')!;
  g.scale(dpr, dpr);
  const left = 26;
  const bottom = 44;
  const plotH = height - bottom - 6;
  const slot = (width - left - 4) / 10;
  g.font = '10px system-ui, sans-serif';
  g.fillStyle = '#5d6678';
  g.strokeStyle = '#e2e5eb';
  g.lineWidth = 1;
  for (const v of [0, 0.5, 1]) {
    const y = 6 + plotH * (1 - v);
    g.beginPath();
    g.moveTo(left, y + 0.5);
    g.lineTo(width - 4, y + 0.5);
    g.stroke();
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    g.fillText(v === 0.5 ? '.5' : String(v), left - 4, y);
  }
  for (let c = 0; c < 10; c++) {
    const x = left + c * slot;
    const m = prediction.mean[c]!;
    const s = prediction.std[c]!;
    const y = 6 + plotH * (1 - m);
    g.fillStyle = c === truth ? '#1f9d63' : c === prediction.top ? '#d23c3c' : '#9fb3d9';
    g.fillRect(x + slot * 0.18, y, slot * 0.64, 6 + plotH - y);
    if (s > 0.004) {
      const y0 = 6 + plotH * (1 - Math.min(1, m + s));
      const y1 = 6 + plotH * (1 - Math.max(0, m - s));
      const cx = x + slot / 2;
      g.strokeStyle = '#1c2230';
      g.beginPath();
      g.moveTo(cx, y0);
      g.lineTo(cx, y1);
      g.moveTo(cx - 4, y0);
      g.lineTo(cx + 4, y0);
      g.moveTo(cx - 4, y1);
      g.lineTo(cx + 4, y1);
      g.stroke();
    }
    g.save();
    g.translate(x + slot / 2 + 3, 6 + plotH + 6);
    g.rotate(-Math.PI / 4);
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    g.fillStyle = c === truth ? '#1f9d63' : '#5d6678';
    g.font = c === truth ? 'bold 10px system-ui, sans-serif' : '10px system-ui, sans-serif';
    g.fillText(SHORT[c]!, 0, 0);
    g.restore();
  }
}

export function setupMcPanel(lab: Lab): { run(): Promise<void> } {
  const runButton = $<HTMLButtonElement>('mc-run');
  const otherButton = $<HTMLButtonElement>('mc-other');
  const slider = $<HTMLInputElement>('mc-k');
  const status = $('mc-status');
  let round = 0;
  let busy = false;

  const sync = (): void => {
    const ready = lab.epochs > 0 && !lab.training && !busy;
    runButton.disabled = !ready;
    otherButton.disabled = !ready || !$('mc-cards').childElementCount;
    if (!busy) {
      status.textContent = lab.training ? 'Waiting for training to finish…'
        : lab.epochs > 0 ? `Dropout model trained for ${lab.epochs} epoch${lab.epochs > 1 ? 's' : ''}.`
          : 'Train the models in panel 2 first (a couple of epochs are enough to see something).';
    }
  };
  lab.listeners.add(sync);
  slider.addEventListener('input', () => { $('mc-k-out').textContent = slider.value; });

  async function run(): Promise<void> {
    busy = true;
    sync();
    const k = Number(slider.value);
    try {
      // K stochastic passes for a slice of the test set (a different slice each round), in chunks.
      const order = permutation(lab.test.count, 99 + round);
      const pool = Array.from({ length: SUMMARY_IMAGES }, (_, i) => order[i]!);
      const predictions: Prediction[] = [];
      const chunk = 25;
      for (let start = 0; start < pool.length; start += chunk) {
        status.textContent = `Sampling ${k} stochastic passes of ${SUMMARY_IMAGES} test images (${start}/${SUMMARY_IMAGES})…`;
        await nextFrame();
        const images = pool.slice(start, start + chunk);
        const probs = await sample(lab, images, k);
        images.forEach((_, i) => predictions.push(summarize(probs, k, i * k)));
      }
      const correct = (i: number): boolean => predictions[i]!.top === lab.test.labels[pool[i]!];
      const right = pool.map((_, i) => i).filter(correct).slice(0, PER_KIND);
      const wrong = pool.map((_, i) => i).filter((i) => !correct(i)).slice(0, PER_KIND);

      const cards = $('mc-cards');
      cards.replaceChildren();
      for (const i of [...right, ...wrong]) {
        const prediction = predictions[i]!;
        const index = pool[i]!;
        const truth = lab.test.labels[index]!;
        const card = document.createElement('div');
        card.className = 'mc-card';
        const thumb = document.createElement('canvas');
        thumb.className = 'thumb';
        const size = lab.data.rows * lab.data.cols;
        drawValues(thumb, Float32Array.from(lab.data.test.images.subarray(index * size, (index + 1) * size), (v) => v / 255), lab.data.rows, lab.data.cols);
        const meta = document.createElement('div');
        meta.className = 'meta';
        const ok = prediction.top === truth;
        meta.innerHTML = `<div class="verdict ${ok ? 'right' : 'wrong'}">${ok ? '✓ correct' : '✗ misclassified'}</div>
          <div>true: <b>${CLASS_NAMES[truth]}</b></div>
          <div>predicted: <b>${CLASS_NAMES[prediction.top]}</b> ${percent(prediction.mean[prediction.top]!, 0)} ± ${percent(prediction.std[prediction.top]!, 0)}</div>
          <div class="dim small">${percent(prediction.agreement, 0)} of ${k} passes agree · entropy ${prediction.entropy.toFixed(2)}</div>`;
        const bars = document.createElement('canvas');
        bars.className = 'bars';
        card.append(thumb, meta, bars);
        cards.append(card);
        drawBars(bars, prediction, truth);
      }

      const average = (indices: number[], f: (p: Prediction) => number): number => indices.reduce((s, i) => s + f(predictions[i]!), 0) / Math.max(1, indices.length);
      const all = pool.map((_, i) => i);
      const good = all.filter(correct);
      const bad = all.filter((i) => !correct(i));
      const line = (set: number[]): string => `entropy ${average(set, (p) => p.entropy).toFixed(2)}, passes agree ${percent(average(set, (p) => p.agreement), 0)}, spread ±${percent(average(set, (p) => p.std[p.top]!), 0)}`;
      $('mc-summary').innerHTML = bad.length && good.length
        ? `Over ${SUMMARY_IMAGES} test images, K = ${k}: <b>correct</b> (${good.length}) → ${line(good)}; <b>misclassified</b> (${bad.length}) → ${line(bad)}. Entropy (in nats) of the mean prediction: 0 = certain, ln 10 ≈ 2.30 = no idea.`
        : `All ${SUMMARY_IMAGES} sampled images are ${bad.length ? 'misclassified' : 'classified correctly'}: nothing to compare.`;
      status.textContent = `Done: ${k} passes per image with dropout on (p = ${lab.dropout.getLayer('dropout1').getConfig()['rate']}).`;
      document.body.dataset.mcDone = String(++round);
    } catch (error) {
      console.error(error);
      status.textContent = `Monte Carlo failed: ${errorText(error)}`;
    } finally {
      busy = false;
      sync();
    }
  }
  runButton.addEventListener('click', () => void run());
  otherButton.addEventListener('click', () => void run());
  sync();
  return { run };
}
