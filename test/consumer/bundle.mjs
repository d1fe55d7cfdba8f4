// What the package costs in a user's bundle, measured on the installed tarball with the consumer
// app's own Vite (fixtures/app/vite.config.ts):
// - size: the whole main entry (dist/index.js and the chunks it imports) minified by Vite's default
//   minifier (Oxc) and gzipped at level 9, against SIZE_BUDGET_BYTES, the number the README states;
// - tree-shaking: an app importing only `dropout` ships the element-wise kernel's WGSL and not the
//   Gaussian or DropBlock kernels'. The markers are entry-point names from shaders/*.wgsl; the size
//   build (everything) must contain all of them, so a renamed entry point fails here instead of
//   making the tree-shaking check pass vacuously.
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sh } from './lib.mjs';

/**
 * Budget for the main entry, minified + gzipped. 0.1.0 measured 24,006 bytes (every kernel family's
 * WGSL included, comments stripped); the budget leaves ~15% for fixes and small features. Keep
 * README.md in step.
 */
export const SIZE_BUDGET_BYTES = 28_000;

const KEPT = 'dropout_main'; // shaders/dropout.wgsl
const SHAKEN = ['gaussian_apply', 'dropblock_rows']; // shaders/gaussian.wgsl, shaders/dropblock.wgsl

function jsOf(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((file) => String(file).endsWith('.js'))
    .map((file) => readFileSync(join(dir, String(file)), 'utf8'));
}

const vite = (appDir, mode) => sh('node', ['node_modules/vite/bin/vite.js', 'build', '--mode', mode, '--logLevel', 'error'], { cwd: appDir });

export function checkSize(appDir, readme) {
  vite(appDir, 'size');
  const files = jsOf(join(appDir, 'dist-size'));
  if (files.length !== 1) throw new Error(`the size build should be one file, got ${files.length}`);
  const code = files[0];
  const missing = [KEPT, ...SHAKEN].filter((marker) => !code.includes(marker));
  if (missing.length) throw new Error(`the whole-entry build lacks ${missing.join(', ')}: update the markers in test/consumer/bundle.mjs`);
  const minified = Buffer.byteLength(code);
  const gzipped = gzipSync(code, { level: 9 }).length;
  const line = `${gzipped.toLocaleString('en-US')} bytes min+gzip (${minified.toLocaleString('en-US')} minified), budget ${SIZE_BUDGET_BYTES.toLocaleString('en-US')}`;
  if (gzipped > SIZE_BUDGET_BYTES) throw new Error(`main entry over budget: ${line}`);
  if (!readme.includes(`${SIZE_BUDGET_BYTES.toLocaleString('en-US')} bytes`)) {
    throw new Error(`README.md does not state the budget of test/consumer/bundle.mjs as "${SIZE_BUDGET_BYTES.toLocaleString('en-US')} bytes" (${line})`);
  }
  return line;
}

export function checkTreeShaking(appDir) {
  vite(appDir, 'one-import');
  const code = jsOf(join(appDir, 'dist-one-import')).join('\n');
  if (!code.includes(KEPT)) throw new Error(`\`import { dropout }\` build lacks the dropout kernel (${KEPT})`);
  const leaked = SHAKEN.filter((marker) => code.includes(marker));
  if (leaked.length) throw new Error(`\`import { dropout }\` build still contains ${leaked.join(', ')}: tree-shaking failed`);
  return `has ${KEPT}, no ${SHAKEN.join(' / ')}; ${gzipSync(code, { level: 9 }).length.toLocaleString('en-US')} bytes min+gzip`;
}
