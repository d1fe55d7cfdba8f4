// Regression cases of issue 15: a refused call changes nothing (the layers' generators included),
// and the edges adversarial testing found.
import { AlphaDropout, DropBlock2d, Dropout, DropoutArgumentError, GaussianDropout, PhiloxGenerator, dropBlock, dropout, fusedDropout, gaussianDropout, gaussianDropoutBackward, mcDropout } from 'webgpu-dropout';
import { dropBlockCPU, dropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkAll, checkThrows } from './assert.js';
import { SENTINEL_BITS } from './env.js';
import { type Case } from './env.js';

const N = 100;
const show = (o: object): string => JSON.stringify(o, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

export const refusalCases: Case[] = [
  {
    name: 'refusal: a refused layer forward or monteCarlo leaves the generator where it was, so a replay draws the same mask',
    async run({ device }, t) {
      const x = t.buffer(4 * N, new Float32Array(N).fill(1));
      const small = t.buffer(16);
      const y = t.buffer(4 * N);
      const layers: [string, (g: PhiloxGenerator) => Dropout, number | number[]][] = [
        ['Dropout', (g) => new Dropout(device, { p: 0.5, generator: g }), N],
        ['GaussianDropout', (g) => new GaussianDropout(device, { p: 0.5, generator: g }), N],
        ['DropBlock2d', (g) => new DropBlock2d(device, { p: 0.3, blockSize: 3, generator: g }), [1, 4, 5, 5]],
      ];
      for (const [name, make, size] of layers) {
        const generator = new PhiloxGenerator(9n);
        const layer = make(generator);
        await checkThrows(() => layer.forward(x, small, size), { code: 'INVALID_ARGUMENT', argument: 'y' }, `${name}.forward into a small y`);
        check(generator.offset === 0n, `${name}: a refused forward left the generator at offset ${generator.offset}, not 0`);
        const record = await layer.forward(x, y, size);
        check(record.offset === 0n, `${name}: the next forward draws offset 0 (got ${record.offset})`);
      }
      const generator = new PhiloxGenerator(9n);
      const layer = new Dropout(device, { p: 0.5, generator });
      await checkThrows(() => layer.monteCarlo(x, N, { samples: 8, mean: small }), { code: 'INVALID_ARGUMENT', argument: 'mean' }, 'monteCarlo into a small mean');
      check(generator.offset === 0n, `a refused monteCarlo consumed ${generator.offset} offsets`);
      const drawn = await layer.monteCarlo(x, N, { samples: 8, mean: y });
      const after = generator.getState().offset; // (read afresh: the check above narrowed generator.offset)
      check(drawn.offset === 0n && after === 8n, `the next monteCarlo draws offsets 0 … 7 (got ${drawn.offset}, generator at ${after})`);
    },
  },
  {
    name: 'refusal: options a call does not support are refused with a typed error naming them, and nothing is written',
    async run({ device }, t) {
      const x = t.buffer(4 * N, new Float32Array(N).fill(1));
      const y = t.buffer(4 * N);
      const mask = t.buffer(16);
      const key = { seed: 1n, offset: 0n, p: 0.5, training: true };
      const calls: [string, () => Promise<unknown>, string][] = [
        ['gaussianDropout with a noiseShape', () => gaussianDropout(device, { x, y, n: N, ...key, noiseShape: [N] } as never), 'noiseShape'],
        ['gaussianDropout with a mask', () => gaussianDropout(device, { x, y, n: N, ...key, mask } as never), 'mask'],
        ['gaussianDropoutBackward with a mode', () => gaussianDropoutBackward(device, { dy: x, dx: y, n: N, ...key, mode: 'alpha' } as never), 'mode'],
        ['fusedDropout with a mode', () => fusedDropout(device, { x, bias: t.buffer(16), y, shape: [25, 4], ...key, mode: 'alpha' } as never), 'mode'],
        ['fusedDropout with a noiseShape', () => fusedDropout(device, { x, bias: t.buffer(16), y, shape: [25, 4], ...key, noiseShape: [25, 1] } as never), 'noiseShape'],
        ['dropout with a misspelt option', () => dropout(device, { x, y, n: N, ...key, noiseshape: [N] } as never), 'noiseshape'],
        ['mcDropout with a mode', () => mcDropout(device, { x, n: N, samples: 2, mean: y, seed: 1n, offset: 0n, p: 0.5, mode: 'alpha' } as never), 'mode'],
        ['dropBlock with a noiseShape', () => dropBlock(device, { x, y, shape: [1, 4, 5, 5], blockSize: 3, ...key, noiseShape: [1, 4, 1, 1] } as never), 'noiseShape'],
        ['AlphaDropout with a mode', () => Promise.resolve(new AlphaDropout(device, { p: 0.5, mode: 'legacy' } as never)), 'mode'],
        ['Dropout with inplace', () => Promise.resolve(new Dropout(device, { p: 0.5, inplace: true } as never)), 'inplace'],
        ['GaussianDropout.forward with a mask', () => new GaussianDropout(device, { p: 0.5 }).forward(x, y, N, { mask } as never), 'mask'],
      ];
      for (const [what, body, argument] of calls) await checkThrows(body, { code: 'INVALID_ARGUMENT', argument, includes: [argument] }, what);
      checkAll(await t.u32(y, N), SENTINEL_BITS, 'y after the refused calls');
      checkAll(await t.u32(mask, 4), SENTINEL_BITS, 'mask after the refused calls');
    },
  },
  {
    name: 'refusal: the CPU reference refuses exactly what the GPU API refuses (the shared checks), with the same argument named',
    async run({ device }, t) {
      const x = t.buffer(4 * N, new Float32Array(N).fill(1));
      const y = t.buffer(4 * N);
      const data = new Float32Array(N).fill(1);
      const good = { seed: 1n, offset: 0n, p: 0.5 };
      const bad: Record<string, unknown>[] = [
        { training: 'false' }, { training: 0 }, { p: 0, seed: 'junk' }, { p: 0, offset: -5 }, { training: false, offset: -5 },
        { p: 1.5 }, { p: -0.1 }, { mode: 'inverse' }, { noiseshape: [N] }, { seed: 2 ** 60 },
      ];
      const argumentOf = async (body: () => unknown): Promise<string> => {
        try {
          await body();
          return 'accepted';
        } catch (error) {
          return error instanceof DropoutArgumentError ? error.argument : `a ${String(error)}`;
        }
      };
      for (const patch of bad) {
        const gpu = await argumentOf(() => dropout(device, { x, y, n: N, ...good, ...patch } as never));
        const cpu = await argumentOf(() => dropoutCPU(data, { ...good, ...patch } as never));
        check(gpu !== 'accepted' && gpu === cpu, `${show(patch)}: the GPU refuses naming ${gpu}, the CPU ${cpu}`);
      }
      const block = { seed: 1n, offset: 0n, shape: [2, 2, 16, 16], blockSize: 5 };
      const xb = t.buffer(4 * 1024);
      for (const patch of [{ p: 1.5 }, { p: 0.2, eps: -1 }, { p: 0.2, training: 'yes' }, { p: 0, seed: -1n }]) {
        const gpu = await argumentOf(() => dropBlock(device, { x: xb, y: t.buffer(4 * 1024), ...block, ...patch } as never));
        const cpu = await argumentOf(() => dropBlockCPU(new Float32Array(1024), { ...block, ...patch } as never));
        check(gpu !== 'accepted' && gpu === cpu, `dropBlock ${show(patch)}: the GPU refuses naming ${gpu}, the CPU ${cpu}`);
      }
    },
  },
];
