// The keep rule of the mask contract (README, "Mask contract") for one block of 24 elements.
// Prepended after philox.wgsl; CPU twin: blockKeepBits in src/rng/mask.ts. Bit j = 4k + c of a
// block's masks is its slot j: nibble k of output word c at level 0, the element
// 4 · lane + 256 · k + c of its tile.
//
// Level 0 (one Philox call) decides almost every element: its nibble against T's top nibble, and
// for the first four ties in slot order the words' top bytes (the tie bytes). bernoulli_ties and
// bernoulli_moved do that without loops or branches, for the hot kernel; bernoulli_finish settles
// the rest (ties of rank 4 and up, and deep ties) from the deeper levels, with loops: only the
// rare passes run it (dropout_ties, and Monte Carlo dropout).

fn bernoulli_pick(v: vec4<u32>, i: u32) -> u32 {
  return select(select(v.x, v.y, i == 1u), select(v.z, v.w, i == 3u), i >= 2u);
}

// The constants the rule compares with, derived from T on the host (ruleFor in
// src/kernels/dropout-params.ts), as every kernel's uniforms carry them.
struct Rule {
  ties: bool,       // T's low 28 bits are not 0: a nibble equal to T's top one ties
  tie_nibble: u32,  // T >> 28
  keep_byte: u32,   // a tie byte >= this keeps: T's bits 20–27, + 1 when deep ties exist
  deep_byte: u32,   // a tie byte equal to this goes deeper (T's bits 20–27); 0x100: never
  up: bool,         // settled ties move up to keep_from when kept (else down from it when dropped)
  keep_from: u32,   // after moving, a nibble >= keep_from keeps (16: nothing, for p = 1)
  deep_from: u32,   // a deep tie is kept iff the top 20 bits of its deep word are >= this (T's low 20 bits)
}

// The ties of a block (level-0 words r): all of them, those its four tie bytes keep, and those
// level 0 leaves undecided (ranks 4 and up, and deep ones; dropped for now).
struct Ties {
  tied: u32,
  kept: u32,
  undecided: u32,
}

fn bernoulli_ties(r: vec4<u32>, rule: Rule) -> Ties {
  // Nibbles equal to the tie nibble, found in the packed words: bit 3 of a nibble of `zero` is
  // set iff that nibble of z is 0 (exact: no carry crosses a nibble). Nibble k of word c → bit 4k + c.
  let z = r ^ vec4<u32>(rule.tie_nibble * 0x00111111u);
  let low3 = vec4<u32>(0x00777777u);
  let zero = ~(((z & low3) + low3) | z | low3) & vec4<u32>(0x00888888u);
  var rest = (zero.x >> 3u) | (zero.y >> 2u) | (zero.z >> 1u) | zero.w;
  let tied = rest;
  // The four lowest tied slots, one bit each, in slot order: ranks 0 to 3.
  let s0 = rest & (0u - rest);
  rest ^= s0;
  let s1 = rest & (0u - rest);
  rest ^= s1;
  let s2 = rest & (0u - rest);
  rest ^= s2;
  let s3 = rest & (0u - rest);
  rest ^= s3;
  let slots = vec4<u32>(s0, s1, s2, s3);
  let bytes = r >> vec4<u32>(24u);
  let won = select(vec4<u32>(0u), slots, bytes >= vec4<u32>(rule.keep_byte));
  let deep = select(vec4<u32>(0u), slots, bytes == vec4<u32>(rule.deep_byte));
  return Ties(tied, won.x | won.y | won.z | won.w, rest | deep.x | deep.y | deep.z | deep.w);
}

// Level-0 words with the settled ties moved across keep_from, so that one comparison per nibble
// (nibble >= keep_from) decides every element: kept ties up from the tie nibble (when it is below
// 15), or else dropped (and undecided) ties down from 15. No carry: 14 + 1 and 15 - 1 stay inside.
fn bernoulli_moved(r: vec4<u32>, rule: Rule, t: Ties) -> vec4<u32> {
  let moved = select(t.tied & ~t.kept, t.kept, rule.up);
  let delta = (vec4<u32>(moved) >> vec4<u32>(0u, 1u, 2u, 3u)) & vec4<u32>(0x00111111u);
  return select(r - delta, r + delta, rule.up);
}

// Bit j set iff slot j's nibble of r is >= least (least <= 16), by bytes: the even and the odd
// nibbles each sit in the low half of a byte lane, and (x | 16) - least has bit 4 set iff x >= least.
fn bernoulli_at_least(r: vec4<u32>, least: u32) -> u32 {
  let k = vec4<u32>(least * 0x00010101u);
  let lanes = vec4<u32>(0x00101010u);
  let even = (((r & vec4<u32>(0x000f0f0fu)) | lanes) - k) & lanes;         // nibble 2m → bit 8m + 4
  let odd = ((((r >> vec4<u32>(4u)) & vec4<u32>(0x000f0f0fu)) | lanes) - k) & lanes; // 2m + 1 → 8m + 4
  let b = ((even >> vec4<u32>(4u)) | odd) << vec4<u32>(0u, 1u, 2u, 3u);   // slot 4k + c
  return b.x | b.y | b.z | b.w;
}

