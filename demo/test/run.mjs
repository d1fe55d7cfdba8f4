// The demo's end-to-end test (a step of `npm test`): builds the demo (demo/vite.config.ts →
// demo/dist), serves the BUILT page with `vite preview` on 127.0.0.1, opens it in headless
// Chromium with WebGPU on (SwiftShader when there is no GPU) and exercises every panel: moves the
// mask sliders, steps, toggles eval (output must equal input, the image row must not move) and
// checks the GPU = CPU badge; trains both models for 2 epochs; resamples the histograms; evaluates
// the trained model under both scaling conventions (they must agree); runs Monte Carlo dropout;
// runs the speed panel in quick mode. Checks that nothing overflows the page sideways at 1400 and
// 390 px and screenshots every panel at both widths (390 px ones in narrow/). Then opens the page
// once more in a browser WITHOUT WebGPU and checks that it explains how to enable it and still runs
// on the CPU. Any console error, page error, failed request, console line over 1,000 characters
// or failed check fails the run. Screenshots go to demo/screenshots/latest/.
//
//   node demo/test/run.mjs [--epochs N] [--images N] [--out DIR] [--speed quick|full] [--no-build] [--mc-k K]
//
// `npm run demo:screenshots` runs it with a full-length training and writes the screenshots the
// README shows (demo/screenshots/).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { build, preview } from 'vite';
import { findBrowser, INSTALL_HINT } from '../../scripts/gpu-env.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const configFile = join(root, 'demo/vite.config.ts');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const epochs = Number(option('epochs', 2));
const images = option('images', null);
const outDir = join(root, option('out', 'demo/screenshots/latest'));
const speedMode = option('speed', 'quick');
const mcK = Number(option('mc-k', 10));
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', ...BASE_ARGS];
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const log = (line) => console.log(`  ${line} (${seconds()})`);

const executablePath = findBrowser();
if (!executablePath) {
  console.error(`✗ No Chrome/Chromium found. ${INSTALL_HINT}`);
  process.exit(1);
}

if (!args.includes('--no-build')) {
  await build({ configFile, logLevel: 'warn' });
  log('built demo/dist');
}
const server = await preview({ configFile, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
const url = server.resolvedUrls.local[0];
mkdirSync(outDir, { recursive: true });

const problems = [];
const check = (ok, what) => {
  if (!ok) problems.push(`check failed: ${what}`);
  log(`${ok ? '✓' : '✗'} ${what}`);
};

/** A page that records every console error, page error and failed request into `problems`. */
async function open(browser, label) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900, deviceScaleFactor: 1 });
  page.on('pageerror', (error) => problems.push(`${label}: page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${label}: console error: ${message.text()}`);
    else if (message.text().length > 1000) problems.push(`${label}: a ${message.text().length}-character console ${message.type()} (keep the console quiet): ${message.text().slice(0, 120)}…`);
    else if (process.env.DEMO_TEST_VERBOSE) console.log(`    [${label} ${message.type()}] ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.push(`${label}: request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`${label}: HTTP ${response.status()} for ${response.url()}`); });
  page.on('error', (error) => problems.push(`${label}: page crashed: ${error.message}`));
  await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
  await page.waitForSelector('body[data-ready]', { timeout: 180_000 });
  const ready = await page.$eval('body', (body) => body.dataset.ready);
  if (ready !== 'true') throw new Error(`${label}: the page did not start (${await page.$eval('#adapter', (e) => e.textContent)})`);
  return page;
}

