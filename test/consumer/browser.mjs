// Opens the consumer app's production build (served as static files from its dist/, the way a
// user would deploy it), or the app under Vite's dev server, in headless Chromium with WebGPU on —
// SwiftShader when there is no GPU — and returns what each page reported. Page errors and console
// errors fail it.
import { spawn } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import puppeteer from 'puppeteer-core';

// The flags the repo's own headless suite uses (test/browser/run.mjs): WebGPU on, no sandbox for
// root, nothing that reaches the network. The page must be http://127.0.0.1 for navigator.gpu.
const CHROME_ARGS = [
  '--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

function serve(root) {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    const file = path.startsWith(root) && existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Opens each page of `paths` in turn (one tab each, one browser profile, so IndexedDB and
 * localStorage carry from page to page as in a user's browser) and returns what each reported.
 */
export async function runAppInChrome(distDir, executablePath, paths = ['/']) {
  const server = await serve(distDir);
  try {
    return await runPages(`http://127.0.0.1:${server.address().port}`, executablePath, paths);
  } finally {
    server.close();
  }
}

/** The same pages under `vite` (the dev server a user runs while developing), on 127.0.0.1. */
export async function runDevServerInChrome(appDir, executablePath, paths = ['/']) {
  const dev = spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--host', '127.0.0.1', '--port', '0', '--clearScreen', 'false'], { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  try {
    const origin = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vite dev server did not start in 60 s:\n${output}`)), 60_000);
      const read = (chunk) => {
        // The line reads "Local:   http://127.0.0.1:PORT/" (colors stripped).
        output += stripVTControlCharacters(chunk.toString());
        const found = /Local:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      };
      dev.stdout.on('data', read);
      dev.stderr.on('data', read);
      dev.on('exit', (code) => reject(new Error(`vite dev server exited (${code}):\n${output}`)));
    });
    return await runPages(origin, executablePath, paths);
  } finally {
    dev.kill();
  }
}

async function runPages(origin, executablePath, paths) {
  const profile = mkdtempSync(join(tmpdir(), 'webgpu-dropout-consumer-chrome-'));
  const browser = await puppeteer.launch({ executablePath, headless: true, args: [...CHROME_ARGS, `--user-data-dir=${profile}`] });
  try {
    const version = await browser.version();
    const results = [];
    for (const path of paths) {
      const problems = [];
      const page = await browser.newPage();
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
      page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
      await page.goto(`${origin}${path}`);
      await page.waitForFunction(() => window.__consumer !== undefined, { timeout: 180_000, polling: 250 });
      const result = await page.evaluate(() => window.__consumer);
      await page.close();
      results.push({ ...result, path, problems, browser: version });
    }
    return results;
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
