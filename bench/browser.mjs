// `npm run bench`: our kernels against TensorFlow.js (tf.dropout, webgpu backend) and jax-js
// (jitted bernoulli + where) in headless Chromium. Serves the repo on 127.0.0.1 with Vite (WebGPU
// needs a secure context: about:blank and file:// have no navigator.gpu), opens bench/page/ and
// prints what it reports. Two tables: our kernels on our device timed on the GPU by timestamp
// queries, and a wall-clock table (call → GPU done) where our forward meets the libraries that own
// their devices, so that those ratios compare like with like.
// Options: --quick, --sizes 16,18,20,22,24 (log2), --rates 0.1,0.5, --samples N, --node (runs
// bench/node.mjs, the Node/Dawn bench, with the same options instead).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import puppeteer from 'puppeteer-core';
import { createServer } from 'vite';
import { formatTable } from './core.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const SUITE_TIMEOUT_MS = 90 * 60_000;
const CHROME_ARGS = [
  '--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
  // Unrounded timestamp queries (Chrome otherwise quantizes them to 100 µs).
  '--enable-webgpu-developer-features',
];
const PEERS = ['tfjs dropout', 'jax-js'];
const args = process.argv.slice(2);

function fail(message) {
  console.error(`✗ ${message}`);
  process.exit(1);
}

/** `--node`: the Node (Dawn) bench with the same options, in a child process. */
function runNodeBench() {
  const child = spawnSync(process.execPath, [join(root, 'bench/node.mjs'), ...args.filter((a) => a !== '--node')], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

function parseOptions() {
  const option = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return fallback;
    if (args[i + 1] === undefined || args[i + 1].startsWith('--')) fail(`--${name} needs a value`);
    return args[i + 1];
  };
  const quick = args.includes('--quick');
  const log2Sizes = option('sizes', quick ? '16,20,22' : '16,18,20,22,24').split(',').map(Number);
  const rates = option('rates', '0.1,0.5').split(',').map(Number);
  const samples = Number(option('samples', quick ? 5 : 10));
  if (!log2Sizes.every((s) => Number.isInteger(s) && s >= 2 && s <= 28)) fail('--sizes takes log2 sizes, integers in 2..28, e.g. --sizes 16,20,24');
  if (!rates.every((p) => p > 0 && p < 1)) fail('--rates takes drop rates in (0, 1), e.g. --rates 0.1,0.5');
  if (!Number.isInteger(samples) || samples < 1) fail('--samples takes a positive integer');
  return { quick, log2Sizes, rates, samples, warmup: 2 };
}

function findChrome() {
  const hint = 'install chromium: sudo apt-get install -y chromium libvulkan1, or set CHROME_PATH';
  if (process.env.CHROME_PATH) {
    if (existsSync(process.env.CHROME_PATH)) return process.env.CHROME_PATH;
    fail(`CHROME_PATH=${process.env.CHROME_PATH} does not exist; ${hint}`);
  }
  const found = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable'].find((path) => existsSync(path));
  return found ?? fail(hint);
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

/** Serves the repo root: the page imports /dist/index.js and /bench/*.mjs, and bare imports of the peers. */
async function startServer() {
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'error',
    // Its own pre-bundle cache, so a concurrent `npm run test:browser` never shares one.
    cacheDir: join(root, 'node_modules/.vite-bench'),
    // No HMR or file watching: a rebuild of dist/ during a run must not reload the page.
    server: {
      host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null,
      // Cross-origin isolation: performance.now() is otherwise coarsened to 100 µs in Chromium,
      // which is too coarse for the wall-clock table's small sizes (isolated: 5 µs).
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    // Pre-bundle the peers up front; discovering them on first import would reload the page.
    optimizeDeps: {
      entries: ['bench/page/index.html'],
      include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@jax-js/jax'],
    },
  });
  await server.listen();
  return server;
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

/** `promise`, or a rejection after `ms`; the timer is cleared either way. */
async function withTimeout(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 60_000)} min`)), ms); });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

const log2 = (n) => `2^${Math.log2(n)}`;
const adapterName = (info) => [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';

/** One line per finished (n, p) cell; on a terminal also a live round counter. */
function progressPrinter(started) {
  return ({ n, p, round, samples, done, total }) => {
    const line = `  [${done + 1}/${total}] n=${log2(n)} p=${p} round ${round}/${samples}`;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}   `);
    if (round === samples) {
      if (process.stdout.isTTY) process.stdout.write('\r');
      console.log(`${line} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  };
}

/** The wall-clock floor: copy (wall) at the smallest size, where the copy itself is negligible. */
function wallFloor(results) {
  const copies = results.filter((r) => r.name === 'copy (wall)');
  if (!copies.length) return 'not measured';
  const n = Math.min(...copies.map((r) => r.n));
  const medians = copies.filter((r) => r.n === n).map((r) => r.median);
  return `copy (wall) at n=${log2(n)}: ${Math.min(...medians).toFixed(2)} ms median`;
}

function printReport(report, started) {
  const { results } = report;
  const wall = new Set(report.wallNames);
  const has = (name) => report.peerNames.includes(name);
  console.log(`\ntimings done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  console.log(`GPU time on our device (${report.timing === 'timestamp-query' ? 'timestamp-query: two empty marker passes around the work, unrounded' : 'wall clock to onSubmittedWorkDone: no timestamp-query on this adapter'}):`);
  console.log(formatTable(results.filter((r) => !wall.has(r.name)), { baseline: 'copy', peers: ['naive 3-kernel'] }));
  console.log('\nWall clock, performance.now() from the call to GPU completion (each library on its own GPUDevice):');
  console.log(formatTable(results.filter((r) => wall.has(r.name)), { baseline: 'copy (wall)', peers: PEERS.filter(has) }));
  console.log([
    '',
    'notes:',
    '- speed-ups against tfjs/jax-js come from the wall-clock table only: "forward (wall)" is our forward timed exactly like them',
    '  (the library submits by itself; timed to onSubmittedWorkDone). Do not divide their wall time by the GPU-timed rows.',
    `- wall clock includes Chromium's submit → onSubmittedWorkDone round trip through the GPU process (${wallFloor(results)}):`,
    '  at small sizes every wall-clock row mostly measures that floor, not the kernels.',
    ...(has('tfjs dropout') ? [
      '- tf.dropout draws its uniforms on the CPU and uploads them, then runs add/floor/div/mul kernels; all of it is in the timed call.',
      '  "tfjs dropout" ends tfjs\'s pending compute pass, submits it (backend.submitQueue()) and awaits onSubmittedWorkDone;',
      '  "+ readback" awaits y.data() instead (adds the copy to a staging buffer and the map).',
    ] : []),
    ...(has('jax-js') ? ['- jax-js: jit((key, x) => where(bernoulli(key, 1-p, [n]), x / (1-p), 0)), a fresh key per call, awaited with blockUntilReady().'] : []),
    '- tfjs and jax-js each run on their own GPUDevice (same adapter); first run ms includes compilation and, for them, input upload.',
    ...report.notes.map((note) => `- ${note}`),
    ...report.failures.map((f) => `- ✗ ${f.name} failed at n=${log2(f.n)} p=${f.p} (${f.stage}): ${f.message} (left out of the table)`),
  ].join('\n'));
}

function writeResults(report, meta) {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const slug = adapterName(meta.adapter).replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
  const file = join(root, 'bench/results', `${new Date().toISOString().slice(0, 10)}-${slug}.json`);
  writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(),
    ...meta,
    timing: { ours: report.timing, wallClock: 'performance.now() from the call to GPU completion', wallNames: report.wallNames },
    notes: report.notes,
    failures: report.failures,
    problems: report.problems,
    results: report.results,
  }, null, 1));
  return file;
}

