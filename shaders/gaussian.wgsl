// Gaussian (multiplicative) dropout, Keras's GaussianDropout: y = x * (1 + sigma * z) with
// sigma = sqrt(p / (1 - p)) and z standard normal; backward dx = dy * (1 + sigma * z) with the same
// z, recomputed. CPU twin: gaussianNoiseCPU in src/cpu/gaussian.ts.
//
// Noise contract: element e of a draw (seed S, offset O) takes z from Philox4x32-10 block
// b = floor(e / 4), counter (b, 0x100, O lo, O hi), key (S lo, S hi) — word 1 of the counter is
// 0x100 so these blocks never coincide with a Bernoulli draw's levels 0..3. Words (w0, w1) give
// components 0 and 1, (w2, w3) components 2 and 3, by Box–Muller:
//   u1 = (floor(w0 / 256) + 0.5) / 2^24,  u2 = floor(w1 / 256) / 2^24,
//   r = sqrt(-2 ln u1),  t = 2 pi u2 - pi,  z0 = r cos t,  z1 = r sin t.
// WGSL's sin/cos are accurate to 2^-11 absolute on [-pi, pi] and log to 2^-21, so GPU and CPU
// noise agree to about r * 2^-11; the tests hold values to that bound.
//
// Compiled as philox.wgsl + io-vec4.wgsl / io-scalar.wgsl + this file.

override WORKGROUP_SIZE: u32 = 256u;

// Field order is mirrored by GAUSSIAN_FIELDS in src/kernels/gaussian.ts (a test compares them).
struct Params {
  n: u32,            // elements in this chunk
  block_base: u32,   // Philox block of the chunk's first element (chunk start / 4)
  sigma: f32,
  groups: u32,       // workgroups that do work
  seed_lo: u32,
  seed_hi: u32,
  offset_lo: u32,
  offset_hi: u32,
  src_shift: u32,
  dst_shift: u32,
  pad0: u32,
  pad1: u32,
  pre: vec4<u32>,    // philoxUniformPart of counter words (0x100, offset lo, offset hi) and the key
}

@group(0) @binding(0) var<uniform> params: Params;
// Bindings 1 (src) and 2 (dst) are declared by the io-*.wgsl file.

const GAUSSIAN_STREAM = 0x100u;
const PI = 3.14159265358979;

fn box_muller(a: u32, b: u32) -> vec2<f32> {
  let u1 = (f32(a >> 8u) + 0.5) * (1.0 / 16777216.0);
  let u2 = f32(b >> 8u) * (1.0 / 16777216.0);
  let r = sqrt(-2.0 * log(u1));
  let t = 2.0 * PI * u2 - PI;
  return vec2<f32>(r * cos(t), r * sin(t));
}

// The multiplier 1 + sigma * z of the four elements of vec4 v of the chunk.
fn factor4(v: u32) -> vec4<f32> {
  // Counter (block, GAUSSIAN_STREAM, offset lo, offset hi); only the block varies.
  let w = philox4x32_10_varying_c0(params.block_base + v, params.pre, vec2<u32>(params.seed_lo, params.seed_hi));
  let z = vec4<f32>(box_muller(w.x, w.y), box_muller(w.z, w.w));
  return vec4<f32>(1.0) + params.sigma * z;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gaussian_apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
  let v = group * WORKGROUP_SIZE + li;
  let e = v * 4u;
  if (group >= params.groups || e + 3u >= params.n) { return; }
  store4(e, load4(e) * factor4(v));
}

// The last partial vec4, when n is not a multiple of 4.
@compute @workgroup_size(1)
fn gaussian_apply_tail() {
  let e = params.n & ~3u;
  if (e == params.n) { return; }
  let f = factor4(e / 4u);
  for (var c = 0u; e + c < params.n; c++) {
    let fc = select(select(f.x, f.y, c == 1u), f.z, c == 2u);
    store1(e + c, load1(e + c) * fc);
  }
}
