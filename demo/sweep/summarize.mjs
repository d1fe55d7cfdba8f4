// Summarizes the sweep's JSON lines (demo/sweep/results/*.jsonl, written by sweep.mjs): for every
// setting (architecture, training images, learning rate, epochs, dropout rates) the mean and
// standard deviation over seeds of best and final test accuracy, the epoch of the best, the
// generalization gap, the final test loss and the calibration error, for the model without
// dropout, the model with it, and their paired difference (same seed: same initial weights and
// batches). Writes demo/sweep/results/summary.json (the page's sweep table reads it) and prints
// the Markdown tables of docs/demo.md.
//
//   node demo/sweep/summarize.mjs [--cut 20,30] (also summarize every run cut at these epochs)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importExperiment, root } from './bundle.mjs';

const args = process.argv.slice(2);
const cuts = (args.includes('--cut') ? args[args.indexOf('--cut') + 1] : '').split(',').filter(Boolean).map(Number);
const { summarizeCurve } = await importExperiment();
const dir = join(root, 'demo/sweep/results');
const runs = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()
  .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((line) => ({ file: f, ...JSON.parse(line) })));

const stats = (values) => {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean: Math.round(mean * 1e4) / 1e4, sd: Math.round(sd * 1e4) / 1e4, min: Math.min(...values), max: Math.max(...values), n };
};
const groups = new Map();
for (const run of runs) {
  for (const d of run.dropout) {
    for (const epochs of [run.epochs, ...cuts.filter((c) => c < run.epochs)]) {
      const key = JSON.stringify([run.hidden, run.images, run.lr, epochs, d.inputRate, d.rate]);
      if (!groups.has(key)) groups.set(key, { hidden: run.hidden, images: run.images, lr: run.lr, epochs, inputRate: d.inputRate, rate: d.rate, seeds: [], pairs: [] });
      const group = groups.get(key);
      if (group.seeds.includes(run.seed)) continue; // a setting measured twice: keep the first
      group.seeds.push(run.seed);
      const full = epochs === run.epochs;
      group.pairs.push({
        plain: { ...summarizeCurve(run.plain.curve, epochs), ece: full ? run.plain.ece : null },
        dropout: { ...summarizeCurve(d.curve, epochs), ece: full ? d.ece : null },
      });
    }
  }
}
const METRICS = ['bestAccuracy', 'bestEpoch', 'finalAccuracy', 'gap', 'finalTestLoss', 'minTestLoss', 'ece'];
const summary = [...groups.values()].map((g) => {
  const side = (k) => Object.fromEntries(METRICS.filter((m) => g.pairs.every((p) => p[k][m] !== null)).map((m) => [m, stats(g.pairs.map((p) => p[k][m]))]));
  const diff = Object.fromEntries(['bestAccuracy', 'finalAccuracy', 'gap', 'finalTestLoss'].map((m) => [m, stats(g.pairs.map((p) => p.dropout[m] - p.plain[m]))]));
  return { hidden: g.hidden, images: g.images, lr: g.lr, epochs: g.epochs, inputRate: g.inputRate, rate: g.rate, seeds: g.seeds, plain: side('plain'), dropout: side('dropout'), diff };
}).sort((a, b) => a.images - b.images || a.hidden.length - b.hidden.length || a.hidden[0] - b.hidden[0] || a.epochs - b.epochs || a.lr - b.lr || a.inputRate - b.inputRate || a.rate - b.rate);
writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ runs: runs.length, settings: summary }, null, 1)}\n`);

const pct = (s) => `${(100 * s.mean).toFixed(1)}${s.n > 1 ? ` ± ${(100 * s.sd).toFixed(1)}` : ''}`;
const pts = (s) => `${s.mean >= 0 ? '+' : '−'}${Math.abs(100 * s.mean).toFixed(1)}${s.n > 1 ? ` ± ${(100 * s.sd).toFixed(1)}` : ''}`;
const num = (s, d = 3) => (s ? `${s.mean.toFixed(d)}${s.n > 1 ? ` ± ${s.sd.toFixed(d)}` : ''}` : '—');
console.log('| images | hidden | lr | epochs | dropout | seeds | best test acc. % (no / with) | epoch of best | final test acc. % | Δ best | Δ final | gap pts (no / with) | final test loss | calibration error % |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const s of summary) {
  const rates = s.inputRate ? `in ${s.inputRate} + hid ${s.rate}` : `hid ${s.rate}`;
  console.log(`| ${s.images} | ${s.hidden.join('×')} | ${s.lr} | ${s.epochs} | ${rates} | ${s.seeds.length} | ${pct(s.plain.bestAccuracy)} / ${pct(s.dropout.bestAccuracy)} | ${num(s.plain.bestEpoch, 0)} / ${num(s.dropout.bestEpoch, 0)} | ${pct(s.plain.finalAccuracy)} / ${pct(s.dropout.finalAccuracy)} | ${pts(s.diff.bestAccuracy)} | ${pts(s.diff.finalAccuracy)} | ${pct(s.plain.gap)} / ${pct(s.dropout.gap)} | ${num(s.plain.finalTestLoss, 2)} / ${num(s.dropout.finalTestLoss, 2)} | ${s.plain.ece ? `${pct(s.plain.ece)} / ${pct(s.dropout.ece)}` : '—'} |`);
}
