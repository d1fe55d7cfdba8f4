// Benchmark harness shared by Node (bench/node.mjs) and headless Chrome (bench/page). Setup stays
// outside the timed region; each sample times one iteration on the GPU with timestamp queries
// written by two empty marker passes around the work (first and last pass only), or by wall clock
// to onSubmittedWorkDone where the adapter lacks timestamp-query. Implementations are interleaved
// in every round so machine drift hits all of them alike.

/** Median, min and max of a sample. */
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], count: s.length };
}

export class GpuTimer {
  constructor(device) {
    this.device = device;
    this.timestamps = device.features.has('timestamp-query');
    if (this.timestamps) {
      this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
      this.resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      this.read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
  }

  /** Milliseconds of GPU time for the work `encode(encoder)` records (may be async). */
  async time(encode) {
    const device = this.device;
    const encoder = device.createCommandEncoder({ label: 'bench' });
    if (this.timestamps) encoder.beginComputePass({ timestampWrites: { querySet: this.querySet, endOfPassWriteIndex: 0 } }).end();
    await encode(encoder);
    if (this.timestamps) {
      encoder.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 1 } }).end();
      encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      encoder.copyBufferToBuffer(this.resolve, 0, this.read, 0, 16);
    }
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    if (!this.timestamps) {
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    }
    await this.read.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(this.read.getMappedRange().slice(0));
    this.read.unmap();
    return Number(end - begin) / 1e6;
  }

  destroy() {
    this.querySet?.destroy();
    this.resolve?.destroy();
    this.read?.destroy();
  }
}

/**
 * Runs every implementation at every (n, p): warm-up, then `samples` interleaved rounds.
 * impls: [{ name, baseline?, bytesPerElement?, prepare(n, p) → Promise<{ encode(encoder) | run() → Promise<ms>, dispose() }> }]
 * (`baseline`: the implementation this one is compared with, e.g. 'copy f16' for f16 rows;
 * `bytesPerElement`: bytes read + written per element, 8 by default). An implementation that
 * cannot be timed on the GPU (e.g. one that submits by itself) provides `run()` returning its own
 * milliseconds. `stop()`, checked before each (n, p), ends the sweep early (a time budget); the
 * result says whether it was `complete`.
 */
export async function runSuite({ device, impls, sizes, rates, samples = 10, warmup = 2, progress = () => {}, stop = () => false }) {
  const timer = new GpuTimer(device);
  const results = [];
  const total = sizes.length * rates.length;
  let done = 0;
  let complete = true;
  for (const n of sizes) {
    for (const p of rates) {
      if (stop()) {
        complete = false;
        break;
      }
      const prepared = [];
      for (const impl of impls) {
        const t0 = performance.now();
        const bench = await impl.prepare(n, p);
        const one = () => (bench.run ? bench.run() : timer.time((encoder) => bench.encode(encoder)));
        await one(); // first run includes pipeline compilation: reported apart
        prepared.push({ impl, bench, one, firstMs: performance.now() - t0, times: [] });
      }
      for (let w = 0; w < warmup; w++) for (const entry of prepared) await entry.one();
      for (let s = 0; s < samples; s++) {
        for (const entry of prepared) entry.times.push(await entry.one());
        progress({ n, p, round: s + 1, samples, done, total });
      }
      for (const entry of prepared) {
        entry.bench.dispose?.();
        const { name, baseline, bytesPerElement = 8 } = entry.impl;
        results.push({ name, ...(baseline ? { baseline } : {}), bytesPerElement, n, p, firstRunMs: entry.firstMs, ...summarize(entry.times), samples: entry.times });
      }
      done++;
    }
  }
  timer.destroy();
  return { timing: timer.timestamps ? 'timestamp-query' : 'wall-clock', results, complete };
}

/**
 * A printable table: ms, GB/s (bytesPerElement, 8 unless the row says, per element), the time
 * ratio to the row's baseline (`baseline`, or the row's own `baseline` such as 'copy f16') and
 * the fraction of its bandwidth (baseline time / row time), speed-ups over peers.
 */
export function formatTable(results, { baseline = 'copy', peers = [] } = {}) {
  const rows = [];
  const key = (r) => `${r.n}|${r.p}`;
  const byKey = new Map();
  for (const r of results) (byKey.get(key(r)) ?? byKey.set(key(r), new Map()).get(key(r))).set(r.name, r);
  const header = ['n', 'p', 'implementation', 'median ms', 'min–max ms', 'GB/s', `× ${baseline}`, `% of ${baseline} BW`, ...peers.map((p) => `speed-up vs ${p}`), 'first run ms'];
  for (const group of byKey.values()) {
    for (const r of group.values()) {
      const base = group.get(r.baseline ?? baseline);
      const log2 = Math.log2(r.n);
      rows.push([
        Number.isInteger(log2) ? `2^${log2}` : String(r.n),
        String(r.p),
        r.name,
        r.median.toFixed(3),
        `${r.min.toFixed(3)}–${r.max.toFixed(3)}`,
        (((r.bytesPerElement ?? 8) * r.n) / (r.median * 1e6)).toFixed(2),
        base ? (r.median / base.median).toFixed(2) : '',
        base ? `${((100 * base.median) / r.median).toFixed(0)} %` : '',
        ...peers.map((peer) => (group.get(peer) && !peers.includes(r.name) && r.name !== baseline && !r.baseline ? `${(group.get(peer).median / r.median).toFixed(1)}×` : '')),
        r.firstRunMs.toFixed(0),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
