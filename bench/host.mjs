// `npm run bench:host`: the host cost of a call (CPU time to issue it), in Node (Dawn, through the
// `webgpu` package) and in headless Chrome, against plain WebGPU doing the least the same job needs,
// in the same run. The method is in bench/host-core.mjs and docs/host-cost.md.
//
// Needs only dist/ and the `webgpu` package for Node (`node bench/host.mjs --env node` on a bare
// GPU machine: no dev dependency is loaded), plus puppeteer-core and a Chrome/Chromium for Chrome,
// where TensorFlow.js (tfjs-core + tfjs-backend-webgpu) and jax-js join if they are installed.
// Options: --env node,chrome  --sizes 10,14,18 (log2)  --rates 0.1,0.5  --k 32 (calls per batch)
//   --rounds 12  --warmup 3000 (untimed calls per variant and cell first, at most 2 s)
//   --quick (k 16, rounds 3, warmup 500)  --label TEXT (appended to the file names)
//   --note TEXT (recorded with the results, e.g. "machine shared with other jobs")
//   --schedule auto|multi-pass|single-pass (the library's dispatch schedule; default auto)
//   --report FILE.json (no run: renders that results file's markdown again, next to it)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { hostReport, hostVariants, runHostSuite } from './host-core.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

function fail(text) {
  console.error(`✗ ${text}`);
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
  const envs = option('env', 'node,chrome').split(',');
  const log2Sizes = option('sizes', '10,14,18').split(',').map(Number);
  const rates = option('rates', '0.1,0.5').split(',').map(Number);
  const k = Number(option('k', quick ? 16 : 32));
  const rounds = Number(option('rounds', quick ? 3 : 12));
  const warmup = Number(option('warmup', quick ? 500 : 3000));
  if (!envs.every((e) => e === 'node' || e === 'chrome')) fail('--env takes node, chrome or node,chrome');
  if (!log2Sizes.every((s) => Number.isInteger(s) && s >= 2 && s <= 26)) fail('--sizes takes log2 sizes, integers in 2..26, e.g. --sizes 10,14,18');
  if (!rates.every((p) => p > 0 && p < 1)) fail('--rates takes drop rates in (0, 1), e.g. --rates 0.1,0.5');
  if (!Number.isInteger(k) || k < 1) fail('--k takes a positive integer');
  if (!Number.isInteger(rounds) || rounds < 1) fail('--rounds takes a positive integer');
  if (!Number.isInteger(warmup) || warmup < 0) fail('--warmup takes a count of calls, an integer >= 0');
  const schedule = option('schedule', 'auto');
  if (!['auto', 'multi-pass', 'single-pass'].includes(schedule)) fail('--schedule takes auto, multi-pass or single-pass');
  return { envs, log2Sizes, sizes: log2Sizes.map((s) => 2 ** s), rates, k, rounds, warmup, schedule, label: option('label', ''), note: option('note', '') };
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

const adapterName = (info) => [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
const adapterInfo = (adapter) => Object.fromEntries(['vendor', 'architecture', 'device', 'description'].map((key) => [key, adapter.info?.[key] ?? '']));

function progressPrinter(label, started) {
  return ({ n, p, round, rounds, cell, cells }) => {
    if (round === rounds) console.log(`  ${label} [${cell + 1}/${cells}] n=2^${Math.log2(n)} p=${p} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  };
}

/** Node: our device from the `webgpu` package, the raw baselines and our calls. */
async function runNode(opts) {
  const lib = await import('../dist/index.js');
  const { requestNodeAdapter } = await import('../dist/node.js');
  const adapter = await requestNodeAdapter();
  const device = await adapter.requestDevice();
  // The dispatch schedule (docs/schedule.md): 'single-pass' on SwiftShader shows the host path a GPU gets.
  (await import('../dist/testing.js')).configureDevice(device, { schedule: opts.schedule });
  const problems = [];
  device.addEventListener('uncapturederror', (event) => problems.push(`uncaptured WebGPU error: ${event.error.message}`));
  const info = adapterInfo(adapter);
  const runtime = `node ${process.version}, webgpu ${packageVersion('webgpu') ?? '?'} (Dawn)`;
  console.log(`Node: ${runtime} on ${adapterName(info)}`);
  const started = Date.now();
  const suite = await runHostSuite({
    lib, device, variants: hostVariants(lib, device), sizes: opts.sizes, rates: opts.rates, k: opts.k, rounds: opts.rounds, warmup: opts.warmup,
    progress: progressPrinter('node', started),
  });
  device.destroy();
  return { environment: 'node', title: `Node (Dawn), ${adapterName(info)}`, runtime, adapter: info, seconds: (Date.now() - started) / 1000, problems, ...suite };
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.map': 'application/json', '.wasm': 'application/wasm' };

/**
 * A static server of the repo on 127.0.0.1 (WebGPU needs a secure context), cross-origin isolated
 * so that performance.now() has 5 µs resolution instead of 100 µs. No bundler: the page maps the
 * peers' bare imports to their ESM bundles with an import map.
 */
async function startServer() {
  const server = createServer((request, response) => {
    const path = normalize(join(root, decodeURIComponent(new URL(request.url, 'http://127.0.0.1').pathname)));
    if (!path.startsWith(root.endsWith(sep) ? root : root + sep) || !existsSync(path) || !statSync(path).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'Content-Type': MIME[extname(path)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    });
    response.end(readFileSync(path));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Chrome: the same suite in bench/host-page/, plus tf.dropout and jax-js where installed. */
async function runChrome(opts) {
  const { default: puppeteer } = await import('puppeteer-core');
  const { findBrowser, INSTALL_HINT } = await import('../scripts/gpu-env.mjs');
  const executablePath = findBrowser() ?? fail(`no Chrome/Chromium found. ${INSTALL_HINT}`);
  const server = await startServer();
  const profile = mkdtempSync(join(os.tmpdir(), 'webgpu-dropout-host-bench-'));
  const browser = await puppeteer.launch({
    executablePath, headless: true,
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`],
  });
  const started = Date.now();
  try {
    const page = await browser.newPage();
    const problems = [];
    let resolveDone;
    const done = new Promise((resolve) => { resolveDone = resolve; });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('error', (error) => resolveDone({ fatal: `page crashed: ${error.message}` }));
    await page.exposeFunction('hostProgress', progressPrinter('chrome', started));
    await page.exposeFunction('hostDone', resolveDone);
    const version = await browser.version();
    const query = new URLSearchParams({ sizes: opts.log2Sizes.join(','), rates: opts.rates.join(','), k: opts.k, rounds: opts.rounds, warmup: opts.warmup, schedule: opts.schedule });
    await page.goto(`http://127.0.0.1:${server.address().port}/bench/host-page/index.html?${query}`, { timeout: 120_000 });
    let timer;
    const report = await Promise.race([done, new Promise((resolve) => { timer = setTimeout(() => resolve({ fatal: 'timed out after 30 min' }), 30 * 60_000); })]);
    clearTimeout(timer);
    if (report.fatal) throw new Error(report.fatal);
    const peers = [
      report.peers.tfjs ? `@tensorflow/tfjs-core ${report.peers.tfjs} + tfjs-backend-webgpu ${packageVersion('@tensorflow/tfjs-backend-webgpu')}` : null,
      report.peers.jax ? `@jax-js/jax ${packageVersion('@jax-js/jax')}` : null,
    ].filter(Boolean);
    const runtime = `headless ${version}, WebGPU`;
    console.log(`Chrome: ${runtime} on ${adapterName(report.adapter)}; peers: ${peers.join(', ') || 'none'}; cross-origin isolated: ${report.isolated}`);
    return {
      environment: 'chrome', title: `headless Chrome, ${adapterName(report.adapter)}`, runtime, adapter: report.adapter, isolated: report.isolated, peers,
      seconds: (Date.now() - started) / 1000, problems: [...problems, ...report.problems], notes: report.notes, results: report.results, failures: report.failures,
    };
  } finally {
    await browser.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The markdown report of a results file's contents. */
function render({ date, version, machine, options, runs }) {
  const header = [
    `# webgpu-dropout ${version}: host cost per call`,
    '',
    `${date.slice(0, 16).replace('T', ' ')} UTC; CPU ${machine.cpu}, ${machine.cores} cores (load average ${machine.loadavgAtStart[0].toFixed(1)} at the start, ${machine.loadavgAtEnd[0].toFixed(1)} at the end); K = ${options.k} calls per batch, ${options.rounds} rounds, ${options.warmup === undefined ? 'one warm-up batch' : `warm-up ${options.warmup} calls per variant and cell (at most 2 s)`}. Method: docs/host-cost.md.`,
    ...(options.note ? ['', `Note: ${options.note}`] : []),
  ];
  const sections = runs.map((run) => hostReport(run, { title: `${run.title} (${run.runtime})`, sizes: options.sizes, rates: options.rates })
    + [...(run.notes ?? []), ...run.problems.map((p) => `✗ ${p}`)].map((line) => `\n- ${line}`).join(''));
  return [...header, '', ...sections.flatMap((section) => [section, ''])].join('\n');
}

// --report FILE.json: render a results file again (e.g. after a change to the report), next to it.
const reportIndex = args.indexOf('--report');
if (reportIndex >= 0) {
  const file = args[reportIndex + 1] ?? fail('--report needs a results file');
  const markdown = render(JSON.parse(readFileSync(file, 'utf8')));
  writeFileSync(file.replace(/\.json$/, '.md'), `${markdown}\n`);
  console.log(markdown);
  process.exit(0);
}

const opts = parseOptions();
if (!existsSync(join(root, 'dist/index.js'))) fail('dist/index.js is missing: run `npm run build` first (npm run bench:host does).');
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const machine = { cpu, cores: os.cpus().length, platform: `${os.platform()} ${os.release()}`, loadavgAtStart: os.loadavg() };
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
console.log(`webgpu-dropout ${version} host-cost bench: CPU ${cpu} (${machine.cores} cores, load ${machine.loadavgAtStart.map((l) => l.toFixed(1)).join(' ')}); n ${opts.log2Sizes.map((s) => `2^${s}`).join(', ')}; p ${opts.rates.join(', ')}; K ${opts.k} calls per batch, ${opts.rounds} rounds, warm-up ${opts.warmup} calls`);
const runs = [];
for (const env of opts.envs) runs.push(env === 'node' ? await runNode(opts) : await runChrome(opts));
machine.loadavgAtEnd = os.loadavg();

const results = {
  date: new Date().toISOString(), version, suite: 'host', options: opts, machine,
  method: 'host µs per call = (K calls issued back to back, awaited variants each awaited, + one macrotask turn) / K, after untimed warm-up calls; settle (returned promises) and drain (onSubmittedWorkDone) per batch outside the timed region; medians over interleaved rounds',
  runs,
};
const markdown = render(results);
console.log(`\n${markdown}`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const slug = [results.date.slice(0, 10), 'host', opts.envs.join('-'), adapterName(runs[0].adapter), opts.label].filter(Boolean).join('-').replace(/[^a-z0-9.]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
const base = join(root, 'bench/results', slug);
writeFileSync(`${base}.json`, JSON.stringify(results, null, 1));
writeFileSync(`${base}.md`, `${markdown}\n`);
console.log(`\nwritten: ${base}.json and ${base}.md`);
const problems = runs.flatMap((run) => run.problems);
process.exit(problems.length ? 1 : 0);
