// Column sums of a (rows, cols) matrix in a fixed order, so the result is the same on every
// run and device (the fused epilogue's dbias). Stage 1 sums each column over blocks of
// ROWS_PER_BLOCK rows, top to bottom; stage 2 sums each column's block sums, first to last.
// CPU twin: columnSumsCPU in src/cpu/epilogue.ts (same blocks, same order, f32 rounding).
// `Elem` (f32, or f16 after `enable f16;`) is the tensors' type, aliased by the host ahead of this
// file; sums are f32 either way.

const ROWS_PER_BLOCK = 256u;

struct Params {
  rows: u32,
  cols: u32,
  blocks: u32,   // ceil(rows / ROWS_PER_BLOCK)
  src_shift: u32,
  out_shift: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<Elem>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<Elem>;

@compute @workgroup_size(64)
fn colsum_blocks(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u; // block * cols + column
  if (i >= params.blocks * params.cols) { return; }
  let column = i % params.cols;
  let first = (i / params.cols) * ROWS_PER_BLOCK;
  let last = min(first + ROWS_PER_BLOCK, params.rows);
  var sum = 0.0;
  for (var r = first; r < last; r++) { sum += f32(src[params.src_shift + r * params.cols + column]); }
  partial[i] = sum;
}

@compute @workgroup_size(64)
fn colsum_final(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let column = gid.x + gid.y * nwg.x * 64u;
  if (column >= params.cols) { return; }
  var sum = 0.0;
  for (var b = 0u; b < params.blocks; b++) { sum += partial[b * params.cols + column]; }
  out[params.out_shift + column] = Elem(sum);
}
