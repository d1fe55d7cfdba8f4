// CPU side of the mask contract: which elements a draw keeps. Twin of the keep rule in
// shaders/dropout.wgsl (dropout_main + dropout_ties); pinned against it bit-exactly by the tests.
import { DropoutArgumentError } from '../errors.js';
import { philox4x32 } from './philox.js';
import { BLOCK_ELEMENTS, MAX_ELEMENTS_PER_DRAW, elementSlot, slotElement, blocksFor } from './layout.js';
import { u64Words, toU64 } from './seed.js';
import { dropRate } from './threshold.js';

/** Levels of a block: level L supplies byte L (from the top) of each element's 32-bit uniform. */
const LEVELS = 4;

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

/**
 * The 32-bit uniform u that decides element e of a draw: byte L (from the top) is byte `slot.byte`
 * of word `slot.word` of Philox4x32-10(counter = [block, L, offsetLo, offsetHi], key = [seedLo, seedHi]).
 * The kernels only compute the lower bytes when the upper ones tie with the threshold. Element e
 * is kept iff u >= round(p * 2^32).
 * @param e - element index, an integer in [0, 2^36)
 * @throws {@link DropoutArgumentError} if the seed or offset is not an integer in [0, 2^64)
 * @example elementUniform({ seed: 42n, offset: 0n }, 7) >= Math.round(0.1 * 2 ** 32) // element 7 kept at p = 0.1?
 */
export function elementUniform(key: DrawKey, e: number): number {
  const { seed, stream } = counterWords(key);
  const slot = elementSlot(e);
  const out = new Uint32Array(4);
  let u = 0;
  for (let level = 0; level < LEVELS; level++) {
    philox4x32([slot.block, level, stream[0], stream[1]], seed, out);
    u = u * 256 + ((out[slot.word]! >>> (8 * slot.byte)) & 0xff);
  }
  return u;
}

/**
 * The keep mask of a draw as packed bits: bit (e & 31) of word (e >> 5) is 1 iff element e is kept,
 * i.e. iff its uniform u >= round(p * 2^32). Bits past n are 0.
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
  const T = rate.threshold;
  const top = Math.floor(T / 0x1000000);
  const level0 = new Uint32Array(4);
  const deeper = [new Uint32Array(4), new Uint32Array(4), new Uint32Array(4)];
  const blocks = blocksFor(n);
  for (let block = 0; block < blocks; block++) {
    philox4x32([block, 0, stream[0], stream[1]], seed, level0);
    let computedLevels = 0;
    for (let byte = 0; byte < BLOCK_ELEMENTS / 4; byte++) {
      for (let word = 0; word < 4; word++) {
        const e = slotElement(block, word, byte);
        if (e >= n) continue;
        const b0 = (level0[word]! >>> (8 * byte)) & 0xff;
        let keep: boolean;
        if (b0 !== top) keep = b0 > top;
        else {
          // Tie on the top byte: build the full uniform from the deeper levels.
          for (; computedLevels < LEVELS - 1; computedLevels++) {
            philox4x32([block, computedLevels + 1, stream[0], stream[1]], seed, deeper[computedLevels]);
          }
          let u = b0;
          for (let level = 1; level < LEVELS; level++) u = u * 256 + ((deeper[level - 1]![word]! >>> (8 * byte)) & 0xff);
          keep = u >= T;
        }
        if (keep) words[e >>> 5]! |= 1 << (e & 31);
      }
    }
  }
  return words;
}

/**
 * Whether bit e of a packed mask is set: bit (e & 31) of word (e >> 5), i.e. whether element e
 * was kept.
 * @example maskBit(keepMask({ seed: 1n, offset: 0n }, 0.5, 64), 3)
 */
export function maskBit(words: Uint32Array, e: number): boolean {
  return ((words[e >>> 5]! >>> (e & 31)) & 1) === 1;
}
