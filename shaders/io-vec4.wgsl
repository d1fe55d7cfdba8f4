// Element access for dropout.wgsl, fast form: the tensors start 16-byte aligned, so the host binds
// them as vec4 arrays with a shift that is a multiple of 4, and every four elements move in one
// load and one store. A length that is not a multiple of 4 needs 16 bytes of room after the
// tensor: the partial vec4 is read whole and written back with the elements past n unchanged.
// io-scalar.wgsl provides the same functions for any 4-byte-aligned offset.
// INPLACE: the output is the input (binding 2 only); every element is read before it is written,
// by the same invocation.
// F16: the tensors hold f16 (the module starts with `enable f16;`); arithmetic stays f32, values
// are converted on load and rounded to f16 on store.

// #if F16
alias Packed = vec4<f16>;
alias Elem = f16;
// #else
alias Packed = vec4<f32>;
alias Elem = f32;
// #endif

// #if INPLACE
@group(0) @binding(2) var<storage, read_write> dst: array<Packed>;
fn src_at(i: u32) -> vec4<f32> { return vec4<f32>(dst[i]); }
// #else
@group(0) @binding(1) var<storage, read> src: array<Packed>;
@group(0) @binding(2) var<storage, read_write> dst: array<Packed>;
fn src_at(i: u32) -> vec4<f32> { return vec4<f32>(src[i]); }
// #endif

const LANES = vec4<u32>(0u, 1u, 2u, 3u);

// Vec4 indices of chunk element e. SHIFT is off when every binding starts exactly at its chunk,
// the common case: the shift's add measured 0.4x a copy on SwiftShader.
fn src_vec(e: u32) -> u32 {
// #if SHIFT
  return (params.src_shift + e) >> 2u;
// #else
  return e >> 2u;
// #endif
}
fn dst_vec(e: u32) -> u32 {
// #if SHIFT
  return (params.dst_shift + e) >> 2u;
// #else
  return e >> 2u;
// #endif
}

fn load4(e: u32) -> vec4<f32> { return src_at(src_vec(e)); }
fn store4(e: u32, v: vec4<f32>) { dst[dst_vec(e)] = Packed(v); }

// The first `count` (1..3) elements at e.
fn load_partial(e: u32, count: u32) -> vec4<f32> { return src_at(src_vec(e)); }
fn store_partial(e: u32, v: vec4<f32>, count: u32) {
  let i = dst_vec(e);
  dst[i] = select(dst[i], Packed(v), LANES < vec4<u32>(count));
}

// Single elements, for the rare tied ones. No runtime component indexing: a masked select instead.
fn load1(e: u32) -> f32 {
  let v = src_at(src_vec(e));
  let hit = select(vec4<f32>(0.0), v, LANES == vec4<u32>(e & 3u));
  return hit.x + hit.y + hit.z + hit.w;
}
fn store1(e: u32, value: f32) {
  let i = dst_vec(e);
  dst[i] = select(dst[i], Packed(vec4<f32>(value)), LANES == vec4<u32>(e & 3u));
}
