// Builds the GPU check (test/gpu-check/main.ts and the shared cases) into dist/check/gpu-check.js,
// part of `npm run build`. The library is not bundled in: 'webgpu-dropout*' become relative imports
// of the built dist/*.js, so the check tests what npm users get. dist/check/ is outside the
// package's `files` (dist/*.js), so it is never published.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist/check',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    lib: { entry: 'test/gpu-check/main.ts', formats: ['es'], fileName: () => 'gpu-check.js' },
    rollupOptions: {
      external: [/^node:/, 'webgpu', /^webgpu-dropout(\/|$)/],
      output: {
        codeSplitting: false, // one file
        paths: (id) => id.replace(/^webgpu-dropout(?:\/(.+))?$/, (_, entry: string | undefined) => `../${entry ?? 'index'}.js`),
      },
    },
  },
});
