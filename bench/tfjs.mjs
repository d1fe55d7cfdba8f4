// `npm run bench:tfjs`: webgpu-dropout/tfjs against TensorFlow.js's own dropout, both on the tfjs
// `webgpu` backend in headless Chromium (SwiftShader when there is no GPU). Serves the repo on
// 127.0.0.1 with Vite and opens bench/tfjs-page/, which measures
// - an MLP training step (784-512-512-10, dropout after each hidden layer, batch 256, adam,
//   model.trainOnBatch): tf.layers.dropout vs our layer, and the MLP without dropout;
// - dropout alone at one hidden layer's size: forward + backward (tf.grad), tf.dropout vs ours;
// - the bare op at 2^22 elements: tf.dropout vs our dropout (call → GPU done).
// Options: --quick, --samples N, --rate R (the MLP's dropout rate, default 0.2),
// --op-rates 0.1,0.5, --log2n 22.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import puppeteer from 'puppeteer-core';
import { createServer } from 'vite';
import { findBrowser, INSTALL_HINT } from '../scripts/gpu-env.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROME_ARGS = [
  '--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];
const TFJS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-webgpu'];
const args = process.argv.slice(2);

function fail(message) {
  console.error(`✗ ${message}`);
  process.exit(1);
}

function parseOptions() {
  const option = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return fallback;
    if (args[i + 1] === undefined || args[i + 1].startsWith('--')) fail(`--${name} needs a value`);
    return args[i + 1];
  };
  const quick = args.includes('--quick');
  const samples = Number(option('samples', quick ? 4 : 12));
  const rate = Number(option('rate', '0.2'));
  const opRates = option('op-rates', '0.1,0.5').split(',').map(Number);
  const log2n = Number(option('log2n', '22'));
  if (!Number.isInteger(samples) || samples < 1) fail('--samples takes a positive integer');
  if (!(rate > 0 && rate < 1) || !opRates.every((p) => p > 0 && p < 1)) fail('--rate and --op-rates take drop rates in (0, 1)');
  if (!Number.isInteger(log2n) || log2n < 10 || log2n > 26) fail('--log2n takes an integer in 10..26');
  return { quick, samples, warmup: quick ? 1 : 2, rate, opRates, log2n };
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

async function withTimeout(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 60_000)} min`)), ms); });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const ms = (v) => v.toFixed(1);

/** Median over rounds of a / b: the rounds were interleaved, so each pair saw the same machine state. */
function pairedRatio(a, b) {
  const ratios = a.samples.map((v, i) => v / b.samples[i]).sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  return ratios.length % 2 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
}

function report({ mlp, alone, op }, opts) {
  const by = (list, name) => list.find((r) => r.name === name);
  const none = by(mlp.results, 'no dropout');
  const theirs = by(mlp.results, 'tf.layers.dropout');
  const ours = by(mlp.results, 'webgpu-dropout layer');
  console.log(`\nMLP 784-512-512-10, dropout ${opts.rate} after each hidden layer, batch 256, adam, model.trainOnBatch (wall clock per step):`);
  console.log(table(['model', 'median ms', 'min–max ms', 'dropout cost ms (vs no dropout)'], mlp.results.map((r) => [
    r.name, ms(r.median), `${ms(r.min)}–${ms(r.max)}`, r === none ? '' : ms(r.median - none.median),
  ])));
  const stepSpeedup = theirs.median / ours.median;
  const paired = pairedRatio(theirs, ours);
  const saved = theirs.median - ours.median;
  console.log(`→ step time, tf.layers.dropout / ours: ${stepSpeedup.toFixed(3)}× by medians (${ms(saved)} ms, ${((1 - ours.median / theirs.median) * 100).toFixed(1)}% of the step), ${paired.toFixed(3)}× as the median of per-round ratios`);
  if (theirs.median > none.median) {
    console.log(`  dropout's share of the step: ${ms(theirs.median - none.median)} ms with tf.layers.dropout, ${ms(ours.median - none.median)} ms with ours`);
  }
  console.log(`  fused draws during the MLP rounds: ${mlp.fusedDraws} (forward + backward per step and layer)`);
  const at = (name) => alone.find((r) => r.name === name);
  const aloneSpeedup = at('tf.dropout').median / at('webgpu-dropout dropout').median;
  console.log(`\nDropout alone at one hidden layer's size [256, 512], p ${opts.rate}: forward + backward via tf.grad (call → GPU done):`);
  console.log(table(['op', 'median ms', 'min–max ms', 'speed-up vs tf.dropout'], alone.map((r) => [
    r.name, ms(r.median), `${ms(r.min)}–${ms(r.max)}`, r.name === 'tf.dropout' ? '' : `${aloneSpeedup.toFixed(1)}×`,
  ])));
  console.log(`\nBare op at n = 2^${opts.log2n} (call → GPU done, wall clock):`);
  const rows = [];
  const speedups = [];
  for (const p of opts.opRates) {
    const t = op.find((r) => r.p === p && r.name === 'tf.dropout');
    const o = op.find((r) => r.p === p && r.name === 'webgpu-dropout dropout');
    speedups.push({ p, speedup: t.median / o.median });
    for (const r of [t, o]) rows.push([String(p), r.name, ms(r.median), `${ms(r.min)}–${ms(r.max)}`, r === o ? `${(t.median / o.median).toFixed(1)}×` : '']);
  }
  console.log(table(['p', 'op', 'median ms', 'min–max ms', 'speed-up vs tf.dropout'], rows));
  return { stepSpeedup, stepSpeedupPaired: paired, stepSavedMs: saved, dropoutAloneSpeedup: aloneSpeedup, opSpeedups: speedups };
}

