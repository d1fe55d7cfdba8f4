// `npm run bench:node`: our kernels against a copy kernel and a naive 3-kernel shader on the same
// device, in Node through the `webgpu` package (Dawn; SwiftShader when there is no GPU). Needs
// nothing but dist/ and `webgpu` (scripts/device-check.sh runs it on bare GPU machines).
// Options: --quick (fewer sizes and samples), --samples N, --sizes 16,20,24, --rates 0.1,0.5,
// --max-log2 N (or BENCH_MAX_LOG2=N: the largest size, 2^N elements), --time-limit S (start no
// new size after S seconds; what ran is still written), --out DIR (where the JSON goes; default
// bench/results), --suite core|family|epilogue|attention (core: our kernels vs copy and a naive
// shader, and f16 rows vs an f16 copy where the device has shader-f16; family: every dropout
// variant vs copy; epilogue: the fused epilogue vs the same steps as separate passes; attention:
// a Dropout layer on (8, 12, L, L) attention probabilities, forward and forward + backward vs copy)
//
// Sizes: on SwiftShader 2^16 … 2^24 (L = 128, 256, 512 for attention), elsewhere 2^16 … 2^26
// (L up to 768), each capped by --max-log2 and by what the device's maxStorageBufferBindingSize
// and maxBufferSize allow for an f32 tensor.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from '../dist/index.js';
import { requestNodeAdapter } from '../dist/node.js';
import { formatTable, runSuite } from './core.mjs';
import { attentionImplementations, dropConnectImplementations, epilogueImplementations, familyImplementations, ourImplementations } from './impls.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const quick = args.includes('--quick');
const suite = option('suite', 'core');
const suites = { core: ourImplementations, family: familyImplementations, epilogue: epilogueImplementations, attention: attentionImplementations, dropconnect: dropConnectImplementations };
if (!suites[suite]) { console.error(`--suite must be one of ${Object.keys(suites).join(', ')}`); process.exit(1); }
const maxLog2 = option('max-log2', process.env.BENCH_MAX_LOG2 || undefined);
if (maxLog2 !== undefined && !(Number(maxLog2) >= 16 && Number(maxLog2) <= 30)) { console.error(`--max-log2 must be 16 … 30, not ${maxLog2}`); process.exit(1); }
const timeLimit = Number(option('time-limit', Infinity));

const adapter = await requestNodeAdapter();
const features = ['timestamp-query', 'shader-f16'].filter((f) => adapter.features.has(f));
const device = await adapter.requestDevice({
  requiredFeatures: features,
  requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
});
const info = Object.fromEntries(['vendor', 'architecture', 'device', 'description'].map((key) => [key, adapter.info?.[key] ?? '']));
const adapterName = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
const swiftShader = /swiftshader/i.test(adapterName);

// The largest tensor: 2^26 elements (2^24 on SwiftShader), lowered by --max-log2 and by the limits.
const deviceElements = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) / 4;
const capElements = Math.min(deviceElements, 2 ** Number(maxLog2 ?? (swiftShader ? 24 : 26)));
// Attention sizes are sequence lengths L of (8, 12, L, L); the others log2 element counts.
// DropConnect sizes are feature counts F (batch 256, in = out = F).
const defaults = suite === 'attention'
  ? (quick ? '128,256' : swiftShader ? '128,256,512' : '64,128,256,512,768')
  : suite === 'dropconnect' ? (quick ? '256' : swiftShader ? '512' : '512,1024,2048')
  : (quick ? '16,20,22' : '16,18,20,22,24,26');
const requested = option('sizes', defaults).split(',').map(Number).map((s) => (suite === 'attention' ? 96 * s ** 2 : suite === 'dropconnect' ? s : 2 ** s));
let sizes = requested.filter((n) => n <= capElements);
if (sizes.length === 0 && suite === 'attention') sizes = [96 * 64 ** 2]; // the smallest attention tensor, 2^18.6
const skipped = requested.filter((n) => !sizes.includes(n));
const rates = option('rates', suite === 'attention' ? '0.1' : '0.1,0.5').split(',').map(Number);
const samples = Number(option('samples', quick ? 5 : 10));
const sizeName = (n) => (Number.isInteger(Math.log2(n)) ? `2^${Math.log2(n)}` : String(n));

console.log(`webgpu-dropout bench (Node, Dawn, suite ${suite}) on ${adapterName}; sizes ${sizes.map(sizeName).join(', ')}; p ${rates.join(', ')}; ${samples} samples`
  + `; features: ${features.join(', ') || 'none'}`);
if (skipped.length) console.log(`  not run: ${skipped.map(sizeName).join(', ')} (over 2^${Math.log2(capElements).toFixed(1)} elements: --max-log2 / BENCH_MAX_LOG2, SwiftShader's default or the device's limits)`);
const started = Date.now();
const { timing, results, complete } = await runSuite({
  device, impls: suites[suite](lib, device), sizes, rates, samples,
  stop: () => (Date.now() - started) / 1000 > timeLimit,
  progress: ({ n, p, round, samples: total, done, total: cells }) => {
    const line = `  [${done + 1}/${cells}] n=${sizeName(n)} p=${p} round ${round}/${total}`;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}   `);
    else if (round === total) console.log(`${line} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  },
});
if (process.stdout.isTTY) process.stdout.write(`\r${' '.repeat(60)}\r`);
console.log(`timing: ${timing}; ${((Date.now() - started) / 1000).toFixed(0)} s${complete ? '' : `; stopped after --time-limit ${timeLimit} s, the sweep is incomplete`}\n`);
console.log(formatTable(results, { baseline: suite === 'dropconnect' ? 'dropout(W) + matmul' : 'copy', peers: suite === 'core' ? ['naive 3-kernel'] : suite === 'epilogue' ? ['separate passes', 'separate passes, relu'] : [] }));
const dir = resolve(option('out', fileURLToPath(new URL('./results/', import.meta.url))));
mkdirSync(dir, { recursive: true });
const file = join(dir, `${new Date().toISOString().slice(0, 10)}-node-${suite === 'core' ? '' : `${suite}-`}${adapterName.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`);
writeFileSync(file, JSON.stringify({
  date: new Date().toISOString(), runtime: `node ${process.version}`, suite, adapter: info, features, limits: { maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, maxBufferSize: device.limits.maxBufferSize },
  timing, complete, sizes, rates, samples, results,
}, null, 1));
console.log(`\nsamples written to ${file}`);
device.destroy();
