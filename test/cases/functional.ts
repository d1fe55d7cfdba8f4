// The PyTorch-named functional forms (issue 15): each is dropout() / dropBlock() with PyTorch's
// noise shape and defaults. The noise shapes below are the dimensions torch 1.13 was seen to
// share (F.dropout2d on a 2-D input shares none, on 5-D all but N and C; F.dropout3d on 3-D
// and 2-D inputs all but the first), written out, not derived from our code.
import {
  dropBlock, dropBlockBackward, GaussianDropout, gaussianDropout, gaussianDropoutBackward, alphaDropout, alphaDropoutBackward, dropBlock2d, dropBlock3d, dropout1d, dropout1dBackward, dropout2d, dropout2dBackward,
  dropout3d, dropout3dBackward, featureAlphaDropout, featureAlphaDropoutBackward,
} from 'webgpu-dropout';
import { dropBlockCPU, dropoutBackwardCPU, dropoutCPU, gaussianDropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkF32, checkThrows, checkU32 } from './assert.js';
import { testData, type Case } from './env.js';

type Forward = typeof dropout1d;
type Backward = typeof dropout1dBackward;

/** Alpha values may differ by WGSL fusing x·a + b: 1 ulp of |x·a| + |b| (as test/cases/family.ts). */
function closeAlpha(got: Float32Array, want: Float32Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const tolerance = 2 ** -22 * (Math.abs(want[i]!) + 2);
    check(Math.abs(got[i]! - want[i]!) <= tolerance, `${what}[${i}]: ${got[i]} against ${want[i]}`);
  }
}