async function main(opts, executablePath) {
  const started = Date.now();
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'error',
    cacheDir: join(root, 'node_modules/.vite-bench-tfjs'),
    server: {
      host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    optimizeDeps: { entries: ['bench/tfjs-page/index.html'], include: TFJS },
  });
  await server.listen();
  const profile = mkdtempSync(join(tmpdir(), 'webgpu-dropout-bench-tfjs-'));
  const browser = await puppeteer.launch({ executablePath, headless: true, args: [...CHROME_ARGS, `--user-data-dir=${profile}`] });
  const problems = [];
  let exitCode = 1;
  try {
    const start = deferred();
    const done = deferred();
    const page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
    page.on('error', (error) => done.resolve({ fatal: `page crashed: ${error.message}` }));
    await page.exposeFunction('benchStart', start.resolve);
    await page.exposeFunction('benchDone', done.resolve);
    await page.exposeFunction('benchProgress', ({ stage, round, samples }) => {
      if (round === samples) console.log(`  ${stage}: ${samples} rounds (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    });
    const version = await browser.version();
    const query = new URLSearchParams({ samples: opts.samples, warmup: opts.warmup, rate: opts.rate, opRates: opts.opRates.join(','), log2n: opts.log2n });
    await page.goto(`${server.resolvedUrls.local[0]}bench/tfjs-page/index.html?${query}`, { timeout: 120_000 });
    const first = await withTimeout(Promise.race([start.promise, done.promise]), 5 * 60_000, 'page start-up');
    if (first.fatal) throw new Error(first.fatal);
    console.log(`webgpu-dropout/tfjs bench (headless ${version}) on ${first.adapter}; @tensorflow/tfjs-core ${first.tfjs} + tfjs-backend-webgpu ${packageVersion('@tensorflow/tfjs-backend-webgpu')} + tfjs-layers ${packageVersion('@tensorflow/tfjs-layers')}; ${opts.samples} samples, ${opts.warmup} warm-up, interleaved`);
    const result = await withTimeout(done.promise, 60 * 60_000, 'benchmark');
    if (result.fatal) throw new Error(result.fatal);
    problems.push(...result.problems);
    const summary = report(result, opts);
    console.log([
      '',
      'notes:',
      '- one GPUDevice (tfjs\'s): our kernels are recorded into tfjs-backend-webgpu\'s command encoder on its buffers, no copies.',
      '- tf.dropout draws its uniforms on the CPU (seedrandom), uploads them and runs add/floor/div/mul; ours is one fused kernel',
      '  (a second, tiny pass settles threshold ties); the backward pass rebuilds the mask from (seed, offset).',
      '- a training step ends by reading the loss back (trainOnBatch), so each sample includes one GPU round trip.',
    ].join('\n'));
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    const slug = first.adapter.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
    const file = join(root, 'bench/results', `${new Date().toISOString().slice(0, 10)}-tfjs-${slug}.json`);
    writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), runtime: version, adapter: first.adapter, tfjs: first.tfjs, options: opts, args: CHROME_ARGS, summary, mlp: result.mlp, alone: result.alone, op: result.op, problems }, null, 1));
    console.log(`\nsamples written to ${file}`);
    exitCode = problems.length ? 1 : 0;
  } catch (error) {
    problems.push(error.message);
  } finally {
    for (const problem of problems) console.error(`✗ ${problem}`);
    await browser.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

const options = parseOptions();
const chrome = findBrowser() ?? fail(`No Chrome/Chromium found. ${INSTALL_HINT}`);
if (!existsSync(join(root, 'dist/tfjs.js'))) fail('dist/tfjs.js is missing: run `npm run build` first (npm run bench:tfjs does).');
await main(options, chrome);
