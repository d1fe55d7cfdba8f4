// DropBlock (Ghiasi et al. 2018) with torchvision's drop_block2d/3d semantics, for (N, C, H, W)
// and (N, C, D, H, W) maps (2-D is D = 1 with a block depth of 1). After the seeds, the block mask
// is a dilation of the seed map, done separably on packed bits (32 elements per invocation):
//   seeds      a Bernoulli(gamma) draw over (N·C, D - bd + 1, H - bs + 1, W - bs + 1) by
//              dropout.wgsl (mask-only): a seed is an element that draw did NOT keep
//   rows       R(nc, i, j, w) = some seed (nc, i, j, k) with k in [w - bs + 1, w]: each seed row
//              widened to W elements, in rows padded to whole words (`row_words` per row)
//   cols       element (nc, d, h, w) is dropped iff R(nc, i, j, w) for some i in [d - bd + 1, d],
//              j in [h - bs + 1, h] (a seed drops the block whose corner it is — torchvision's
//              padded max-pool): an OR of whole words of R. When W is a multiple of 32 the padded
//              rows are the packed mask itself, so this writes the keep mask; otherwise it
//              writes padded rows and
//   pack       moves them into the packed mask (bit e & 31 of word e >> 5)
//              (cols counts the kept elements either way)
//   finish     scale = (1 / (eps + kept)) * numel, in f32, next to the count
//   apply      y = keep ? x * scale : 0: dropout.wgsl's masked apply, with its scale read from
//              the count buffer (DYN_SCALE)
// Counts are integer atomics: the same total every run. CPU twin: src/cpu/dropblock.ts.

override WORKGROUP_SIZE: u32 = 256u;

// Field order is mirrored by DROPBLOCK_FIELDS in src/kernels/dropblock.ts (a test compares them).
struct Params {
  n: u32,            // elements of the whole map
  depth: u32,        // D (1 for 2-D)
  height: u32,
  width: u32,
  block_depth: u32,  // bd (1 for 2-D)
  block_size: u32,   // bs, odd
  numel: f32,        // N·C·D·H·W, for the scale
  eps: f32,
  mask_shift: u32,
  groups: u32,       // workgroups that do work
  words: u32,        // words this pass writes (mask passes)
  row_words: u32,    // ceil(W / 32): words of a padded row
  planes: u32,       // N·C
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read> bits_in: array<u32>;     // the previous step's bits (count: the block mask)
@group(0) @binding(4) var<storage, read_write> bits_out: array<u32>;
// [0] the kept count, [1] the scale's f32 bits (written by dropblock_finish).
@group(0) @binding(5) var<storage, read_write> kept: array<atomic<u32>, 4>;

// 32 bits of bits_in from bit `start` on (bits past the array's end read as 0 from the +1 word
// the host allocates).
fn window(start: u32) -> u32 {
  let word = start >> 5u;
  let shift = start & 31u;
  let low = bits_in[word] >> shift;
  return select(low, low | (bits_in[word + 1u] << (32u - shift)), shift != 0u);
}

// Seeds k in [first, first + 32) ∩ [0, sw) of the seed row starting at bit `row`, as bits
// k - first. Seeds are the draw's dropped elements: zero bits.
fn seeds_at(row: u32, first: i32, sw: u32) -> u32 {
  let lo = max(first, 0);
  let hi = min(first + 32, i32(sw));
  if (lo >= hi) { return 0u; }
  let count = u32(hi - lo);
  let valid = select((1u << count) - 1u, 0xffffffffu, count == 32u);
  return ((~window(row + u32(lo))) & valid) << u32(lo - first);
}

// (lo, hi) << s for s in [0, 31].
fn shl64(v: vec2<u32>, s: u32) -> vec2<u32> {
  let carry = select(v.x >> (32u - s), 0u, s == 0u);
  return vec2<u32>(v.x << s, (v.y << s) | carry);
}

// One step of dilating a 64-bit value by `size`: `p` is the value dilated by `len`, `acc` by
// `done` (the bits of size below `len`); the step adds `p` to `acc` if size has bit `len`, then
// doubles `p`.
struct Dilation { p: vec2<u32>, acc: vec2<u32>, done: u32 }
fn dilate(d: Dilation, len: u32, size: u32) -> Dilation {
  let take = (size & len) != 0u;
  return Dilation(d.p | shl64(d.p, len), select(d.acc, d.acc | shl64(d.p, d.done), take), d.done + select(0u, len, take));
}

// Word q of seed row `row` (starting at bit `row`, `sw` seeds long) dilated by `size` in [1, 32]:
// bit b is set iff some seed k in [32q + b - size + 1, 32q + b]. The seeds 32q - 32 … 32q + 31 as
// a 64-bit value (lo, hi); the result is the high half of its dilation (the OR of it shifted by
// 0 … size - 1), built from shifts by 1, 2, 4, 8, 16, unrolled (loop iterations are costly on
// SwiftShader); size 32 adds the shift by 31 to the dilation by 31.
fn dilated_word(row: u32, q: i32, sw: u32, size: u32) -> u32 {
  let v = vec2<u32>(seeds_at(row, 32 * q - 32, sw), seeds_at(row, 32 * q, sw));
  let s = min(size, 31u);
  var d = Dilation(v, vec2<u32>(0u, 0u), 0u);
  d = dilate(d, 1u, s);
  d = dilate(d, 2u, s);
  d = dilate(d, 4u, s);
  d = dilate(d, 8u, s);
  d = dilate(d, 16u, s);
  return select(d.acc.y, d.acc.y | shl64(v, 31u).y, size == 32u);
}

// Adds a word's kept bits to the total. One global atomic per word: a workgroup sum behind a
// barrier measured ~2 copies slower on SwiftShader, whose barriers are expensive.
fn count_kept(bits: u32) {
  atomicAdd(&kept[0], countOneBits(bits));
}

// R word q of seed row r = (nc · sd + i) · sh + j: element w = 32q + b is bit b. A seed at k
// covers w in [k, k + bs - 1], so R is the OR of the seed row shifted by 0 … bs - 1. Blocks wider
// than 32 split into whole words: with bs = 32m + r (r in [1, 32]), R[q] is the OR of the row
// dilated by 32 at words q, q - 1, …, q - m + 1 and dilated by r at word q - m.
@compute @workgroup_size(WORKGROUP_SIZE)
fn dropblock_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
  let word = group * WORKGROUP_SIZE + li;
  if (group >= params.groups || word >= params.words) { return; }
  let sw = params.width - params.block_size + 1u;
  let r = word / params.row_words;
  let q = word - r * params.row_words;
  let m = (params.block_size - 1u) / 32u;
  var bits = dilated_word(r * sw, i32(q) - i32(m), sw, params.block_size - 32u * m);
  for (var i = 0u; i < m; i++) {
    bits |= dilated_word(r * sw, i32(q) - i32(i), sw, 32u);
  }
  bits_out[word] = bits;
}

