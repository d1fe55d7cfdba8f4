// DropConnect fused into a linear layer: y = x · (M ⊙ W)ᵀ · scale + b for x (batch, in), W (out, in),
// with M the keep mask dropout() would draw on W (element o · in + i). The mask is drawn here,
// tile by tile, with the public building block (DROPOUT_MASK_WGSL, prepended with `alias Elem`);
// no masked weight tensor is ever written. CPU twin: src/cpu/dropconnect.ts.
//
// Output tiles of 16 columns × 128 batch rows (forward, dx: eight rows per invocation, so a W slice's
// mask is drawn once per 128 rows) or 16 × 16 (dW), one per workgroup of 256 invocations, over
// 16-wide slices of the summed dimension in workgroup memory. A slice of W (16 rows × 16 columns) has its keep bits drawn by 64
// invocations, four adjacent columns each (wd_keep4: one or two Philox blocks).
// Each invocation sums its products in index order (the CPU twin's order), then scales once.
//
// Entry points:
//   dc_forward      y = x · (M ⊙ W)ᵀ · scale (+ b): tiles (out, batch)
//   dc_backward_dx  dx = dy · (M ⊙ W) · scale: tiles (in, batch)
//   dc_backward_dw  dW = M ⊙ (dyᵀ · x) · scale: tiles (in, out), the mask rebuilt for each tile
//   dc_backward_db  db = column sums of dy, one invocation per output

const TILE = 16u;
const ROWS = 8u; // batch rows per invocation in forward and dx: a W slice's mask serves 128 rows
// false: the plain linear layer (eval, or p = 0): every weight kept, nothing drawn.
override MASKED: bool = true;

// Field order is mirrored by DC_FIELDS in src/kernels/dropconnect.ts.
struct Params {
  mask: wd_Mask,    // the draw (maskUniforms): p = 0 in eval
  batch: u32,
  in_f: u32,
  out_f: u32,
  has_bias: u32,
  x_shift: u32,     // element index of each tensor's first element inside its binding
  w_shift: u32,
  b_shift: u32,     // the bias (forward) or dy (backward)
  y_shift: u32,     // y (forward) or dx (backward)
  dw_shift: u32,
  db_shift: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<Elem>;
@group(0) @binding(2) var<storage, read> w: array<Elem>;
@group(0) @binding(3) var<storage, read> b_or_dy: array<Elem>;  // bias (forward), dy (backward)
@group(0) @binding(4) var<storage, read_write> y_or_dx: array<Elem>;
@group(0) @binding(5) var<storage, read_write> dw: array<Elem>;
@group(0) @binding(6) var<storage, read_write> db: array<Elem>;

var<workgroup> keeps: array<array<u32, 16>, 16>;  // keep bits of a W slice: keeps[row][col]
var<workgroup> tile_a: array<array<f32, 16>, 128>;  // 128 batch rows (forward, dx); 16 in dW
var<workgroup> tile_b: array<array<f32, 16>, 16>;

// keeps[r][c] for W's rows row0 + r and columns col0 + c (0 outside W), by 64 invocations.
fn mask_tile(row0: u32, col0: u32, li: u32) {
  if (li >= 64u) { return; }
  let r = li / 4u;
  let c = (li % 4u) * 4u;
  let row = row0 + r;
  var bits = vec4<u32>(select(0u, 1u, !MASKED));
  if (MASKED && row < params.out_f && col0 + c < params.in_f) {
    let kept = wd_keep4(params.mask, wd_element_at(row, params.in_f, col0 + c));
    let inside = vec4<u32>(col0 + c) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(params.in_f);
    bits = select(vec4<u32>(0u), vec4<u32>(1u), kept & inside);
  }
  keeps[r][c] = bits.x;
  keeps[r][c + 1u] = bits.y;
  keeps[r][c + 2u] = bits.z;
  keeps[r][c + 3u] = bits.w;
}

// W[row][col] where kept, else 0 (and 0 outside W).
fn masked_w(row0: u32, col0: u32, r: u32, c: u32) -> f32 {
  let row = row0 + r;
  let col = col0 + c;
  if (keeps[r][c] == 0u || row >= params.out_f || col >= params.in_f) { return 0.0; }
  return f32(w[params.w_shift + row * params.in_f + col]);
}

fn load(which: u32, row: u32, rows: u32, col: u32, cols: u32) -> f32 {
  if (row >= rows || col >= cols) { return 0.0; }
  if (which == 0u) { return f32(x[params.x_shift + row * cols + col]); }
  return f32(b_or_dy[params.b_shift + row * cols + col]);
}

// Σ_k a[b][k] · (M ⊙ W)[..][..] for the invocation's eight batch rows b = b0 + lid.y + 16r over the
// summed dimension (k_end long), in index order: forward (a = x, W's rows from w0 = the tile's
// outputs, columns k) or, `transposed`, dx (a = dy, W's rows k, columns from w0 = the tile's inputs).
fn masked_matmul(transposed: bool, w0: u32, b0: u32, k_end: u32, lid: vec3<u32>, li: u32) -> array<f32, 8> {
  var lo = vec4<f32>(0.0); // rows 0-3
  var hi = vec4<f32>(0.0); // rows 4-7
  for (var k0 = 0u; k0 < k_end; k0 += TILE) {
    let row0 = select(w0, k0, transposed);
    let col0 = select(k0, w0, transposed);
    mask_tile(row0, col0, li);
    for (var r = 0u; r < ROWS; r++) {
      let row = lid.y + TILE * r;
      tile_a[row][lid.x] = load(select(0u, 1u, transposed), b0 + row, params.batch, k0 + lid.x, k_end);
    }
    workgroupBarrier();
    tile_b[lid.y][lid.x] = masked_w(row0, col0, lid.y, lid.x);
    workgroupBarrier();
    for (var k = 0u; k < TILE; k++) {
      let wk = select(tile_b[lid.x][k], tile_b[k][lid.x], transposed);
      lo += vec4<f32>(tile_a[lid.y][k], tile_a[lid.y + 16u][k], tile_a[lid.y + 32u][k], tile_a[lid.y + 48u][k]) * wk;
      hi += vec4<f32>(tile_a[lid.y + 64u][k], tile_a[lid.y + 80u][k], tile_a[lid.y + 96u][k], tile_a[lid.y + 112u][k]) * wk;
    }
    workgroupBarrier();
  }
  return array<f32, 8>(lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w);
}

@compute @workgroup_size(16, 16)
fn dc_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
  let o0 = wid.x * TILE;
  let b0 = wid.y * TILE * ROWS;
  let acc = masked_matmul(false, o0, b0, params.in_f, lid, li);
  let o = o0 + lid.x;
  for (var r = 0u; r < ROWS; r++) {
    let b = b0 + lid.y + TILE * r;
    if (b < params.batch && o < params.out_f) {
      var v = acc[r] * wd_scale(params.mask);
      if (params.has_bias != 0u) { v += f32(b_or_dy[params.b_shift + o]); }
      y_or_dx[params.y_shift + b * params.out_f + o] = Elem(v);
    }
  }
}

