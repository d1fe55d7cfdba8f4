// The host-cost benchmark page, opened by bench/host.mjs in headless Chrome: the shared suite
// (bench/host-core.mjs) on our device, plus tf.dropout (tfjs webgpu backend) and jax-js, each on
// its own device, where they load. Options come in the query string; progress and the report go
// back through functions the runner exposes on window.
import * as lib from '../../dist/index.js';
import { configureDevice } from '../../dist/testing.js';
import { hostVariants, runHostSuite } from '../host-core.mjs';
import { inputData, peer, startJax, startTfjs, watch } from '../page/wall-clock.js';

const log = document.getElementById('log');
const say = (line) => { log.textContent += `\n${line}`; };

function options() {
  const q = new URL(window.location.href).searchParams;
  const list = (name) => q.get(name).split(',').map(Number);
  return { sizes: list('sizes').map((s) => 2 ** s), rates: list('rates'), k: Number(q.get('k')), rounds: Number(q.get('rounds')), warmup: Number(q.get('warmup') ?? 0), schedule: q.get('schedule') ?? 'auto' };
}

/**
 * tf.dropout on the tfjs `webgpu` backend: a call returns a tensor at once. The backend batches
 * dispatches and submits every 15 of them; the drain ends its open pass, submits what is pending,
 * waits for its device and disposes the outputs.
 */
async function tfjsVariant() {
  const { tf, device, flush, check } = await startTfjs();
  return {
    device,
    version: tf.version_core,
    check,
    variant: {
      name: 'tf.dropout (tfjs webgpu)', kind: 'peer', awaited: false,
      prepare: async (n, p) => {
        const x = tf.tensor1d(inputData(n));
        const ys = [];
        return {
          call: () => { ys.push(tf.dropout(x, p)); },
          drain: async () => {
            flush();
            await device.queue.onSubmittedWorkDone();
            for (const y of ys.splice(0)) y.dispose();
          },
          dispose: () => x.dispose(),
        };
      },
    },
  };
}

/**
 * jax-js: a jitted (key, x) => where(bernoulli(key, 1 - p, [n]), x / (1 - p), 0) with a fresh key
 * per call. A call returns an array at once; its kernels run when the drain awaits
 * blockUntilReady(), so jax-js's host time shows partly in the drain.
 */
async function jaxVariant() {
  const { random, device, setup } = await startJax();
  let seed = 0;
  return {
    device,
    variant: {
      name: 'jax-js (jit)', kind: 'peer', awaited: false,
      prepare: async (n, p) => {
        const { x, dropout } = await setup(n, p);
        const ys = [];
        return {
          call: () => { ys.push(dropout(random.key(seed++), x.ref)); },
          drain: async () => {
            const pending = ys.splice(0);
            await Promise.all(pending.map((y) => y.blockUntilReady()));
            for (const y of pending) y.dispose();
          },
          dispose: () => { x.dispose(); dropout.dispose(); },
        };
      },
    },
  };
}

async function main() {
  const opts = options();
  const problems = [];
  const notes = [];
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null: WebGPU is not available in this browser');
  const info = Object.fromEntries(['vendor', 'architecture', 'device', 'description'].map((key) => [key, adapter.info[key] ?? '']));
  const device = await adapter.requestDevice();
  configureDevice(device, { schedule: opts.schedule });
  watch(device, 'webgpu-dropout', problems);
  const tfjs = await peer('TensorFlow.js', tfjsVariant, problems, notes);
  const jax = await peer('jax-js', jaxVariant, problems, notes);
  const variants = [...hostVariants(lib, device), ...[tfjs, jax].filter(Boolean).map((loaded) => loaded.variant)];
  say(`adapter ${JSON.stringify(info)}; variants: ${variants.map((v) => v.name).join(', ')}`);
  const { schedule, ...suiteOptions } = opts;
  notes.push(`schedule: ${schedule}`);
  const suite = await runHostSuite({ lib, device, variants, ...suiteOptions, progress: (state) => window.hostProgress(state) });
  const leak = tfjs?.check();
  if (leak) problems.push(leak);
  device.destroy();
  say('done');
  await window.hostDone({ adapter: info, isolated: window.crossOriginIsolated, peers: { tfjs: tfjs?.version ?? null, jax: Boolean(jax) }, notes, problems, ...suite });
}

main().catch((error) => window.hostDone({ fatal: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) }));
