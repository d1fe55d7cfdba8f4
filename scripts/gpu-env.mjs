// Finds (or, as root on Debian/Ubuntu, installs) what WebGPU needs on a machine with no GPU:
// Debian's chromium package (headless browser + SwiftShader, a CPU Vulkan driver) and the Vulkan
// loader. Exports the browser path for the browser tests and benchmarks.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const BROWSER_CANDIDATES = [
  process.env.CHROME_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
].filter(Boolean);

export const INSTALL_HINT = 'WebGPU needs a Vulkan driver or SwiftShader: run `sudo apt-get install -y chromium libvulkan1` (Debian/Ubuntu) or set CHROME_PATH to a Chrome/Chromium binary.';

export function findBrowser() {
  return BROWSER_CANDIDATES.find((path) => existsSync(path)) ?? null;
}

function hasVulkanLoader() {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes('libvulkan.so.1');
  } catch {
    return existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1') || existsSync('/usr/lib/aarch64-linux-gnu/libvulkan.so.1');
  }
}

function canInstall() {
  return process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
}

/** Makes sure Chromium and the Vulkan loader are present; returns the browser path or exits. */
export function ensureGpuEnvironment({ quiet = false } = {}) {
  let browser = findBrowser();
  if (browser && hasVulkanLoader()) return browser;
  if (!canInstall()) {
    console.error(`✗ ${!browser ? 'No Chrome/Chromium found' : 'No Vulkan loader (libvulkan.so.1)'}. ${INSTALL_HINT}`);
    process.exit(1);
  }
  if (!quiet) console.log('• installing chromium and libvulkan1 with apt-get (needed for WebGPU on a machine without a GPU)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium', 'libvulkan1']]) {
    const r = spawnSync('apt-get', args, { stdio: quiet ? 'ignore' : ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) {
      console.error(`✗ apt-get ${args.join(' ')} failed. ${INSTALL_HINT}`);
      process.exit(1);
    }
  }
  browser = findBrowser();
  if (!browser || !hasVulkanLoader()) {
    console.error(`✗ chromium/libvulkan1 installed but still not found. ${INSTALL_HINT}`);
    process.exit(1);
  }
  return browser;
}
