// How every runner of the shared cases (vitest in Node, the page in Chrome, the standalone GPU
// check on dist/) gets its devices and runs one case, so the three cannot drift apart: devices
// with the adapter's largest buffers and `shader-f16` where the adapter has it (the f16 cases
// compare values there and test the refusal elsewhere), the case's dispatch schedule selected on
// every device it uses, uncaptured WebGPU errors failing the case that caused them (except those
// naming EXPECTED_UNCAPTURED, provoked on purpose), every buffer and extra device destroyed
// whatever happens.
import { configureDevice } from 'webgpu-dropout/testing';
import { cases as allCases } from './index.js';
import { EXPECTED_UNCAPTURED, Tracker, type Case, type CaseEnv } from './env.js';

/** One case's outcome. */
export interface CaseResult {
  name: string;
  schedule: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * The dispatch schedule a case runs under: its own `schedule` (index.ts runs the GPU-vs-CPU cases
 * once per schedule, each copy naming its own), else 'default' (the device's, left as it is).
 */
export function scheduleOf(c: Case): string {
  return (c as Case & { schedule?: string }).schedule ?? 'default';
}

/** Selects case `c`'s schedule on `device`, if it names one. */
function selectSchedule(c: Case, device: GPUDevice): void {
  const schedule = scheduleOf(c);
  if (schedule !== 'default') configureDevice(device, { schedule } as Parameters<typeof configureDevice>[1]);
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
 * Runs case `c` on `device` (and on the extra devices it asks for), under its schedule. Throws
 * what the case threw, or the uncaptured errors it caused.
 */
export async function runCase(c: Case, device: GPUDevice, devices: CaseDevices, where: CaseEnv['where']): Promise<void> {
  const t = new Tracker(device);
  const extra = new Set<GPUDevice>();
  const newDevice = async (): Promise<GPUDevice> => {
    const d = await devices.create();
    extra.add(d);
    selectSchedule(c, d);
    return d;
  };
  try {
    selectSchedule(c, device);
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
 * Runs every case (or those `filter` keeps) on one device, in order, and reports each result as
 * it comes; a failing case never stops the others.
 */
export async function runAll(options: {
  device: GPUDevice;
  devices: CaseDevices;
  where: CaseEnv['where'];
  filter?: (c: Case) => boolean;
  report: (result: CaseResult) => void | Promise<void>;
  /** Checked before each case: true stops the run there (the rest is not reported). */
  stop?: () => boolean;
}): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of allCases.filter(options.filter ?? (() => true))) {
    if (options.stop?.()) break;
    const t0 = performance.now();
    let error: string | undefined;
    try {
      await runCase(c, options.device, options.devices, options.where);
    } catch (e) {
      error = errorText(e);
    }
    const result: CaseResult = { name: c.name, schedule: scheduleOf(c), ok: error === undefined, ms: performance.now() - t0, ...(error === undefined ? {} : { error }) };
    results.push(result);
    await options.report(result);
  }
  return results;
}
