import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string): string => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // The shared cases import the package by name; in Node they test the sources.
    alias: [
      { find: /^webgpu-dropout\/cpu$/, replacement: src('cpu.ts') },
      { find: /^webgpu-dropout\/testing$/, replacement: src('testing.ts') },
      { find: /^webgpu-dropout$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Each file runs in its own child process, so a driver crash fails that file instead of
    // taking the runner down; files run one at a time because SwiftShader already uses every core.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
