// The benchmark page, opened by bench/browser.mjs in headless Chromium. Runs the shared suite
// (bench/core.mjs) over our kernels and same-device baselines (timestamp-timed), plus wall-clock
// implementations: our forward and copy, TensorFlow.js and jax-js (bench/page/wall-clock.js).
// Options come in the query string (sizes as log2, rates, samples); progress and the final report
// go back to the runner through functions it exposes on window.
import * as lib from '../../dist/index.js';
import { runSuite } from '../core.mjs';
import { ourImplementations } from '../impls.mjs';
import { jaxImplementations, ourWallImplementations, peer, tfjsImplementations, watch } from './wall-clock.js';

const log = document.getElementById('log');
const say = (line) => { log.textContent += `\n${line}`; };

function options() {
  const q = new URL(window.location.href).searchParams;
  const list = (name) => q.get(name).split(',').map(Number);
  return { sizes: list('sizes').map((s) => 2 ** s), rates: list('rates'), samples: Number(q.get('samples')), warmup: Number(q.get('warmup')) };
}

/**
 * Wraps an implementation so that a failure (in prepare, encode or run) is recorded and that
 * implementation's samples become NaN for the cell, instead of aborting the whole suite.
 */
function guarded(impl, failures) {
  return {
    name: impl.name,
    prepare: async (n, p) => {
      let failed = false;
      const fail = (stage, error) => {
        if (!failed) failures.push({ name: impl.name, n, p, stage, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        failed = true;
      };
      let bench;
      try {
        bench = await impl.prepare(n, p);
      } catch (error) {
        fail('prepare', error);
        return { run: async () => NaN };
      }
      const dispose = () => { try { bench.dispose?.(); } catch (error) { fail('dispose', error); } };
      if (bench.run) {
        return { run: async () => { if (failed) return NaN; try { return await bench.run(); } catch (error) { fail('run', error); return NaN; } }, dispose };
      }
      // An encode-based implementation is still timed by the marker passes; its samples are
      // dropped afterwards if it failed.
      return { encode: async (encoder) => { if (failed) return; try { await bench.encode(encoder); } catch (error) { fail('encode', error); } }, dispose };
    },
  };
}

async function main() {
  const opts = options();
  const problems = [];
  const notes = [];
  const failures = [];
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null: WebGPU is not available in this browser');
  const info = Object.fromEntries(['vendor', 'architecture', 'device', 'description'].map((key) => [key, adapter.info[key] ?? '']));
  const timestampQuery = adapter.features.has('timestamp-query');
  const device = await adapter.requestDevice({
    requiredFeatures: timestampQuery ? ['timestamp-query'] : [],
    requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
  });
  watch(device, 'webgpu-dropout', problems);

  const tfjs = await peer('TensorFlow.js', tfjsImplementations, problems, notes);
  const jax = await peer('jax-js', jaxImplementations, problems, notes);
  const wall = [...ourWallImplementations(lib, device), ...(tfjs?.impls ?? []), ...(jax?.impls ?? [])];
  const impls = [...ourImplementations(lib, device), ...wall];
  await window.benchStart({ adapter: info, features: [...adapter.features], timestampQuery, isolated: window.crossOriginIsolated, tfjs: tfjs?.version ?? null, jax: Boolean(jax) });
  say(`adapter ${JSON.stringify(info)}; running ${impls.map((i) => i.name).join(', ')}`);

  const { timing, results } = await runSuite({
    device, impls: impls.map((impl) => guarded(impl, failures)), ...opts,
    progress: (state) => window.benchProgress(state),
  });
  const wallNames = new Set(wall.map((impl) => impl.name));
  const failed = new Set(failures.map((f) => `${f.name}|${f.n}|${f.p}`));
  const kept = results
    .filter((r) => !failed.has(`${r.name}|${r.n}|${r.p}`))
    .map((r) => ({ ...r, timing: wallNames.has(r.name) ? 'wall-clock' : timing }));
  const leak = tfjs?.check();
  if (leak) problems.push(leak);
  device.destroy();
  say('done');
  const peerNames = [...(tfjs?.impls ?? []), ...(jax?.impls ?? [])].map((impl) => impl.name);
  await window.benchDone({ timing, results: kept, failures, notes, problems, wallNames: [...wallNames], peerNames });
}

main().catch((error) => window.benchDone({ fatal: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
