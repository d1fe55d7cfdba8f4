// `node bench/summary.mjs FILE.json…`: the rows of docs/real-gpu.md's "Real GPU results" table from
// core-suite results of bench/node.mjs (f32 and, where measured, f16 rows), for the sizes from
// 2^24 up (or the largest measured, when the sweep stopped lower): copy GB/s, then each kernel's
// GB/s and % of its copy's bandwidth, at each p. Needs nothing but Node.
import { readFileSync } from 'node:fs';

const KERNELS = ['forward', 'forward+mask', 'backward (rebuild)', 'backward (mask)'];

/** Markdown rows for one results file of the core suite. */
export function summaryRows(data) {
  const adapter = [data.adapter?.vendor, data.adapter?.architecture, data.adapter?.description].filter(Boolean).join(' ') || 'unknown';
  const byKey = new Map(data.results.map((r) => [`${r.name}|${r.n}|${r.p}`, r]));
  const sizes = [...new Set(data.results.map((r) => r.n))].sort((a, b) => a - b);
  const shown = sizes.filter((n) => n >= 2 ** 24);
  const rows = [];
  for (const n of shown.length ? shown : sizes.slice(-1)) {
    for (const p of data.rates) {
      for (const [dtype, suffix, copyName] of [['f32', '', 'copy'], ['f16', ' f16', 'copy f16']]) {
        const copy = byKey.get(`${copyName}|${n}|${p}`);
        if (!copy) continue;
        const gbs = (r) => {
          const v = ((r.bytesPerElement ?? 8) * r.n) / (r.median * 1e6);
          return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
        };
        const cells = KERNELS.map((k) => {
          const r = byKey.get(`${k}${suffix}|${n}|${p}`);
          return r ? `${gbs(r)} (${((100 * copy.median) / r.median).toFixed(0)} %)` : '';
        });
        rows.push(`| ${adapter} | 2^${Math.log2(n).toFixed(Number.isInteger(Math.log2(n)) ? 0 : 1)} | ${p} | ${dtype} | ${gbs(copy)} | ${cells.join(' | ')} |`);
      }
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  if (!files.length) {
    console.error('usage: node bench/summary.mjs bench/results/<date>-node-<adapter>.json …');
    process.exit(1);
  }
  console.log('| adapter | n | p | dtype | copy GB/s | forward | forward + mask | backward (rebuild) | backward (mask) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const file of files) {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    if (data.suite !== 'core') continue;
    for (const row of summaryRows(data)) console.log(row);
  }
}
