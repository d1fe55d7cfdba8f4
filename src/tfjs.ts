/**
 * webgpu-dropout/tfjs: TensorFlow.js integration. A `dropout` op with tf.dropout's signature and
 * semantics, and layers that replace tf.layers.dropout / spatialDropout1d (plus a 2-D spatial
 * variant). On the `webgpu` backend (tfjs-backend-webgpu 4.x) they run our fused Philox kernels
 * on TensorFlow.js's own GPUDevice, reading and writing its tensor buffers directly (no copies);
 * on every other backend they use tfjs ops with the mask from the CPU reference — the same masks
 * either way. Needs @tensorflow/tfjs-core and @tensorflow/tfjs-layers (optional peers of this
 * package; the main entry does not import them). Importing this module registers the layer
 * classes for model save/load.
 * @packageDocumentation
 */
export { dropout, dropoutStats, type DropoutOpOptions } from './tfjs/op.js';
export { Dropout, SpatialDropout1D, SpatialDropout2D, registerLayers, dropoutLayers as layers, type DropoutLayerArgs, type SpatialDropout2DArgs } from './tfjs/layers.js';
export { philoxSeed, generatorFor, SEED_GENERATORS } from './tfjs/seed.js';
export { PhiloxGenerator, type GeneratorState } from './rng/generator.js';
export * from './errors.js';
