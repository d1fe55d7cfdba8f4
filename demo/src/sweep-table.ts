// The offline sweep's findings (demo/sweep/results/summary.json, written by demo/sweep/summarize.mjs)
// as a table above the training panel: the page's numbers over several seeds, so that one run in
// the browser can be read against the spread.
import summary from '../sweep/results/summary.json';
import { $ } from './ui.js';

interface Stat { mean: number; sd: number; n: number }
interface Side { bestAccuracy: Stat; bestEpoch: Stat; finalAccuracy: Stat; gap: Stat; finalTestLoss: Stat; ece?: Stat }
interface Setting {
  hidden: number[];
  images: number;
  lr: number;
  epochs: number;
  inputRate: number;
  rate: number;
  seeds: number[];
  plain: Side;
  dropout: Side;
  diff: { bestAccuracy: Stat; finalAccuracy: Stat; gap: Stat; finalTestLoss: Stat };
}

const pct = (s: Stat): string => `${(100 * s.mean).toFixed(1)}<span class="dim"> ± ${(100 * s.sd).toFixed(1)}</span>`;
const delta = (s: Stat): string => {
  // A difference counts only when it is larger than twice its standard error over the seeds.
  const real = s.n > 1 && Math.abs(s.mean) > (2 * s.sd) / Math.sqrt(s.n);
  return `<td class="${real ? (s.mean > 0 ? 'gain' : 'loss') : ''}">${s.mean >= 0 ? '+' : '−'}${Math.abs(100 * s.mean).toFixed(1)}<span class="dim"> ± ${(100 * s.sd).toFixed(1)}</span></td>`;
};

/** Renders the settings measured over `minSeeds` or more seeds. */
export function renderSweep(minSeeds = 3): void {
  const settings = (summary.settings as Setting[]).filter((s) => s.seeds.length >= minSeeds);
  if (!settings.length) return;
  const rows = settings.map((s) => `<tr>
    <th>${s.images.toLocaleString('en-US')} images · ${s.hidden.join('×')} · ${s.epochs} epochs · ${s.inputRate ? `input ${s.inputRate} + ` : ''}hidden ${s.rate}</th>
    <td>${pct(s.plain.bestAccuracy)} → ${pct(s.dropout.bestAccuracy)}</td>${delta(s.diff.bestAccuracy)}
    <td>${s.plain.bestEpoch.mean.toFixed(0)} → ${s.dropout.bestEpoch.mean.toFixed(0)}</td>
    <td>${pct(s.plain.finalAccuracy)} → ${pct(s.dropout.finalAccuracy)}</td>${delta(s.diff.finalAccuracy)}
    <td>${(100 * s.plain.gap.mean).toFixed(1)} → ${(100 * s.dropout.gap.mean).toFixed(1)}</td>
    <td>${s.plain.finalTestLoss.mean.toFixed(2)} → ${s.dropout.finalTestLoss.mean.toFixed(2)}</td>
    <td>${s.plain.ece && s.dropout.ece ? `${(100 * s.plain.ece.mean).toFixed(1)} → ${(100 * s.dropout.ece.mean).toFixed(1)}` : '—'}</td></tr>`);
  $('t-sweep').innerHTML = `<h3>Measured offline first: no dropout → dropout, mean ± standard deviation over ${settings[0]!.seeds.length} seeds</h3>
    <div class="table-scroll"><table class="results">
      <thead><tr><th>setting</th><th>best test acc. %</th><th>Δ best</th><th>epoch of best</th><th>final test acc. %</th><th>Δ final</th><th>gap pts</th><th>test loss</th><th>calibration error %</th></tr></thead>
      <tbody>${rows.join('')}</tbody></table></div>
    <p class="caption">The same code trained in Node (TensorFlow.js wasm backend, the same masks) by <code>demo/sweep/sweep.mjs</code>; every seed changes the initial weights, the batch order and the masks.
      Green/red: a difference larger than twice its standard error. Details and every setting tried: docs/demo.md.</p>`;
}
