// The mask as a WGSL building block for other people's shaders: philox.wgsl and bernoulli.wgsl
// (the very sources dropout() compiles) with their names prefixed, plus shaders/mask-api.wgsl.
import philoxSource from '../../shaders/philox.wgsl?raw';
import bernoulliSource from '../../shaders/bernoulli.wgsl?raw';
import maskApiSource from '../../shaders/mask-api.wgsl?raw';
import { toU64, u64Words } from '../rng/seed.js';
import { dropRate } from '../rng/threshold.js';
import { ruleFor } from './dropout-params.js';

/** The prefix of every name {@link DROPOUT_MASK_WGSL} declares. */
export const WGSL_MASK_PREFIX = 'wd_';

const DECLARATION = /^(?:fn|struct|const|alias|override)\s+([A-Za-z_]\w*)/gm;

/** The names `sources` declare at module scope, and the sources with each of them prefixed. */
export function prefixWgsl(sources: readonly string[], prefix: string): string[] {
  const names = new Set(sources.flatMap((s) => [...s.matchAll(DECLARATION)].map((m) => m[1]!)));
  if (names.size === 0) return [...sources];
  const word = new RegExp(`\\b(${[...names].join('|')})\\b`, 'g');
  return sources.map((s) => s.replace(word, `${prefix}$1`));
}

/**
 * WGSL to paste in front of your own compute shader: which elements of a dropout draw
 * (seed, offset, p) are kept, bit-identical to `dropout()`'s masks and the CPU `keepMask` for every
 * element index below 2^36. Every name it declares starts with `wd_`. The draw travels in a
 * `wd_Mask` struct (12 u32 words, 48 bytes, 16-byte aligned) that {@link maskUniforms} fills; bind
 * it as (or inside) a uniform or storage struct and pass it by value:
 *
 * - `wd_block_keep(m: wd_Mask, block: u32) -> u32`: the keep bits of one Philox block, bit `slot`
 *   (0..23) for the element at that slot; every tie level settled inside (final decisions). One
 *   Philox call for almost every block.
 * - `wd_keep(m: wd_Mask, e: vec2<u32>) -> bool`: one element, e as (low word, high word); computes
 *   e's whole block, so it is up to 24 times slower per element than working by blocks.
 * - `wd_keep4(m: wd_Mask, e: vec2<u32>) -> vec4<bool>`: elements e … e + 3 (one or two blocks).
 * - `wd_element_place(e) -> vec2<u32>` (block, slot), `wd_element_block(e)`, `wd_element_slot(e)`,
 *   `wd_slot_element(block, slot) -> vec2<u32>` and `wd_slot_kept(bits, slot) -> bool`: the
 *   layout (a tile of 1536 elements is 64 blocks; block `lane` of a tile holds elements
 *   4·lane + 256·k + c at slot 4k + c); `wd_element_at(row, cols, col) -> vec2<u32>`
 *   (row · cols + col in 64 bits, the index of a row-major matrix element) and
 *   `wd_element_add(e, k: u32) -> vec2<u32>`.
 * - `wd_scale(m) -> f32`: f32(1 / (1 − p)), the inverted-dropout scale (0 for p = 1).
 *
 * Element indices count from 0 at the draw's (seed, offset), as `dropout()` counts a tensor's
 * elements: a tensor of n elements is elements 0 … n − 1 of its draw. docs/wgsl-mask.md has a
 * complete example shader.
 * @example
 * const code = `${DROPOUT_MASK_WGSL}
 * @group(0) @binding(0) var<uniform> mask: wd_Mask;
 * @group(0) @binding(1) var<storage, read_write> x: array<f32>;
 * @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
 *   if (id.x >= arrayLength(&x)) { return; }
 *   x[id.x] = select(0.0, x[id.x] * wd_scale(mask), wd_keep(mask, vec2<u32>(id.x, 0u)));
 * }`;
 * device.queue.writeBuffer(maskBuffer, 0, maskUniforms(seed, offset, 0.1));
 */
export const DROPOUT_MASK_WGSL: string = [...prefixWgsl([philoxSource, bernoulliSource], WGSL_MASK_PREFIX), maskApiSource].join('\n');

/** Words of `wd_Mask` (48 bytes). */
export const MASK_UNIFORM_WORDS = 12;

/**
 * The `wd_Mask` struct of {@link DROPOUT_MASK_WGSL} for the draw (seed, offset, p), as 12 u32
 * words to copy into your uniform (or storage) buffer at a 16-byte-aligned offset: words 0–3 the
 * seed and offset (low word first), 4–10 the keep rule's constants, 11 the scale's f32 bits.
 * @param seed - 64-bit seed, as for `dropout()`
 * @param offset - 64-bit offset, as for `dropout()`
 * @param p - drop probability in [0, 1]
 * @throws DropoutArgumentError for a seed, offset or p out of range
 * @example
 * device.queue.writeBuffer(maskBuffer, 0, maskUniforms(42n, 7n, 0.1));
 */
export function maskUniforms(seed: bigint | number, offset: bigint | number, p: number): Uint32Array {
  const rate = dropRate(p);
  const s = u64Words(toU64('seed', seed));
  const o = u64Words(toU64('offset', offset));
  const rule = ruleFor(rate);
  const words = new Uint32Array(MASK_UNIFORM_WORDS);
  words.set([s[0], s[1], o[0], o[1], rule.keep_from, rule.tie_nibble, rule.tie_keep_byte, rule.tie_deep_byte, rule.tie_up, rule.deep_from, rate.ties ? 1 : 0]);
  new Float32Array(words.buffer, 44, 1)[0] = rate.scale;
  return words;
}