const text = (page, selector) => page.$eval(selector, (e) => e.textContent ?? '');
const setRange = (page, selector, value) => page.$eval(selector, (input, v) => {
  input.value = String(v);
  input.dispatchEvent(new window.Event('input', { bubbles: true }));
}, value);
/** Waits until every requested mask-panel update has been computed and drawn. */
const settle = (page) => page.waitForFunction(() => document.body.dataset.maskBusy === 'false', { timeout: 60_000 });
const shoot = async (page, selector, name) => {
  // A viewport as tall as the element: Chrome captured canvases below the viewport blank.
  const viewport = page.viewport();
  const height = await page.$eval(selector, (e) => Math.ceil(e.getBoundingClientRect().height) + 40);
  if (height > viewport.height) await page.setViewport({ ...viewport, height });
  await new Promise((resolve) => setTimeout(resolve, 800)); // chart animations and resizes
  const element = await page.$(selector);
  await element.screenshot({ path: join(outDir, `${name}.png`) });
  if (height > viewport.height) await page.setViewport(viewport);
};
/** Elements wider than their box (nothing may scroll the page sideways), as 'tag#id.class widths'. */
const overflowing = (page) => page.evaluate(() => {
  const wide = document.documentElement.scrollWidth > window.innerWidth ? [`page ${document.documentElement.scrollWidth} > ${window.innerWidth} px`] : [];
  const inside = [...document.querySelectorAll('main *, header *')].filter((e) => {
    if (e.closest('.table-scroll') || window.getComputedStyle(e).overflowX !== 'visible' || e.clientWidth === 0) return false;
    return e.scrollWidth > e.clientWidth + 1;
  }).map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${typeof e.className === 'string' && e.className ? `.${e.className.split(' ')[0]}` : ''} ${e.scrollWidth} > ${e.clientWidth} px`);
  return [...wide, ...inside].slice(0, 8);
});
const PANELS = [['#mask', 'mask'], ['#train', 'train'], ['#hist', 'histograms'], ['#scaling', 'scaling'], ['#mc', 'monte-carlo'], ['#speed', 'speed']];

const profile = mkdtempSync(join(tmpdir(), 'webgpu-dropout-demo-'));
let browser = await puppeteer.launch({ executablePath, headless: true, protocolTimeout: 3_600_000, args: [...WEBGPU_ARGS, `--user-data-dir=${profile}`] });
let exitCode = 1;
try {
  console.log(`headless ${await browser.version()} → ${url} (built demo)`);
  const page = await open(browser, 'webgpu');
  const adapter = await page.$eval('body', (body) => body.dataset.adapter);
  log(`adapter: ${adapter}`);
  check(adapter && adapter !== 'none', 'the page found a WebGPU adapter and names it');
  check((await text(page, '#tf-backend')).includes('webgpu'), 'TensorFlow.js runs on the webgpu backend');
  // The sticky table of contents would cover the top of every element screenshot.
  await page.addStyleTag({ content: '.toc { position: static !important; }' });
  await shoot(page, '.hero', 'header');

  // 1. The mask.
  await settle(page);
  check((await text(page, '#m-badge')).includes('✓'), 'mask panel: GPU = CPU reference at the defaults');
  await setRange(page, '#m-p', 0.3);
  await setRange(page, '#m-seed', 7);
  await page.click('#m-step');
  await page.click('#m-step');
  await settle(page);
  check((await text(page, '#m-offset')) === '2', 'mask panel: step advances the offset');
  check((await text(page, '#m-badge')).includes('✓'), 'mask panel: GPU = CPU reference after moving p and seed and stepping');
  const kept = await text(page, '#m-kept-sub');
  check(/expected 1 − p = 70%/.test(kept), `mask panel: live counts against 1 − p (${kept.split('·')[0].trim()})`);
  const imageTop = () => page.$eval('#m-input', (e) => e.getBoundingClientRect().top + window.scrollY);
  const trainTop = await imageTop();
  await page.click('#m-eval');
  await settle(page);
  check((await text(page, '#m-eval-badge')).includes('output = input ✓'), 'mask panel: eval mode, output equals input');
  const shift = (await imageTop()) - trainTop;
  check(Math.abs(shift) < 1, `mask panel: switching to eval leaves the image row in place (moved ${shift.toFixed(1)} px)`);
  await shoot(page, '#mask', 'mask-eval');
  await page.click('#m-train');
  await page.click('#m-next');
  await setRange(page, '#m-p', 0.5);
  await settle(page);
  check((await text(page, '#m-badge')).includes('✓'), 'mask panel: GPU = CPU reference on another image');
  check(/of 8 channels survive/.test(await text(page, '#m-ch-summary')), 'mask panel: channel dropout summary');
  await shoot(page, '#mask', 'mask');

  // 2. Training.
  await page.$eval('#t-epochs', (input, n) => { input.value = String(n); }, epochs);
  if (images) await page.select('#t-images', images);
  await page.click('#t-run');
  await page.waitForFunction(() => document.body.dataset.trainSeconds, { timeout: Math.max(10, epochs) * 240_000, polling: 1000 });
  const trainSeconds = await page.$eval('body', (body) => body.dataset.trainSeconds);
  log(`trained ${epochs} epoch(s) × 2 models in ${trainSeconds} s: ${(await text(page, '#t-summary')).replace(/\s+/g, ' ').trim()}`);
  check((await text(page, '#t-status')).startsWith('Done'), `training: ${epochs} epoch(s) of both models finished`);
  check((await page.$$('#t-summary tbody tr')).length === 2, 'training: best/final/gap/loss/calibration table for both models');
  check((await page.$$('#t-sweep tbody tr')).length > 0, `training: the offline sweep's table (${(await page.$$('#t-sweep tbody tr')).length} settings)`);
  await shoot(page, '#train', 'train');

  // 3. Histograms (re-sampled after training; once more at p = 0.3).
  await setRange(page, '#h-p', 0.3);
  await page.waitForFunction(() => document.querySelector('#h-max-sub')?.textContent?.includes('1.43'), { timeout: 60_000 });
  await setRange(page, '#h-p', 0.5);
  await page.waitForFunction(() => document.querySelector('#h-max-sub')?.textContent?.includes('2.00'), { timeout: 60_000 });
  check(/→/.test(await text(page, '#h-zeros')), 'histograms: sparsity and scaling shown');
  await shoot(page, '#hist', 'histograms');

  // 4. Scaling conventions: the trained model evaluated both ways must agree.
  await page.click('#sc-run');
  await page.waitForFunction(() => Number(document.body.dataset.scalingDone) >= 2, { timeout: 120_000, polling: 500 });
  const conventions = await page.$$eval('#sc-body tr', (rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent.trim())));
  const [agree, of] = (conventions[1]?.[3] ?? '0 / 1').split('/').map((v) => Number(v.replace(/,/g, '')));
  check(conventions.length === 3 && agree === of && Number(conventions[1][4]) < 1e-4, `scaling: original (× (1 − p) at test time) = inverted: ${conventions[1]?.[3]} predictions, probabilities within ${conventions[1]?.[4]}`);
  check(conventions[0][1] === conventions[1][1], `scaling: same test accuracy both ways (${conventions[0][1]})`);
  log(`scaling: ${await text(page, '#sc-summary')}`);
  await shoot(page, '#scaling', 'scaling');

  // 5. Monte Carlo.
  await setRange(page, '#mc-k', mcK);
  await page.waitForFunction(() => !document.querySelector('#mc-run')?.disabled, { timeout: 60_000 });
  await page.click('#mc-run');
  await page.waitForFunction(() => document.body.dataset.mcDone, { timeout: 600_000, polling: 500 });
  check((await page.$$('.mc-card')).length > 0, `Monte Carlo: ${(await page.$$('.mc-card')).length} example cards`);
  log(`Monte Carlo: ${await text(page, '#mc-summary')}`);
  await shoot(page, '#mc', 'monte-carlo');

  // 6. Speed.
  if (speedMode === 'full') await page.click('#s-full');
  await page.click('#s-run');
  await page.waitForFunction(() => document.body.dataset.speedDone || /failed/.test(document.querySelector('#s-status')?.textContent ?? ''), { timeout: 600_000, polling: 500 });
  check(Boolean(await page.$eval('body', (body) => body.dataset.speedDone)), `speed panel (${speedMode}): ${await text(page, '#s-status')}`);
  check((await page.$$('#s-table tbody tr')).length === (speedMode === 'full' ? 5 : 3), 'speed panel: a table row per size');
  log(`speed: ${await text(page, '#s-summary')}`);
  await shoot(page, '#speed', 'speed');

  // Layout at a desktop and a phone width: nothing overflows; every panel shot at 390 px too.
  const wide = await overflowing(page);
  check(wide.length === 0, `layout at 1400 px: nothing overflows${wide.length ? ` (${wide.join('; ')})` : ''}`);
  await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1 });
  await new Promise((resolve) => setTimeout(resolve, 1000)); // charts resize
  const narrow = await overflowing(page);
  check(narrow.length === 0, `layout at 390 px: nothing overflows${narrow.length ? ` (${narrow.join('; ')})` : ''}`);
  mkdirSync(join(outDir, 'narrow'), { recursive: true });
  for (const [selector, name] of PANELS) await shoot(page, selector, `narrow/${name}`);
  await page.close();
  await browser.close();

  // No WebGPU: the page must say so and keep working on the CPU.
  rmSync(profile, { recursive: true, force: true });
  browser = await puppeteer.launch({ executablePath, headless: true, protocolTimeout: 600_000, args: [...BASE_ARGS, '--disable-webgpu', `--user-data-dir=${profile}`] });
  const plain = await open(browser, 'no-webgpu');
  check(await plain.$eval('#no-webgpu', (e) => !e.hidden), `without WebGPU: the page explains how to enable it (${await text(plain, '#no-webgpu-reason')})`);
  check((await text(plain, '#m-badge')).includes('CPU reference'), 'without WebGPU: the mask panel runs on the CPU reference');
  check((await text(plain, '#tf-backend')).includes('cpu'), 'without WebGPU: TensorFlow.js falls back to its cpu backend');
  await plain.setViewport({ width: 1280, height: 760, deviceScaleFactor: 1 });
  await plain.screenshot({ path: join(outDir, 'no-webgpu.png') });
  exitCode = problems.length ? 1 : 0;
} catch (error) {
  problems.push(error instanceof Error ? error.message : String(error));
} finally {
  await browser.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
for (const problem of problems) console.error(`✗ ${problem}`);
console.log(`${exitCode === 0 ? '✓' : '✗'} demo test ${exitCode === 0 ? 'passed' : 'failed'} in ${seconds()}; screenshots in ${outDir.replace(root, '')}`);
process.exit(exitCode);
