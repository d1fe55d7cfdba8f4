// Element access for dropout.wgsl, general form: any 4-byte-aligned offset and a tensor that ends
// exactly at n. Same functions as io-vec4.wgsl, one scalar access per element (~1.7x slower on
// SwiftShader), used only when the fast form's alignment or room is missing.

// f32 only (f16 tensors must be vec4-ready); Packed and Elem are named for the epilogue's bias and
// residual reads, as io-vec4.wgsl names them.
alias Packed = vec4<f32>;
alias Elem = f32;

// #if INPLACE
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
fn src_at(i: u32) -> f32 { return dst[i]; }
// #else
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
fn src_at(i: u32) -> f32 { return src[i]; }
// #endif

fn load4(e: u32) -> vec4<f32> {
  let s = params.src_shift + e;
  return vec4<f32>(src_at(s), src_at(s + 1u), src_at(s + 2u), src_at(s + 3u));
}
fn store4(e: u32, v: vec4<f32>) {
  let d = params.dst_shift + e;
  dst[d] = v.x;
  dst[d + 1u] = v.y;
  dst[d + 2u] = v.z;
  dst[d + 3u] = v.w;
}

fn load_partial(e: u32, count: u32) -> vec4<f32> {
  let s = params.src_shift + e;
  var v = vec4<f32>(src_at(s), 0.0, 0.0, 0.0);
  if (count > 1u) { v.y = src_at(s + 1u); }
  if (count > 2u) { v.z = src_at(s + 2u); }
  return v;
}
fn store_partial(e: u32, v: vec4<f32>, count: u32) {
  let d = params.dst_shift + e;
  dst[d] = v.x;
  if (count > 1u) { dst[d + 1u] = v.y; }
  if (count > 2u) { dst[d + 2u] = v.z; }
}

fn load1(e: u32) -> f32 { return src_at(params.src_shift + e); }
fn store1(e: u32, value: f32) { dst[params.dst_shift + e] = value; }
