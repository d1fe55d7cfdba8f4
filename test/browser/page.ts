// Runs the shared GPU correctness cases in the page, against the built bundle ('webgpu-dropout'
// resolves to dist/ here), each under its own dispatch schedule, and reports each one to the
// runner (test/browser/run.mjs).
import { CaseDevices, runAll, type CaseResult } from '../cases/runner.js';

declare global {
  interface Window {
    reportCase(report: CaseResult): Promise<void>;
    reportDone(summary: { passed: number; failed: number; adapter: string }): Promise<void>;
  }
}

const log = document.getElementById('log')!;

async function main(): Promise<void> {
  const adapter = await navigator.gpu?.requestAdapter();
  const adapterName = adapter ? [adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(' ') : 'none';
  const devices = new CaseDevices(() => navigator.gpu?.requestAdapter());
  const device = await devices.create();
  const text = new URLSearchParams(location.search).get('filter');
  const results = await runAll({
    device, devices, where: 'browser',
    ...(text ? { filter: (c: { name: string }) => c.name.includes(text) } : {}),
    report: async (result) => {
      log.textContent += `\n${result.ok ? '✓' : '✗'} ${result.name}`;
      await window.reportCase(result);
    },
  });
  device.destroy();
  const failed = results.filter((r) => !r.ok).length;
  await window.reportDone({ passed: results.length - failed, failed, adapter: adapterName });
}

main().catch((e) => window.reportDone({ passed: 0, failed: 1, adapter: `setup failed: ${e instanceof Error ? e.message : String(e)}` }));
