// The host-cost benchmark page, opened by bench/host.mjs in headless Chrome: the shared suite
// (bench/host-core.mjs) on our device, plus tf.dropout (tfjs webgpu backend) and jax-js, each on
// its own device, where they load. Options come in the query string; progress and the report go
// back through functions the runner exposes on window.
import * as lib from '../../dist/index.js';
import { hostVariants, inputData, runHostSuite } from '../host-core.mjs';

const log = document.getElementById('log');
const say = (line) => { log.textContent += `\n${line}`; };

function options() {
  const q = new URL(window.location.href).searchParams;
  const list = (name) => q.get(name).split(',').map(Number);
  return { sizes: list('sizes').map((s) => 2 ** s), rates: list('rates'), k: Number(q.get('k')), rounds: Number(q.get('rounds')) };
}

function watch(device, owner, problems) {
  device.addEventListener('uncapturederror', (event) => problems.push(`${owner}: uncaptured WebGPU error: ${event.error.message}`));
  device.lost.then((info) => { if (info.reason !== 'destroyed') problems.push(`${owner}: device lost: ${info.message}`); });
}

/**
 * tf.dropout on the tfjs `webgpu` backend: a call returns a tensor at once. The backend batches
 * dispatches and submits every 15 of them; the drain ends its open pass, submits what is pending,
 * waits for its device and disposes the outputs.
 */
async function tfjsVariant() {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
  const backend = tf.backend();
  if (typeof backend.submitQueue !== 'function' || typeof backend.endComputePassEncoder !== 'function' || !backend.device) {
    throw new Error('tfjs-backend-webgpu internals changed: no submitQueue/endComputePassEncoder/device on the backend');
  }
  const tensors = tf.memory().numTensors;
  return {
    device: backend.device,
    version: tf.version_core,
    check: () => {
      const left = tf.memory().numTensors - tensors;
      return left === 0 ? null : `tfjs: ${left} tensors left alive after the suite`;
    },
    variant: {
      name: 'tf.dropout (tfjs webgpu)', kind: 'peer', awaited: false,
      prepare: async (n, p) => {
        const x = tf.tensor1d(inputData(n));
        const ys = [];
        return {
          call: () => { ys.push(tf.dropout(x, p)); },
          drain: async () => {
            backend.endComputePassEncoder();
            if (backend.commandEncoder) backend.submitQueue();
            await backend.device.queue.onSubmittedWorkDone();
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
  const jax = await import('@jax-js/jax');
  const available = await jax.init('webgpu');
  if (!available.includes('webgpu')) throw new Error('jax.init("webgpu") did not start a WebGPU backend');
  jax.defaultDevice('webgpu');
  const { numpy: np, random } = jax;
  let seed = 0;
  return {
    device: jax.getWebGPUDevice(),
    variant: {
      name: 'jax-js (jit)', kind: 'peer', awaited: false,
      prepare: async (n, p) => {
        const keep = 1 - p;
        const x = np.array(inputData(n));
        await x.blockUntilReady();
        // Arrays are reference-counted and a call consumes its arguments: pass x.ref.
        const dropout = jax.jit((key, v) => np.where(random.bernoulli(key, keep, [n]), v.div(keep), 0));
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

/** Loads one peer; a failure becomes a note and the suite goes on without it. */
async function peer(label, load, problems, notes) {
  try {
    const loaded = await load();
    watch(loaded.device, label, problems);
    return loaded;
  } catch (error) {
    notes.push(`${label} not benchmarked: could not initialise (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
}

async function main() {
  const opts = options();
  const problems = [];
  const notes = [];
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null: WebGPU is not available in this browser');
  const info = Object.fromEntries(['vendor', 'architecture', 'device', 'description'].map((key) => [key, adapter.info[key] ?? '']));
  const device = await adapter.requestDevice();
  watch(device, 'webgpu-dropout', problems);
  const tfjs = await peer('TensorFlow.js', tfjsVariant, problems, notes);
  const jax = await peer('jax-js', jaxVariant, problems, notes);
  const variants = [...hostVariants(lib, device), ...[tfjs, jax].filter(Boolean).map((loaded) => loaded.variant)];
  say(`adapter ${JSON.stringify(info)}; variants: ${variants.map((v) => v.name).join(', ')}`);
  const suite = await runHostSuite({ lib, device, variants, ...opts, progress: (state) => window.hostProgress(state) });
  const leak = tfjs?.check();
  if (leak) problems.push(leak);
  device.destroy();
  say('done');
  await window.hostDone({ adapter: info, isolated: window.crossOriginIsolated, peers: { tfjs: tfjs?.version ?? null, jax: Boolean(jax) }, notes, problems, ...suite });
}

main().catch((error) => window.hostDone({ fatal: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) }));
