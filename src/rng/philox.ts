// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC'11).
// CPU twin of shaders/philox.wgsl. Written independently on purpose: the WGSL splits both factors
// into 16-bit halves, this one splits one factor and lets float64 carry the exact 48-bit partials,
// so a shared mistake is unlikely. Both are pinned by the Random123 known-answer vectors.

export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;
export const PHILOX_ROUNDS = 10;

const TWO16 = 0x10000;
const TWO32 = 0x100000000;

/** High 32 bits of the 64-bit product of two u32 values. */
export function mulhi32(a: number, b: number): number {
  const lowPart = a * (b & 0xffff); // < 2^48, exact in float64
  const highPart = a * (b >>> 16); // < 2^48, exact
  const highLow = highPart % TWO16;
  return (Math.floor(highPart / TWO16) + Math.floor((highLow * TWO16 + lowPart) / TWO32)) >>> 0;
}

/**
 * One Philox4x32-10 block: 4 u32 counter words and 2 u32 key words in, 4 u32 words out.
 * @example philox4x32([0, 0, 0, 0], [0, 0]) // → [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 */
export function philox4x32(counter: ArrayLike<number>, key: ArrayLike<number>, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  let c0 = counter[0]! >>> 0;
  let c1 = counter[1]! >>> 0;
  let c2 = counter[2]! >>> 0;
  let c3 = counter[3]! >>> 0;
  let k0 = key[0]! >>> 0;
  let k1 = key[1]! >>> 0;
  for (let round = 0; round < PHILOX_ROUNDS; round++) {
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/**
 * The uniform part of Philox4x32-10 for counters (c0, c1, c2, c3) under key k when only c0 varies,
 * for `philox4x32_10_varying_c0` in shaders/philox.wgsl: [c3 ^ k1, lo(M1·c2) ^ (k0 + W0),
 * hi(M0·u) ^ (k1 + W1), lo(M0·u)] with u = hi(M1·c2) ^ c1 ^ k0.
 */
export function philoxUniformPart(c2: number, c3: number, key: ArrayLike<number>, c1 = 0): [number, number, number, number] {
  const k0 = key[0]! >>> 0;
  const k1 = key[1]! >>> 0;
  const u = (mulhi32(PHILOX_M1, c2) ^ c1 ^ k0) >>> 0;
  return [
    (c3 ^ k1) >>> 0,
    (Math.imul(PHILOX_M1, c2) ^ ((k0 + PHILOX_W0) >>> 0)) >>> 0,
    (mulhi32(PHILOX_M0, u) ^ ((k1 + PHILOX_W1) >>> 0)) >>> 0,
    Math.imul(PHILOX_M0, u) >>> 0,
  ];
}
