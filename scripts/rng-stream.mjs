#!/usr/bin/env node
// Streams the generator's output to stdout as raw little-endian 32-bit words, the format
// `dieharder -g 200` (stdin_input_raw) reads. Development tool, not part of the build or CI:
//
//   node scripts/rng-stream.mjs | dieharder -g 200 -a
//   node scripts/rng-stream.mjs --mode words --seed 0x1234 | dieharder -g 200 -d 0
//
// --mode uniforms (default): the 32-bit uniform u_e that decides element e (README, "Mask
//   contract", step 4), for e = 0, 1, 2, … of the draw (seed, offset): byte L of u_e (from the
//   top) is byte k of word c of Philox4x32-10(counter = (b, L, offset lo, offset hi)), with
//   b, c, k from e's tile layout. These are exactly the numbers the keep decisions compare with
//   round(p · 2^32). After the draw's last element (2^36) it continues with offset + 1.
// --mode words: the raw Philox4x32-10 words in the order the contract addresses them: block
//   b = 0, 1, …, for each block the levels L = 0…3, for each level the four words.
// --seed S, --offset O: 64-bit, decimal or 0x hex (default seed 0x5eed, offset 0).
// --limit BYTES: stop after this many bytes (default: never; dieharder closes the pipe).
// --check N: instead of streaming, compare the first N uniforms with the library's CPU reference
//   (dist/cpu.js elementUniform; run `npm run build` first) and exit 0 if all agree.
//
// Self-contained (no library import while streaming) and allocation-free in the loop: about
// 50-100 MB/s on one core.

import { Buffer } from 'node:buffer';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const mode = option('mode', 'uniforms');
const seed = BigInt(option('seed', '0x5eed'));
let offset = BigInt(option('offset', '0'));
const limit = option('limit', null) === null ? Infinity : Number(option('limit'));
const checkCount = option('check', null) === null ? 0 : Number(option('check'));
if (mode !== 'uniforms' && mode !== 'words') {
  console.error(`--mode must be uniforms or words, not ${mode}`);
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
const TILE = 1024;
const BLOCKS_PER_DRAW = 2 ** 32; // 2^36 elements / 16
const levels = [new Uint32Array(4), new Uint32Array(4), new Uint32Array(4), new Uint32Array(4)];
const tileWords = new Uint32Array(TILE); // one tile of uniforms, or 64 blocks × 16 raw words

/** Fills tileWords with tile `tile` of the draw at `offset` (1024 words either mode). */
function fillTile(tile) {
  const o0 = Number(offset & 0xffffffffn);
  const o1 = Number(offset >> 32n);
  for (let lane = 0; lane < 64; lane++) {
    const block = tile * 64 + lane;
    for (let level = 0; level < 4; level++) {
      philox(block >>> 0, level, o0, o1, k0, k1);
      levels[level].set(out);
    }
    if (mode === 'words') {
      for (let level = 0; level < 4; level++) tileWords.set(levels[level], lane * 16 + level * 4);
      continue;
    }
    for (let k = 0; k < 4; k++) {
      const shift = 8 * k;
      for (let c = 0; c < 4; c++) {
        const u = (((levels[0][c] >>> shift) & 0xff) << 24) | (((levels[1][c] >>> shift) & 0xff) << 16)
          | (((levels[2][c] >>> shift) & 0xff) << 8) | ((levels[3][c] >>> shift) & 0xff);
        tileWords[4 * (lane + 64 * k) + c] = u >>> 0;
      }
    }
  }
}

if (checkCount > 0) {
  const { elementUniform } = await import('../dist/cpu.js');
  let bad = 0;
  for (let tile = 0; tile * TILE < checkCount; tile++) {
    fillTile(tile);
    for (let w = 0; w < TILE && tile * TILE + w < checkCount; w++) {
      const e = tile * TILE + w;
      if (tileWords[w] !== elementUniform({ seed, offset }, e)) bad++;
    }
  }
  console.log(bad === 0 ? `ok: the first ${checkCount} uniforms equal elementUniform` : `${bad} of ${checkCount} uniforms differ`);
  process.exit(bad === 0 ? 0 : 1);
}

// Stream: tiles of the draw in order, several tiles per write, respecting backpressure.
const TILES_PER_CHUNK = 64;
const chunk = new Uint32Array(TILE * TILES_PER_CHUNK);
let written = 0;
let tile = 0;
process.stdout.on('error', (error) => process.exit(error.code === 'EPIPE' ? 0 : 1));
function pump() {
  while (written < limit) {
    for (let i = 0; i < TILES_PER_CHUNK; i++) {
      fillTile(tile);
      chunk.set(tileWords, i * TILE);
      tile++;
      if (tile * 64 >= BLOCKS_PER_DRAW) {
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
