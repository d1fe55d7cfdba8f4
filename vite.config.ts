// Library build: ESM bundles for the browser entry (index), the CPU reference (cpu), the Node
// device helper (node), the TensorFlow.js integration (tfjs; @tensorflow/* stay external) and the
// test hooks (testing).
// WGSL is inlined through `?raw` imports, so the bundle is self-contained; its comments are
// stripped (line numbers kept).
import { defineConfig } from 'vite';
import { stripWgslComments } from './scripts/strip-wgsl-comments.js';

export default defineConfig({
  plugins: [stripWgslComments()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    lib: {
      entry: { index: 'src/index.ts', cpu: 'src/cpu.ts', node: 'src/node.ts', tfjs: 'src/tfjs.ts', testing: 'src/testing.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      external: [/^node:/, 'webgpu', /^@tensorflow\//],
    },
  },
});