// Word q of map row (nc, d, h): the OR of R over the seed rows whose blocks reach the row.
@compute @workgroup_size(WORKGROUP_SIZE)
fn dropblock_cols(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
  let word = group * WORKGROUP_SIZE + li;
  if (group < params.groups && word < params.words) {
    let sd = params.depth - params.block_depth + 1u;
    let sh = params.height - params.block_size + 1u;
    let row = word / params.row_words;
    let q = word - row * params.row_words;
    let h = row % params.height;
    let plane_d = row / params.height;
    let d = plane_d % params.depth;
    let nc = plane_d / params.depth;
    let i0 = select(0u, d + 1u - params.block_depth, d + 1u >= params.block_depth);
    let j0 = select(0u, h + 1u - params.block_size, h + 1u >= params.block_size);
    let j1 = min(h, sh - 1u);
    var dropped = 0u;
    for (var i = i0; i <= min(d, sd - 1u); i++) {
      // Eight rows per iteration, the ones past j1 masked off: SwiftShader's loop iterations cost
      // far more than the loads.
      for (var j = j0; j <= j1; j += 8u) {
        let at = ((nc * sd + i) * sh + j) * params.row_words + q;
        let rw = params.row_words;
        dropped |= bits_in[at]
          | select(0u, bits_in[at + rw], j + 1u <= j1) | select(0u, bits_in[at + 2u * rw], j + 2u <= j1)
          | select(0u, bits_in[at + 3u * rw], j + 3u <= j1) | select(0u, bits_in[at + 4u * rw], j + 4u <= j1)
          | select(0u, bits_in[at + 5u * rw], j + 5u <= j1) | select(0u, bits_in[at + 6u * rw], j + 6u <= j1)
          | select(0u, bits_in[at + 7u * rw], j + 7u <= j1);
      }
    }
    // Bits past W (the padding of the row's last word) are not elements.
    let left = params.width - 32u * q;
    let valid = select((1u << left) - 1u, 0xffffffffu, left >= 32u);
    let keep = ~dropped & valid;
    bits_out[params.mask_shift + word] = keep;
    count_kept(keep);
  }
}

// Mask word o (elements 32o … 32o + 31) gathered from the padded rows, a row segment at a time
// (dropblock_cols has counted them already).
@compute @workgroup_size(WORKGROUP_SIZE)
fn dropblock_pack(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
  let word = group * WORKGROUP_SIZE + li;
  var bits = 0u;
  if (group < params.groups && word < params.words) {
    let first = word * 32u;
    let count = min(32u, params.n - first);
    var row = first / params.width;
    var w = first - row * params.width;
    var filled = 0u;
    while (filled < count) {
      let take = min(count - filled, params.width - w);
      let valid = select((1u << take) - 1u, 0xffffffffu, take == 32u);
      bits |= (window(row * params.row_words * 32u + w) & valid) << filled;
      filled += take;
      row++;
      w = 0u;
    }
    bits_out[params.mask_shift + word] = bits;
  }
}

// PyTorch evaluates numel / (eps + kept) as a reciprocal times numel; so do we (WGSL's
// division is accurate to 2.5 ulp, not correctly rounded, hence the tests' 3-ulp tolerance).
@compute @workgroup_size(1)
fn dropblock_finish() {
  let scale = (1.0 / (params.eps + f32(atomicLoad(&kept[0])))) * params.numel;
  atomicStore(&kept[1], bitcast<u32>(scale));
}

// Backward from a saved block mask: its population count gives the same scale.
@compute @workgroup_size(WORKGROUP_SIZE)
fn dropblock_count(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
  let word = group * WORKGROUP_SIZE + li;
  if (group < params.groups && word * 32u < params.n) { count_kept(bits_in[params.mask_shift + word]); }
}
