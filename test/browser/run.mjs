// Headless-Chrome suite (part of `npm test`): serves the repo on 127.0.0.1 with Vite, opens
// test/browser/index.html in headless Chromium with WebGPU on (SwiftShader when there is no GPU),
// and runs the shared cases against the built bundle in dist/. Each case is printed by name; a
// failing case, a page error, a console error or an uncaught WebGPU error fails the run.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { createServer } from 'vite';
import { findBrowser, INSTALL_HINT } from '../../scripts/gpu-env.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHROME_ARGS = [
  '--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];

if (!existsSync(join(root, 'dist/index.js'))) {
  console.error('✗ dist/index.js is missing: run `npm run build` first (npm run test:browser does).');
  process.exit(1);
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
  server: { host: '127.0.0.1', port: 0, strictPort: false },
  resolve: {
    // The page tests what npm users get: the built bundle, not the sources.
    alias: [
      { find: /^webgpu-dropout\/cpu$/, replacement: join(root, 'dist/cpu.js') },
      { find: /^webgpu-dropout\/testing$/, replacement: join(root, 'dist/testing.js') },
      { find: /^webgpu-dropout$/, replacement: join(root, 'dist/index.js') },
    ],
  },
});
await server.listen();
// --filter TEXT: only the cases whose name contains TEXT (passed to the page as ?filter=).
const filterAt = process.argv.indexOf('--filter');
const filterText = filterAt >= 0 ? process.argv[filterAt + 1] : undefined;
const url = `${server.resolvedUrls.local[0]}test/browser/index.html${filterText ? `?filter=${encodeURIComponent(filterText)}` : ''}`;
const profile = mkdtempSync(join(tmpdir(), 'webgpu-dropout-chrome-'));
const browser = await puppeteer.launch({ executablePath, headless: true, args: [...CHROME_ARGS, `--user-data-dir=${profile}`] });
const problems = [];
let exitCode = 1;
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
  const done = new Promise((resolve) => {
    page.exposeFunction('reportDone', resolve);
  });
  await page.exposeFunction('reportCase', ({ name, ok, ms, error }) => {
    console.log(`  ${ok ? '✓' : '✗'} ${name} (${ms.toFixed(0)} ms)`);
    if (!ok) console.log(`      ${error.split('\n').join('\n      ')}`);
  });
  console.log(`headless ${await browser.version()} → ${url}`);
  await page.goto(url);
  const summary = await Promise.race([
    done,
    // The GPU-vs-CPU cases run once per dispatch schedule (test/cases/index.ts), hence the room.
    new Promise((_, reject) => setTimeout(() => reject(new Error('browser suite timed out after 40 minutes')), 40 * 60_000)),
  ]);
  console.log(`\nadapter: ${summary.adapter}`);
  for (const problem of problems) console.log(`✗ ${problem}`);
  console.log(`${summary.passed} passed, ${summary.failed + problems.length} failed`);
  exitCode = summary.failed === 0 && problems.length === 0 && summary.passed > 0 ? 0 : 1;
} catch (error) {
  console.error(`✗ ${error.message}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);
