/**
 * webgpu-dropout: fused inverted-dropout kernels for WebGPU with Philox4x32-10 masks that are a
 * pure function of (seed, offset, element index, p), bit-exact with the CPU reference in
 * `webgpu-dropout/cpu`. Test hooks (forced limits) are in `webgpu-dropout/testing`.
 * @packageDocumentation
 */
export { dropout, dropoutBackward, type DropoutOptions, type DropoutBackwardOptions, type DropoutCallOptions } from './api/functional.js';
export { gaussianDropout, gaussianDropoutBackward, type GaussianDropoutOptions, type GaussianDropoutBackwardOptions } from './api/gaussian.js';
export { dropBlock, dropBlockBackward, type DropBlockOptions } from './api/dropblock.js';
export {
  dropout1d, dropout1dBackward, dropout2d, dropout2dBackward, dropout3d, dropout3dBackward, alphaDropout, alphaDropoutBackward,
  featureAlphaDropout, featureAlphaDropoutBackward, dropBlock2d, dropBlock3d,
  type FamilyCallOptions, type SpatialCallOptions, type AlphaCallOptions, type ForwardTensors, type BackwardTensors,
} from './api/functional-family.js';
export { mcDropout, type McDropoutOptions } from './api/mc.js';
export { fusedDropout, fusedDropoutBackward, type FusedDropoutOptions, type FusedDropoutBackwardOptions, type FusedDropoutCallOptions } from './api/fused.js';
export { dropConnectLinear, dropConnectLinearBackward, type DropConnectLinearShape, type DropConnectLinearOptions, type DropConnectLinearBackwardOptions } from './api/dropconnect.js';
export { DropConnectLinear, type DropConnectLinearModuleOptions, type DropConnectRecord } from './api/dropconnect-module.js';
export { prepare } from './api/prepare.js';
export { type Activation } from './spec/epilogue.js';
export {
  Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout, DropConnect,
  type DropoutModuleOptions, type SpatialDropoutOptions, type AlphaDropoutOptions, type DropoutRecord, type ForwardCallOptions,
} from './api/module.js';
export { GaussianDropout } from './api/gaussian-module.js';
export { DropBlock2d, DropBlock3d, type DropBlockModuleOptions } from './api/dropblock-module.js';
export { spatialNoiseShape } from './api/spatial.js';
export { type DropoutMode } from './rng/transform.js';
export { PhiloxGenerator, type GeneratorState } from './rng/generator.js';
export { uploadFloat32, downloadFloat32, downloadUint32, createStorageBuffer, type BufferArg } from './gpu/buffers.js';
export { releaseDevice, deviceStats } from './gpu/device-state.js';
export { BufferUsage } from './gpu/usage.js';
export { type Schedule } from './gpu/schedule.js';
export { PHILOX_WGSL } from './kernels/dropout-family.js';
export { DROPOUT_MASK_WGSL, maskUniforms, MASK_UNIFORM_WORDS } from './kernels/wgsl-mask.js';
export { type WorkgroupSize } from './kernels/dropout-family.js';
export { MAX_ELEMENTS_PER_DRAW } from './rng/layout.js';
export * from './errors.js';
