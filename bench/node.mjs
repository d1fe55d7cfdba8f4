// `npm run bench:node`: our kernels against a copy kernel and a naive 3-kernel shader on the same
// device, in Node through the `webgpu` package (Dawn; SwiftShader when there is no GPU).
// Options: --quick (fewer sizes and samples), --samples N, --sizes 16,20,24, --rates 0.1,0.5,
// --suite core|family|epilogue|attention (core: our kernels vs copy and a naive shader; family:
// every dropout variant vs copy; epilogue: the fused epilogue vs the same steps as separate
// passes; attention: a Dropout layer on (8, 12, L, L) attention probabilities, L = 128, 256, 512,
// forward and forward + backward vs copy)
import { writeFileSync, mkdirSync } from 'node:fs';
import * as lib from '../dist/index.js';
import { requestNodeAdapter } from '../dist/node.js';
import { formatTable, runSuite } from './core.mjs';
import { attentionImplementations, epilogueImplementations, familyImplementations, ourImplementations } from './impls.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const quick = args.includes('--quick');
const suite = option('suite', 'core');
// Attention sizes are sequence lengths L of (8, 12, L, L); the others log2 element counts.
const sizes = suite === 'attention'
  ? option('sizes', quick ? '128,256' : '128,256,512').split(',').map((l) => 96 * Number(l) ** 2)
  : option('sizes', quick ? '16,20,22' : '16,18,20,22,24').split(',').map((s) => 2 ** Number(s));
const rates = option('rates', suite === 'attention' ? '0.1' : '0.1,0.5').split(',').map(Number);
const samples = Number(option('samples', quick ? 5 : 10));
const suites = { core: ourImplementations, family: familyImplementations, epilogue: epilogueImplementations, attention: attentionImplementations };
if (!suites[suite]) { console.error(`--suite must be one of ${Object.keys(suites).join(', ')}`); process.exit(1); }

const adapter = await requestNodeAdapter();
const device = await adapter.requestDevice({
  requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
  requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
});
const info = adapter.info ?? {};
const adapterName = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
const sizeName = (n) => (Number.isInteger(Math.log2(n)) ? `2^${Math.log2(n)}` : String(n));
console.log(`webgpu-dropout bench (Node, Dawn, suite ${suite}) on ${adapterName}; sizes ${sizes.map(sizeName).join(', ')}; p ${rates.join(', ')}; ${samples} samples`);
const started = Date.now();
const { timing, results } = await runSuite({
  device, impls: suites[suite](lib, device), sizes, rates, samples,
  progress: ({ n, p, round, samples: total, done, total: cells }) => {
    const line = `  [${done + 1}/${cells}] n=${sizeName(n)} p=${p} round ${round}/${total}`;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}   `);
    else if (round === total) console.log(`${line} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  },
});
if (process.stdout.isTTY) process.stdout.write(`\r${' '.repeat(60)}\r`);
console.log(`timing: ${timing}; ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
console.log(formatTable(results, { baseline: 'copy', peers: suite === 'core' ? ['naive 3-kernel'] : suite === 'epilogue' ? ['separate passes', 'separate passes, relu'] : [] }));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/${new Date().toISOString().slice(0, 10)}-node-${suite === 'core' ? '' : `${suite}-`}${adapterName.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`, import.meta.url);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), runtime: `node ${process.version}`, suite, adapter: info, timing, sizes, rates, samples, results }, null, 1));
console.log(`\nsamples written to ${file.pathname}`);
device.destroy();
