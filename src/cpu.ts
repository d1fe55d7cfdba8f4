/**
 * CPU reference: reproduces every GPU mask bit-exactly and every value within the documented
 * tolerance (bit-exact, save flushed subnormals). Import from `webgpu-dropout/cpu`.
 * @packageDocumentation
 */
export { philox4x32, mulhi32, philoxUniformPart } from './rng/philox.js';
export { keepMask, elementKept, maskBit, type DrawKey } from './rng/mask.js';
export { elementSlot, slotElement, TILE_ELEMENTS, BLOCK_ELEMENTS, MAX_ELEMENTS_PER_DRAW, type ElementSlot } from './rng/layout.js';
export { dropRate, type DropRate } from './rng/threshold.js';
export { toF16Bits, fromF16Bits, toF16Array, fromF16Array } from './cpu/f16.js';
export { dropoutF16CPU, dropoutCPU, dropoutBackwardCPU, applyMaskCPU, maskIndices, type CpuDropoutOptions, type CpuDropoutResult } from './cpu/reference.js';
export { gaussianDropoutCPU, gaussianNoiseCPU, gaussianSigma, GAUSSIAN_STREAM } from './cpu/gaussian.js';
export { dropBlockCPU, dropBlockMaskCPU, dropBlockGeometry, dropBlockScale, type DropBlockGeometry } from './cpu/dropblock.js';
export { mcDropoutCPU, type McOptions } from './cpu/mc.js';
export { dropConnectLinearCPU, dropConnectLinearBackwardCPU, type DropConnectCpuOptions } from './cpu/dropconnect.js';
export { fusedDropoutCPU, fusedDropoutBackwardCPU, columnSumsCPU, activation, activationGrad, ACTIVATIONS, type Activation, type EpilogueOptions } from './cpu/epilogue.js';
export { alphaConstants, SELU_ALPHA_PRIME, type DropoutMode } from './rng/transform.js';
export { PhiloxGenerator, type GeneratorState } from './rng/generator.js';
export * from './errors.js';
