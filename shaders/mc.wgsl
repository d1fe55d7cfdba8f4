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
// samples: level 0 of each sample settles almost every element (bernoulli_settle), and the
// samples whose ties it leaves undecided are finished in batches (bernoulli_finish).
// Compiled as philox.wgsl + bernoulli.wgsl + `alias Elem = f32;` (or `enable f16;` … `alias
// Elem = f16;`: f16 tensors, f32 arithmetic, values rounded to f16 on store) + this file.

override WORKGROUP_SIZE: u32 = 64u;

// Field order is mirrored by MC_FIELDS in src/kernels/mc.ts (a test compares them).
struct Params {
  n: u32,
  samples: u32,      // K
  keep_from: u32,    // the Rule of shaders/bernoulli.wgsl (ruleFor in src/kernels/dropout-params.ts)
  tie_nibble: u32,
  tie_keep_byte: u32,
  tie_deep_byte: u32,
  tie_up: u32,
  deep_from: u32,
  ties: u32,         // 1 when the threshold's low 28 bits are not 0
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

const NIBBLE = vec4<u32>(1u, 2u, 4u, 8u);
// Samples whose undecided ties are settled together: bernoulli_finish runs once per batch, not
// per sample (SwiftShader runs its code, four Philox calls, whether or not a tie needs it).
const BATCH = 32u;

fn rule() -> Rule {
  return Rule(params.ties != 0u, params.tie_nibble, params.tie_keep_byte, params.tie_deep_byte, params.tie_up != 0u,
              params.keep_from, params.deep_from);
}

fn level0(block: u32, s: u32) -> vec4<u32> {
  let stream = sample_stream(s);
  return philox4x32_10(vec4<u32>(block, 0u, stream.x, stream.y), vec2<u32>(params.seed_lo, params.seed_hi));
}

// Flags of vec4 k of a block's keep bits.
fn flags_at(bits: u32, k: u32) -> vec4<bool> {
  return (vec4<u32>(bits >> (4u * k)) & NIBBLE) != vec4<u32>(0u);
}

// #if SAMPLES
// Sample s's outputs for the slots in `slots` (bit 4k + c; the rest untouched): f32(x · scale)
// where `kept`, else 0. `first` is the block's first element.
fn write_samples(first: u32, s: u32, slots: u32, kept: u32) {
  var rest = slots;
  while (rest != 0u) {
    let j = firstTrailingBit(rest);
    rest &= rest - 1u;
    let e = first + 256u * (j >> 2u) + (j & 3u);
    if (e < params.n) {
      samples_out[params.out_shift + s * params.n + e] = Elem(select(0.0, f32(x[params.x_shift + e]) * params.scale, ((kept >> j) & 1u) != 0u));
    }
  }
}
// #endif

@compute @workgroup_size(WORKGROUP_SIZE)
fn mc_dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let block = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  let first = (block / 64u) * 1536u + (block % 64u) * 4u;
  if (first >= params.n) { return; }
  let rule = rule();
  let key = vec2<u32>(params.seed_lo, params.seed_hi);
  // How many samples keep each of the block's 24 elements: vec4 k of counts is nibble k.
  var counts = array<vec4<u32>, 6>();
  // The samples of the current batch with undecided ties, and those ties.
  var pending_sample = array<u32, BATCH>();
  var pending_slots = array<u32, BATCH>();
  for (var base = 0u; base < params.samples; base += BATCH) {
    var pending = 0u;
    let end = min(base + BATCH, params.samples);
    for (var s = base; s < end; s++) {
      let settled = bernoulli_settle(level0(block, s), rule);
      counts[0] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(settled.x, 0u));
      counts[1] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(settled.x, 1u));
      counts[2] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(settled.x, 2u));
      counts[3] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(settled.x, 3u));
      counts[4] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(settled.x, 4u));
      counts[5] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(settled.x, 5u));
// #if SAMPLES
      write_samples(first, s, 0xffffffu, settled.x);
// #endif
      pending_sample[pending] = s;
      pending_slots[pending] = settled.y;
      pending += select(0u, 1u, settled.y != 0u);
    }
    for (var i = 0u; i < pending; i++) {
      let s = pending_sample[i];
      let r = level0(block, s);
      let kept = bernoulli_finish(block, sample_stream(s), key, rule, r, pending_slots[i]);
      counts[0] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(kept, 0u));
      counts[1] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(kept, 1u));
      counts[2] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(kept, 2u));
      counts[3] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(kept, 3u));
      counts[4] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(kept, 4u));
      counts[5] += select(vec4<u32>(0u), vec4<u32>(1u), flags_at(kept, 5u));
// #if SAMPLES
      write_samples(first, s, pending_slots[i], kept);
// #endif
    }
  }
// #if STATS
  for (var k = 0u; k < 6u; k++) {
    for (var c = 0u; c < 4u; c++) {
      let e = first + 256u * k + c;
      let count = select(select(counts[k].x, counts[k].y, c == 1u), select(counts[k].z, counts[k].w, c == 3u), c >= 2u);
      if (e < params.n) {
        let v = select(0.0, f32(x[params.x_shift + e]) * params.scale, count > 0u);
        let f = f32(count) * params.inv_k;
        mean_out[params.mean_shift + e] = Elem(v * f);
        var_out[params.var_shift + e] = Elem(((v * v) * (f * (1.0 - f))) * params.var_factor);
      }
    }
  }
// #endif
}
