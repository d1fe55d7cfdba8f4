// DROPOUT_MASK_WGSL, the mask as a building block of the caller's own shaders: a probe written
// only against the exported module (its wd_ names and maskUniforms) must reproduce dropout()'s
// packed masks and the CPU keepMask bit for bit over fuzzed draws (seed, offset, p, n), and the
// single-element decision and the layout helpers must equal elementKept / elementSlot /
// slotElement for element indices up to 2^36 - 1 (both u32 words of the index in play).
import { dropout, DROPOUT_MASK_WGSL, maskUniforms, MASK_UNIFORM_WORDS } from 'webgpu-dropout';
import { elementKept, elementSlot, keepMask, slotElement } from 'webgpu-dropout/cpu';
import { check, checkU32 } from './assert.js';
import { type Case, type Tracker } from './env.js';

const PROBE = `${DROPOUT_MASK_WGSL}
// A user's own names, which the module must not clash with.
struct Rule { x: u32 }
fn philox4x32_10(a: u32) -> u32 { return a; }
fn bernoulli_keep(a: u32) -> u32 { return a; }

struct Probe {
  mask: wd_Mask,
  n: u32,
  count: u32,
}
@group(0) @binding(0) var<uniform> probe: Probe;
@group(0) @binding(1) var<storage, read> items: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> packed: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<storage, read_write> index_out: array<u32>;

// One invocation per block: its keep bits scattered into a packed mask of n elements.
@compute @workgroup_size(64)
fn probe_packed(@builtin(global_invocation_id) gid: vec3<u32>) {
  let block = gid.x;
  let bits = wd_block_keep(probe.mask, block);
  for (var slot = 0u; slot < 24u; slot++) {
    let e = wd_slot_element(block, slot);
    if (e.y == 0u && e.x < probe.n && wd_slot_kept(bits, slot)) {
      atomicOr(&packed[e.x >> 5u], 1u << (e.x & 31u));
    }
  }
}

// One invocation per element index (lo, hi): its decision, block, slot, the way back, and the keep
// bits of its block; and the 64-bit index helpers on words taken from it.
@compute @workgroup_size(64)
fn probe_items(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= probe.count) { return; }
  let e = items[i];
  let block = wd_element_block(e);
  let slot = wd_element_slot(e);
  let back = wd_slot_element(block, slot);
  out[6u * i] = select(0u, 1u, wd_keep(probe.mask, e));
  out[6u * i + 1u] = block;
  out[6u * i + 2u] = slot;
  out[6u * i + 3u] = back.x;
  out[6u * i + 4u] = back.y;
  out[6u * i + 5u] = wd_block_keep(probe.mask, block);
  let at = wd_element_at(e.x >> 8u, e.y * 4096u + 4095u, e.x & 255u);
  let sum = wd_element_add(e, 0xffffffffu);
  index_out[4u * i] = at.x;
  index_out[4u * i + 1u] = at.y;
  index_out[4u * i + 2u] = sum.x;
  index_out[4u * i + 3u] = sum.y;
  let four = select(vec4<u32>(0u), vec4<u32>(1u, 2u, 4u, 8u), wd_keep4(probe.mask, e));
  index_out[4u * i + 3u] = sum.y | ((four.x | four.y | four.z | four.w) << 28u);
}`;

