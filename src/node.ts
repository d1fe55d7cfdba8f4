/**
 * Getting a GPUDevice in Node through the `webgpu` package (Dawn). Import from
 * `webgpu-dropout/node`; the browser entry never loads this file.
 * @packageDocumentation
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DropoutNoAdapterError } from './errors.js';

/**
 * Where Debian's and Ubuntu's `chromium` package ship SwiftShader, a CPU Vulkan driver: the Vulkan
 * ICD manifests {@link requestNodeAdapter} tries, in order, when no other adapter is found.
 * @example
 * SWIFTSHADER_ICD_PATHS.some((path) => existsSync(path)) // true once `apt-get install chromium` ran
 */
export const SWIFTSHADER_ICD_PATHS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

/**
 * The install hint that ends the `DropoutNoAdapterError` message when Node finds no adapter.
 * @example
 * console.error(`No WebGPU here. ${NO_GPU_HINT}`);
 */
export const NO_GPU_HINT =
  'On Debian/Ubuntu without a GPU: `sudo apt-get install -y chromium libvulkan1` (SwiftShader, a CPU Vulkan driver, ships in chromium); '
  + 'with a GPU: install its Vulkan driver. Then `npm install webgpu`.';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

// dawn.node crashes the process if a GPU instance is garbage-collected while its devices live,
// so every instance we create is kept here for the life of the process.
const instances: GPU[] = [];

/**
 * Options of {@link requestNodeDevice} (and, for `dawnFlags` and `forceSwiftShader`,
 * {@link requestNodeAdapter}). All optional.
 * @example
 * const device = await requestNodeDevice({ requiredFeatures: ['timestamp-query'], forceSwiftShader: true });
 */
export interface NodeDeviceOptions {
  /** Features to require, e.g. ['timestamp-query']; a missing one is a `DropoutNoAdapterError`. */
  requiredFeatures?: GPUFeatureName[];
  /** Limits to require. Default: the adapter's maxStorageBufferBindingSize and maxBufferSize. */
  requiredLimits?: Record<string, number>;
  /** Extra Dawn flags for `create()`, e.g. ['enable-dawn-features=allow_unsafe_apis']. */
  dawnFlags?: string[];
  /** Use SwiftShader even if another Vulkan driver is present. Default: only as a fallback. */
  forceSwiftShader?: boolean;
}

async function loadDawn(): Promise<DawnModule> {
  try {
    const name = 'webgpu';
    return (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (cause) {
    throw new DropoutNoAdapterError(`The 'webgpu' package (Dawn for Node) is not installed: run \`npm install webgpu\`. (${(cause as Error).message})`);
  }
}

async function tryAdapter(dawn: DawnModule, flags: string[]): Promise<GPUAdapter | null> {
  const gpu = dawn.create(flags);
  instances.push(gpu);
  try {
    return await gpu.requestAdapter();
  } catch {
    return null;
  }
}

function useSwiftShader(): boolean {
  const icd = SWIFTSHADER_ICD_PATHS.find((path) => existsSync(path));
  if (!icd) return false;
  process.env.VK_ICD_FILENAMES = icd;
  return true;
}

/**
 * The GPUAdapter Node would use: the system's Vulkan driver, else SwiftShader from Debian's
 * chromium package (found on its own), else a DropoutNoAdapterError that says what to install.
 * Installs the `webgpu` package's globals (`GPUBufferUsage`, …) on `globalThis`.
 * @param options - `dawnFlags` for Dawn's `create()`; `forceSwiftShader` to skip other drivers
 * @returns the adapter
 * @throws `DropoutNoAdapterError` (code `NO_ADAPTER`) if the `webgpu` package is not
 * installed or no adapter is found
 * @example
 * const adapter = await requestNodeAdapter();
 * console.log(adapter.info.description); // e.g. 'SwiftShader Device (Subzero)'
 */
export async function requestNodeAdapter(options: Pick<NodeDeviceOptions, 'dawnFlags' | 'forceSwiftShader'> = {}): Promise<GPUAdapter> {
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  // Vulkan's loader wants a runtime dir; without one it warns on every start.
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'webgpu-dropout-'));
  const flags = options.dawnFlags ?? [];
  let adapter: GPUAdapter | null = null;
  if (!options.forceSwiftShader) adapter = await tryAdapter(dawn, flags);
  if (!adapter && !process.env.VK_ICD_FILENAMES?.includes('swiftshader') && useSwiftShader()) adapter = await tryAdapter(dawn, flags);
  if (!adapter) throw new DropoutNoAdapterError(`No WebGPU adapter found in Node. ${NO_GPU_HINT}`);
  return adapter;
}

/**
 * A GPUDevice in Node, on a real GPU if Vulkan has one and on SwiftShader otherwise. Requests the
 * adapter's full `maxStorageBufferBindingSize` and `maxBufferSize` unless `requiredLimits` says
 * otherwise. Needs the optional peer dependency `webgpu` (`npm install webgpu`).
 * @param options - see {@link NodeDeviceOptions}
 * @returns a new device; destroy it when done
 * @throws `DropoutNoAdapterError` (code `NO_ADAPTER`) if `webgpu` is missing, no adapter is
 * found, or the adapter lacks one of `requiredFeatures`
 * @example
 * import { requestNodeDevice } from 'webgpu-dropout/node';
 * const device = await requestNodeDevice({ requiredFeatures: ['timestamp-query'] });
 */
export async function requestNodeDevice(options: NodeDeviceOptions = {}): Promise<GPUDevice> {
  const adapter = await requestNodeAdapter(options);
  const missing = (options.requiredFeatures ?? []).filter((f) => !adapter.features.has(f));
  if (missing.length) throw new DropoutNoAdapterError(`The adapter lacks required features: ${missing.join(', ')}`);
  return adapter.requestDevice({
    requiredFeatures: options.requiredFeatures ?? [],
    requiredLimits: options.requiredLimits ?? {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
}
