// Panel 2: the same MLP trained with p = 0 and p = 0.5 (our layer), epochs interleaved, same
// initial weights and batch order; train/test accuracy and loss plotted live.
import Chart from 'chart.js/auto';
import { SETUP, type Lab } from './lab.js';
import { evaluate, permutation, trainEpoch } from './model.js';
import { $, errorText, nextFrame, percent } from './ui.js';

const COLORS = { plain: '#e0663a', dropout: '#2f6fde' };

interface Point { loss: number; accuracy: number }
interface History { train: Point[]; test: Point[] }

function lineChart(canvas: HTMLCanvasElement, title: string, yLabel: string, percentAxis: boolean): Chart<'line', (number | null)[], number> {
  const series = (label: string, color: string, dashed: boolean) => ({
    label, data: [] as (number | null)[], borderColor: color, backgroundColor: color,
    borderDash: dashed ? [6, 4] : [], borderWidth: dashed ? 2 : 2.5, pointRadius: 2.5, pointHoverRadius: 5, tension: 0.25,
  });
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels: [],
      datasets: [
        series('no dropout · train', COLORS.plain, true),
        series('no dropout · test', COLORS.plain, false),
        series(`dropout ${SETUP.rate} · train`, COLORS.dropout, true),
        series(`dropout ${SETUP.rate} · test`, COLORS.dropout, false),
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 250 },
      interaction: { mode: 'index', intersect: false },
      plugins: {
        title: { display: true, text: title, font: { size: 14, weight: 'bold' }, color: '#1c2230' },
        legend: { position: 'bottom', labels: { boxWidth: 22, boxHeight: 2, font: { size: 12 } } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${percentAxis ? percent(item.parsed.y ?? 0) : (item.parsed.y ?? 0).toFixed(3)}` } },
      },
      scales: {
        x: { title: { display: true, text: 'epoch' }, grid: { display: false } },
        y: { title: { display: true, text: yLabel }, ticks: percentAxis ? { callback: (v) => `${Math.round(Number(v) * 100)}%` } : {} },
      },
    },
  });
}

export function setupTrainPanel(lab: Lab): { run(epochs: number, trainImages?: number): Promise<void> } {
  const accuracy = lineChart($<HTMLCanvasElement>('t-acc'), 'Accuracy', 'accuracy', true);
  const loss = lineChart($<HTMLCanvasElement>('t-loss'), 'Loss (cross-entropy)', 'loss', false);
  const runButton = $<HTMLButtonElement>('t-run');
  const stopButton = $<HTMLButtonElement>('t-stop');
  const epochsInput = $<HTMLInputElement>('t-epochs');
  const bar = $('t-bar');
  const status = $('t-status');
  epochsInput.value = String(SETUP.defaultEpochs);
  const imagesSelect = $<HTMLSelectElement>('t-images');
  imagesSelect.value = String(SETUP.trainImages);
  const describe = (): void => {
    const images = Number(imagesSelect.value);
    $('t-model').textContent = `Setup: ${images} training images (${images / 10} per class) and 1,000 test images; MLP ${lab.inputs} → ${SETUP.hidden.join(' → ')} → 10, ReLU, softmax; Adam (learning rate ${SETUP.learningRate}), batches of ${SETUP.batchSize}; TensorFlow.js ${lab.backend} backend. Train and test metrics are measured after every epoch with dropout off.`;
  };
  describe();
  imagesSelect.addEventListener('change', describe);
  let stop = false;

  const setProgress = (fraction: number, text: string): void => {
    bar.style.width = `${(100 * Math.min(1, fraction)).toFixed(1)}%`;
    status.textContent = text;
  };
  const clock = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);

  function plot(histories: Record<'plain' | 'dropout', History>, epochs: number): void {
    const labels = Array.from({ length: epochs }, (_, i) => i + 1);
    for (const [chart, key] of [[accuracy, 'accuracy'], [loss, 'loss']] as const) {
      chart.data.labels = labels;
      const lines = [histories.plain.train, histories.plain.test, histories.dropout.train, histories.dropout.test];
      lines.forEach((points, i) => { chart.data.datasets[i]!.data = points.map((p) => p[key]); });
      chart.update();
    }
  }

  function summarize(histories: Record<'plain' | 'dropout', History>): void {
    const summary = $('t-summary');
    summary.hidden = false;
    summary.replaceChildren();
    for (const key of ['plain', 'dropout'] as const) {
      const h = histories[key];
      const last = h.train.length - 1;
      if (last < 0) continue;
      const train = h.train[last]!;
      const test = h.test[last]!;
      const best = Math.max(...h.test.map((p) => p.accuracy));
      const minLoss = h.test.reduce((m, p, i) => (p.loss < h.test[m]!.loss ? i : m), 0);
      const card = document.createElement('div');
      card.className = 'model';
      card.innerHTML = `<h4><span class="swatch" style="background:${COLORS[key]}"></span>${key === 'plain' ? 'No dropout (p = 0)' : `Dropout (p = ${SETUP.rate})`}</h4>
        <table>
          <tr><td>train accuracy</td><td>${percent(train.accuracy)}</td><td>loss ${train.loss.toFixed(3)}</td></tr>
          <tr><td>test accuracy</td><td>${percent(test.accuracy)}</td><td>loss ${test.loss.toFixed(3)}</td></tr>
          <tr><td>generalization gap</td><td class="gap">${((train.accuracy - test.accuracy) * 100).toFixed(1)} pts</td><td>loss ${(test.loss - train.loss).toFixed(3)}</td></tr>
          <tr><td>best test accuracy</td><td>${percent(best)}</td><td>lowest test loss at epoch ${minLoss + 1}</td></tr>
        </table>`;
      summary.append(card);
    }
  }

  async function run(epochs: number, trainImages = Number(imagesSelect.value)): Promise<void> {
    lab.training = true;
    stop = false;
    runButton.disabled = true;
    stopButton.disabled = false;
    epochsInput.disabled = true;
    imagesSelect.disabled = true;
    lab.reset(trainImages);
    lab.notify();
    const histories = { plain: { train: [], test: [] } as History, dropout: { train: [], test: [] } as History };
    plot(histories, epochs);
    $('t-summary').hidden = true;
    const started = performance.now();
    const batches = Math.ceil(lab.train.count / SETUP.batchSize);
    // Progress units: every batch of each model, plus one per evaluation pass (about a batch's worth each).
    const perEpoch = 2 * batches + 2;
    let units = 0;
    const progress = (epoch: number, what: string): void => {
      const elapsed = performance.now() - started;
      const fraction = units / (perEpoch * epochs);
      const left = fraction > 0.02 ? ` · about ${clock((elapsed / fraction) * (1 - fraction))} left` : '';
      setProgress(fraction, `Epoch ${epoch} / ${epochs} · ${what} · ${clock(elapsed)} elapsed${left}`);
    };
    try {
      for (let epoch = 1; epoch <= epochs && !stop; epoch++) {
        const order = permutation(lab.train.count, SETUP.seed * 1000 + epoch);
        for (const key of ['plain', 'dropout'] as const) {
          const model = lab[key];
          await trainEpoch(model, lab.train, order, SETUP.batchSize, async (done, total) => {
            units++;
            progress(epoch, `training ${key === 'plain' ? 'without' : 'with'} dropout, batch ${done}/${total}`);
            await nextFrame();
          });
          if (stop) break;
          progress(epoch, `evaluating ${key === 'plain' ? 'without' : 'with'} dropout`);
          const [train, test] = [await evaluate(model, lab.train), await evaluate(model, lab.test)];
          units++;
          histories[key].train.push(train);
          histories[key].test.push(test);
        }
        if (stop) break;
        lab.epochs = epoch;
        plot(histories, epochs);
        lab.notify();
      }
      const elapsed = clock(performance.now() - started);
      setProgress(stop ? units / (perEpoch * epochs) : 1, stop ? `Stopped after ${lab.epochs} epoch(s), ${elapsed}.` : `Done: ${epochs} epochs of both models in ${elapsed}.`);
      summarize(histories);
      document.body.dataset.trainSeconds = ((performance.now() - started) / 1000).toFixed(1);
      console.info(`demo training: ${lab.epochs} epochs in ${elapsed}; ${JSON.stringify(histories)}`);
    } catch (error) {
      console.error(error);
      setProgress(0, `Training failed: ${errorText(error)}`);
    } finally {
      lab.training = false;
      runButton.disabled = false;
      stopButton.disabled = true;
      epochsInput.disabled = false;
      imagesSelect.disabled = false;
      lab.notify();
    }
  }

  runButton.addEventListener('click', () => {
    const epochs = Math.max(1, Math.min(100, Math.round(Number(epochsInput.value) || SETUP.defaultEpochs)));
    epochsInput.value = String(epochs);
    void run(epochs);
  });
  stopButton.addEventListener('click', () => { stop = true; stopButton.disabled = true; });
  return { run };
}
