import { type DropRate } from '../rng/threshold.js';
import { philoxUniformPart } from '../rng/philox.js';
import { u64Words } from '../rng/seed.js';

// Host mirror of `struct Params` in shaders/dropout.wgsl. Every field is a 4-byte scalar, so a
// field's byte offset is 4 * its index; test/params.test.ts checks this list against the WGSL.

export const PARAM_FIELDS = [
  ['n', 'u32'],
  ['block_base', 'u32'],
  ['keep_from', 'u32'],
  ['tie_nibble', 'u32'],
  ['tie_keep_byte', 'u32'],
  ['tie_deep_byte', 'u32'],
  ['tie_up', 'u32'],
  ['deep_from', 'u32'],
  ['scale', 'f32'],
  ['seed_lo', 'u32'],
  ['seed_hi', 'u32'],
  ['offset_lo', 'u32'],
  ['offset_hi', 'u32'],
  ['src_shift', 'u32'],
  ['dst_shift', 'u32'],
  ['mask_shift', 'u32'],
  ['tie_capacity', 'u32'],
  ['pre0', 'u32'],
  ['pre1', 'u32'],
  ['pre2', 'u32'],
  ['pre3', 'u32'],
  ['cols', 'u32'],
  ['col_base', 'u32'],
  ['col_step', 'u32'],
  ['bias_shift', 'u32'],
  ['aux_shift', 'u32'],
  ['main_groups', 'u32'],
  ['tail_tile', 'u32'],
  ['bias', 'f32'],
  ['dropped', 'f32'],
] as const;

export type ParamName = (typeof PARAM_FIELDS)[number][0];
export type Params = Record<ParamName, number>;

/** Size of the struct as WGSL lays it out: 4-byte scalars, no padding. */
export const PARAMS_BYTES = PARAM_FIELDS.length * 4;

/** Words in the struct. */
const PARAM_WORDS = PARAM_FIELDS.length;

const NAMES: readonly ParamName[] = PARAM_FIELDS.map(([name]) => name);
const FLOAT: readonly boolean[] = PARAM_FIELDS.map(([, type]) => type === 'f32');
const at = (name: ParamName): number => NAMES.indexOf(name);
// The words that depend on the draw key alone: what a repeated call rewrites (see keyParams).
const SEED_LO = at('seed_lo');
const SEED_HI = at('seed_hi');
const OFFSET_LO = at('offset_lo');
const OFFSET_HI = at('offset_hi');
const PRE = [at('pre0'), at('pre1'), at('pre2'), at('pre3')] as const;

/**
 * The struct's words for `params` (f32 fields as their bits), the draw key's words left 0: a
 * template that a call copies into its uniforms after {@link keyParams} wrote its key in.
 */
export function paramWords(params: Omit<Params, KeyParam>): Uint32Array {
  const words = new Uint32Array(PARAM_WORDS);
  const floats = new Float32Array(words.buffer);
  for (let i = 0; i < PARAM_WORDS; i++) {
    const value = (params as Partial<Params>)[NAMES[i]!] ?? 0;
    if (FLOAT[i]) floats[i] = value;
    else words[i] = value >>> 0;
  }
  return words;
}

/** The fields that {@link keyParams} writes. */
export type KeyParam = 'seed_lo' | 'seed_hi' | 'offset_lo' | 'offset_hi' | 'pre0' | 'pre1' | 'pre2' | 'pre3';

let lastSeed = 0n;
let lastSeedWords = u64Words(0n);

/**
 * Writes the draw key into templates: seed, offset and the words of Philox's first round that
 * depend on nothing else (philoxUniformPart), so a repeat of a call rewrites eight words per chunk.
 */
export function keyParams(templates: readonly Uint32Array[], seed: bigint, offset: bigint): void {
  // A run of calls shares its seed: its words are kept (BigInt arithmetic allocates).
  if (seed !== lastSeed) {
    lastSeed = seed;
    lastSeedWords = u64Words(seed);
  }
  const [seedLo, seedHi] = lastSeedWords;
  const [offsetLo, offsetHi] = u64Words(offset);
  const pre = philoxUniformPart(offsetLo, offsetHi, [seedLo, seedHi]);
  for (const words of templates) {
    words[SEED_LO] = seedLo;
    words[SEED_HI] = seedHi;
    words[OFFSET_LO] = offsetLo;
    words[OFFSET_HI] = offsetHi;
    for (let j = 0; j < 4; j++) words[PRE[j]!] = pre[j]!;
  }
}

/**
 * The constants of the keep rule for a drop rate, as `struct Rule` in shaders/bernoulli.wgsl takes
 * them: the tie nibble, the tie byte that keeps (+ 1 with deep ties), the one that goes deeper,
 * which way settled ties move, the nibble that keeps after the move (16 for p = 1: none), and the
 * deep threshold.
 */
export function ruleFor(rate: DropRate): Pick<Params, 'keep_from' | 'tie_nibble' | 'tie_keep_byte' | 'tie_deep_byte' | 'tie_up' | 'deep_from'> {
  const t0 = rate.topNibble;
  const up = t0 < 15;
  return {
    keep_from: rate.dropsAll ? 16 : rate.ties ? (up ? t0 + 1 : t0) : t0,
    tie_nibble: Math.min(t0, 15),
    tie_keep_byte: rate.tieByte + (rate.deep ? 1 : 0),
    tie_deep_byte: rate.deep ? rate.tieByte : 0x100,
    tie_up: up ? 1 : 0,
    deep_from: rate.deepThreshold,
  };
}
