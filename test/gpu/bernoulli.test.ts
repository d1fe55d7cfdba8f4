// The rare branches of the keep rule on the GPU (shaders/bernoulli.wgsl), which real draws
// almost never reach: a block whose 24 elements all tie (ranks up to 23, tie bytes from levels 1
// and 2) and whose tie bytes tie again (deep ranks past 4, deep words from levels 3 to 5).
// bernoulli_settle and bernoulli_finish (the multi-pass schedule's tie pass) and bernoulli_keep
// (the single-pass schedule's inline settling, dropout_single) run on made-up level-0 words, with
// the block's real deeper levels, and must equal the CPU rule (blockKeepBitsFrom in
// src/rng/mask.ts) bit for bit.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestNodeDevice } from '../../src/node.js';
import { BERNOULLI_WGSL } from '../../src/kernels/dropout-family.js';
import { ruleFor } from '../../src/kernels/dropout-params.js';
import { blockKeepBitsFrom } from '../../src/rng/mask.js';
import { philox4x32 } from '../../src/rng/philox.js';
import { dropRate, type DropRate } from '../../src/rng/threshold.js';

let device: GPUDevice;
beforeAll(async () => { device = await requestNodeDevice(); });
afterAll(() => device?.destroy());

const WORDS_PER_CASE = 16;
const PROBE = `${BERNOULLI_WGSL}
@group(0) @binding(0) var<storage, read> cases: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1)
fn probe(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x * ${WORDS_PER_CASE}u;
  let r = vec4<u32>(cases[b], cases[b + 1u], cases[b + 2u], cases[b + 3u]);
  let rule = Rule(cases[b + 4u] != 0u, cases[b + 5u], cases[b + 6u], cases[b + 7u], cases[b + 8u] != 0u, cases[b + 9u], cases[b + 10u]);
  let block = cases[b + 11u];
  let stream = vec2<u32>(cases[b + 12u], cases[b + 13u]);
  let key = vec2<u32>(cases[b + 14u], cases[b + 15u]);
  let settled = bernoulli_settle(r, rule);
  out[4u * gid.x] = settled.x;
  out[4u * gid.x + 1u] = settled.y;
  out[4u * gid.x + 2u] = settled.x | bernoulli_finish(block, stream, key, rule, r, settled.y);
  out[4u * gid.x + 3u] = bernoulli_keep(block, stream, key, rule, r);
}`;

interface ProbeCase { r: number[]; rate: DropRate; block: number; stream: [number, number]; key: [number, number] }

async function runProbe(cases: ProbeCase[]): Promise<Uint32Array> {
  const data = new Uint32Array(WORDS_PER_CASE * cases.length);
  cases.forEach((c, i) => {
    const rule = ruleFor(c.rate);
    data.set([...c.r, c.rate.ties ? 1 : 0, rule.tie_nibble, rule.tie_keep_byte, rule.tie_deep_byte, rule.tie_up, rule.keep_from, rule.deep_from, c.block, ...c.stream, ...c.key], WORDS_PER_CASE * i);
  });
  const input = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(input, 0, data);
  const output = device.createBuffer({ size: 16 * cases.length, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16 * cases.length, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: PROBE });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'probe' } });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: input } }, { binding: 1, resource: { buffer: output } }] }));
  pass.dispatchWorkgroups(cases.length);
  pass.end();
  encoder.copyBufferToBuffer(output, 0, read, 0, 16 * cases.length);
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  expect(error?.message).toBeUndefined();
  await read.mapAsync(GPUMapMode.READ);
  const result = new Uint32Array(read.getMappedRange().slice(0));
  [input, output, read].forEach((b) => b.destroy());
  return result;
}

/** Level-0 words whose 24 nibbles are all `nibble` and whose four tie bytes are `bytes`. */
function allTied(nibble: number, bytes: number[]): number[] {
  return bytes.map((b) => ((b << 24) | (0x111111 * nibble)) >>> 0);
}