async function main(opts, executablePath) {
  const started = Date.now();
  const server = await startServer();
  const profile = mkdtempSync(join(tmpdir(), 'webgpu-dropout-bench-'));
  const browser = await puppeteer.launch({ executablePath, headless: true, args: [...CHROME_ARGS, `--user-data-dir=${profile}`] });
  const problems = [];
  let exitCode = 1;
  try {
    const start = deferred();
    const done = deferred();
    const page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
    // A crashed renderer (e.g. out of memory at 2^24) would otherwise leave us waiting for the timeout.
    page.on('error', (error) => done.resolve({ fatal: `page crashed: ${error.message}` }));
    await page.exposeFunction('benchStart', start.resolve);
    await page.exposeFunction('benchDone', done.resolve);
    await page.exposeFunction('benchProgress', progressPrinter(started));
    const version = await browser.version();
    const query = new URLSearchParams({ sizes: opts.log2Sizes.join(','), rates: opts.rates.join(','), samples: opts.samples, warmup: opts.warmup });
    await page.goto(`${server.resolvedUrls.local[0]}bench/page/index.html?${query}`, { timeout: 120_000 });

    const first = await withTimeout(Promise.race([start.promise, done.promise]), 5 * 60_000, 'page start-up');
    if (first.fatal) throw new Error(first.fatal);
    const peers = { tfjs: first.tfjs ? `@tensorflow/tfjs-core ${first.tfjs} + tfjs-backend-webgpu ${packageVersion('@tensorflow/tfjs-backend-webgpu')}` : null, jax: first.jax ? `@jax-js/jax ${packageVersion('@jax-js/jax')}` : null };
    console.log(`webgpu-dropout bench (headless ${version}, WebGPU) on ${adapterName(first.adapter)}; sizes ${opts.log2Sizes.map((s) => `2^${s}`).join(', ')}; p ${opts.rates.join(', ')}; ${opts.samples} samples, ${opts.warmup} warm-up`);
    console.log(`timestamp-query: ${first.timestampQuery ? 'yes' : 'no'}; cross-origin isolated (5 µs performance.now()): ${first.isolated ? 'yes' : 'no'}; peers: ${[peers.tfjs, peers.jax].filter(Boolean).join(', ') || 'none loaded'}`);

    const report = await withTimeout(done.promise, SUITE_TIMEOUT_MS, 'benchmark');
    if (report.fatal) throw new Error(report.fatal);
    problems.push(...report.problems);
    printReport(report, started);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    const file = writeResults(report, { runtime: version, userAgent, adapter: first.adapter, features: first.features, peers, options: opts, args: CHROME_ARGS });
    console.log(`\nsamples written to ${file}`);
    // Our own implementations must not fail; a peer that cannot run is reported above and skipped.
    const ownFailures = report.failures.filter((f) => !report.peerNames.includes(f.name));
    if (ownFailures.length) problems.push(`${ownFailures.length} failure(s) in our implementations (see notes)`);
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

if (args.includes('--node')) runNodeBench();
const options = parseOptions();
const chrome = findChrome();
if (!existsSync(join(root, 'dist/index.js'))) fail('dist/index.js is missing: run `npm run build` first (npm run bench does).');
await main(options, chrome);
