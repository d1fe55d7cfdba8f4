// Panel 6: the benchmark from bench/ (runSuite and the same implementations `npm run bench` uses)
// in the page: our fused forward vs tf.dropout (TensorFlow.js's webgpu backend) vs a plain copy
// kernel (the floor), timed by wall clock from the call to GPU completion at a few sizes; plus our
// kernel and the copy on the GPU timeline (timestamp queries) when the adapter has them. A chart of
// the wall-clock medians and a table that gives every number with what it measures.
import Chart from 'chart.js/auto';
import * as lib from 'webgpu-dropout';
import { ourImplementations, ourWallImplementations, runSuite, tfjsImplementations, type Implementation, type SuiteResult } from './bench-bridge.js';
import { type Gpu } from './gpu.js';
import { $, errorText, segmented } from './ui.js';

const SERIES = [
  { name: 'copy (wall)', label: 'copy kernel (the floor)', color: '#9aa3b3' },
  { name: 'forward (wall)', label: 'webgpu-dropout forward', color: '#2f6fde' },
  { name: 'tfjs dropout', label: 'tf.dropout (TensorFlow.js webgpu)', color: '#e0663a' },
];
const MODES = { quick: [16, 18, 20], full: [14, 16, 18, 20, 22] };
const sizeLabel = (n: number): string => `2^${Math.log2(n)} = ${n >= 1 << 20 ? `${n / (1 << 20)}M` : `${n / 1024}K`}`;

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
      animation: false, // drawn once, complete (an animation caught half-way on a busy machine showed bars in the wrong place)
      plugins: {
        title: { display: true, text: 'Dropout forward, p = 0.5: wall clock per call', font: { size: 14, weight: 'bold' }, color: '#1c2230', padding: { bottom: 18 } },
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${(item.parsed.y ?? 0).toFixed(2)} ms` } },
      },
      scales: {
        x: { title: { display: true, text: 'elements (float32)' }, grid: { display: false } },
        y: { type: 'logarithmic', title: { display: true, text: 'wall-clock ms per call, median (log scale)' }, ticks: { callback: (v) => (Number.isInteger(Math.log10(Number(v))) || [2, 5].includes(Number(String(v)[0])) ? `${Number(v)} ms` : '') } },
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

  function table(sizes: number[], cell: (name: string, n: number) => SuiteResult | undefined, timestamps: boolean): void {
    const ms = (r: SuiteResult | undefined): string => (r ? r.median.toFixed(2) : '—');
    const rows = sizes.map((n) => {
      const [copyWall, oursWall, theirs, copyGpu, oursGpu] = ['copy (wall)', 'forward (wall)', 'tfjs dropout', 'copy', 'forward'].map((name) => cell(name, n));
      const gbs = oursGpu ? ((8 * n) / (oursGpu.median * 1e6)).toFixed(1) : '—';
      return `<tr><th>${sizeLabel(n)}</th><td>${ms(copyWall)}</td><td><b>${ms(oursWall)}</b></td><td>${ms(theirs)}</td>
        <td>${oursWall && theirs ? `${(theirs.median / oursWall.median).toFixed(1)}×` : '—'}</td>
        <td>${timestamps ? ms(copyGpu) : 'n/a'}</td><td>${timestamps ? `<b>${ms(oursGpu)}</b>` : 'n/a'}</td>
        <td>${timestamps && oursGpu && copyGpu ? `${(oursGpu.median / copyGpu.median).toFixed(2)}×` : '—'}</td><td>${timestamps ? gbs : '—'}</td>
        <td>${oursWall ? oursWall.firstRunMs.toFixed(0) : '—'}</td></tr>`;
    });
    $('s-table').innerHTML = `<thead>
      <tr><th rowspan="2">size</th><th colspan="4">wall clock, ms (call → GPU done)</th><th colspan="4">GPU timeline, ms (timestamp queries)</th><th rowspan="2">first call, ms<br /><span class="dim">incl. compile</span></th></tr>
      <tr><th>copy (floor)</th><th>ours</th><th>tf.dropout</th><th>ours faster</th><th>copy (floor)</th><th>ours</th><th>ours ÷ copy</th><th>GB/s</th></tr></thead>
      <tbody>${rows.join('')}</tbody>`;
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
      chart.data.labels = sizes.map(sizeLabel);
      SERIES.forEach((s, i) => { chart.data.datasets[i]!.data = sizes.map((n) => cell(s.name, n)?.median ?? 0); });
      chart.options.plugins!.title!.text = ['Dropout forward, p = 0.5: wall clock per call', `median of 10, ${gpu.adapterName}`];
      chart.update();
      const timestamps = timing === 'timestamp-query';
      table(sizes, cell, timestamps);
      const largest = sizes[sizes.length - 1]!;
      const [ourWall, theirs, gpuOurs, gpuCopy] = ['forward (wall)', 'tfjs dropout', 'forward', 'copy'].map((name) => cell(name, largest)?.median);
      const parts = [`At 2^${Math.log2(largest)} elements, wall clock: ours ${ourWall?.toFixed(2)} ms vs tf.dropout ${theirs?.toFixed(2)} ms.`];
      parts.push(timestamps && gpuOurs && gpuCopy
        ? `On the GPU timeline our kernel takes ${(gpuOurs / gpuCopy).toFixed(2)}× the copy kernel (${gpuOurs.toFixed(2)} vs ${gpuCopy.toFixed(2)} ms).`
        : 'This adapter has no timestamp queries, so only wall-clock times are shown.');
      if (gpu.software) parts.push(`${gpu.adapterName} is a CPU emulating a GPU: absolute numbers are far from a real GPU's, and its timestamps come from the same busy CPU.`);
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