/** A small deterministic generator for the fuzzed draws. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

async function pipelines(device: GPUDevice): Promise<{ packed: GPUComputePipeline; items: GPUComputePipeline }> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: PROBE, label: 'wgsl-mask probe' });
  const error = device.popErrorScope();
  const [packed, items] = await Promise.all(['probe_packed', 'probe_items'].map((entryPoint) => device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } })));
  const failed = await error;
  check(failed === null, `the probe compiles against DROPOUT_MASK_WGSL: ${failed?.message}`);
  return { packed: packed!, items: items! };
}

function uniforms(t: Tracker, seed: bigint, offset: bigint, p: number, n: number, count: number): GPUBuffer {
  const words = new Uint32Array(16);
  words.set(maskUniforms(seed, offset, p));
  words[MASK_UNIFORM_WORDS] = n;
  words[MASK_UNIFORM_WORDS + 1] = count;
  return t.buffer(64, words, 0x40 | 0x8);
}

async function packedMask(device: GPUDevice, t: Tracker, pipeline: GPUComputePipeline, seed: bigint, offset: bigint, p: number, n: number): Promise<Uint32Array> {
  const words = Math.ceil(n / 32);
  const packed = t.buffer(4 * words, new Uint32Array(words));
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: uniforms(t, seed, offset, p, n, 0) } }, { binding: 2, resource: { buffer: packed } }],
  }));
  pass.dispatchWorkgroups(Math.ceil(n / 1536));
  pass.end();
  device.queue.submit([encoder.finish()]);
  return t.u32(packed, words);
}

export const wgslMaskCases: Case[] = [
  {
    name: 'DROPOUT_MASK_WGSL: a shader written against it reproduces dropout() masks and keepMask bit for bit (fuzzed seeds, offsets, p, n)',
    async run({ device }, t) {
      const { packed } = await pipelines(device);
      const next = lcg(18);
      const u64 = (): bigint => (BigInt(next()) << 32n) | BigInt(next());
      const rates = [0.1, 0.5, 0, 1, 0.3, 1 / 3, 2 ** -30, 1 - 2 ** -30, 0.0625, 0.9];
      const draws = rates.map((p, i) => ({ p, seed: u64(), offset: i % 3 === 0 ? 2n ** 64n - 1n - BigInt(i) : u64(), n: 1 + (next() % 5000) }));
      draws.push({ p: 0.1, seed: 7n, offset: 3n, n: 120_000 }); // ~30 deep ties, ties of every rank
      draws.push({ p: (next() / 2 ** 32) * 0.9, seed: u64(), offset: u64(), n: 1536 * 3 + 1 });
      for (const d of draws) {
        const label = `p=${d.p} seed=${d.seed} offset=${d.offset} n=${d.n}`;
        const expected = keepMask(d, d.p, d.n);
        checkU32(await packedMask(device, t, packed, d.seed, d.offset, d.p, d.n), expected, `user shader vs keepMask, ${label}`);
        const x = t.buffer(4 * d.n, new Float32Array(d.n).fill(1));
        const y = t.buffer(4 * d.n);
        const mask = t.buffer(4 * expected.length);
        await dropout(device, { x, y, mask, n: d.n, p: d.p, training: true, seed: d.seed, offset: d.offset });
        checkU32(await t.u32(mask, expected.length), expected, `dropout() mask vs keepMask, ${label}`);
      }
    },
  },
  {
    name: 'DROPOUT_MASK_WGSL: wd_keep, wd_keep4, wd_block_keep and the layout and index helpers for element indices up to 2^36 - 1',
    async run({ device }, t) {
      const { items } = await pipelines(device);
      const next = lcg(36);
      const edges = [0, 1, 23, 1535, 1536, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 33 + 1535, 2 ** 36 - 1, 2 ** 36 - 1536, 2 ** 35 + 777];
      const elements = [...edges, ...Array.from({ length: 180 }, () => (next() % 16) * 2 ** 32 + next())];
      const draws = [
        { seed: 5n, offset: 0n, p: 0.1 },
        { seed: 2n ** 63n + 11n, offset: 2n ** 40n + 3n, p: 0.5 },
        { seed: 123456789n, offset: 2n ** 64n - 1n, p: 0.7 + (next() / 2 ** 32) * 0.2 },
        { seed: 9n, offset: 1n, p: 1 },
      ];
      const count = elements.length;
      const data = new Uint32Array(2 * count);
      elements.forEach((e, i) => data.set([e % 2 ** 32, Math.floor(e / 2 ** 32)], 2 * i));
      for (const d of draws) {
        const out = t.buffer(24 * count);
        const indexOut = t.buffer(16 * count);
        const input = t.buffer(8 * count, data);
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(items);
        pass.setBindGroup(0, device.createBindGroup({
          layout: items.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: uniforms(t, d.seed, d.offset, d.p, 0, count) } },
            { binding: 1, resource: { buffer: input } },
            { binding: 3, resource: { buffer: out } },
            { binding: 4, resource: { buffer: indexOut } },
          ],
        }));
        pass.dispatchWorkgroups(Math.ceil(count / 64));
        pass.end();
        device.queue.submit([encoder.finish()]);
        const got = await t.u32(out, 6 * count);
        const expected = new Uint32Array(6 * count);
        elements.forEach((e, i) => {
          const place = elementSlot(e);
          const back = slotElement(place.block, place.slot);
          // The block's 24 slots, element by element on the CPU (those past 2^36 - 1 left out:
          // the last tile below 2^36 runs past it).
          let bits = 0;
          let inRange = 0;
          for (let slot = 0; slot < 24; slot++) {
            const element = slotElement(place.block, slot);
            if (element >= 2 ** 36) continue;
            inRange |= 1 << slot;
            if (elementKept(d, d.p, element)) bits |= 1 << slot;
          }
          got[6 * i + 5] = got[6 * i + 5]! & inRange;
          expected.set([elementKept(d, d.p, e) ? 1 : 0, place.block, place.slot, back % 2 ** 32, Math.floor(back / 2 ** 32), bits >>> 0], 6 * i);
          check(back === e, `slotElement(elementSlot(${e})) is ${e}`);
        });
        checkU32(got, expected, `wd_keep / layout / wd_block_keep, p=${d.p} seed=${d.seed} offset=${d.offset}`);
        const indices = new Uint32Array(4 * count);
        elements.forEach((e, i) => {
          const lo = e % 2 ** 32;
          const hi = Math.floor(e / 2 ** 32);
          const at = Math.floor(lo / 256) * (hi * 4096 + 4095) + (lo % 256);
          const sum = e + 2 ** 32 - 1;
          // wd_keep4's four decisions in bits 28-31 of the last word (sum's high word is < 2^5;
          // elements past 2^36 - 1 are outside the draw and not compared).
          let four = 0;
          for (let j = 0; j < 4; j++) if (e + j < 2 ** 36 && elementKept(d, d.p, e + j)) four |= 1 << j;
          indices.set([at % 2 ** 32, Math.floor(at / 2 ** 32), sum % 2 ** 32, (Math.floor(sum / 2 ** 32) | (four << 28)) >>> 0], 4 * i);
        });
        const gotIndices = await t.u32(indexOut, 4 * count);
        elements.forEach((e, i) => {
          for (let j = 0; j < 4; j++) if (e + j >= 2 ** 36) gotIndices[4 * i + 3] = gotIndices[4 * i + 3]! & ~(1 << (28 + j));
        });
        checkU32(gotIndices, indices, 'wd_element_at (row · cols + col), wd_element_add (e + 2^32 - 1), wd_keep4 (bits 28-31)');
      }
    },
  },
];
