// Implementations timed by wall clock, from the call to GPU completion. TensorFlow.js and jax-js
// create their own GPUDevice and submit by themselves, so the timestamp marker passes that time our
// kernels (bench/core.mjs) cannot see their work. To compare like with like, our forward and the
// copy kernel are also timed here the same way: performance.now() around the whole call, up to the
// moment the GPU is done. In Chromium that includes a floor of about 2.3–2.5 ms for the round trip
// submit → onSubmittedWorkDone through the GPU process, which dominates small sizes.
import { copyKernel } from '../baselines.mjs';

/** The same deterministic input as bench/impls.mjs, so every library sees identical data. */
export function inputData(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = ((i * 2654435761) >>> 0) / 2 ** 32 - 0.5;
  return x;
}

/** Milliseconds from calling `work` to its promise settling. */
async function wallClock(work) {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

/** Our copy kernel and forward on our device, each submitted alone and awaited to completion. */
export function ourWallImplementations(lib, device) {
  // Offsets far from the ones the timestamp-timed forward uses: every draw gets its own stream.
  let offset = 1n << 40n;
  const buffers = (n) => {
    const x = lib.uploadFloat32(device, inputData(n), 'bench wall x');
    const y = lib.createStorageBuffer(device, n, 'bench wall y');
    return { x, y, dispose: () => { x.destroy(); y.destroy(); } };
  };
  return [
    {
      name: 'copy (wall)',
      prepare: async (n) => {
        const copy = await copyKernel(device);
        const t = buffers(n);
        return {
          run: () => wallClock(async () => {
            const encoder = device.createCommandEncoder({ label: 'bench copy (wall)' });
            copy(encoder, t.x, t.y, n);
            device.queue.submit([encoder.finish()]);
            await device.queue.onSubmittedWorkDone();
          }),
          dispose: t.dispose,
        };
      },
    },
    {
      name: 'forward (wall)',
      prepare: async (n, p) => {
        const t = buffers(n);
        return {
          // No encoder: the library submits by itself, as tf.dropout does.
          run: () => wallClock(async () => {
            await lib.dropout(device, { x: t.x, y: t.y, n, p, training: true, seed: 1234n, offset: offset++ });
            await device.queue.onSubmittedWorkDone();
          }),
          dispose: t.dispose,
        };
      },
    },
  ];
}

/**
 * TensorFlow.js on its `webgpu` backend (its own device): { tf, device, flush, check }. flush()
 * ends tfjs's open compute pass and submits what is pending; check() reports tensors left alive
 * since the start (a leak, ours or tfjs's). Also used by the host-cost page (bench/host-page/).
 */
export async function startTfjs() {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
  const backend = tf.backend();
  const device = backend.device;
  if (typeof backend.submitQueue !== 'function' || typeof backend.endComputePassEncoder !== 'function' || !device) {
    throw new Error('tfjs-backend-webgpu internals changed: no submitQueue/endComputePassEncoder/device on the backend');
  }
  // The backend records dispatches into an open compute pass and submits only every
  // WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE (15) dispatches or on a read. End and submit what is pending,
  // or onSubmittedWorkDone would resolve before tf.dropout's kernels have even been submitted.
  const flush = () => {
    backend.endComputePassEncoder();
    if (backend.commandEncoder) backend.submitQueue();
  };
  const numTensors = tf.memory().numTensors;
  const check = () => {
    const left = tf.memory().numTensors - numTensors;
    return left === 0 ? null : `tfjs: ${left} tensors left alive after the suite`;
  };
  return { tf, device, flush, check };
}

/**
 * tf.dropout on the tfjs `webgpu` backend (its own device). tf.dropout draws the uniforms on the
 * CPU, uploads them and runs add/floor/div/mul kernels; all of that is inside the timed call.
 * Returns { device, impls, check } where check() reports leaked tensors.
 */
export async function tfjsImplementations() {
  const { tf, device, flush, check } = await startTfjs();
  const variant = (name, complete) => ({
    name,
    prepare: async (n, p) => {
      const x = tf.tensor1d(inputData(n)); // uploaded to the GPU by the first (untimed) run
      return {
        run: async () => {
          const t0 = performance.now();
          const y = tf.dropout(x, p);
          await complete(y);
          const ms = performance.now() - t0;
          y.dispose();
          return ms;
        },
        dispose: () => x.dispose(),
      };
    },
  });
  return {
    device,
    version: tf.version_core,
    impls: [
      variant('tfjs dropout', async () => { flush(); await device.queue.onSubmittedWorkDone(); }),
      variant('tfjs dropout + readback', (y) => y.data()),
    ],
    // Every x and y is disposed by now; anything left is a leak (ours or tfjs's).
    check,
  };
}

/**
 * jax-js on its `webgpu` device: a jitted (key, x) => where(bernoulli(key, 1 - p, [n]), x / (1 - p), 0),
 * with a fresh key for every call (a two-word array, cheap), awaited with blockUntilReady(), which
 * submits the pending kernels and maps a staging buffer after them.
 */
export async function jaxImplementations() {
  const { random, device, setup } = await startJax();
  let seed = 0;
  return {
    device,
    impls: [{
      name: 'jax-js',
      prepare: async (n, p) => {
        const { x, dropout } = await setup(n, p);
        return {
          run: async () => {
            const t0 = performance.now();
            const y = dropout(random.key(seed++), x.ref);
            await y.blockUntilReady();
            const ms = performance.now() - t0;
            y.dispose();
            return ms;
          },
          dispose: () => { x.dispose(); dropout.dispose(); },
        };
      },
    }],
  };
}

/**
 * jax-js on its `webgpu` device: { random, device, setup(n, p) }, where setup uploads the input
 * and returns { x, dropout }, a jitted (key, v) => where(bernoulli(key, 1 - p, [n]), v / (1 - p), 0).
 * jax-js arrays are reference-counted and every call consumes its arguments: pass x.ref.
 */
export async function startJax() {
  const jax = await import('@jax-js/jax');
  const available = await jax.init('webgpu');
  if (!available.includes('webgpu')) throw new Error('jax.init("webgpu") did not start a WebGPU backend');
  jax.defaultDevice('webgpu');
  const { numpy: np, random } = jax;
  const setup = async (n, p) => {
    const keep = 1 - p;
    const x = np.array(inputData(n));
    await x.blockUntilReady();
    return { x, dropout: jax.jit((key, v) => np.where(random.bernoulli(key, keep, [n]), v.div(keep), 0)) };
  };
  return { random, device: jax.getWebGPUDevice(), setup };
}

/** Collects uncaptured WebGPU errors and device losses of `device` into `problems`. */
export function watch(device, owner, problems) {
  device.addEventListener('uncapturederror', (event) => problems.push(`${owner}: uncaptured WebGPU error: ${event.error.message}`));
  device.lost.then((info) => { if (info.reason !== 'destroyed') problems.push(`${owner}: device lost: ${info.message}`); });
}

/** Loads one peer library; a failure becomes a note and the suite goes on without it. */
export async function peer(label, load, problems, notes) {
  try {
    const loaded = await load();
    watch(loaded.device, label, problems);
    return loaded;
  } catch (error) {
    notes.push(`${label} not benchmarked: could not initialise (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
}
