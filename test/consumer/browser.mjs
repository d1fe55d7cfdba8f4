// Opens the consumer app's production build (served as static files from its dist/, the way a
// user would deploy it) in headless Chromium with WebGPU on — SwiftShader when there is no GPU —
// and returns what each page reported. Page errors and console errors fail it.
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
  const origin = `http://127.0.0.1:${server.address().port}`;
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
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
