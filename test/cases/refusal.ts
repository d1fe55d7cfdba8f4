// Regression cases of issue 15: a refused call changes nothing (the layers' generators included),
// and the edges adversarial testing found.
import { createStorageBuffer, uploadFloat32, fusedDropoutBackward, releaseDevice, downloadFloat32, AlphaDropout, DropBlock2d, Dropout, DropoutArgumentError, GaussianDropout, PhiloxGenerator, dropBlock, dropout, fusedDropout, gaussianDropout, gaussianDropoutBackward, mcDropout } from 'webgpu-dropout';
import { dropBlockCPU, dropoutCPU, fusedDropoutBackwardCPU, fusedDropoutCPU } from 'webgpu-dropout/cpu';
import { check, checkAll, checkF32, checkThrows } from './assert.js';
import { SENTINEL_BITS, testData } from './env.js';
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
  {
    name: 'refusal: releaseDevice() during a pending download rejects it with a typed STATE error, and the device works after',
    async run({ device }, t) {
      const data = new Float32Array(N).map((_, i) => i);
      const b = t.buffer(4 * N, data);
      for (let attempt = 0; attempt < 3; attempt++) {
        const pending = downloadFloat32(device, b, N);
        releaseDevice(device);
        await checkThrows(() => pending, { code: 'STATE', includes: ['releaseDevice', 'download'] }, `download pending across releaseDevice (#${attempt})`);
      }
      const again = await downloadFloat32(device, b, N);
      check(again.every((v, i) => v === i), 'a download after the release reads the buffer');
    },
  },
  {
    name: 'refusal: fusedDropout reads x, bias and residual from disjoint ranges of one read-only buffer (WebGPU allows it), forward and backward',
    async run({ device }, t) {
      const [rows, cols] = [25, 4];
      const n = rows * cols;
      const x = testData(n, 3);
      const bias = testData(cols, 4);
      const residual = testData(n, 5);
      const dy = testData(n, 6);
      const packed = new Float32Array(1024);
      packed.set(x, 0);
      packed.set(bias, 128); // byteOffset 512
      packed.set(residual, 256); // byteOffset 1024
      packed.set(dy, 512); // byteOffset 2048
      const inputs = t.buffer(4 * packed.length, packed);
      const key = { shape: [rows, cols], activation: 'relu' as const, p: 0.3, training: true, seed: 5n, offset: 2n };
      const y = t.buffer(4 * n);
      await fusedDropout(device, { ...key, x: inputs, bias: { buffer: inputs, byteOffset: 512 }, residual: { buffer: inputs, byteOffset: 1024 }, y });
      checkF32(await t.f32(y, n), fusedDropoutCPU(x, bias, residual, key).y, 'y from one shared input buffer');
      const dx = t.buffer(4 * n);
      const dbias = t.buffer(4 * cols);
      await fusedDropoutBackward(device, { ...key, dy: { buffer: inputs, byteOffset: 2048 }, x: inputs, bias: { buffer: inputs, byteOffset: 512 }, dx, dbias });
      const ref = fusedDropoutBackwardCPU(dy, x, bias, key);
      checkF32(await t.f32(dx, n), ref.dx, 'dx from one shared input buffer');
      await checkThrows(() => fusedDropout(device, { ...key, x: inputs, bias: { buffer: inputs, byteOffset: 512 }, y: { buffer: inputs, byteOffset: 3072 } }), { code: 'INVALID_ARGUMENT', argument: 'y' }, 'y in the read buffer is still refused');
    },
  },
  {
    name: 'refusal: an explicit workgroupSize is honoured by every family (64 stayed 64 only for element-wise dropout)',
    async run({ newDevice }, t) {
      const device = await newDevice(); // a fresh pipeline cache: every pipeline below is created here
      const sizes: unknown[] = [];
      const spy = <T extends (d: GPUComputePipelineDescriptor) => unknown>(create: T): T => ((d: GPUComputePipelineDescriptor) => {
        sizes.push(d.compute.constants?.['WORKGROUP_SIZE']);
        return create.call(device, d);
      }) as T;
      device.createComputePipeline = spy(device.createComputePipeline);
      device.createComputePipelineAsync = spy(device.createComputePipelineAsync);
      const buffer = (bytes: number, data?: Float32Array): GPUBuffer => {
        const b = device.createBuffer({ size: bytes, usage: 0x80 | 0x4 | 0x8, mappedAtCreation: data !== undefined });
        if (data) {
          new Float32Array(b.getMappedRange()).set(data);
          b.unmap();
        }
        return b;
      };
      const x = buffer(4 * 400, testData(400, 1));
      const y = buffer(4 * 400);
      const key = { p: 0.3, training: true, seed: 1n, offset: 0n };
      const calls: [string, () => Promise<unknown>][] = [
        ['dropout with a noise shape', () => dropout(device, { x, y, shape: [4, 100], noiseShape: [4, 1], ...key, workgroupSize: 64 })],
        ['gaussianDropout', () => gaussianDropout(device, { x, y, n: 400, ...key, workgroupSize: 64 })],
        ['dropBlock', () => dropBlock(device, { x, y, shape: [1, 4, 10, 10], blockSize: 3, ...key, workgroupSize: 64 })],
      ];
      try {
        for (const [what, body] of calls) {
          sizes.length = 0;
          await body();
          const specialized = sizes.filter((s) => s !== undefined);
          check(specialized.length > 0 && specialized.every((s) => s === 64), `${what}: workgroupSize 64 built pipelines of WORKGROUP_SIZE ${specialized.join(', ')}`);
        }
      } finally {
        x.destroy();
        y.destroy();
      }
      void t;
    },
  },
  {
    name: 'refusal: createStorageBuffer and uploadFloat32 leave the 16 bytes of room the README promises (vec4 access for any n)',
    async run({ device }) {
      for (const n of [0, 1, 5, 6, 7, 8, 1001]) {
        const made = [createStorageBuffer(device, n), uploadFloat32(device, new Float32Array(n).fill(2))];
        try {
          for (const b of made) check(b.size % 16 === 0 && b.size >= Math.max(16, Math.ceil(n / 4) * 16), `n = ${n}: a buffer of ${b.size} bytes, not a multiple of 16 covering ceil(n / 4) vec4s`);
          check((await downloadFloat32(device, made[1]!, n)).every((v) => v === 2), `n = ${n}: uploadFloat32 keeps the data`);
        } finally {
          for (const b of made) b.destroy();
        }
      }
    },
  },
];
