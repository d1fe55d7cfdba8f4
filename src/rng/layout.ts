// The element → Philox block mapping of the mask contract (README, "Mask contract").
// The WGSL kernels in shaders/dropout.wgsl walk the same mapping from the other side:
// each invocation owns one block and finds its 16 elements.

/** Elements per tile: 64 blocks of 16. Chunked bindings and dispatches split tensors at whole tiles. */
export const TILE_ELEMENTS = 1024;
/** Philox blocks per tile. */
export const TILE_BLOCKS = 64;
/** Elements decided by one Philox4x32-10 block (one byte of each of its four words, per vec4). */
export const BLOCK_ELEMENTS = 16;
/**
 * The largest n of one draw, 2^36: block indices are a u32 counter word, so one draw covers at
 * most 2^32 blocks of 16 elements. Larger n is a {@link DropoutArgumentError}.
 */
export const MAX_ELEMENTS_PER_DRAW = 2 ** 36;

/**
 * Where element e's random bits live (README, "Mask contract", step 2): byte `byte` of word
 * `word` of Philox block `block`, at every level.
 * @example elementSlot(1029) // { block: 65, word: 1, byte: 0 }
 */
export interface ElementSlot {
  /** Philox block index: counter word 0. */
  block: number;
  /** Which output word (0..3) of the block. */
  word: number;
  /** Which byte of that word, counted from the least significant (0..3). */
  byte: number;
}

/**
 * Where element e's bytes live (README, "Mask contract", step 2).
 * @param e - element index, a non-negative integer (not validated)
 * @example elementSlot(0) // { block: 0, word: 0, byte: 0 }
 */
export function elementSlot(e: number): ElementSlot {
  const tile = Math.floor(e / TILE_ELEMENTS);
  const within = e % TILE_ELEMENTS;
  const vec = within >>> 2;
  return { block: tile * TILE_BLOCKS + (vec % 64), word: within & 3, byte: vec >>> 6 };
}

/**
 * Inverse of {@link elementSlot}: the element decided by byte `byte` of word `word` of `block`.
 * @param block - Philox block index, a non-negative integer
 * @param word - 0 to 3
 * @param byte - 0 to 3 (not validated)
 * @example slotElement(65, 1, 0) // 1029
 */
export function slotElement(block: number, word: number, byte: number): number {
  const tile = Math.floor(block / TILE_BLOCKS);
  const lane = block % TILE_BLOCKS;
  return tile * TILE_ELEMENTS + 4 * (lane + 64 * byte) + word;
}

/** Blocks a draw of n elements touches (whole tiles). */
export function blocksFor(n: number): number {
  return Math.ceil(n / TILE_ELEMENTS) * TILE_BLOCKS;
}
