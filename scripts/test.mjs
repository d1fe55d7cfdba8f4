// `npm test`: environment check, type check, lint, the Node suites (vitest), the library build,
// the GPU check on the built bundle (Node), packaging checks, the headless-Chrome suites on the
// built bundle, then the consumer tests on the packed tarball. Stops at the first failing step
// with its exit code.
import { spawnSync } from 'node:child_process';
import { ensureGpuEnvironment } from './gpu-env.mjs';

const steps = [
  ['type check', 'npx', ['tsc', '--noEmit']],
  ['lint', 'npx', ['eslint', '.']],
  ['unit and Node GPU tests (vitest)', 'npx', ['vitest', 'run']],
  ['library build (vite + declarations)', 'npm', ['run', 'build', '--silent']],
  // The same cases again, on the built bundle with nothing but dist/ and `webgpu` (what a bare GPU
  // machine has: scripts/device-check.sh runs this), so the standalone check cannot rot.
  ['GPU check on the built bundle in Node (dist/check/gpu-check.js)', 'node', ['dist/check/gpu-check.js']],
  // Packaging: the package metadata, the types every entry point resolves to (ESM-only, so attw's
  // esm-only profile: node10 and node16-from-CommonJS cannot load it by design), and the TSDoc.
  ['package metadata (publint --strict)', 'npx', ['publint', '--strict']],
  ['types of every entry point (attw --pack --profile esm-only)', 'npx', ['attw', '--pack', '.', '--profile', 'esm-only']],
  ['API reference (TypeDoc validation: no undocumented exports)', 'npx', ['typedoc', '--emit', 'none']],
  ['GPU tests in headless Chrome on the built bundle', 'node', ['test/browser/run.mjs']],
  ['TensorFlow.js integration in headless Chrome (webgpu-dropout/tfjs)', 'node', ['test/tfjs/run.mjs']],
  ['demo: build, then every panel of the built page in headless Chrome (and once without WebGPU)', 'node', ['demo/test/run.mjs']],
  ['consumer tests (npm pack → Vite app in Chrome, Node ESM, CommonJS; size budget, tree-shaking)', 'node', ['test/consumer/run.mjs']],
];

const started = Date.now();
const browser = ensureGpuEnvironment();
console.log(`• WebGPU environment ok (browser: ${browser})`);
for (const [name, command, args] of steps) {
  console.log(`\n• ${name}: ${command} ${args.join(' ')}`);
  const t0 = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, CHROME_PATH: browser } });
  if (result.status !== 0) {
    console.error(`\n✗ ${name} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
  console.log(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log(`\n✓ all test steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