// The kept slots level 0 decides (.x), and the ties it leaves undecided (.y, dropped in .x).
fn bernoulli_settle(r: vec4<u32>, rule: Rule) -> vec2<u32> {
  if (!rule.ties) { return vec2<u32>(bernoulli_at_least(r, rule.keep_from), 0u); }
  let t = bernoulli_ties(r, rule);
  return vec2<u32>(bernoulli_at_least(bernoulli_moved(r, rule, t), rule.keep_from), t.undecided);
}

// Which of the `undecided` slots of block `block` (level-0 words r) are kept, from the deeper
// levels (stream = the offset's words, key = the seed's): tie bytes of ranks 4–19 from level 1
// and 20–23 from level 2 (byte m of a level: byte m & 3 of word m >> 2), and for deep ties, deep
// rank d, the top 20 bits of word d & 3 of level 3 + d / 4 against T's low 20 bits (deep_from).
// Levels 1 to 3 are drawn up front, whether needed or not: SwiftShader runs the code of a branch
// (or a loop) no lane enters, so drawing them on demand inside the loops cost one Philox call per
// iteration. Only deep ranks 4 and up (levels 4 to 8) are drawn in a loop.
fn bernoulli_finish(block: u32, stream: vec2<u32>, key: vec2<u32>, rule: Rule, r: vec4<u32>, undecided: u32) -> u32 {
  let w1 = philox4x32_10(vec4<u32>(block, 1u, stream.x, stream.y), key);
  let w2 = philox4x32_10(vec4<u32>(block, 2u, stream.x, stream.y), key);
  let w3 = philox4x32_10(vec4<u32>(block, 3u, stream.x, stream.y), key);
  return bernoulli_finish_from(block, stream, key, rule, r, undecided, w1, w2, w3, false);
}

// bernoulli_finish given levels 1 and 2 (read only for ties of rank 4 and up, and 20 and up) and
// level 3, or with `lazy` the deep levels from 3 on drawn in the loop, only when a deep tie needs
// them (w3 unused).
fn bernoulli_finish_from(block: u32, stream: vec2<u32>, key: vec2<u32>, rule: Rule, r: vec4<u32>, undecided: u32,
                         w1: vec4<u32>, w2: vec4<u32>, w3: vec4<u32>, lazy: bool) -> u32 {
  var kept = 0u;
  var deep_slots = 0u;
  var rank = 0u;
  var rest = bernoulli_ties(r, rule).tied;
  while (rest != 0u) {
    let slot = rest & (0u - rest);
    rest ^= slot;
    let m1 = rank - 4u;
    let m2 = rank - 20u;
    let byte = select(select((bernoulli_pick(w1, (m1 >> 2u) & 3u) >> (8u * (m1 & 3u))) & 0xffu,
                             (w2.x >> (8u * (m2 & 3u))) & 0xffu, rank >= 20u),
                      bernoulli_pick(r, rank & 3u) >> 24u, rank < 4u);
    rank++;
    if (byte >= rule.keep_byte) { kept |= slot; }
    if (byte == rule.deep_byte) { deep_slots |= slot; }
  }
  var d = 0u;
  var level = w3;
  while (deep_slots != 0u) {
    let slot = deep_slots & (0u - deep_slots);
    deep_slots ^= slot;
    if ((d >= 4u || lazy) && (d & 3u) == 0u) { level = philox4x32_10(vec4<u32>(block, 3u + (d >> 2u), stream.x, stream.y), key); }
    if ((bernoulli_pick(level, d & 3u) >> 12u) >= rule.deep_from) { kept |= slot; }
    d++;
  }
  return kept & undecided;
}

// Every slot of a block settled: level 0, then the deeper levels only when it leaves a tie
// undecided (about 2% of blocks at p = 0.1, so on a GPU about half the warps of 32 enter the
// branch for one lane). The single-pass schedule's rule (dropout_single). Unlike on SwiftShader,
// a GPU skips a branch no lane takes, so only the levels the block needs are drawn: 1 with a
// tie of rank 4 or more, 2 with one of rank 20 or more, 3 on with a deep tie; mostly one Philox
// call, not three, for the warps that enter.
fn bernoulli_keep(block: u32, stream: vec2<u32>, key: vec2<u32>, rule: Rule, r: vec4<u32>) -> u32 {
  let settled = bernoulli_settle(r, rule);
  if (settled.y == 0u) { return settled.x; }
  let ties = countOneBits(bernoulli_ties(r, rule).tied);
  var w1 = vec4<u32>(0u);
  var w2 = vec4<u32>(0u);
  if (ties > 4u) { w1 = philox4x32_10(vec4<u32>(block, 1u, stream.x, stream.y), key); }
  if (ties > 20u) { w2 = philox4x32_10(vec4<u32>(block, 2u, stream.x, stream.y), key); }
  return settled.x | bernoulli_finish_from(block, stream, key, rule, r, settled.y, w1, w2, vec4<u32>(0u), true);
}
