// Monte Carlo dropout and attention-probability dropout.
import { dropout, mcDropout, Dropout, PhiloxGenerator } from 'webgpu-dropout';
import { dropoutCPU, mcDropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkF32, checkThrows } from './assert.js';
import { testData, type Case } from './env.js';

export const mcCases: Case[] = [
  {
    name: 'Monte Carlo dropout: K samples, mean and variance bit-exact with the CPU; sample s equals dropout at offset + s',
    async run({ device }, t) {
      const specs = [
        { n: 3001, p: 0.1, samples: 7, offset: 5n },
        { n: 1024, p: 0.5, samples: 1, offset: 0n },
        { n: 77, p: 0.3, samples: 20, offset: 2n ** 32n - 3n, unbiased: true },
        { n: 4096, p: 1, samples: 3, offset: 0n },
      ];
      for (const spec of specs) {
        const { n, samples } = spec;
        const x = testData(n, n);
        x[0] = NaN;
        const xb = t.buffer(4 * n, x);
        const out = t.buffer(4 * n * samples);
        const mean = t.buffer(4 * n);
        const variance = t.buffer(4 * n);
        const key = { ...spec, seed: 99n };
        await mcDropout(device, { ...key, x: xb, out, mean, variance });
        const ref = mcDropoutCPU(x, key);
        const label = JSON.stringify(spec, (_, v) => (typeof v === 'bigint' ? String(v) : v));
        checkF32(await t.f32(out, n * samples), ref.samples, `samples ${label}`);
        checkF32(await t.f32(mean, n), ref.mean, `mean ${label}`);
        checkF32(await t.f32(variance, n), ref.variance, `variance ${label}`);
        const s = samples - 1;
        checkF32(ref.samples.subarray(s * n, (s + 1) * n), dropoutCPU(x, { p: spec.p, seed: 99n, offset: spec.offset + BigInt(s) }).y, `sample ${s} is dropout at offset + ${s}`);
      }
      // Only mean and variance, through the module: its generator advances by K.
      const n = 5000;
      const xb = t.buffer(4 * n, new Float32Array(n).fill(2));
      const mean = t.buffer(4 * n);
      const variance = t.buffer(4 * n);
      const gen = new PhiloxGenerator(3n);
      const layer = new Dropout(device, { p: 0.5, generator: gen }).eval();
      const r = await layer.monteCarlo(xb, n, { samples: 64, mean, variance });
      check(gen.offset === r.offset + 64n, 'the generator advanced by K');
      const m = await t.f32(mean, n);
      const avg = m.reduce((a, b) => a + b, 0) / n;
      check(Math.abs(avg - 2) < 0.02, `mean of the MC means ~ x (${avg})`);
      const v = await t.f32(variance, n);
      const avgVar = v.reduce((a, b) => a + b, 0) / n;
      // v = 2 · 2 = 4; E[f (1 - f)] = p (1 - p) (1 - 1/K) for f ~ Binomial(K, 1 - p) / K.
      const expected = 16 * 0.25 * (63 / 64);
      check(Math.abs(avgVar - expected) < 0.1, `mean variance ${avgVar} ~ ${expected}`);
      await checkThrows(() => mcDropout(device, { x: xb, n, p: 0.5, samples: 0, seed: 1n, offset: 0n, mean }), { code: 'INVALID_ARGUMENT', argument: 'samples' }, 'samples 0');
      await checkThrows(() => mcDropout(device, { x: xb, n, p: 0.5, samples: 4, seed: 1n, offset: 0n }), { code: 'INVALID_ARGUMENT', argument: 'out' }, 'no output');
      await checkThrows(() => mcDropout(device, { x: xb, n, p: 0.5, samples: 4, seed: 1n, offset: 0n, mean: xb }), { code: 'INVALID_ARGUMENT', argument: 'mean' }, 'mean aliases x');
    },
  },
  {
    name: 'attention-probability dropout: (batch, heads, rows, cols) probabilities, mask rebuilt in backward',
    async run({ device }, t) {
      const shape = [2, 3, 17, 33];
      const n = shape.reduce((a, b) => a * b, 1);
      // Row-softmax probabilities.
      const probs = new Float32Array(n);
      for (let row = 0; row < n / 33; row++) {
        let sum = 0;
        for (let c = 0; c < 33; c++) sum += (probs[row * 33 + c] = Math.exp(Math.sin(row * 7 + c)));
        for (let c = 0; c < 33; c++) probs[row * 33 + c] = Math.fround(probs[row * 33 + c]! / sum);
      }
      const pb = t.buffer(4 * n, probs);
      const yb = t.buffer(4 * n);
      const attn = new Dropout(device, { p: 0.1, generator: new PhiloxGenerator(12n) });
      const rec = await attn.forward(pb, yb, shape);
      checkF32(await t.f32(yb, n), dropoutCPU(probs, { p: 0.1, seed: rec.seed, offset: rec.offset }).y, 'attention dropout forward');
      const dy = testData(n, 4);
      const dyb = t.buffer(4 * n, dy);
      const dx = t.buffer(4 * n);
      await attn.backward(dyb, dx);
      checkF32(await t.f32(dx, n), dropoutCPU(dy, { p: 0.1, seed: rec.seed, offset: rec.offset }).y, 'attention dropout backward');
      await dropout(device, { x: pb, y: yb, shape, p: 0.1, training: false, seed: 0n, offset: 0n });
      checkF32(await t.f32(yb, n), probs, 'eval leaves the probabilities alone');
    },
  },
];
