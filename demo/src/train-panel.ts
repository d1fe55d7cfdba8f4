// Panel 2: the same MLP trained without dropout and with our layer, epochs interleaved, same
// initial weights and batch order; train/test accuracy and loss plotted live, then best and final
// test accuracy, the epoch of the best, the generalization gap and the calibration error.
import Chart from 'chart.js/auto';
import { calibrationError, epochOrder, evaluate, summarizeCurve, trainEpoch, type Curve } from './experiment.js';
import { DROPOUT_CHOICES, hiddenLayers, SETUP, type Lab, type RunSettings } from './lab.js';
import { $, errorText, nextFrame, percent } from './ui.js';

const COLORS = { plain: '#e0663a', dropout: '#2f6fde' };
type Key = keyof typeof COLORS;

function lineChart(canvas: HTMLCanvasElement, title: string, yLabel: string, percentAxis: boolean): Chart<'line', (number | null)[], number> {
  const series = (label: string, color: string, dash: number[]) => ({
    label, data: [] as (number | null)[], borderColor: color, backgroundColor: color,
    borderDash: dash, borderWidth: dash.length ? 2 : 2.5, pointRadius: dash.length > 2 ? 0 : 2.5, pointHoverRadius: 5, tension: 0.25,
  });
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels: [],
      datasets: [
        series('no dropout · train', COLORS.plain, [6, 4]),
        series('no dropout · test', COLORS.plain, []),
        series('dropout · train', COLORS.dropout, [6, 4]),
        series('dropout · test', COLORS.dropout, []),
        series('dropout · train, dropout on', COLORS.dropout, [2, 3]),
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 250 },
      interaction: { mode: 'index', intersect: false },
      plugins: {
        title: { display: true, text: title, font: { size: 14, weight: 'bold' }, color: '#1c2230' },
        legend: { position: 'bottom', labels: { boxWidth: 22, boxHeight: 2, font: { size: 11.5 } } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${percentAxis ? percent(item.parsed.y ?? 0) : (item.parsed.y ?? 0).toFixed(3)}` } },
      },
      scales: {
        x: { title: { display: true, text: 'epoch' }, grid: { display: false } },
        y: { title: { display: true, text: yLabel }, ticks: percentAxis ? { callback: (v) => `${Math.round(Number(v) * 100)}%` } : {} },
      },
    },
  });
}

const choiceLabel = (lab: Lab): string => `dropout ${lab.settings.dropout.label}`;

export function setupTrainPanel(lab: Lab): { run(epochs: number, settings?: Partial<RunSettings>): Promise<void> } {
  const accuracy = lineChart($<HTMLCanvasElement>('t-acc'), 'Accuracy', 'accuracy', true);
  const loss = lineChart($<HTMLCanvasElement>('t-loss'), 'Loss (cross-entropy)', 'loss', false);
  const runButton = $<HTMLButtonElement>('t-run');
  const stopButton = $<HTMLButtonElement>('t-stop');
  const epochsInput = $<HTMLInputElement>('t-epochs');
  const imagesSelect = $<HTMLSelectElement>('t-images');
  const depthSelect = $<HTMLSelectElement>('t-depth');
  const rateSelect = $<HTMLSelectElement>('t-rate');
  const inputs = [epochsInput, imagesSelect, depthSelect, rateSelect];
  const bar = $('t-bar');
  const status = $('t-status');
  imagesSelect.replaceChildren(...SETUP.sizes.map((n) => new Option(n.toLocaleString('en-US'), String(n), false, n === SETUP.trainImages)));
  depthSelect.replaceChildren(...SETUP.depths.map((d) => new Option(`${d} × ${SETUP.width}`, String(d), false, d === SETUP.depth)));
  rateSelect.replaceChildren(...DROPOUT_CHOICES.map((c) => new Option(c.label, c.id, false, c.id === SETUP.dropout.id)));
  epochsInput.value = String(SETUP.defaultEpochs);
  const chosen = (): RunSettings => ({
    trainImages: Number(imagesSelect.value),
    depth: Number(depthSelect.value),
    dropout: DROPOUT_CHOICES.find((c) => c.id === rateSelect.value) ?? SETUP.dropout,
  });
  const describe = (): void => {
    const { trainImages, depth, dropout } = chosen();
    const where = dropout.inputRate ? `p = ${dropout.inputRate} on the input pixels and p = ${dropout.rate} after each hidden layer` : `p = ${dropout.rate} after each hidden layer`;
    $('t-model').textContent = `Setup: ${trainImages.toLocaleString('en-US')} training images (${trainImages / 10} per class), 1,000 test images; MLP ${lab.inputs} → ${hiddenLayers(depth).join(' → ')} → 10, ReLU, softmax; dropout: ${where}; Adam (learning rate ${SETUP.learningRate}), batches of ${SETUP.batchSize}; TensorFlow.js ${lab.backend} backend.`;
  };
  describe();
  for (const input of [imagesSelect, depthSelect, rateSelect]) input.addEventListener('change', describe);
  let stop = false;

  const setProgress = (fraction: number, text: string): void => {
    bar.style.width = `${(100 * Math.min(1, fraction)).toFixed(1)}%`;
    status.textContent = text;
  };
  const clock = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);

  function plot(curves: Record<Key, Curve>, epochs: number): void {
    const labels = Array.from({ length: epochs }, (_, i) => i + 1);
    for (const [chart, key] of [[accuracy, 'accuracy'], [loss, 'loss']] as const) {
      chart.data.labels = labels;
      const lines = [curves.plain.train, curves.plain.test, curves.dropout.train, curves.dropout.test, curves.dropout.trainOn ?? []];
      lines.forEach((points, i) => { chart.data.datasets[i]!.data = points.map((p) => p[key]); });
      chart.data.datasets[2]!.label = `${choiceLabel(lab)} · train`;
      chart.data.datasets[3]!.label = `${choiceLabel(lab)} · test`;
      chart.data.datasets[4]!.label = `${choiceLabel(lab)} · train, measured with dropout on`;
      chart.update();
    }
  }

  function summarize(curves: Record<Key, Curve>, ece: Record<Key, number>): void {
    const rows = (['plain', 'dropout'] as const).map((key) => {
      const s = summarizeCurve(curves[key]);
      const name = key === 'plain' ? 'no dropout' : choiceLabel(lab);
      return `<tr><th><span class="swatch" style="background:${COLORS[key]}"></span>${name}</th>
        <td>${percent(s.bestAccuracy)} <span class="dim">@ ${s.bestEpoch}</span></td><td>${percent(s.finalAccuracy)}</td>
        <td class="gap">${(100 * s.gap).toFixed(1)} pts</td><td>${s.finalTestLoss.toFixed(3)} <span class="dim">(min ${s.minTestLoss.toFixed(3)} @ ${s.minTestLossEpoch})</span></td>
        <td>${percent(ece[key])}</td></tr>`;
    });
    const [a, b] = [summarizeCurve(curves.plain), summarizeCurve(curves.dropout)];
    const delta = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
    const summary = $('t-summary');
    summary.hidden = false;
    summary.innerHTML = `<div class="table-scroll"><table class="results">
      <thead><tr><th>this run</th><th>best test acc. <span class="dim">@ epoch</span></th><th>final test acc.</th><th>gap <span class="dim">train − test</span></th><th>final test loss</th><th>calibration error</th></tr></thead>
      <tbody>${rows.join('')}</tbody></table></div>
      <p class="caption">Dropout − no dropout: best test accuracy ${delta(b.bestAccuracy - a.bestAccuracy)} pts, final ${delta(b.finalAccuracy - a.finalAccuracy)} pts, gap ${delta(b.gap - a.gap)} pts.
      One run of one seed: differences under about 1 point are within the spread between seeds (see the sweep's table above).
      Calibration error: how far the model's confidence is from its accuracy (expected calibration error, 10 bins; lower is better).</p>`;
  }

  async function run(epochs: number, overrides: Partial<RunSettings> = {}): Promise<void> {
    lab.training = true;
    stop = false;
    runButton.disabled = true;
    stopButton.disabled = false;
    for (const input of inputs) input.disabled = true;
    lab.reset({ ...chosen(), ...overrides });
    describe();
    lab.notify();
    const curves: Record<Key, Curve> = { plain: { train: [], test: [] }, dropout: { train: [], test: [], trainOn: [] } };
    plot(curves, epochs);
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
        const order = epochOrder(lab.train.count, SETUP.seed, epoch);
        for (const key of ['plain', 'dropout'] as const) {
          const model = lab[key];
          const during = await trainEpoch(model, lab.train, order, SETUP.batchSize, async (done, total) => {
            units++;
            progress(epoch, `training ${key === 'plain' ? 'without' : 'with'} dropout, batch ${done}/${total}`);
            await nextFrame();
          });
          if (stop) break;
          progress(epoch, `evaluating ${key === 'plain' ? 'without' : 'with'} dropout`);
          const [train, test] = [await evaluate(model, lab.train), await evaluate(model, lab.test)];
          units++;
          curves[key].train.push(train);
          curves[key].test.push(test);
          curves[key].trainOn?.push(during);
        }
        if (stop) break;
        lab.epochs = epoch;
        plot(curves, epochs);
        lab.notify();
      }
      const elapsed = clock(performance.now() - started);
      setProgress(stop ? units / (perEpoch * epochs) : 1, stop ? `Stopped after ${lab.epochs} epoch(s), ${elapsed}.` : `Done: ${epochs} epoch${epochs > 1 ? 's' : ''} of both models in ${elapsed}.`);
      if (lab.epochs > 0) {
        for (const key of ['plain', 'dropout'] as const) curves[key].train.length = curves[key].test.length = lab.epochs;
        summarize(curves, { plain: await calibrationError(lab.plain, lab.test), dropout: await calibrationError(lab.dropout, lab.test) });
      }
      document.body.dataset.trainSeconds = ((performance.now() - started) / 1000).toFixed(1);
    } catch (error) {
      console.error(error);
      setProgress(0, `Training failed: ${errorText(error)}`);
    } finally {
      lab.training = false;
      runButton.disabled = false;
      stopButton.disabled = true;
      for (const input of inputs) input.disabled = false;
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
