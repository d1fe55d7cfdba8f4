// Finds a WebGPU adapter and device for the page, or says why there is none.

export interface Gpu {
  device: GPUDevice;
  adapterName: string;
  /** SwiftShader (or another CPU adapter): everything works, slowly. */
  software: boolean;
}

export type GpuResult = { ok: true; gpu: Gpu } | { ok: false; reason: string };

export function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((part) => part && part.length > 0);
  const unique = parts.filter((part, i) => parts.findIndex((other) => other.toLowerCase() === part.toLowerCase()) === i);
  return unique.join(' · ') || 'unnamed adapter';
}

export async function requestGpu(): Promise<GpuResult> {
  if (!window.isSecureContext) return { ok: false, reason: 'This page is not a secure context (open it over https:// or from localhost), so navigator.gpu is hidden.' };
  if (!('gpu' in navigator) || !navigator.gpu) return { ok: false, reason: 'navigator.gpu is missing: this browser has no WebGPU, or it is turned off.' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await navigator.gpu.requestAdapter();
  } catch (error) {
    return { ok: false, reason: `navigator.gpu.requestAdapter() failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!adapter) return { ok: false, reason: 'navigator.gpu.requestAdapter() found no adapter: WebGPU is present but no GPU (or software fallback) is enabled.' };
  const features: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredFeatures: features });
  device.addEventListener('uncapturederror', (event) => console.error(`WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message}`));
  const name = describeAdapter(adapter.info);
  const software = /swiftshader|llvmpipe|software|warp|basic render/i.test(name) || (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return { ok: true, gpu: { device, adapterName: name, software } };
}
