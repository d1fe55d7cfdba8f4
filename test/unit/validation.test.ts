// The CPU reference validates its options as the GPU API does (issue 15, defect 6): the same
// shared checks, the same typed errors; a value the GPU refuses is refused here too.
import { describe, expect, test } from 'vitest';
import { dropoutCPU, dropoutBackwardCPU } from '../../src/cpu/reference.js';
import { dropBlockCPU } from '../../src/cpu/dropblock.js';
import { gaussianDropoutCPU } from '../../src/cpu/gaussian.js';
import { mcDropoutCPU } from '../../src/cpu/mc.js';
import { fusedDropoutCPU } from '../../src/cpu/epilogue.js';
import { DropoutArgumentError } from '../../src/errors.js';

const x = new Float32Array(64).fill(1);
const key = { seed: 1n, offset: 0n };

function refuses(body: () => unknown, argument: string): void {
  let caught: unknown;
  try {
    body();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a DropoutArgumentError naming ${argument}`).toBeInstanceOf(DropoutArgumentError);
  expect((caught as DropoutArgumentError).argument).toBe(argument);
}

describe('CPU reference validation (as the GPU API)', () => {
  test('training must be a boolean (or undefined): not the string "false", not 0', () => {
    refuses(() => dropoutCPU(x, { ...key, p: 0.5, training: 'false' as never }), 'training');
    refuses(() => dropoutCPU(x, { ...key, p: 0.5, training: 0 as never }), 'training');
    refuses(() => dropoutBackwardCPU(x, { ...key, p: 0.5, training: 'false' as never }), 'training');
    refuses(() => gaussianDropoutCPU(x, { ...key, p: 0.5, training: 0 as never }), 'training');
    refuses(() => dropBlockCPU(x, { ...key, shape: [1, 1, 8, 8], p: 0.2, blockSize: 3, training: 'no' as never }), 'training');
    refuses(() => fusedDropoutCPU(x, new Float32Array(8), null, { ...key, p: 0.5, training: 1 as never }), 'training');
  });

  test('seed and offset are checked even when nothing is drawn (p = 0, eval mode)', () => {
    refuses(() => dropoutCPU(x, { seed: 'junk' as never, offset: 0n, p: 0 }), 'seed');
    refuses(() => dropoutCPU(x, { seed: 1n, offset: -5, p: 0 }), 'offset');
    refuses(() => dropoutCPU(x, { seed: 1n, offset: -5, p: 0.5, training: false }), 'offset');
    refuses(() => gaussianDropoutCPU(x, { seed: 'junk' as never, offset: 0n, p: 0 }), 'seed');
    refuses(() => dropBlockCPU(x, { seed: 1n, offset: -1, shape: [1, 1, 8, 8], p: 0, blockSize: 3 }), 'offset');
    refuses(() => fusedDropoutCPU(x, new Float32Array(8), null, { seed: -1n, offset: 0n, p: 0 }), 'seed');
  });

  test('p is checked whatever it derives: DropBlock p > 1 with gamma <= 1, fused p > 1 in eval mode', () => {
    refuses(() => dropBlockCPU(new Float32Array(2 * 2 * 16 * 16), { ...key, shape: [2, 2, 16, 16], p: 1.5, blockSize: 5 }), 'p');
    refuses(() => fusedDropoutCPU(x, new Float32Array(8), null, { ...key, p: 2, training: false }), 'p');
  });

  test('options a function does not take are refused, naming them', () => {
    refuses(() => gaussianDropoutCPU(x, { ...key, p: 0.5, noiseShape: [64] } as never), 'noiseShape');
    refuses(() => dropoutCPU(x, { ...key, p: 0.5, noiseshape: [64] } as never), 'noiseshape');
    refuses(() => mcDropoutCPU(x, { ...key, p: 0.5, samples: 4, mode: 'alpha' } as never), 'mode');
    refuses(() => fusedDropoutCPU(x, new Float32Array(8), null, { ...key, p: 0.5, mode: 'alpha' } as never), 'mode');
  });
});