export const functionalCases: Case[] = [
  {
    name: 'functional family: dropout1d/2d/3d, alphaDropout, featureAlphaDropout use PyTorch\'s noise shapes and defaults (p 0.5; training true, false for alpha), forward and backward',
    async run(_env, t) {
      const { device } = _env;
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => { warnings.push(args.join(' ')); };
      try {
        const spatial: [string, Forward, Backward, number[], number[], 'inverted' | 'alpha'][] = [
          ['dropout1d', dropout1d, dropout1dBackward, [4, 6, 10], [4, 6, 1], 'inverted'],
          ['dropout1d unbatched', dropout1d, dropout1dBackward, [6, 10], [6, 1], 'inverted'],
          ['dropout2d', dropout2d, dropout2dBackward, [2, 5, 6, 7], [2, 5, 1, 1], 'inverted'],
          ['dropout2d on 3-D (N, C, L)', dropout2d, dropout2dBackward, [5, 6, 7], [5, 6, 1], 'inverted'],
          ['dropout2d on 2-D', dropout2d, dropout2dBackward, [6, 5], [6, 5], 'inverted'],
          ['dropout2d on 5-D', dropout2d, dropout2dBackward, [2, 3, 4, 5, 6], [2, 3, 1, 1, 1], 'inverted'],
          ['dropout3d', dropout3d, dropout3dBackward, [2, 3, 4, 5, 6], [2, 3, 1, 1, 1], 'inverted'],
          ['dropout3d unbatched', dropout3d, dropout3dBackward, [3, 4, 5, 6], [3, 1, 1, 1], 'inverted'],
          ['dropout3d on 3-D', dropout3d, dropout3dBackward, [4, 5, 6], [4, 1, 1], 'inverted'],
          ['dropout3d on 2-D', dropout3d, dropout3dBackward, [6, 5], [6, 1], 'inverted'],
          ['featureAlphaDropout', featureAlphaDropout, featureAlphaDropoutBackward, [3, 4, 5, 6], [3, 4, 1, 1], 'alpha'],
        ];
        let offset = 0n;
        for (const [what, forward, backward, shape, noiseShape, mode] of spatial) {
          const n = shape.reduce((a, b) => a * b, 1);
          const data = testData(n, n);
          const x = t.buffer(4 * n, data);
          const y = t.buffer(4 * n);
          const dx = t.buffer(4 * n);
          const key = { seed: 3n, offset: offset++ };
          const training = mode === 'alpha' ? { training: true } : {}; // the inverted forms train by default
          await forward(device, { x, y, shape, ...key, ...training });
          await backward(device, { dy: x, dx, shape, ...key, ...training });
          const ref = { ...key, p: 0.5, mode, shape, noiseShape };
          const [gotY, gotDx] = [await t.f32(y, n), await t.f32(dx, n)];
          if (mode === 'alpha') closeAlpha(gotY, dropoutCPU(data, ref).y, `${what} y`);
          else checkF32(gotY, dropoutCPU(data, ref).y, `${what} y`);
          checkF32(gotDx, dropoutBackwardCPU(data, ref), `${what} dx`);
        }
        // Warned at most once per case and process (this case runs once per schedule; the first
        // warning is pinned by test/unit/spatial-warning.test.ts).
        for (const rank of [2, 5]) check(warnings.filter((w) => w.includes(`2-D spatial dropout of a ${rank}-D input`)).length <= 1, `at most one warning for dropout2d on ${rank}-D input: ${warnings.join(' | ')}`);
        check(warnings.filter((w) => w.includes('3-D spatial dropout of a 3-D input')).length <= 1, `at most one warning for dropout3d on 3-D input: ${warnings.join(' | ')}`);
        check(!warnings.some((w) => w.includes('of a 4-D input') && w.includes('2-D spatial')), 'no warning for dropout2d on 4-D input');

        // alphaDropout and featureAlphaDropout default to eval (PyTorch's training=False): a copy.
        const n = 300;
        const data = testData(n, 9);
        const x = t.buffer(4 * n, data);
        const y = t.buffer(4 * n);
        await alphaDropout(device, { x, y, n, p: 0.3, seed: 1n, offset: 0n });
        checkF32(await t.f32(y, n), data, 'alphaDropout without training is the identity');
        await alphaDropout(device, { x, y, n, p: 0.3, training: true, seed: 1n, offset: 0n });
        closeAlpha(await t.f32(y, n), dropoutCPU(data, { p: 0.3, mode: 'alpha', seed: 1n, offset: 0n }).y, 'alphaDropout training');
        await alphaDropoutBackward(device, { dy: x, dx: y, n, p: 0.3, training: true, seed: 1n, offset: 0n });
        checkF32(await t.f32(y, n), dropoutBackwardCPU(data, { p: 0.3, mode: 'alpha', seed: 1n, offset: 0n }), 'alphaDropout backward');
        await featureAlphaDropout(device, { x, y, shape: [10, 30], p: 0.3, seed: 1n, offset: 0n });
        checkF32(await t.f32(y, n), data, 'featureAlphaDropout without training is the identity');
        await checkThrows(() => dropout1d(device, { x, y, shape: [2, 3, 5, 10], seed: 1n, offset: 0n }), { code: 'INVALID_ARGUMENT', argument: 'shape' }, 'dropout1d refuses 4-D input, as PyTorch');
        await checkThrows(() => dropout2d(device, { x, y, shape: [n], seed: 1n, offset: 0n }), { code: 'INVALID_ARGUMENT', argument: 'shape' }, 'dropout2d refuses 1-D input, as PyTorch');
      } finally {
        console.warn = warn;
      }
    },
  },
  {
    name: 'functional family: dropBlock2d/3d are dropBlock under torchvision\'s names (training true by default), refusing the other rank',
    async run({ device }, t) {
      const forms: [typeof dropBlock2d, number[], number[]][] = [[dropBlock2d, [2, 3, 11, 13], [1, 2, 3, 11, 13]], [dropBlock3d, [1, 2, 6, 7, 9], [2, 6, 7, 9]]];
      for (const [fn, shape, other] of forms) {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = testData(n, 4);
        const x = t.buffer(4 * n, data);
        const y = t.buffer(4 * n);
        const key = { seed: 2n, offset: 1n, p: 0.2, blockSize: 3 };
        await fn(device, { x, y, shape, ...key });
        const ref = dropBlockCPU(data, { ...key, shape });
        const got = await t.f32(y, n);
        for (let i = 0; i < n; i++) check((got[i] === 0) === (ref.y[i] === 0) && Math.abs(got[i]! - ref.y[i]!) <= 3 * 2 ** -23 * Math.abs(ref.y[i]!), `${fn.name}[${i}]: ${got[i]} against ${ref.y[i]}`);
        await checkThrows(() => fn(device, { x, y, shape: other, ...key }), { code: 'INVALID_ARGUMENT', argument: 'shape' }, `${fn.name} on the other rank`);
      }
    },
  },
  {
    // TensorFlow.js's gaussianDropout layer applies noise only for 0 < rate < 1 and returns its
    // input unchanged at rate 1; we do the same (it used to throw).
    name: 'Gaussian dropout at p = 1 returns the input unchanged, as TensorFlow.js\'s gaussianDropout layer (functional, layer, backward, CPU twin)',
    async run({ device }, t) {
      const n = 257;
      const data = testData(n, 11);
      const x = t.buffer(4 * n, data);
      const y = t.buffer(4 * n);
      const key = { n, p: 1, training: true, seed: 1n, offset: 0n };
      await gaussianDropout(device, { x, y, ...key });
      checkF32(await t.f32(y, n), data, 'gaussianDropout p = 1');
      await gaussianDropoutBackward(device, { dy: x, dx: y, ...key });
      checkF32(await t.f32(y, n), data, 'gaussianDropoutBackward p = 1');
      const layer = new GaussianDropout(device, { p: 1 });
      await layer.forward(x, y, n);
      checkF32(await t.f32(y, n), data, 'GaussianDropout layer p = 1');
      checkF32(gaussianDropoutCPU(data, { p: 1, seed: 1n, offset: 0n }), data, 'gaussianDropoutCPU p = 1');
    },
  },
  {
    // torchvision runs any block size (the effective one, min(blockSize, sizes), must be odd); the
    // row dilation used to stop at 32.
    name: 'DropBlock block sizes above 32 (33, 41, 63 in 2-D, 33 in 3-D): block masks bit-exact with the CPU twin, values within 3 ulp, backward from the mask',
    async run({ device }, t) {
      const cases: [number[], number][] = [[[2, 4, 40, 70], 33], [[4, 2, 41, 45], 41], [[2, 2, 64, 100], 63], [[1, 4, 33, 34, 35], 33], [[1, 2, 40, 40], 99]];
      let offset = 0n;
      for (const [shape, blockSize] of cases) {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = testData(n, blockSize);
        const x = t.buffer(4 * n, data);
        const y = t.buffer(4 * n);
        const words = Math.ceil(n / 32);
        const mask = t.buffer(4 * words);
        const key = { shape, blockSize, p: 0.5, training: true, seed: 4n, offset: offset++ };
        const what = `shape [${shape}] blockSize ${blockSize}`;
        if (blockSize === 99) { // effective size min(99, 40, 40) = 40 is even: refused, as torchvision fails
          await checkThrows(() => dropBlock(device, { x, y, ...key }), { code: 'INVALID_ARGUMENT', argument: 'blockSize', includes: ['odd'] }, what);
          continue;
        }
        await dropBlock(device, { x, y, mask, ...key });
        const ref = dropBlockCPU(data, key);
        checkU32(await t.u32(mask, words), ref.mask, `${what}: block mask`);
        let kept = 0;
        for (let e = 0; e < n; e++) kept += (ref.mask[e >>> 5]! >>> (e & 31)) & 1;
        check(kept > 0 && kept < n, `${what}: some blocks dropped, some kept (${kept} of ${n})`);
        const got = await t.f32(y, n);
        for (let i = 0; i < n; i++) check(Math.abs(got[i]! - ref.y[i]!) <= 3 * 2 ** -23 * Math.abs(ref.y[i]!), `${what} y[${i}]: ${got[i]} against ${ref.y[i]}`);
        const dx = t.buffer(4 * n);
        await dropBlockBackward(device, { dy: y, dx, mask, ...key });
        const back = await t.f32(dx, n);
        for (let i = 0; i < n; i++) check((back[i] === 0) === (ref.y[i] === 0), `${what} dx[${i}] follows the mask`);
      }
    },
  },
];
