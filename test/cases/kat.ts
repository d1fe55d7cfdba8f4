import { PHILOX_WGSL } from 'webgpu-dropout';
import { philox4x32, philoxUniformPart } from 'webgpu-dropout/cpu';
import { checkU32 } from './assert.js';
import { type Case } from './env.js';

/** Random123's published Philox4x32-10 answers: counter[4], key[2] → output[4]. */
export const PHILOX_KATS: [number[], number[], number[]][] = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

const KERNEL = `${PHILOX_WGSL}
@group(0) @binding(0) var<storage, read_write> io: array<vec4<u32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&io) / 2u) { io[2u * id.x] = philox4x32_10(io[2u * id.x], io[2u * id.x + 1u].xy); }
}`;

async function gpuPhilox(device: GPUDevice, t: import('./env.js').Tracker, inputs: [number[], number[]][]): Promise<Uint32Array> {
  const words = new Uint32Array(inputs.length * 8);
  inputs.forEach(([c, k], i) => words.set([...c, ...k, 0, 0], 8 * i));
  const io = t.buffer(words.byteLength, words);
  const module = device.createShaderModule({ code: KERNEL });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: io } }] }));
  pass.dispatchWorkgroups(Math.ceil(inputs.length / 64));
  pass.end();
  device.queue.submit([encoder.finish()]);
  const out = await t.u32(io, words.length);
  return Uint32Array.from(inputs.flatMap((_, i) => [...out.subarray(8 * i, 8 * i + 4)]));
}

const VARYING_KERNEL = `${PHILOX_WGSL}
@group(0) @binding(0) var<storage, read_write> io: array<vec4<u32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i < arrayLength(&io) / 3u) { io[3u * i] = philox4x32_10_varying_c0(io[3u * i].x, io[3u * i + 1u], io[3u * i + 2u].xy); }
}`;

export const katCases: Case[] = [
  {
    name: 'philox: WGSL reproduces the Random123 known answers',
    async run({ device }, t) {
      const out = await gpuPhilox(device, t, PHILOX_KATS.map(([c, k]) => [c, k]));
      checkU32(out, Uint32Array.from(PHILOX_KATS.flatMap(([, , o]) => o)), 'Philox4x32-10 KAT on the GPU');
    },
  },
  {
    name: 'philox: WGSL equals the CPU twin on 4096 random counters and keys',
    async run({ device }, t) {
      let s = 12345;
      const next = (): number => (s = (Math.imul(s, 747796405) + 2891336453) >>> 0) ^ (s >>> 13);
      const inputs: [number[], number[]][] = Array.from({ length: 4096 }, () => [[next(), next(), next(), next()].map((v) => v >>> 0), [next() >>> 0, next() >>> 0]]);
      const out = await gpuPhilox(device, t, inputs);
      const expected = Uint32Array.from(inputs.flatMap(([c, k]) => [...philox4x32(c, k)]));
      checkU32(out, expected, 'GPU vs CPU Philox');
    },
  },
  {
    name: 'philox: the hoisted form (uniform counter words precomputed on the host) equals full Philox4x32-10',
    async run({ device }, t) {
      let s = 777;
      const next = (): number => ((s = (Math.imul(s, 747796405) + 2891336453) >>> 0) ^ (s >>> 13)) >>> 0;
      const count = 2048;
      const words = new Uint32Array(count * 12);
      const expected = new Uint32Array(count * 4);
      for (let i = 0; i < count; i++) {
        const [c0, c1, c2, c3, k0, k1] = [next(), i % 3 === 0 ? 0 : next(), next(), next(), next(), next()];
        words.set([c0, 0, 0, 0, ...philoxUniformPart(c2, c3, [k0, k1], c1), k0, k1, 0, 0], 12 * i);
        expected.set(philox4x32([c0, c1, c2, c3], [k0, k1]), 4 * i);
      }
      const io = t.buffer(words.byteLength, words);
      const module = device.createShaderModule({ code: VARYING_KERNEL });
      const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: io } }] }));
      pass.dispatchWorkgroups(count / 64);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const out = await t.u32(io, words.length);
      checkU32(Uint32Array.from({ length: count * 4 }, (_, j) => out[12 * (j >> 2) + (j & 3)]!), expected, 'hoisted level-0 Philox');
    },
  },
];
