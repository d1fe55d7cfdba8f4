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
 * tf.dropout on the tfjs `webgpu` backend (its own device). tf.dropout draws the uniforms on the
 * CPU, uploads them and runs add/floor/div/mul kernels; all of that is inside the timed call.
 * Returns { device, impls, check } where check() reports leaked tensors.
 */
export async function tfjsImplementations() {
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
  const numTensors = tf.memory().numTensors;
  return {
    device,
    version: tf.version_core,
    impls: [
      variant('tfjs dropout', async () => { flush(); await device.queue.onSubmittedWorkDone(); }),
      variant('tfjs dropout + readback', (y) => y.data()),
    ],
    // Every x and y is disposed by now; anything left is a leak (ours or tfjs's).
    check: () => {
      const left = tf.memory().numTensors - numTensors;
      return left === 0 ? null : `tfjs: ${left} tensors left alive after the suite`;
    },
  };
}

/**
 * jax-js on its `webgpu` device: a jitted (key, x) => where(bernoulli(key, 1 - p, [n]), x / (1 - p), 0),
 * with a fresh key for every call (a two-word array, cheap), awaited with blockUntilReady(), which
 * submits the pending kernels and maps a staging buffer after them.
 */
export async function jaxImplementations() {
  const jax = await import('@jax-js/jax');
  const available = await jax.init('webgpu');
  if (!available.includes('webgpu')) throw new Error('jax.init("webgpu") did not start a WebGPU backend');
  jax.defaultDevice('webgpu');
  const { numpy: np, random } = jax;
  let seed = 0;
  return {
    device: jax.getWebGPUDevice(),
    impls: [{
      name: 'jax-js',
      prepare: async (n, p) => {
        const keep = 1 - p;
        const x = np.array(inputData(n));
        await x.blockUntilReady();
        // jax-js arrays are reference-counted and every call consumes its arguments: pass x.ref.
        const dropout = jax.jit((key, v) => np.where(random.bernoulli(key, keep, [n]), v.div(keep), 0));
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
