// DropBlock (Ghiasi et al. 2018) with torchvision's drop_block2d/3d semantics, for (N, C, H, W)
// and (N, C, D, H, W) maps (2-D is D = 1 with a block depth of 1). Three steps after the seeds:
//   seeds      a Bernoulli(gamma) draw over (N·C, D - bd + 1, H - bs + 1, W - bs + 1) by
//              dropout.wgsl (mask-only): a seed is an element that draw did NOT keep
//   block_mask element (nc, d, h, w) is kept iff no seed (i, j, k) has i in [d - bd + 1, d],
//              j in [h - bs + 1, h], k in [w - bs + 1, w] (a seed drops the block whose corner
//              it is — torchvision's padded max-pool); writes the packed keep mask and adds its
//              population count to `kept` (integer atomics: the same total every run)
//   apply      y = keep ? x * scale : 0 with scale = (1 / (eps + kept)) * numel, computed here in f32
// CPU twin: src/cpu/dropblock.ts.

override WORKGROUP_SIZE: u32 = 256u;

// Field order is mirrored by DROPBLOCK_FIELDS in src/kernels/dropblock.ts (a test compares them).
struct Params {
  n: u32,            // elements in this chunk (apply) / in the whole map (block_mask)
  chunk_start: u32,  // index of the chunk's first element (apply)
  depth: u32,        // D (1 for 2-D)
  height: u32,
  width: u32,
  block_depth: u32,  // bd (1 for 2-D)
  block_size: u32,   // bs, odd
  numel: f32,        // N·C·D·H·W, for the scale
  eps: f32,
  src_shift: u32,
  dst_shift: u32,
  mask_shift: u32,
  groups: u32,       // workgroups that do work
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// Bindings 1 (src) and 2 (dst) are declared by the io-*.wgsl file (apply only).
@group(0) @binding(3) var<storage, read> seed_keep: array<u32>;            // block_mask: the seed draw's keep bits
@group(0) @binding(3) var<storage, read> keep_words: array<u32>;           // apply: the block mask
@group(0) @binding(4) var<storage, read_write> mask_out: array<u32>;        // block_mask
@group(0) @binding(5) var<storage, read_write> kept: atomic<u32>;           // block_mask
@group(0) @binding(5) var<storage, read> kept_total: u32;                   // apply

// Whether any seed lies in bits [start, start + count) of the seed space (count <= 32).
fn any_seed(start: u32, count: u32) -> bool {
  let word = start >> 5u;
  let shift = start & 31u;
  let low = seed_keep[word] >> shift;
  let high = select(0u, seed_keep[word + 1u] << (32u - shift), shift != 0u && shift + count > 32u);
  let window = select((1u << count) - 1u, 0xffffffffu, count == 32u);
  // Seeds are the draw's dropped elements: zero bits.
  return ((~(low | high)) & window) != 0u;
}

// Whether element (nc, d, h, w) is kept: no seed (i, j, k) with i in [d - bd + 1, d],
// j in [h - bs + 1, h], k in [w - bs + 1, w]. Each seed row's window is one bit range.
fn element_kept(nc: u32, d: u32, h: u32, w: u32) -> bool {
  let sd = params.depth - params.block_depth + 1u;
  let sh = params.height - params.block_size + 1u;
  let sw = params.width - params.block_size + 1u;
  // Seed columns k in [w - bs + 1, w] ∩ [0, sw - 1].
  let k0 = select(0u, w + 1u - params.block_size, w + 1u >= params.block_size);
  let k1 = min(w, sw - 1u);
  if (k0 > k1) { return true; }
  let i0 = select(0u, d + 1u - params.block_depth, d + 1u >= params.block_depth);
  let j0 = select(0u, h + 1u - params.block_size, h + 1u >= params.block_size);
  for (var i = i0; i <= min(d, sd - 1u); i++) {
    for (var j = j0; j <= min(h, sh - 1u); j++) {
      if (any_seed(((nc * sd + i) * sh + j) * sw + k0, k1 - k0 + 1u)) { return false; }
    }
  }
  return true;
}

var<workgroup> group_kept: atomic<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropblock_mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
  let word = group * WORKGROUP_SIZE + li;
  var bits = 0u;
  if (group < params.groups && word * 32u < params.n) {
    let count = min(32u, params.n - word * 32u);
    // Coordinates of the word's first element, then stepped: integer division is the slow part
    // on SwiftShader, so four per word instead of four per element.
    let e = word * 32u;
    var w = e % params.width;
    var h = (e / params.width) % params.height;
    var d = (e / (params.width * params.height)) % params.depth;
    var nc = e / (params.width * params.height * params.depth);
    for (var b = 0u; b < count; b++) {
      if (element_kept(nc, d, h, w)) { bits |= 1u << b; }
      w++;
      if (w == params.width) {
        w = 0u;
        h++;
        if (h == params.height) {
          h = 0u;
          d++;
          if (d == params.depth) { d = 0u; nc++; }
        }
      }
    }
    mask_out[params.mask_shift + word] = bits;
  }
  // One global atomic per workgroup instead of one per word.
  atomicAdd(&group_kept, countOneBits(bits));
  workgroupBarrier();
  if (li == 0u) { atomicAdd(&kept, atomicLoad(&group_kept)); }
}

// PyTorch evaluates numel / (eps + kept) as a reciprocal times numel; so do we (WGSL's
// division is accurate to 2.5 ulp, not correctly rounded, hence the tests' 3-ulp tolerance).
fn dropblock_scale() -> f32 {
  return (1.0 / (params.eps + f32(kept_total))) * params.numel;
}

fn keep4(e: u32) -> vec4<bool> {
  let g = params.chunk_start + e;
  let bits = keep_words[params.mask_shift + (g >> 5u)] >> (g & 31u);
  return (vec4<u32>(bits) & vec4<u32>(1u, 2u, 4u, 8u)) != vec4<u32>(0u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropblock_apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
  let e = (group * WORKGROUP_SIZE + li) * 4u;
  if (group >= params.groups || e + 3u >= params.n) { return; }
  store4(e, select(vec4<f32>(0.0), load4(e) * dropblock_scale(), keep4(e)));
}

@compute @workgroup_size(1)
fn dropblock_apply_tail() {
  for (var e = params.n & ~3u; e < params.n; e++) {
    let g = params.chunk_start + e;
    let keep = ((keep_words[params.mask_shift + (g >> 5u)] >> (g & 31u)) & 1u) != 0u;
    store1(e, select(0.0, load1(e) * dropblock_scale(), keep));
  }
}

// Backward from a saved block mask: its population count gives the same scale.
@compute @workgroup_size(WORKGROUP_SIZE)
fn dropblock_count(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
  let word = group * WORKGROUP_SIZE + li;
  var bits = 0u;
  if (group < params.groups && word * 32u < params.n) { bits = keep_words[params.mask_shift + word]; }
  atomicAdd(&group_kept, countOneBits(bits));
  workgroupBarrier();
  if (li == 0u) { atomicAdd(&kept, atomicLoad(&group_kept)); }
}
