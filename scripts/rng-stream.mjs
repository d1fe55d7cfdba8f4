#!/usr/bin/env node
// Streams the generator's output to stdout as raw little-endian 32-bit words, the format
// `dieharder -g 200` (stdin_input_raw) reads. Development tool, not part of the build or CI:
//
//   node scripts/rng-stream.mjs | dieharder -g 200 -a
//   node scripts/rng-stream.mjs --mode words --seed 0x1234 | dieharder -g 200 -d 0
//
// --mode mask (default): the packed keep mask of the draw (seed, offset) at p = 1/2, in element
//   order (bit e & 31 of word e >> 5), the bits the kernels write: at p = 1/2 element e is kept
//   iff its level-0 nibble (docs/mask-contract.md) is >= 8, so every bit should be a fair coin,
//   independent of the others. After the draw's last element (2^36) it continues with offset + 1.
// --mode words: the raw level-0 Philox4x32-10 words behind the nibbles and tie bytes, block
//   b = 0, 1, … of the draw, four words each.
// --seed S, --offset O: 64-bit, decimal or 0x hex (default seed 0x5eed, offset 0).
// --limit BYTES: stop after this many bytes (default: never; dieharder closes the pipe).
// --check N: instead of streaming, compare the first N mask bits with the library's CPU reference
//   (dist/cpu.js keepMask at p = 0.5; run `npm run build` first) and exit 0 if all agree.
//
// Self-contained (no library import while streaming) and allocation-free in the loop.

import { Buffer } from 'node:buffer';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const mode = option('mode', 'mask');
const seed = BigInt(option('seed', '0x5eed'));
let offset = BigInt(option('offset', '0'));
const limit = option('limit', null) === null ? Infinity : Number(option('limit'));
const checkCount = option('check', null) === null ? 0 : Number(option('check'));
if (mode !== 'mask' && mode !== 'words') {
  console.error(`--mode must be mask or words, not ${mode}`);
  process.exit(2);
}
if (seed < 0n || seed >= 2n ** 64n || offset < 0n || offset >= 2n ** 64n) {
  console.error('--seed and --offset must be integers in [0, 2^64)');
  process.exit(2);
}

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const out = new Uint32Array(4);

/** High 32 bits of a · b for u32 a, b (the float64 partial products are exact below 2^53). */
function mulhi(a, b) {
  const low = a * (b & 0xffff);
  const high = a * (b >>> 16);
  return (Math.floor(high / 0x10000) + Math.floor(((high % 0x10000) * 0x10000 + low) / 0x100000000)) >>> 0;
}

/** Philox4x32-10 of counter (c0, c1, c2, c3) and key (k0, k1) into `out`. */
function philox(c0, c1, c2, c3, k0, k1) {
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

const k0 = Number(seed & 0xffffffffn);
const k1 = Number(seed >> 32n);
const TILE = 1536; // elements of a tile: 64 blocks of 24
const TILES_PER_DRAW = Math.ceil(2 ** 36 / TILE);
const TILE_WORDS = mode === 'words' ? 64 * 4 : TILE / 32; // raw words, or mask words, per tile
const tileWords = new Uint32Array(TILE_WORDS);

/** Fills tileWords with tile `tile` of the draw at `offset`. */
function fillTile(tile) {
  const o0 = Number(offset & 0xffffffffn);
  const o1 = Number(offset >> 32n);
  if (mode === 'mask') tileWords.fill(0);
  for (let lane = 0; lane < 64; lane++) {
    philox((tile * 64 + lane) >>> 0, 0, o0, o1, k0, k1);
    if (mode === 'words') {
      tileWords.set(out, lane * 4);
      continue;
    }
    // Slot 4k + c of the block is element 4 · (lane + 64k) + c of the tile; kept iff its nibble >= 8.
    for (let k = 0; k < 6; k++) {
      for (let c = 0; c < 4; c++) {
        if ((out[c] >>> (4 * k + 3)) & 1) {
          const e = 4 * (lane + 64 * k) + c;
          tileWords[e >>> 5] |= 1 << (e & 31);
        }
      }
    }
  }
}

if (checkCount > 0) {
  const { keepMask } = await import('../dist/cpu.js');
  const reference = keepMask({ seed, offset }, 0.5, checkCount);
  let bad = 0;
  for (let tile = 0; tile * TILE < checkCount; tile++) {
    fillTile(tile);
    for (let w = 0; w < TILE_WORDS && tile * TILE + 32 * w < checkCount; w++) {
      const e = tile * TILE + 32 * w;
      const valid = Math.min(32, checkCount - e);
      const keep = valid === 32 ? 0xffffffff : (1 << valid) - 1;
      if (((tileWords[w] ^ reference[e >>> 5]) & keep) >>> 0 !== 0) bad++;
    }
  }
  console.log(bad === 0 ? `ok: the first ${checkCount} mask bits equal keepMask at p = 0.5` : `${bad} mask words differ`);
  process.exit(bad === 0 ? 0 : 1);
}

// Stream: tiles of the draw in order, several tiles per write, respecting backpressure.
const TILES_PER_CHUNK = 64;
const chunk = new Uint32Array(TILE_WORDS * TILES_PER_CHUNK);
let written = 0;
let tile = 0;
process.stdout.on('error', (error) => process.exit(error.code === 'EPIPE' ? 0 : 1));
function pump() {
  while (written < limit) {
    for (let i = 0; i < TILES_PER_CHUNK; i++) {
      fillTile(tile);
      chunk.set(tileWords, i * TILE_WORDS);
      tile++;
      if (tile >= TILES_PER_DRAW) {
        tile = 0;
        offset = (offset + 1n) & 0xffffffffffffffffn;
      }
    }
    const bytes = Buffer.from(chunk.buffer, 0, Math.min(chunk.byteLength, limit - written));
    written += bytes.length;
    if (!process.stdout.write(Buffer.from(bytes))) {
      process.stdout.once('drain', pump);
      return;
    }
  }
}
pump();
