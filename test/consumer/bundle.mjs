// What the package costs in a user's bundle, measured on the installed tarball with the consumer
// app's own Vite (fixtures/app/vite.config.mjs), and checked against the figures docs/packaging.md
// states (its table rows "the whole main entry", "an app importing only `dropout`" and the budget):
// - size: the whole main entry (dist/index.js and the chunks it imports) minified by Vite's default
//   minifier (Oxc) and gzipped at level 9, against SIZE_BUDGET_BYTES;
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
 * Budget for the main entry, minified + gzipped: docs/packaging.md states the measured size (every
 * kernel family's WGSL included, comments stripped) and this budget, which leaves room for fixes
 * and small features. Keep docs/packaging.md in step.
 */
export const SIZE_BUDGET_BYTES = 37_500;

/** How far a measured size may drift from the figure docs/packaging.md states before it is stale. */
const DOC_TOLERANCE = 0.03;

/** The size docs/packaging.md states in its table row `| <row> | N bytes |`, checked against `measured`. */
function checkDocumented(doc, row, measured) {
  const line = doc.split('\n').find((l) => l.startsWith(`| ${row} |`));
  const stated = line && /\| ([\d,]+) bytes/.exec(line.slice(row.length + 3));
  if (!stated) throw new Error(`docs/packaging.md has no table row "| ${row} | N bytes |"`);
  const figure = Number(stated[1].replace(/,/g, ''));
  if (Math.abs(measured - figure) > DOC_TOLERANCE * figure) {
    throw new Error(`docs/packaging.md says ${row} is ${figure.toLocaleString('en-US')} bytes; measured ${measured.toLocaleString('en-US')}: update the doc`);
  }
  return figure;
}

const KEPT = 'dropout_main'; // shaders/dropout.wgsl
const SHAKEN = ['gaussian_apply', 'dropblock_rows']; // shaders/gaussian.wgsl, shaders/dropblock.wgsl

function jsOf(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((file) => String(file).endsWith('.js'))
    .map((file) => readFileSync(join(dir, String(file)), 'utf8'));
}

const vite = (appDir, mode) => sh('node', ['node_modules/vite/bin/vite.js', 'build', '--mode', mode, '--logLevel', 'error'], { cwd: appDir });

export function checkSize(appDir, doc) {
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
  if (checkDocumented(doc, 'budget for the whole main entry', SIZE_BUDGET_BYTES) !== SIZE_BUDGET_BYTES) {
    throw new Error(`docs/packaging.md does not state the budget of test/consumer/bundle.mjs, ${SIZE_BUDGET_BYTES.toLocaleString('en-US')} bytes`);
  }
  const stated = checkDocumented(doc, 'the whole main entry', gzipped);
  return `${line}; docs/packaging.md says ${stated.toLocaleString('en-US')}`;
}

export function checkTreeShaking(appDir, doc) {
  vite(appDir, 'one-import');
  const code = jsOf(join(appDir, 'dist-one-import')).join('\n');
  if (!code.includes(KEPT)) throw new Error(`\`import { dropout }\` build lacks the dropout kernel (${KEPT})`);
  const leaked = SHAKEN.filter((marker) => code.includes(marker));
  if (leaked.length) throw new Error(`\`import { dropout }\` build still contains ${leaked.join(', ')}: tree-shaking failed`);
  const gzipped = gzipSync(code, { level: 9 }).length;
  const stated = checkDocumented(doc, 'an app importing only `dropout`', gzipped);
  return `has ${KEPT}, no ${SHAKEN.join(' / ')}; ${gzipped.toLocaleString('en-US')} bytes min+gzip; docs/packaging.md says ${stated.toLocaleString('en-US')}`;
}
