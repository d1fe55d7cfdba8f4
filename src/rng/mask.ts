// CPU side of the mask contract: which elements a draw keeps. Twin of the keep rule in
// shaders/dropout.wgsl (dropout_main + dropout_ties) and shaders/bernoulli.wgsl; pinned against
// them bit-exactly by the tests.
import { DropoutArgumentError } from '../errors.js';
import { philox4x32 } from './philox.js';
import { BLOCK_ELEMENTS, MAX_ELEMENTS_PER_DRAW, blocksFor, elementSlot, slotElement } from './layout.js';
import { u64Words, toU64 } from './seed.js';
import { dropRate, type DropRate } from './threshold.js';

/**
 * What identifies a draw: the mask of element e is a pure function of (seed, offset, e, p). Both
 * are integers in [0, 2^64 - 1], as numbers (safe integers) or bigints; anything else is a
 * {@link DropoutArgumentError}. A {@link GeneratorState} from `PhiloxGenerator.next()` is one.
 * @example keepMask({ seed: 42n, offset: 3n }, 0.1, 1024)
 */
export interface DrawKey {
  /** 64-bit seed: the Philox key. */
  seed: bigint | number;
  /** 64-bit stream position: counter words 2 and 3. Each draw uses one offset. */
  offset: bigint | number;
}

function counterWords(key: DrawKey): { seed: readonly [number, number]; stream: readonly [number, number] } {
  return { seed: u64Words(toU64('seed', key.seed)), stream: u64Words(toU64('offset', key.offset)) };
}

export function checkCount(name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_ELEMENTS_PER_DRAW) {
    throw new DropoutArgumentError(name, n, `an integer in [0, 2^36] (one draw covers at most 2^36 elements)`);
  }
  return n;
}

/** Levels of a block (counter word 1): 0 the nibbles and tie bytes, 1–2 more tie bytes, 3–8 deep words. */
const TIE_LEVELS = [1, 2] as const;
const DEEP_LEVEL = 3;

/**
 * The keep bits of one block's 24 elements (bit `slot`), by the mask contract: the slot's level-0
 * nibble against T's top nibble, then for ties the tie byte of the slot's rank among the block's
 * ties against T's bits 20–27, then for deep ties the 20 deep bits of its deep rank against T's
 * low 20 bits. Levels past 0 are computed only when a slot needs them.
 */
export function blockKeepBits(block: number, rate: DropRate, seed: readonly [number, number], stream: readonly [number, number]): number {
  const level = (L: number): Uint32Array => philox4x32([block, L, stream[0], stream[1]], seed);
  return blockKeepBitsFrom(level(0), rate, level);
}

/** {@link blockKeepBits} from the block's level-0 words `r0` and a source of its deeper levels. */
export function blockKeepBitsFrom(r0: ArrayLike<number>, rate: DropRate, level: (L: number) => Uint32Array): number {
  if (rate.dropsAll) return 0;
  if (rate.keepsAll) return 0xffffff;
  const more = new Map<number, Uint32Array>();
  const lazy = (L: number): Uint32Array => more.get(L) ?? more.set(L, level(L)).get(L)!;
  const byteOf = (words: Uint32Array, m: number): number => (words[m >>> 2]! >>> (8 * (m & 3))) & 0xff;
  let kept = 0;
  let rank = 0;
  let deepRank = 0;
  for (let slot = 0; slot < BLOCK_ELEMENTS; slot++) {
    const nibble = (r0[slot & 3]! >>> (4 * (slot >>> 2))) & 0xf;
    let keep: boolean;
    if (nibble !== rate.topNibble || !rate.ties) {
      // Without ties (T's low 28 bits 0) a nibble equal to T's top one means u >= T: kept.
      keep = nibble >= rate.topNibble;
    } else {
      const r = rank++;
      const tieByte = r < 4 ? r0[r]! >>> 24 : r < 20 ? byteOf(lazy(TIE_LEVELS[0]), r - 4) : byteOf(lazy(TIE_LEVELS[1]), r - 20);
      if (tieByte !== rate.tieByte || !rate.deep) {
        keep = tieByte >= rate.tieByte;
      } else {
        const d = deepRank++;
        keep = lazy(DEEP_LEVEL + (d >>> 2))[d & 3]! >>> 12 >= rate.deepThreshold;
      }
    }
    if (keep) kept |= 1 << slot;
  }
  return kept >>> 0;
}

/**
 * The keep mask of a draw as packed bits: bit (e & 31) of word (e >> 5) is 1 iff element e is kept
 * (docs/mask-contract.md). Bits past n are 0.
 * @param p - drop probability in [0, 1]
 * @param n - number of elements, an integer in [0, 2^36]
 * @throws {@link DropoutArgumentError} for p, n, seed or offset out of range
 * @example keepMask({ seed: 42n, offset: 0n }, 0.5, 100) // Uint32Array(4)
 */
export function keepMask(key: DrawKey, p: number, n: number): Uint32Array {
  checkCount('n', n);
  const rate = dropRate(p);
  const words = new Uint32Array(Math.ceil(n / 32));
  if (rate.dropsAll || n === 0) return words;
  if (rate.keepsAll) {
    words.fill(0xffffffff);
    if (n % 32) words[words.length - 1] = 2 ** (n % 32) - 1;
    return words;
  }
  const { seed, stream } = counterWords(key);
  const blocks = blocksFor(n);
  for (let block = 0; block < blocks; block++) {
    const kept = blockKeepBits(block, rate, seed, stream);
    for (let slot = 0; slot < BLOCK_ELEMENTS; slot++) {
      const e = slotElement(block, slot);
      if (e < n && (kept >>> slot) & 1) words[e >>> 5]! |= 1 << (e & 31);
    }
  }
  return words;
}

/**
 * Whether element e of a draw is kept (one element of {@link keepMask}; computes its whole block).
 * @param p - drop probability in [0, 1]
 * @param e - element index, an integer in [0, 2^36)
 * @throws {@link DropoutArgumentError} for p, e, seed or offset out of range
 * @example elementKept({ seed: 42n, offset: 0n }, 0.1, 7)
 */
export function elementKept(key: DrawKey, p: number, e: number): boolean {
  checkCount('e', e);
  const { seed, stream } = counterWords(key);
  const { block, slot } = elementSlot(e);
  return ((blockKeepBits(block, dropRate(p), seed, stream) >>> slot) & 1) === 1;
}

/**
 * Whether bit e of a packed mask is set: bit (e & 31) of word (e >> 5), i.e. whether element e
 * was kept.
 * @example maskBit(keepMask({ seed: 1n, offset: 0n }, 0.5, 64), 3)
 */
export function maskBit(words: Uint32Array, e: number): boolean {
  return ((words[e >>> 5]! >>> (e & 31)) & 1) === 1;
}
