// TensorFlow.js side of the demo: backend set-up. The model, its training loop and its scores
// live in experiment.ts (shared with the offline sweep in demo/sweep/).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-webgpu';

export { tf, tfl };
export { permutation } from './experiment.js';

/** Picks the webgpu backend; falls back to the cpu backend (our layer's portable path) without WebGPU. */
export async function startTensorFlow(webgpu: boolean): Promise<string> {
  if (webgpu) {
    try {
      if (await tf.setBackend('webgpu')) {
        await tf.ready();
        return 'webgpu';
      }
    } catch {
      // fall through to cpu
    }
  }
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}
