// Monte Carlo dropout: K stochastic forward passes of one input in one dispatch, for uncertainty
// at inference. Sample s is an ordinary draw at offset + s (the mask contract, unchanged), so
// sample s equals dropout(x) with offset + s bit for bit. Outputs, either or both:
//   SAMPLES  all K outputs, sample-major: out[s * n + e]
//   STATS    per-element mean and variance over the K samples. Sample values are only
//            v = f32(x * scale) or 0, so with c the number of samples that keep e and
//            f = f32(f32(c) * inv_k):  mean = v * f,  variance = f32(f32(v * v) * f32(f * (1 - f))) * var_factor,
//            where v is +0 when no sample keeps e (so NaN or Inf inputs that are always dropped give 0)
//            (var_factor 1 for the population variance, K / (K - 1) for the unbiased one) —
//            no division, so the CPU twin (src/cpu/mc.ts) reproduces it bit for bit.
// One invocation per Philox block of the tile layout (README, "Mask contract"), looping over the
// samples with ties resolved inline: this kernel is not the training hot path.
// Compiled as philox.wgsl + bernoulli.wgsl + `alias Elem = f32;` (or `enable f16;` … `alias
// Elem = f16;`: f16 tensors, f32 arithmetic, values rounded to f16 on store) + this file.

override WORKGROUP_SIZE: u32 = 64u;

// Field order is mirrored by MC_FIELDS in src/kernels/mc.ts (a test compares them).
struct Params {
  n: u32,
  samples: u32,      // K
  threshold: u32,
  keep_from: u32,
  tie_byte: u32,
  scale: f32,
  inv_k: f32,        // f32(1 / K)
  var_factor: f32,   // 1, or f32(K / (K - 1)) for the unbiased variance
  seed_lo: u32,
  seed_hi: u32,
  offset_lo: u32,
  offset_hi: u32,
  x_shift: u32,
  out_shift: u32,
  mean_shift: u32,
  var_shift: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<Elem>;
@group(0) @binding(2) var<storage, read_write> samples_out: array<Elem>;
@group(0) @binding(3) var<storage, read_write> mean_out: array<Elem>;
@group(0) @binding(4) var<storage, read_write> var_out: array<Elem>;

// Counter words 2 and 3 of sample s: the 64-bit offset + s.
fn sample_stream(s: u32) -> vec2<u32> {
  let lo = params.offset_lo + s;
  return vec2<u32>(lo, params.offset_hi + select(0u, 1u, lo < s));
}

// Keep bits of the block's sixteen elements in sample s.
fn keep_bits(block: u32, s: u32) -> u32 {
  let stream = sample_stream(s);
  let key = vec2<u32>(params.seed_lo, params.seed_hi);
  let level0 = bernoulli_level0(philox4x32_10(vec4<u32>(block, 0u, stream.x, stream.y), key), params.keep_from, params.tie_byte);
  return level0.x | bernoulli_resolve(block, stream, key, params.threshold, level0.y);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn mc_dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let block = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  let first = (block / 64u) * 1024u + (block % 64u) * 4u;
  if (first >= params.n) { return; }
  var counts = array<u32, 16>();
  for (var s = 0u; s < params.samples; s++) {
    let kept = keep_bits(block, s);
    for (var j = 0u; j < 16u; j++) {
      let e = first + 256u * (j >> 2u) + (j & 3u);
      let keep = ((kept >> j) & 1u) != 0u;
      counts[j] += select(0u, 1u, keep);
// #if SAMPLES
      if (e < params.n) {
        samples_out[params.out_shift + s * params.n + e] = Elem(select(0.0, f32(x[params.x_shift + e]) * params.scale, keep));
      }
// #endif
    }
  }
// #if STATS
  for (var j = 0u; j < 16u; j++) {
    let e = first + 256u * (j >> 2u) + (j & 3u);
    if (e < params.n) {
      let v = select(0.0, f32(x[params.x_shift + e]) * params.scale, counts[j] > 0u);
      let f = f32(counts[j]) * params.inv_k;
      mean_out[params.mean_shift + e] = Elem(v * f);
      var_out[params.var_shift + e] = Elem(((v * v) * (f * (1.0 - f))) * params.var_factor);
    }
  }
// #endif
}
