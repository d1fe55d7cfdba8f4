// Panel 3: the first hidden layer's ReLU activations for 500 test images, before and after
// dropout(h, p) from webgpu-dropout/tfjs (our kernel on tfjs's own device), as histograms.
import Chart from 'chart.js/auto';
import { dropout } from 'webgpu-dropout/tfjs';
import { testBatch, type Lab } from './lab.js';
import { tf } from './model.js';
import { $, errorText, latest, percent } from './ui.js';

const SAMPLES = 500;
const BINS = 40;

export function setupHistPanel(lab: Lab): { refresh(): Promise<void> } {
  const slider = $<HTMLInputElement>('h-p');
  const indices = Array.from({ length: SAMPLES }, (_, i) => Math.floor((i * lab.test.count) / SAMPLES));
  let draw = 0;
  const chart = new Chart<'bar', number[], string>($<HTMLCanvasElement>('h-chart'), {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'before dropout', data: [], backgroundColor: 'rgba(93, 102, 120, 0.55)', borderColor: 'rgba(93, 102, 120, 0.9)', borderWidth: 1, grouped: false, barPercentage: 1, categoryPercentage: 1 },
        { label: 'after dropout', data: [], backgroundColor: 'rgba(47, 111, 222, 0.45)', borderColor: 'rgba(47, 111, 222, 0.95)', borderWidth: 1, grouped: false, barPercentage: 1, categoryPercentage: 1 },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 200 },
      plugins: {
        title: { display: true, text: 'Non-zero activations of hidden layer 1 (ReLU)', font: { size: 14, weight: 'bold' }, color: '#1c2230' },
        legend: { position: 'bottom' },
        tooltip: { callbacks: { title: (items) => `value ≈ ${items[0]?.label ?? ''}` } },
      },
      scales: {
        x: { title: { display: true, text: 'activation value' }, grid: { display: false }, ticks: { maxTicksLimit: 11 } },
        y: { title: { display: true, text: 'count' }, beginAtZero: true },
      },
    },
  });

  async function refresh(): Promise<void> {
    const p = Number(slider.value);
    const x = testBatch(lab, indices);
    const hidden = lab.dropout.getLayer('dense1').apply(x) as tf.Tensor;
    const dropped = dropout(hidden, p, { seed: 2024, offset: draw++ });
    const [before, after] = await Promise.all([hidden.data(), dropped.data()]) as [Float32Array, Float32Array];
    tf.dispose([x, hidden, dropped]);

    const top = after.reduce((m, v) => Math.max(m, v), 1e-6); // no spread: 128,000 values overflow the call stack
    const width = top / BINS;
    const histogram = (values: Float32Array): number[] => {
      const counts = new Array<number>(BINS).fill(0);
      for (const v of values) if (v > 0) counts[Math.min(BINS - 1, Math.floor(v / width))]!++;
      return counts;
    };
    chart.data.labels = Array.from({ length: BINS }, (_, i) => ((i + 0.5) * width).toFixed(2));
    chart.data.datasets[0]!.data = histogram(before);
    chart.data.datasets[1]!.data = histogram(after);
    chart.update();

    const stats = (values: Float32Array): { zeros: number; mean: number; max: number } => {
      let zeros = 0;
      let sum = 0;
      let max = 0;
      for (const v of values) {
        if (v === 0) zeros++;
        sum += v;
        max = Math.max(max, v);
      }
      return { zeros: zeros / values.length, mean: sum / values.length, max };
    };
    const b = stats(before);
    const a = stats(after);
    $('h-zeros').textContent = `${percent(b.zeros, 0)} → ${percent(a.zeros, 0)}`;
    // Formulas in nowrap spans: a line break may fall before one, never inside it.
    $('h-zeros-sub').innerHTML = `expected after: <span class="formula">1 − (1 − ${percent(b.zeros, 0)})(1 − p) = ${percent(1 - (1 - b.zeros) * (1 - p), 0)}</span>`;
    $('h-mean').textContent = `${b.mean.toFixed(3)} → ${a.mean.toFixed(3)}`;
    $('h-mean-sub').textContent = 'unchanged on average: survivors are scaled up';
    $('h-max').textContent = `${b.max.toFixed(2)} → ${a.max.toFixed(2)}`;
    $('h-max-sub').innerHTML = `<span class="formula">× 1/(1 − p) = ×${(1 / (1 - p)).toFixed(2)}</span>`;
    chart.options.plugins!.title!.text = `Non-zero activations of hidden layer 1 (${lab.epochs ? `after ${lab.epochs} epoch${lab.epochs > 1 ? 's' : ''}` : 'initial weights'}), ${SAMPLES} test images × ${before.length / SAMPLES} units`;
    chart.update('none');
  }

  const runner = latest(refresh, (error) => {
    console.error(error);
    $('h-zeros-sub').textContent = errorText(error);
  });
  slider.addEventListener('input', () => {
    $('h-p-out').textContent = Number(slider.value).toFixed(2);
    void runner.request();
  });
  $('h-run').addEventListener('click', () => void runner.request());
  // Re-sample when training finishes an epoch (cheap: one layer on 500 images).
  lab.listeners.add(() => { if (!lab.training) void runner.request(); });
  return { refresh: () => runner.request() };
}
