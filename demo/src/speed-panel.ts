// Panel 5: the benchmark from bench/ (runSuite and the same implementations `npm run bench`
// uses) in the page, quick mode: our fused forward vs tf.dropout (TensorFlow.js's webgpu backend)
// vs a plain copy kernel, wall clock from the call to GPU completion, as a bar chart; plus our
// kernel against the copy on the GPU timeline (timestamp queries) when the adapter has them.
import Chart from 'chart.js/auto';
import * as lib from 'webgpu-dropout';
import { ourImplementations, ourWallImplementations, runSuite, tfjsImplementations, type Implementation, type SuiteResult } from './bench-bridge.js';
import { type Gpu } from './gpu.js';
import { $, errorText, segmented } from './ui.js';

const SERIES = [
  { name: 'copy (wall)', label: 'copy kernel (floor)', color: '#9aa3b3' },
  { name: 'forward (wall)', label: 'webgpu-dropout forward', color: '#2f6fde' },
  { name: 'tfjs dropout', label: 'tf.dropout (TensorFlow.js webgpu)', color: '#e0663a' },
];
const MODES = { quick: [16, 20], full: [16, 18, 20, 22] };

export function setupSpeedPanel(gpu: Gpu | null): { run(): Promise<void> } {
  const runButton = $<HTMLButtonElement>('s-run');
  const status = $('s-status');
  let mode: keyof typeof MODES = 'quick';
  segmented($<HTMLButtonElement>('s-quick'), $<HTMLButtonElement>('s-full'), (quick) => { mode = quick ? 'quick' : 'full'; });
  const chart = new Chart<'bar', number[], string>($<HTMLCanvasElement>('s-chart'), {
    type: 'bar',
    data: { labels: [], datasets: SERIES.map((s) => ({ label: s.label, data: [] as number[], backgroundColor: s.color, borderRadius: 4 })) },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 300 },
      plugins: {
        title: { display: true, text: 'Dropout forward, p = 0.5: milliseconds per call (lower is better)', font: { size: 14, weight: 'bold' }, color: '#1c2230', padding: { bottom: 18 } },
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${(item.parsed.y ?? 0).toFixed(2)} ms` } },
      },
      scales: {
        x: { title: { display: true, text: 'elements (float32)' }, grid: { display: false } },
        y: { type: 'logarithmic', title: { display: true, text: 'ms per call, median (log scale)' }, ticks: { callback: (v) => (Number.isInteger(Math.log10(Number(v))) || [2, 5].includes(Number(String(v)[0])) ? `${Number(v)} ms` : '') } },
      },
    },
    plugins: [{
      // The median on top of each bar.
      id: 'bar-values',
      afterDatasetsDraw(c) {
        const g = c.ctx;
        g.save();
        g.font = '11px system-ui, sans-serif';
        g.fillStyle = '#39414f';
        g.textAlign = 'center';
        g.textBaseline = 'bottom';
        c.data.datasets.forEach((dataset, i) => {
          c.getDatasetMeta(i).data.forEach((bar, j) => {
            const v = dataset.data[j] as number;
            if (v > 0) g.fillText(v < 10 ? v.toFixed(2) : v.toFixed(1), bar.x, bar.y - 2);
          });
        });
        g.restore();
      },
    }],
  });
  if (!gpu) {
    runButton.disabled = true;
    status.textContent = 'Needs WebGPU.';
  }

  async function run(): Promise<void> {
    if (!gpu) return;
    runButton.disabled = true;
    const started = performance.now();
    try {
      status.textContent = 'Loading TensorFlow.js…';
      const tfjs = await tfjsImplementations();
      const ours = ourImplementations(lib, gpu.device).filter((impl) => impl.name === 'copy' || impl.name === 'forward');
      const impls: Implementation[] = [...ours, ...ourWallImplementations(lib, gpu.device), ...tfjs.impls.filter((impl) => impl.name === 'tfjs dropout')];
      const sizes = MODES[mode].map((s) => 2 ** s);
      const { timing, results } = await runSuite({
        device: gpu.device, impls, sizes, rates: [0.5], samples: 10, warmup: 3,
        progress: ({ n, round, samples, done, total }) => { status.textContent = `Size ${done + 1}/${total} (2^${Math.log2(n)}): round ${round}/${samples}…`; },
      });
      const cell = (name: string, n: number): SuiteResult | undefined => results.find((r) => r.name === name && r.n === n);
      chart.data.labels = sizes.map((n) => `2^${Math.log2(n)} = ${n >= 1 << 20 ? `${n / (1 << 20)}M` : `${n / 1024}K`}`);
      SERIES.forEach((s, i) => { chart.data.datasets[i]!.data = sizes.map((n) => cell(s.name, n)?.median ?? 0); });
      chart.options.plugins!.title!.text = `Dropout forward, p = 0.5, on ${gpu.adapterName}: ms per call, median (lower is better)`;
      chart.update();
      const largest = sizes[sizes.length - 1]!;
      const ourWall = cell('forward (wall)', largest)?.median;
      const theirs = cell('tfjs dropout', largest)?.median;
      const gpuOurs = cell('forward', largest)?.median;
      const gpuCopy = cell('copy', largest)?.median;
      const parts = [`At 2^${Math.log2(largest)} elements: ours ${ourWall?.toFixed(2)} ms vs tf.dropout ${theirs?.toFixed(2)} ms (${ourWall && theirs ? (theirs / ourWall).toFixed(1) : '?'}× faster).`];
      if (timing === 'timestamp-query' && gpuOurs && gpuCopy) parts.push(`On the GPU timeline (timestamp queries) our kernel takes ${(gpuOurs / gpuCopy).toFixed(2)}× a plain copy (${gpuOurs.toFixed(2)} vs ${gpuCopy.toFixed(2)} ms).`);
      parts.push(`Wall clock includes the browser's submit → done round trip (the copy bar at 2^16 is mostly that). Adapter: ${gpu.adapterName}${gpu.software ? ' — a CPU emulation of a GPU, so absolute numbers are far from a real GPU\'s' : ''}.`);
      $('s-summary').textContent = parts.join(' ');
      status.textContent = `Done in ${((performance.now() - started) / 1000).toFixed(0)} s.`;
      document.body.dataset.speedDone = 'true';
    } catch (error) {
      console.error(error);
      status.textContent = `Benchmark failed: ${errorText(error)}`;
    } finally {
      runButton.disabled = false;
    }
  }
  runButton.addEventListener('click', () => void run());
  return { run };
}
