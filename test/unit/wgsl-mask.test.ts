// DROPOUT_MASK_WGSL's surface: every module-scope name it declares carries the wd_ prefix (so it
// cannot clash with the caller's shader), wd_Mask has the words maskUniforms fills, and
// maskUniforms validates like dropout() does.
import { expect, test } from 'vitest';
import { DROPOUT_MASK_WGSL, MASK_UNIFORM_WORDS, maskUniforms } from '../../src/index.js';
import { DropoutArgumentError } from '../../src/errors.js';
import { dropRate } from '../../src/rng/threshold.js';

test('every module-scope declaration of DROPOUT_MASK_WGSL starts with wd_', () => {
  const declared = [...DROPOUT_MASK_WGSL.matchAll(/^(?:fn|struct|const|alias|override|var(?:<[^>]*>)?)\s+([A-Za-z_]\w*)/gm)].map((m) => m[1]!);
  expect(declared.length).toBeGreaterThan(10);
  expect(declared.filter((name) => !name.startsWith('wd_'))).toEqual([]);
  expect(declared).toContain('wd_block_keep');
  expect(declared).toContain('wd_keep');
});

test('wd_Mask is the 12 words maskUniforms fills, the scale last', () => {
  const struct = /struct wd_Mask \{([^}]*)\}/.exec(DROPOUT_MASK_WGSL)![1]!;
  const words = [...struct.matchAll(/:\s*(vec4<u32>|u32|f32)/g)].reduce((sum, m) => sum + (m[1] === 'vec4<u32>' ? 4 : 1), 0);
  expect(words).toBe(MASK_UNIFORM_WORDS);
  const u = maskUniforms(2n ** 64n - 1n, 5, 0.1);
  expect(u.length).toBe(MASK_UNIFORM_WORDS);
  expect([...u.subarray(0, 4)]).toEqual([0xffffffff, 0xffffffff, 5, 0]);
  expect(new Float32Array(u.buffer)[11]).toBe(dropRate(0.1).scale);
});

test('maskUniforms refuses what dropout() refuses', () => {
  expect(() => maskUniforms(1n, 0n, 1.5)).toThrow(DropoutArgumentError);
  expect(() => maskUniforms(-1n, 0n, 0.5)).toThrow(DropoutArgumentError);
  expect(() => maskUniforms(1n, 2 ** 60, 0.5)).toThrow(DropoutArgumentError);
});
