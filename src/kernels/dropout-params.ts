import { type DropRate } from '../rng/threshold.js';

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

const NAMES: readonly ParamName[] = PARAM_FIELDS.map(([name]) => name);
const FLOAT: readonly boolean[] = PARAM_FIELDS.map(([, type]) => type === 'f32');

export function writeParams(view: DataView, byteOffset: number, params: Params): void {
  for (let i = 0; i < NAMES.length; i++) {
    const value = params[NAMES[i]!];
    if (FLOAT[i]) view.setFloat32(byteOffset + 4 * i, value, true);
    else view.setUint32(byteOffset + 4 * i, value >>> 0, true);
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
