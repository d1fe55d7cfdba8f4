// The keep rule of the mask contract for one Philox block, in scalar form: used by the rare paths
// (dropout.wgsl's tie pass, mc.wgsl), never by the hot kernel. Prepended after philox.wgsl.
// Bit j = 4 * k + c of a mask stands for component c of the block's vec4 k, i.e. the byte k of
// output word c (README, "Mask contract").

fn bernoulli_pick(v: vec4<u32>, i: u32) -> u32 {
  return select(select(v.x, v.y, i == 1u), select(v.z, v.w, i == 3u), i >= 2u);
}

// Level-0 decisions of a block from its Philox words: .x the elements kept outright (top byte
// >= keep_from), .y those whose top byte ties with the threshold's (tie_byte; 0x100 for none).
fn bernoulli_level0(r: vec4<u32>, keep_from: u32, tie_byte: u32) -> vec2<u32> {
  var kept = 0u;
  var tied = 0u;
  for (var j = 0u; j < 16u; j++) {
    let b = (bernoulli_pick(r, j & 3u) >> (8u * (j >> 2u))) & 0xffu;
    if (b >= keep_from) { kept |= 1u << j; }
    if (b == tie_byte) { tied |= 1u << j; }
  }
  return vec2<u32>(kept, tied);
}

// Which of the `tied` elements are kept: their lower bytes come from levels 1, 2, 3 of the same
// block (counter (block, level, stream.x, stream.y)) and are compared with T's, first difference
// deciding; all four bytes equal to T's means u == T, kept.
fn bernoulli_resolve(block: u32, stream: vec2<u32>, key: vec2<u32>, threshold: u32, tied: u32) -> u32 {
  var pending = tied;
  var kept = 0u;
  for (var level = 1u; level < 4u && pending != 0u; level++) {
    let r = philox4x32_10(vec4<u32>(block, level, stream.x, stream.y), key);
    let t = (threshold >> (24u - 8u * level)) & 0xffu;
    var todo = pending;
    while (todo != 0u) {
      let j = firstTrailingBit(todo);
      todo &= todo - 1u;
      let b = (bernoulli_pick(r, j & 3u) >> (8u * (j >> 2u))) & 0xffu;
      if (b != t) {
        pending &= ~(1u << j);
        if (b > t) { kept |= 1u << j; }
      }
    }
  }
  return kept | pending;
}
