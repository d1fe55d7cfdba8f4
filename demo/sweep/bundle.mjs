// Bundles the page's experiment module (demo/src/experiment.ts) for Node with Vite: WGSL ?raw
// imports and the webgpu-dropout alias resolved as in the demo build, TensorFlow.js external (one
// copy of it). Written inside the repository (demo/sweep/.bundle, git-ignored) so that the bundle's
// bare imports resolve against node_modules.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** Imports demo/src/experiment.ts, bundled. */
export async function importExperiment() {
  const outDir = join(root, 'demo/sweep/.bundle');
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    resolve: { alias: [{ find: /^webgpu-dropout\/tfjs$/, replacement: join(root, 'src/tfjs.ts') }] },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      lib: { entry: join(root, 'demo/src/experiment.ts'), formats: ['es'], fileName: 'experiment' },
      rollupOptions: { external: [/^@tensorflow\//] },
    },
  });
  const module = await import(pathToFileURL(join(outDir, 'experiment.js')).href);
  rmSync(outDir, { recursive: true, force: true });
  return module;
}
