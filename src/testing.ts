/**
 * webgpu-dropout/testing: hooks for testing code built on this library (and this library's own
 * tests), kept off the main entry. {@link configureDevice} lowers the limits the kernels plan with
 * on one device, so chunking, 2-D dispatch and the tie-log overflow path run on small tensors;
 * results never change. It acts on the same per-device state as `webgpu-dropout` (the two entries
 * share one copy of the library in a bundle).
 * @example
 * import { configureDevice } from 'webgpu-dropout/testing';
 * configureDevice(device, { maxBindingBytes: 1 << 16 }); // 64 KiB chunks
 * @packageDocumentation
 */
export { configureDevice, type TestLimits } from './gpu/device-state.js';
