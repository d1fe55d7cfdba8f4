// The public mask building block (DROPOUT_MASK_WGSL in src/kernels/wgsl-mask.ts): appended after
// philox.wgsl and bernoulli.wgsl with every one of their names prefixed wd_, so that a caller's
// shader can decide, bit for bit as dropout() and keepMask do, which elements of a draw
// (seed, offset, p) are kept. Every name here starts with wd_ too.

// The draw, as maskUniforms(seed, offset, p) fills it (12 u32 words, 48 bytes; align 16).
struct wd_Mask {
  draw: vec4<u32>,     // seed lo, seed hi, offset lo, offset hi
  keep_from: u32,      // the keep rule's constants (ruleFor in src/kernels/dropout-params.ts)
  tie_nibble: u32,
  tie_keep_byte: u32,
  tie_deep_byte: u32,
  tie_up: u32,
  deep_from: u32,
  ties: u32,
  scale: f32,          // f32(1 / (1 - p)), 0 when p = 1: the inverted-dropout scale of kept values
}

fn wd_rule_of(m: wd_Mask) -> wd_Rule {
  return wd_Rule(m.ties != 0u, m.tie_nibble, m.tie_keep_byte, m.tie_deep_byte, m.tie_up != 0u, m.keep_from, m.deep_from);
}

// The keep bits of Philox block `block`: bit `slot` (0..23) set iff the element at that slot
// (wd_slot_element) is kept; final decisions, every tie level settled here.
fn wd_block_keep(m: wd_Mask, block: u32) -> u32 {
  let key = m.draw.xy;
  let stream = m.draw.zw;
  let r = wd_philox4x32_10(vec4<u32>(block, 0u, stream.x, stream.y), key);
  return wd_bernoulli_keep(block, stream, key, wd_rule_of(m), r);
}

// Whether slot `slot` of a block's keep bits is set.
fn wd_slot_kept(bits: u32, slot: u32) -> bool {
  return ((bits >> slot) & 1u) != 0u;
}

// Element e (64-bit: lo, hi; e < 2^36) → (block, slot): a tile is 1536 elements and 64 blocks;
// block `lane` of a tile holds elements 4 · lane + 256 · k + c (k = 0..5, c = 0..3) at slot 4k + c.
fn wd_element_place(e: vec2<u32>) -> vec2<u32> {
  let q = (e.y << 23u) | (e.x >> 9u); // e / 512
  let tile = q / 3u;
  let within = (q - tile * 3u) * 512u + (e.x & 511u);
  let v = within >> 2u;
  return vec2<u32>(tile * 64u + (v & 63u), 4u * (v >> 6u) + (within & 3u));
}

fn wd_element_block(e: vec2<u32>) -> u32 {
  return wd_element_place(e).x;
}

fn wd_element_slot(e: vec2<u32>) -> u32 {
  return wd_element_place(e).y;
}

// The element (lo, hi) at slot `slot` (0..23) of block `block`: the inverse of wd_element_place.
fn wd_slot_element(block: u32, slot: u32) -> vec2<u32> {
  let t3 = (block >> 6u) * 3u; // tile · 3 (tile · 1536 = t3 · 512)
  let within = 4u * ((block & 63u) + 64u * (slot >> 2u)) + (slot & 3u);
  let lo = t3 << 9u;
  let sum = lo + within;
  return vec2<u32>(sum, (t3 >> 23u) + select(0u, 1u, sum < lo));
}

// Whether element e (lo, hi) is kept: computes its whole block, so 24 times the work per element
// of wd_block_keep; organize work by blocks where you can.
fn wd_keep(m: wd_Mask, e: vec2<u32>) -> bool {
  let place = wd_element_place(e);
  return wd_slot_kept(wd_block_keep(m, place.x), place.y);
}

// Whether elements e, e + 1, e + 2 and e + 3 are kept: four adjacent elements lie in at most two
// blocks, so this costs one or two block computations, not four.
fn wd_keep4(m: wd_Mask, e: vec2<u32>) -> vec4<bool> {
  let a = wd_element_place(e).x;
  let b = wd_element_place(wd_element_add(e, 3u)).x;
  let bits_a = wd_block_keep(m, a);
  var bits_b = bits_a;
  if (b != a) { bits_b = wd_block_keep(m, b); }
  var keep = vec4<bool>(false);
  for (var j = 0u; j < 4u; j++) {
    let place = wd_element_place(wd_element_add(e, j));
    keep[j] = wd_slot_kept(select(bits_a, bits_b, place.x != a), place.y);
  }
  return keep;
}

// The draw's inverted-dropout scale.
fn wd_scale(m: wd_Mask) -> f32 {
  return m.scale;
}

// The element index (lo, hi) of (row, col) in a row-major matrix of `cols` columns:
// row · cols + col, in 64 bits (a mask over a matrix counts its elements this way).
fn wd_element_at(row: u32, cols: u32, col: u32) -> vec2<u32> {
  let lo = row * cols;
  let sum = lo + col;
  return vec2<u32>(sum, wd_philox_mulhi(row, cols & 0xffffu, cols >> 16u) + select(0u, 1u, sum < lo));
}

// e + k for a 64-bit element index e (lo, hi).
fn wd_element_add(e: vec2<u32>, k: u32) -> vec2<u32> {
  let sum = e.x + k;
  return vec2<u32>(sum, e.y + select(0u, 1u, sum < k));
}
