// The worked example examples/attention-softmax-dropout.ts (softmax + dropout fused in a user's
// kernel written only against DROPOUT_MASK_WGSL) against its CPU reference. Masks exactly: y is 0
// exactly where the mask drops (every probability is > 0 here), and its zero pattern must be
// keepMask's. Values: WGSL's exp is within 3 + 2|x| ULP for f32 (|x| <= R = 2 · max|s| here) and
// its division within 2.5 ULP, so each P is within ε = (2 (3 + 2R) + 4 + L) · 2^-23 of the exact
// one, relatively (numerator, the positive sum's terms, L additions, the division, the scale);
// y = P · scale within ε |y|; ds_j = P_j (dP_j − Σ dP·P) within 2ε P_j (|dP_j| + 2 Σ|dP|·P).
import { attentionSoftmaxDropout, attentionSoftmaxDropoutBackward, attentionSoftmaxDropoutCPU, type AttentionDropoutArgs } from '../../examples/attention-softmax-dropout.js';
import { AssertionError, checkU32 } from './assert.js';
import { testData, type Case } from './env.js';

function checkWithin(actual: Float32Array, expected: Float32Array, tolerance: (i: number) => number, what: string): void {
  const bad: string[] = [];
  let total = 0;
  for (let i = 0; i < actual.length; i++) {
    const tol = tolerance(i) + 2 ** -126;
    if (Math.abs(actual[i]! - expected[i]!) <= tol) continue;
    total++;
    if (bad.length < 8) bad.push(`  [${i}] expected ${expected[i]}, got ${actual[i]} (tolerance ${tol})`);
  }
  if (total) throw new AssertionError(`${what}: ${total} element(s) outside the tolerance\n${bad.join('\n')}`);
}

export const attentionCases: Case[] = [
  {
    name: 'example attention softmax + dropout (user kernel on DROPOUT_MASK_WGSL): mask exact, y and dscores within the exp/division bound',
    async run({ device }, t) {
      const shapes: AttentionDropoutArgs[] = [
        { batch: 2, heads: 3, len: 37, p: 0.1, seed: 1n, offset: 0n },
        { batch: 1, heads: 2, len: 300, p: 0.5, seed: 2n ** 64n - 1n, offset: 2n ** 63n + 5n },
        { batch: 3, heads: 1, len: 5, p: 0.3, seed: 9n, offset: 2n ** 32n },
      ];
      for (const args of shapes) {
        const n = args.batch * args.heads * args.len * args.len;
        const scores = testData(n, args.len).map((v) => Math.max(-4, Math.min(4, v)));
        const dy = testData(n, 7 + args.len).map((v) => Math.max(-4, Math.min(4, v)));
        const sb = t.buffer(4 * n, scores);
        const yb = t.buffer(4 * n);
        const dyb = t.buffer(4 * n, dy);
        const dsb = t.buffer(4 * n);
        attentionSoftmaxDropout(device, sb, yb, args);
        attentionSoftmaxDropoutBackward(device, sb, dyb, dsb, args);
        const ref = attentionSoftmaxDropoutCPU(scores, dy, args);
        const label = `B=${args.batch} H=${args.heads} L=${args.len} p=${args.p} seed=${args.seed} offset=${args.offset}`;
        const y = await t.f32(yb, n);
        const zero = new Uint32Array(ref.mask.length);
        y.forEach((v, e) => { if (v !== 0) zero[e >>> 5]! |= 1 << (e & 31); });
        checkU32(zero, ref.mask, `y's zero pattern vs keepMask, ${label}`);
        const R = 8;
        const eps = (2 * (3 + 2 * R) + 4 + args.len) * 2 ** -23;
        checkWithin(y, ref.y, (i) => eps * Math.abs(ref.y[i]!), `y, ${label}`);
        const { len } = args;
        const dp = (i: number): number => (((ref.mask[i >>> 5]! >>> (i & 31)) & 1) ? dy[i]! * ref.scale : 0);
        const rowAbs = new Float64Array(n / len);
        for (let i = 0; i < n; i++) rowAbs[Math.floor(i / len)]! += Math.abs(dp(i)) * ref.probs[i]!;
        checkWithin(await t.f32(dsb, n), ref.ds, (i) => 2 * eps * ref.probs[i]! * (Math.abs(dp(i)) + 2 * rowAbs[Math.floor(i / len)]!), `dscores, ${label}`);
      }
    },
  },
];
