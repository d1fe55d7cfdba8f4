// generatorFor keeps a bounded number of per-seed generators (issue 15, defect 3: 40,000 calls
// with seed = step kept 40,000 generators).
import { expect, test } from 'vitest';
import { generatorFor, SEED_GENERATORS } from '../../src/tfjs/seed.js';

test('generatorFor forgets the least recently used seeds beyond SEED_GENERATORS, keeps the recent ones', () => {
  const first = generatorFor('defect-3-first');
  const kept = generatorFor('defect-3-kept');
  first.next();
  for (let step = 0; step < 3 * SEED_GENERATORS; step++) {
    generatorFor(1_000_000 + step).next();
    if (step % 100 === 0) generatorFor('defect-3-kept'); // used now and then: stays
  }
  expect(generatorFor('defect-3-kept')).toBe(kept);
  const again = generatorFor('defect-3-first');
  expect(again).not.toBe(first); // forgotten: a fresh generator at offset 0
  expect(again.offset).toBe(0n);
});
