// Dropout with a mask shared along some dimensions (a noise shape): spatial dropout (whole
// channels), recurrent dropout (the same mask at every time step), TensorFlow's noiseShape.
// The mask is drawn first over the small mask space by dropout.wgsl (a mask-only draw, same
// Philox contract, indexed by the mask-space index); this kernel applies it: element e reads bit
// m(e), where m(e) drops the broadcast coordinates of e. CPU twin: src/cpu/reference.ts.
//
// Compiled as one of io-vec4.wgsl / io-scalar.wgsl + this file, specialized by:
//   AFFINE  kept values are x * scale + bias, dropped ones `dropped` (feature alpha dropout)
//   INNER4  the innermost dimension is a multiple of 4, so a vec4 shares everything but the
//           innermost coordinate and needs one index computation, not four
//   INNER_BROADCAST  (with INNER4) the innermost dimension is broadcast: one mask bit per vec4
//   RANK1 … RANK4  the collapsed rank, for an unrolled index computation (else a loop)
//
// The host collapses the shape first: dimensions of size 1 vanish and neighbours that are both
// broadcast or both not merge, so channel dropout of (N, C, H, W) is two dimensions.

override WORKGROUP_SIZE: u32 = 256u;

// Field order is mirrored by BROADCAST_FIELDS in src/kernels/broadcast.ts (a test compares them).
struct Params {
  n: u32,            // elements in this chunk
  chunk_start: u32,  // index of the chunk's first element in the whole tensor
  rank: u32,         // collapsed dimensions, innermost first (at most 8)
  scale: f32,
  bias: f32,
  dropped: f32,
  src_shift: u32,
  dst_shift: u32,
  mask_shift: u32,
  groups: u32,       // workgroups that do work (the rest of a 2-D grid returns at once)
  pad0: u32,
  pad1: u32,
  sizes: array<vec4<u32>, 2>,    // collapsed dimension sizes, innermost first
  strides: array<vec4<u32>, 2>,  // their strides in the mask space; 0 for broadcast dimensions
}

@group(0) @binding(0) var<uniform> params: Params;
// Bindings 1 (src) and 2 (dst) are declared by the io-*.wgsl file.
@group(0) @binding(3) var<storage, read> mask_words: array<u32>;

// The mask-space index of tensor element `global`. Integer division is the slow part on
// SwiftShader, so there is one per dimension and none for the outermost (it cannot wrap); ranks
// up to 4 (after collapsing) are unrolled with constant component indices, because a loop that
// indexes vector components at run time measured much slower.
fn mask_index(global: u32) -> u32 {
// #if RANK1
  var rest = global;
  var m = 0u;
  return m + rest * params.strides[0].x;
// #else
// #if RANK2
  var rest = global;
  var m = 0u;
  let q0 = rest / params.sizes[0].x;
  m += (rest - q0 * params.sizes[0].x) * params.strides[0].x;
  rest = q0;
  return m + rest * params.strides[0].y;
// #else
// #if RANK3
  var rest = global;
  var m = 0u;
  let q0 = rest / params.sizes[0].x;
  m += (rest - q0 * params.sizes[0].x) * params.strides[0].x;
  rest = q0;
  let q1 = rest / params.sizes[0].y;
  m += (rest - q1 * params.sizes[0].y) * params.strides[0].y;
  rest = q1;
  return m + rest * params.strides[0].z;
// #else
// #if RANK4
  var rest = global;
  var m = 0u;
  let q0 = rest / params.sizes[0].x;
  m += (rest - q0 * params.sizes[0].x) * params.strides[0].x;
  rest = q0;
  let q1 = rest / params.sizes[0].y;
  m += (rest - q1 * params.sizes[0].y) * params.strides[0].y;
  rest = q1;
  let q2 = rest / params.sizes[0].z;
  m += (rest - q2 * params.sizes[0].z) * params.strides[0].z;
  rest = q2;
  return m + rest * params.strides[0].w;
// #else
  var rest = global;
  var m = 0u;
  let last = params.rank - 1u;
  for (var d = 0u; d < last; d++) {
    let size = params.sizes[d >> 2u][d & 3u];
    let q = rest / size;
    m += (rest - q * size) * params.strides[d >> 2u][d & 3u];
    rest = q;
  }
  return m + rest * params.strides[last >> 2u][last & 3u];
// #endif
// #endif
// #endif
// #endif
}

fn bit(m: u32) -> bool {
  return ((mask_words[params.mask_shift + (m >> 5u)] >> (m & 31u)) & 1u) != 0u;
}

fn kept_value(x: vec4<f32>) -> vec4<f32> {
// #if AFFINE
  return x * params.scale + params.bias;
// #else
  return x * params.scale;
// #endif
}
fn dropped_value() -> vec4<f32> {
// #if AFFINE
  return vec4<f32>(params.dropped);
// #else
  return vec4<f32>(0.0);
// #endif
}

fn keep4(e: u32) -> vec4<bool> {
  let g = params.chunk_start + e;
// #if INNER4
  // The four elements differ only in the innermost coordinate: one mask bit when that dimension
  // is broadcast, else four consecutive ones (the innermost kept dimension has stride 1). Each
  // storage read costs a bounds check on SwiftShader, so as few reads as that.
  let m = mask_index(g);
// #if INNER_BROADCAST
  return vec4<bool>(bit(m));
// #else
  let at = params.mask_shift + (m >> 5u);
  let shift = m & 31u;
  let window = select(mask_words[at] >> shift, (mask_words[at] >> shift) | (mask_words[at + 1u] << (32u - shift)), shift > 28u);
  return (vec4<u32>(window) & vec4<u32>(1u, 2u, 4u, 8u)) != vec4<u32>(0u);
// #endif
// #else
  return vec4<bool>(bit(mask_index(g)), bit(mask_index(g + 1u)), bit(mask_index(g + 2u)), bit(mask_index(g + 3u)));
// #endif
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn broadcast_apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
  let e = (group * WORKGROUP_SIZE + li) * 4u;
  if (group >= params.groups || e + 3u >= params.n) { return; }
  store4(e, select(dropped_value(), kept_value(load4(e)), keep4(e)));
}

// The last partial vec4, when n is not a multiple of 4.
@compute @workgroup_size(1)
fn broadcast_apply_tail() {
  for (var e = params.n & ~3u; e < params.n; e++) {
    let keep = bit(mask_index(params.chunk_start + e));
    store1(e, select(dropped_value(), kept_value(vec4<f32>(load1(e))), vec4<bool>(keep)).x);
  }
}
