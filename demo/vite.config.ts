// The demo (npm run demo / npm run build:demo): a Vite app rooted at demo/, built into demo/dist.
// The root vite.config.ts is the library build; this one serves the page. 'webgpu-dropout' and
// its subpaths resolve to the sources in src/ (no library build needed), and so do the bench
// modules' imports of ../dist/index.js, so the page and the reused benchmark code share one copy
// of the library.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const repo = fileURLToPath(new URL('..', import.meta.url));
const demo = fileURLToPath(new URL('.', import.meta.url));
const source = (file: string): string => `${repo}src/${file}`;

/** bench/*.mjs import '../dist/index.js' (the built library): serve the sources instead. */
function distToSources(): Plugin {
  const dist = `${repo}dist/index.js`;
  return {
    name: 'webgpu-dropout-demo:dist-to-sources',
    enforce: 'pre',
    async resolveId(id, importer) {
      if (!importer || !id.endsWith('dist/index.js')) return null;
      const resolved = fileURLToPath(new URL(id, `file://${importer}`));
      return resolved === dist ? source('index.ts') : null;
    },
  };
}

export default defineConfig({
  root: demo,
  base: './',
  publicDir: 'public',
  cacheDir: `${repo}node_modules/.vite-demo`,
  plugins: [distToSources()],
  resolve: {
    alias: [
      { find: /^webgpu-dropout\/tfjs$/, replacement: source('tfjs.ts') },
      { find: /^webgpu-dropout\/cpu$/, replacement: source('cpu.ts') },
      { find: /^webgpu-dropout$/, replacement: source('index.ts') },
    ],
  },
  server: { host: '127.0.0.1', port: 5180, strictPort: false, fs: { allow: [repo] } },
  preview: { host: '127.0.0.1', port: 4180, strictPort: false },
  optimizeDeps: {
    entries: ['index.html'],
    include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-cpu', 'chart.js/auto'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      onwarn(warning, warn) {
        // bench/page/wall-clock.js imports TensorFlow.js dynamically; the page has it statically anyway.
        if (warning.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
        warn(warning);
      },
    },
  },
});
