// The element → Philox block mapping of the mask contract (docs/mask-contract.md).
// The WGSL kernels in shaders/dropout.wgsl walk the same mapping from the other side:
// each invocation owns one block and finds its 24 elements.

/** Philox blocks per tile: one workgroup's worth of 64 invocations. */
export const TILE_BLOCKS = 64;
/**
 * Elements decided by one Philox4x32-10 block at level 0: six nibbles of each of its four words
 * (bits 0–23), one per element of six vec4s; the words' top bytes are the block's four tie bytes.
 */
export const BLOCK_ELEMENTS = 24;
/** Elements per tile: 64 blocks of 24. Chunked bindings and dispatches split tensors at whole tiles. */
export const TILE_ELEMENTS = TILE_BLOCKS * BLOCK_ELEMENTS;
/**
 * The largest n of one draw, 2^36: block indices are a u32 counter word, so one draw could cover
 * 2^32 blocks of 24 elements; the kernels' 64-bit index arithmetic is validated to 2^36. Larger n is
 * a {@link DropoutArgumentError}.
 */
export const MAX_ELEMENTS_PER_DRAW = 2 ** 36;

/**
 * Where element e's level-0 bits live (docs/mask-contract.md, step 2): nibble `nibble` of word
 * `word` of Philox block `block`; `slot` = 4 · nibble + word orders the block's elements.
 * @example elementSlot(1541) // { block: 65, word: 1, nibble: 0, slot: 1 }
 */
export interface ElementSlot {
  /** Philox block index: counter word 0. */
  block: number;
  /** Which output word (0..3) of the block. */
  word: number;
  /** Which nibble of that word, counted from the least significant (0..5). */
  nibble: number;
  /** The element's place among the block's 24, 4 · nibble + word: ties are ranked in this order. */
  slot: number;
}

/**
 * Where element e's nibble lives (docs/mask-contract.md, step 2).
 * @param e - element index, a non-negative integer (not validated)
 * @example elementSlot(0) // { block: 0, word: 0, nibble: 0, slot: 0 }
 */
export function elementSlot(e: number): ElementSlot {
  const tile = Math.floor(e / TILE_ELEMENTS);
  const within = e % TILE_ELEMENTS;
  const vec = within >>> 2;
  const word = within & 3;
  const nibble = Math.floor(vec / TILE_BLOCKS);
  return { block: tile * TILE_BLOCKS + (vec % TILE_BLOCKS), word, nibble, slot: 4 * nibble + word };
}

/**
 * Inverse of {@link elementSlot}: the element at `slot` (4 · nibble + word, 0..23) of `block`.
 * @param block - Philox block index, a non-negative integer
 * @param slot - 0 to 23 (not validated)
 * @example slotElement(65, 1) // 1541
 */
export function slotElement(block: number, slot: number): number {
  const tile = Math.floor(block / TILE_BLOCKS);
  const lane = block % TILE_BLOCKS;
  return tile * TILE_ELEMENTS + 4 * (lane + TILE_BLOCKS * (slot >>> 2)) + (slot & 3);
}

/** Blocks a draw of n elements touches (whole tiles). */
export function blocksFor(n: number): number {
  return Math.ceil(n / TILE_ELEMENTS) * TILE_BLOCKS;
}
