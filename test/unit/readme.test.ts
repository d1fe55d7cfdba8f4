// The mask contract (docs/mask-contract.md) must be enough to reimplement the mask: run its
// transcription.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { philox4x32 } from '../../src/rng/philox.js';
import { keepMask, maskBit } from '../../src/rng/mask.js';

test('the mask contract\'s transcription (docs/mask-contract.md) agrees with keepMask', () => {
  const readme = readFileSync(new URL('../../docs/mask-contract.md', import.meta.url), 'utf8');
  const block = /```js\nimport \{ philox4x32 \} from 'webgpu-dropout\/cpu';\n([\s\S]*?)```/.exec(readme);
  expect(block, 'docs/mask-contract.md has the transcription block').not.toBeNull();
  const kept = new Function('philox4x32', `${block![1]}\nreturn kept;`)(philox4x32) as (s: bigint, o: bigint, p: number, e: number) => boolean;
  for (const [seed, offset, p] of [[42n, 0n, 0.1], [2n ** 63n + 5n, 2n ** 40n, 0.5], [7n, 3n, 0.9]] as const) {
    const n = 2100;
    const mask = keepMask({ seed, offset }, p, n);
    for (let e = 0; e < n; e++) expect(kept(seed, offset, p, e), `seed=${seed} offset=${offset} p=${p} e=${e}`).toBe(maskBit(mask, e));
  }
});
