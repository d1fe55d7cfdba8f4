// Which schedule the element-wise kernels record on a device: the same masks and values either
// way, only the number of dispatches differs (see shaders/dropout.wgsl).
//   multi-pass   the hot kernel does only the common case, without checks or loops; the tail, the
//                rare ties and the mask packing are small dispatches after it. CPU adapters
//                (SwiftShader, llvmpipe, WARP) run every instruction of a branch no lane takes,
//                so this measured faster there.
//   single-pass  one dispatch per chunk: ties settled inline, bounds checked inline. What GPUs
//                want: a dispatch costs more there than a branch that is rarely taken.

/** The schedule of the element-wise kernels on a device; 'auto' picks it from the adapter. */
export type Schedule = 'auto' | 'multi-pass' | 'single-pass';

export const SCHEDULES: readonly Schedule[] = ['auto', 'multi-pass', 'single-pass'];

// Names CPU adapters report in their GPUAdapterInfo (vendor, architecture, device or description).
const CPU_ADAPTERS = /swiftshader|llvmpipe|lavapipe|softpipe|basic render driver/i;

/**
 * Whether an adapter is a CPU emulation: `isFallbackAdapter`, or a known software rasterizer's
 * name. Unknown (no adapterInfo, as in browsers before GPUDevice.adapterInfo): not a CPU adapter.
 */
export function isCpuAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  if ((info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true) return true;
  return CPU_ADAPTERS.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

/** The schedule a device runs: the forced one, else multi-pass on CPU adapters, single-pass on GPUs. */
export function resolveSchedule(device: GPUDevice, forced: Schedule = 'auto'): Exclude<Schedule, 'auto'> {
  if (forced !== 'auto') return forced;
  return isCpuAdapter((device as { adapterInfo?: GPUAdapterInfo } | null)?.adapterInfo) ? 'multi-pass' : 'single-pass';
}
