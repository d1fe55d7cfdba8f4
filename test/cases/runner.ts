// How every runner of the shared cases (vitest in Node, the page in Chrome, the standalone GPU
// check on dist/) gets its devices and runs one case, so the three cannot drift apart: devices
// with the adapter's largest buffers and `shader-f16` where the adapter has it (the f16 cases
// compare values there and test the refusal elsewhere), uncaptured WebGPU errors failing the case
// that caused them (except those naming EXPECTED_UNCAPTURED, provoked on purpose), every buffer
// and extra device destroyed whatever happens.
import { cases as allCases } from './index.js';
import { schedules, type Schedule } from './schedules.js';
import { EXPECTED_UNCAPTURED, Tracker, type Case, type CaseEnv } from './env.js';

export { schedules, type Schedule };

/** One case's outcome. */
export interface CaseResult {
  name: string;
  schedule: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/** Makes devices for the cases from `requestAdapter` (called once per device: an adapter makes one). */
export class CaseDevices {
  /** Messages of uncaptured WebGPU errors on any device made here, not yet reported. */
  readonly uncaptured: string[] = [];
  constructor(private readonly requestAdapter: () => Promise<GPUAdapter | null | undefined>) {}

  async create(): Promise<GPUDevice> {
    const adapter = await this.requestAdapter();
    if (!adapter) throw new Error('requestAdapter() returned null: WebGPU is not available here');
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('shader-f16') ? ['shader-f16'] : [],
      requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
    });
    device.addEventListener('uncapturederror', (event) => {
      const message = (event as GPUUncapturedErrorEvent).error.message;
      if (!message.includes(EXPECTED_UNCAPTURED)) this.uncaptured.push(message);
    });
    return device;
  }
}

/**
 * Runs case `c` on `device` under `schedule` (selected on the device, and on every extra device the
 * case asks for, before it starts). Throws what the case threw, or the uncaptured errors it caused.
 */
export async function runCase(c: Case, device: GPUDevice, devices: CaseDevices, schedule: Schedule, where: CaseEnv['where']): Promise<void> {
  const t = new Tracker(device);
  const extra = new Set<GPUDevice>();
  const newDevice = async (): Promise<GPUDevice> => {
    const d = await devices.create();
    extra.add(d);
    schedule.select(d);
    return d;
  };
  try {
    schedule.select(device);
    await c.run({ device, newDevice, where }, t);
  } finally {
    t.dispose();
    for (const d of extra) d.destroy();
  }
  if (devices.uncaptured.length) throw new Error(`uncaptured WebGPU errors:\n${devices.uncaptured.splice(0).join('\n')}`);
}

/** The message of whatever a case threw, with the error's class name. */
export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Runs every case (or those `filter` keeps) under every schedule on one device, in order, and
 * reports each result as it comes; a failing case never stops the others.
 */
export async function runAll(options: {
  device: GPUDevice;
  devices: CaseDevices;
  where: CaseEnv['where'];
  schedules?: Schedule[];
  filter?: (c: Case) => boolean;
  report: (result: CaseResult) => void | Promise<void>;
  /** Checked before each case: true stops the run there (the rest is not reported). */
  stop?: () => boolean;
}): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const schedule of options.schedules ?? schedules) {
    for (const c of allCases.filter(options.filter ?? (() => true))) {
      if (options.stop?.()) return results;
      const t0 = performance.now();
      let error: string | undefined;
      try {
        await runCase(c, options.device, options.devices, schedule, options.where);
      } catch (e) {
        error = errorText(e);
      }
      const result: CaseResult = { name: c.name, schedule: schedule.name, ok: error === undefined, ms: performance.now() - t0, ...(error === undefined ? {} : { error }) };
      results.push(result);
      await options.report(result);
    }
  }
  return results;
}
