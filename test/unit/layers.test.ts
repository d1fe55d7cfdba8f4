// The GPU path and the CPU reference are twins that share a specification layer (src/spec, src/rng),
// not each other: a kernel or API module that imported the CPU reference could pass its tests by
// computing with the code it is checked against.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const src = join(import.meta.dirname, '../../src');

test('src/kernels, src/gpu, src/api and src/tfjs import nothing from src/cpu (they share src/spec and src/rng)', () => {
  const offenders: string[] = [];
  for (const dir of ['kernels', 'gpu', 'api', 'tfjs']) {
    for (const file of readdirSync(join(src, dir)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(src, dir, file), 'utf8');
      for (const [line] of text.matchAll(/^(?:import|export)[^;]*from '\.\.\/cpu\/[^']*';/gm)) offenders.push(`src/${dir}/${file}: ${line}`);
    }
  }
  expect(offenders).toEqual([]);
});

test('src/cpu imports nothing from the GPU path', () => {
  const offenders: string[] = [];
  for (const file of readdirSync(join(src, 'cpu')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(src, 'cpu', file), 'utf8');
    for (const [line] of text.matchAll(/^(?:import|export)[^;]*from '\.\.\/(?:kernels|gpu|api|tfjs)\/[^']*';/gm)) offenders.push(`src/cpu/${file}: ${line}`);
  }
  expect(offenders).toEqual([]);
});