/** The byte value that appears most often among the 20 tie bytes of levels 1 and 2 of a block. */
function commonByte(block: number, stream: [number, number], key: [number, number]): { value: number; count: number } {
  const counts = new Map<number, number>();
  for (const L of [1, 2]) {
    const words = philox4x32([block, L, ...stream], key);
    const bytes = L === 1 ? 16 : 4;
    for (let m = 0; m < bytes; m++) {
      const v = (words[m >> 2]! >>> (8 * (m & 3))) & 0xff;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  }
  const [value, count] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  return { value, count };
}

test('bernoulli_settle with bernoulli_finish (multi-pass), and bernoulli_keep (single-pass), equal the CPU rule on fully tied blocks with deep ties of every rank', async () => {
  const stream: [number, number] = [0x1234, 7];
  const key: [number, number] = [0xdeadbeef, 0x5eed];
  const cases: ProbeCase[] = [];
  // Blocks whose levels 1-2 repeat a tie byte 4+ times: with the four level-0 tie bytes set to it,
  // that is 8+ deep ties, so deep words come from levels 3, 4 and 5.
  let deepest = 0;
  let blocks = 0;
  for (let block = 0; (blocks < 5 || deepest < 8) && block < 200_000; block++) {
    const common = commonByte(block, stream, key);
    if (common.count < (blocks < 5 ? 3 : 4)) continue;
    blocks++;
    for (const t0 of [0, 5, 14, 15]) {
      const T = t0 * 2 ** 28 + common.value * 2 ** 20 + 0x80001; // deep ties active (low 20 bits != 0)
      cases.push({ r: allTied(t0, [common.value, common.value, common.value, common.value]), rate: dropRate(T / 2 ** 32), block, stream, key });
    }
    deepest = Math.max(deepest, 4 + common.count);
  }
  expect(deepest, 'some case has deep ranks past 7 (level 5)').toBeGreaterThanOrEqual(8);
  // Mixed blocks: some nibbles tie, tie bytes above, below and equal to T's, with and without deep ties.
  for (let i = 0; i < 40; i++) {
    const block = 100 + i;
    const t0 = [1, 8, 15][i % 3]!;
    const r = philox4x32([block, 0, 99, i], [i, 1]);
    const rnib = Array.from(r, (w, c) => (((w & 0xff000000) | ((w & 0xffffff) ^ (c & i & 1 ? 0x111111 * t0 : 0))) >>> 0));
    const T = t0 * 2 ** 28 + (rnib[0]! >>> 24) * 2 ** 20 + (i % 2 ? 0 : 0x10);
    cases.push({ r: rnib, rate: dropRate(T / 2 ** 32), block, stream, key });
  }
  // Exactly 4, 5, 20 and 21 ties: the first rank read from level 1, and from level 2 (the levels
  // bernoulli_keep draws only when a block has that many ties). Tie byte 1 without deep ties: a
  // tie is kept iff its byte is not 0, so a level not drawn shows.
  for (const count of [4, 5, 20, 21]) {
    for (const t0 of [3, 15]) {
      for (let block = 500; block < 504; block++) {
        const other = (t0 + 7) % 16;
        const r = [0, 1, 2, 3].map((c) => {
          let w = (0x5a ^ (c * 0x33)) << 24;
          for (let k = 0; k < 6; k++) w |= (4 * k + c < count ? t0 : other) << (4 * k);
          return w >>> 0;
        });
        cases.push({ r, rate: dropRate((t0 * 2 ** 28 + 2 ** 20) / 2 ** 32), block, stream, key });
      }
    }
  }
  const got = await runProbe(cases);
  cases.forEach((c, i) => {
    const expected = blockKeepBitsFrom(Uint32Array.from(c.r), c.rate, (L) => philox4x32([c.block, L, ...c.stream], c.key));
    expect(got[4 * i + 2], `case ${i}: block ${c.block}, T 0x${c.rate.threshold.toString(16)}`).toBe(expected);
    expect(got[4 * i + 3], `case ${i}: bernoulli_keep, block ${c.block}, T 0x${c.rate.threshold.toString(16)}`).toBe(expected);
    // What level 0 settles it settles right; what it leaves undecided it leaves dropped.
    expect(((got[4 * i]! ^ expected) & ~got[4 * i + 1]!) >>> 0, `case ${i}: settled slots`).toBe(0);
    expect((got[4 * i]! & got[4 * i + 1]!) >>> 0, `case ${i}: undecided slots are not kept by level 0`).toBe(0);
  });
});
