// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, SC'11). CPU twin: src/rng/philox.ts; both are
// pinned by the Random123 known-answer vectors in test/philox.test.ts.
//
// WGSL has no 32x32 -> 64-bit multiply, so the high word is rebuilt from 16-bit halves. The
// multipliers are constants, so their halves are literals and only `a` is split at run time.

fn philox_mulhi(a: u32, m_lo: u32, m_hi: u32) -> u32 {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  // Each partial sum stays below 2^32: (2^16 - 1)^2 + 2^16 - 1 < 2^32.
  let mid = a_hi * m_lo + ((a_lo * m_lo) >> 16u);
  let mid2 = a_lo * m_hi + (mid & 0xffffu);
  return a_hi * m_hi + (mid >> 16u) + (mid2 >> 16u);
}

fn philox_round(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
  return vec4<u32>(
    philox_mulhi(c.z, 0x8D57u, 0xCD9Eu) ^ c.y ^ k.x,
    c.z * 0xCD9E8D57u,
    philox_mulhi(c.x, 0x1F53u, 0xD251u) ^ c.w ^ k.y,
    c.x * 0xD2511F53u);
}

// Rounds 3 to 10 (keys k + 2w … k + 9w), shared by the full and the hoisted form.
fn philox_rounds_3_to_10(c_in: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let w = vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  var c = philox_round(c_in, key + 2u * w);
  c = philox_round(c, key + 3u * w);
  c = philox_round(c, key + 4u * w);
  c = philox_round(c, key + 5u * w);
  c = philox_round(c, key + 6u * w);
  c = philox_round(c, key + 7u * w);
  c = philox_round(c, key + 8u * w);
  return philox_round(c, key + 9u * w);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  // Unrolled by hand: SwiftShader does not unroll loops, and the looped form measured ~1.4x slower.
  let c = philox_round(philox_round(counter, key), key + vec2<u32>(0x9E3779B9u, 0xBB67AE85u));
  return philox_rounds_3_to_10(c, key);
}

// Philox4x32-10 of counter (c0, c1, c2, c3) and key k when everything but c0 is the same for every
// invocation (a draw's level 0, a Gaussian draw): rounds 1 and 2 each have a product of uniform
// words, computed once on the host (philoxUniformPart in src/rng/philox.ts) and passed as
//   pre.x = c3 ^ k.y
//   pre.y = lo(M1 * c2) ^ (k.x + W0)
//   pre.z = hi(M0 * u) ^ (k.y + W1)   with u = hi(M1 * c2) ^ c1 ^ k.x
//   pre.w = lo(M0 * u)
// Saves 2 of 20 multiply-highs; measured 13% faster on SwiftShader.
fn philox4x32_10_varying_c0(c0: u32, pre: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let z = philox_mulhi(c0, 0x1F53u, 0xD251u) ^ pre.x; // word 2 after round 1
  let c = vec4<u32>(philox_mulhi(z, 0x8D57u, 0xCD9Eu) ^ pre.y, z * 0xCD9E8D57u, (c0 * 0xD2511F53u) ^ pre.z, pre.w);
  return philox_rounds_3_to_10(c, key);
}
