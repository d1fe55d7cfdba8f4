// Runs the shared GPU correctness cases in the page, against the built bundle ('webgpu-dropout'
// resolves to dist/ here), and reports each one to the runner (test/browser/run.mjs).
import { cases, EXPECTED_UNCAPTURED, Tracker, type CaseEnv } from '../cases/index.js';

interface Report { name: string; ok: boolean; ms: number; error?: string }
declare global {
  interface Window {
    reportCase(report: Report): Promise<void>;
    reportDone(summary: { passed: number; failed: number; adapter: string }): Promise<void>;
  }
}

const log = document.getElementById('log')!;
const uncaptured: string[] = [];

async function newDevice(): Promise<GPUDevice> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null: WebGPU is not available in this browser');
  const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
  device.addEventListener('uncapturederror', (event) => {
    const message = (event as GPUUncapturedErrorEvent).error.message;
    if (!message.includes(EXPECTED_UNCAPTURED)) uncaptured.push(message);
  });
  return device;
}

async function main(): Promise<void> {
  const adapter = await navigator.gpu?.requestAdapter();
  const adapterName = adapter ? [adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(' ') : 'none';
  const device = await newDevice();
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    const extra = new Set<GPUDevice>();
    const env: CaseEnv = { device, where: 'browser', newDevice: async () => { const d = await newDevice(); extra.add(d); return d; } };
    const t = new Tracker(device);
    const t0 = performance.now();
    let error: string | undefined;
    try {
      await c.run(env, t);
      if (uncaptured.length) throw new Error(`uncaptured WebGPU errors:\n${uncaptured.splice(0).join('\n')}`);
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    } finally {
      t.dispose();
      for (const d of extra) d.destroy();
    }
    const ms = performance.now() - t0;
    if (error) failed++;
    else passed++;
    log.textContent += `\n${error ? '✗' : '✓'} ${c.name}`;
    await window.reportCase({ name: c.name, ok: !error, ms, error });
  }
  device.destroy();
  await window.reportDone({ passed, failed, adapter: adapterName });
}

main().catch((e) => window.reportDone({ passed: 0, failed: 1, adapter: `setup failed: ${e instanceof Error ? e.message : String(e)}` }));
