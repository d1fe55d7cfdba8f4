// The GPU check (`npm run test:gpu`, dist/check/gpu-check.js): the shared GPU-vs-CPU cases
// (test/cases) on whatever adapter webgpu-dropout/node finds, each under its own dispatch
// schedule, with shader-f16 where the adapter has it. Built by test/gpu-check/vite.config.ts into one file that
// imports the library from dist/, so it runs with nothing but dist/ and the `webgpu` package —
// what a bare GPU machine has (scripts/device-check.sh). Prints the adapter and one line per case;
// exits 1 if a case fails, 2 if the run stopped early (--time-limit) or ran nothing.
//
// Options: --schedule a,b (only the cases run under these schedules; see test/cases/runner.ts),
// --filter TEXT (cases whose name contains it),
// --json FILE (results as JSON), --time-limit SECONDS (start no case after that), --list.
import { writeFileSync } from 'node:fs';
import { requestNodeAdapter } from 'webgpu-dropout/node';
import { cases, type Case } from '../cases/index.js';
import { CaseDevices, runAll, scheduleOf, type CaseResult } from '../cases/runner.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

const schedules = [...new Set(cases.map(scheduleOf))];
const wanted = option('schedule')?.split(',');
const unknown = wanted?.filter((name) => !schedules.includes(name)) ?? [];
if (unknown.length) {
  console.error(`--schedule: unknown ${unknown.join(', ')} (the cases run under ${schedules.join(', ')})`);
  process.exit(2);
}
const text = option('filter');
const filter = (c: Case): boolean => (text === undefined || c.name.includes(text)) && (!wanted || wanted.includes(scheduleOf(c)));
const selected = cases.filter(filter);
if (args.includes('--list')) {
  for (const c of selected) console.log(`${c.name}${scheduleOf(c) === 'default' ? '' : ` (schedule ${scheduleOf(c)})`}`);
  process.exit(0);
}
const timeLimit = Number(option('time-limit') ?? Infinity);
const started = performance.now();

const devices = new CaseDevices(() => requestNodeAdapter());
const adapter = await requestNodeAdapter();
const info = adapter.info;
const adapterName = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
console.log(`webgpu-dropout GPU check (Node ${process.version}, Dawn) on ${adapterName}`);
console.log(`  features: ${[...adapter.features].sort().join(', ')}`);
console.log(`  limits: maxStorageBufferBindingSize ${adapter.limits.maxStorageBufferBindingSize}, maxBufferSize ${adapter.limits.maxBufferSize}, `
  + `maxComputeWorkgroupsPerDimension ${adapter.limits.maxComputeWorkgroupsPerDimension}`);
console.log(`  f16 cases: ${adapter.features.has('shader-f16') ? 'values compared (shader-f16)' : 'refusal only (no shader-f16)'}; `
  + `${selected.length} cases; schedules: ${[...new Set(selected.map(scheduleOf))].join(', ')}\n`);

const device = await devices.create();
let stopped = false;
const results: CaseResult[] = await runAll({
  device, devices, where: 'node', filter,
  stop: () => (stopped = (performance.now() - started) / 1000 > timeLimit),
  report: (r) => {
    console.log(`${r.ok ? '✓' : '✗'} ${r.name} (${r.ms.toFixed(0)} ms)`);
    if (r.error) console.log(`    ${r.error.split('\n').join('\n    ')}`);
  },
});
device.destroy();

const failed = results.filter((r) => !r.ok);
const seconds = (performance.now() - started) / 1000;
console.log(`\n${results.length - failed.length} passed, ${failed.length} failed in ${seconds.toFixed(1)} s on ${adapterName}`);
for (const r of failed) console.log(`  ✗ ${r.name}`);
if (stopped) console.log(`✗ stopped after --time-limit ${timeLimit} s: ${selected.length - results.length} cases not run`);
const json = option('json');
if (json) {
  writeFileSync(json, JSON.stringify({
    date: new Date().toISOString(), runtime: `node ${process.version}`, adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
    features: [...adapter.features].sort(), filter: { text, schedules: wanted }, complete: !stopped, seconds, results,
  }, null, 1));
}
// Dawn can keep the event loop alive after the last device is gone.
process.exit(failed.length ? 1 : stopped || results.length === 0 ? 2 : 0);