@compute @workgroup_size(16, 16)
fn dc_backward_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let i0 = wid.x * TILE;
  let b0 = wid.y * TILE * ROWS;
  let acc = masked_matmul(true, i0, b0, params.out_f, lid, li);
  let i = i0 + lid.x;
  for (var r = 0u; r < ROWS; r++) {
    let b = b0 + lid.y + TILE * r;
    if (b < params.batch && i < params.in_f) {
      y_or_dx[params.y_shift + b * params.in_f + i] = Elem(acc[r] * wd_scale(params.mask));
    }
  }
}

@compute @workgroup_size(16, 16)
fn dc_backward_dw(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let i0 = wid.x * TILE;
  let o0 = wid.y * TILE;
  var acc = 0.0;
  for (var k0 = 0u; k0 < params.batch; k0 += TILE) {
    tile_a[lid.y][lid.x] = load(1u, k0 + lid.y, params.batch, o0 + lid.x, params.out_f); // dy[b][o]
    tile_b[lid.y][lid.x] = load(0u, k0 + lid.y, params.batch, i0 + lid.x, params.in_f);  // x[b][i]
    workgroupBarrier();
    for (var k = 0u; k < TILE; k++) { acc += tile_a[k][lid.y] * tile_b[k][lid.x]; }
    workgroupBarrier();
  }
  mask_tile(o0, i0, li);
  workgroupBarrier();
  let o = o0 + lid.y;
  let i = i0 + lid.x;
  if (o < params.out_f && i < params.in_f) {
    dw[params.dw_shift + o * params.in_f + i] = Elem(select(0.0, acc * wd_scale(params.mask), keeps[lid.y][lid.x] != 0u));
  }
}

@compute @workgroup_size(64)
fn dc_backward_db(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x;
  if (o >= params.out_f) { return; }
  var acc = 0.0;
  for (var b = 0u; b < params.batch; b++) { acc += f32(b_or_dy[params.b_shift + b * params.out_f + o]); }
  db[params.db_shift + o] = Elem(acc);
}
