// TensorFlow.js integration suite (part of `npm test`): serves the repo on 127.0.0.1 with Vite,
// opens test/tfjs/index.html in headless Chromium with WebGPU on (SwiftShader when there is no
// GPU) and runs the cases of test/tfjs/page.ts against the built bundle ('webgpu-dropout/tfjs' →
// dist/tfjs.js). Each case is printed by name; a failing case, a page error, a console error or
// an uncaught WebGPU error fails the run. Cases on a backend that cannot start in this browser
// (webgl, wasm) are reported as skipped with the reason, and count neither way.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { createServer } from 'vite';
import { findBrowser, INSTALL_HINT } from '../../scripts/gpu-env.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CHROME_ARGS = [
  '--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
  // WebGL on SwiftShader (the webgl fallback cases); Chromium no longer falls back to it by itself.
  '--enable-unsafe-swiftshader',
];
const TFJS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-wasm'];

for (const file of ['dist/tfjs.js', 'dist/index.js', 'dist/cpu.js']) {
  if (!existsSync(join(root, file))) {
    console.error(`✗ ${file} is missing: run \`npm run build\` first.`);
    process.exit(1);
  }
}
const executablePath = findBrowser();
if (!executablePath) {
  console.error(`✗ No Chrome/Chromium found. ${INSTALL_HINT}`);
  process.exit(1);
}

const server = await createServer({
  root,
  logLevel: 'error',
  configFile: false,
  // Its own pre-bundle cache, so a concurrent run of another suite never shares one.
  cacheDir: join(root, 'node_modules/.vite-tfjs-test'),
  server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  resolve: {
    // The page tests what npm users get: the built bundles, not the sources.
    alias: [
      { find: /^webgpu-dropout\/tfjs$/, replacement: join(root, 'dist/tfjs.js') },
      { find: /^webgpu-dropout\/cpu$/, replacement: join(root, 'dist/cpu.js') },
      { find: /^webgpu-dropout\/testing$/, replacement: join(root, 'dist/testing.js') },
      { find: /^webgpu-dropout$/, replacement: join(root, 'dist/index.js') },
    ],
  },
  // Pre-bundle TensorFlow.js up front (one copy of tfjs-core for the page and dist/tfjs.js);
  // discovering it on first import would reload the page.
  optimizeDeps: { entries: ['test/tfjs/index.html'], include: TFJS },
});
await server.listen();
// `--grep TEXT` runs only the cases whose name contains TEXT (while working on one).
const grep = process.argv.includes('--grep') ? process.argv[process.argv.indexOf('--grep') + 1] ?? '' : '';
const url = `${server.resolvedUrls.local[0]}test/tfjs/index.html${grep ? `?grep=${encodeURIComponent(grep)}` : ''}`;
const profile = mkdtempSync(join(tmpdir(), 'webgpu-dropout-tfjs-'));
const browser = await puppeteer.launch({ executablePath, headless: true, args: [...CHROME_ARGS, `--user-data-dir=${profile}`] });
const problems = [];
let exitCode = 1;
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    else if (process.env.TFJS_TEST_VERBOSE) console.log(`    [page ${message.type()}] ${message.text()}`);
  });
  let crashed;
  const done = new Promise((resolve, reject) => {
    page.exposeFunction('tfjsReportDone', resolve);
    crashed = reject;
  });
  page.on('error', (error) => crashed(new Error(`page crashed: ${error.message}`)));
  await page.exposeFunction('tfjsReportCase', ({ name, status, ms, detail }) => {
    const mark = { passed: '✓', failed: '✗', skipped: '–' }[status];
    console.log(`  ${mark} ${name} (${ms.toFixed(0)} ms)${status === 'skipped' ? ` — skipped: ${detail}` : ''}`);
    if (status === 'failed') console.log(`      ${detail.split('\n').join('\n      ')}`);
  });
  console.log(`headless ${await browser.version()} → ${url}`);
  await page.goto(url);
  const summary = await Promise.race([
    done,
    new Promise((_, reject) => setTimeout(() => reject(new Error('tfjs suite timed out after 20 minutes')), 20 * 60_000)),
  ]);
  console.log(`\nadapter: ${summary.adapter}`);
  for (const problem of problems) console.log(`✗ ${problem}`);
  console.log(`${summary.passed} passed, ${summary.failed + problems.length} failed, ${summary.skipped} skipped`);
  exitCode = summary.failed === 0 && problems.length === 0 && summary.passed > 0 ? 0 : 1;
} catch (error) {
  console.error(`✗ ${error.message}`);
  for (const problem of problems) console.log(`✗ ${problem}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);
