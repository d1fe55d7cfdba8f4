// Inverted dropout, f32: dst = keep ? src * scale : 0, with keep drawn from Philox4x32-10.
// Compiled as philox.wgsl + bernoulli.wgsl + one of io-vec4.wgsl / io-scalar.wgsl (element access: src, dst,
// load4/store4, load_partial/store_partial, load1/store1) + this file, after `#if`
// specialization (src/gpu/specialize.ts):
//   DATA        the draw writes dst (off: a mask-only draw, e.g. the small mask of a noise shape)
//   WRITE_MASK  the draw also writes the packed keep mask (bit e & 31 of word e >> 5), by way of
//               the mask stage (binding 7: one word of keep bits per block) and dropout_pack_mask
//   TIES        the threshold's low 28 bits are not 0, so a nibble can tie with its top nibble:
//               tie bytes settle the first four ties of a block, the rest (and the deep ties,
//               whose tie byte ties too) are logged for dropout_ties
//   AFFINE      kept values are x * scale + bias and dropped ones `dropped` (alpha dropout);
//               otherwise kept are x * scale and dropped +0
//   INPLACE     dst is src (the io file reads dst); the ties level 0 leaves undecided are held
//               unchanged by the first pass so dropout_ties can still read them
//   SPARE       the main grid is 2-D with spare workgroups that must return at once (only
//               past maxComputeWorkgroupsPerDimension; the check costs ~6% when present)
//   EPILOGUE    fused forward y = residual + dropout(act(x + bias)): bias (binding 5) broadcast
//               over the last dimension, residual (binding 6) only with RESIDUAL
//   EPILOGUE_BACKWARD  dx = dropout'(dy) * act'(x + bias), x read from binding 6
//   ACT_RELU, ACT_GELU, ACT_GELU_TANH, ACT_SILU  the activation (none: identity)
//   BIAS4       the last dimension is a multiple of 4 and the bias 16-byte aligned: vec4 bias reads
//   AUX4        the residual (or x) is 16-byte aligned with room: vec4 reads
//   DYN_SCALE   the scale is f32 word 1 of binding 7, written by an earlier pass (DropBlock),
//               not params.scale
// The mask contract (README, "Mask contract") and its CPU twin (src/rng/mask.ts) define which
// elements are kept; this file only walks it in parallel.
//
// Layout: a tile is 1536 elements and 64 Philox blocks. Block `lane` of a tile decides the six
// vec4s at elements 4*lane + 256*k (k = 0..5): nibble k of output word c is the level-0 nibble of
// component c of vec4 k, and the words' top bytes are the block's four tie bytes
// (shaders/bernoulli.wgsl). Lanes own vec4s 64 apart so that neighbouring lanes touch neighbouring
// memory.
//
// SwiftShader, the CPU Vulkan driver CI runs on, pays for every extra instruction in the hot
// kernel even when it is never executed (bounds checks cost 45% of a copy, a tail branch 80%; a
// branch no lane takes runs anyway). So dropout_main does only the common case, with no checks
// and no loops: whole tiles, and the decisions level 0 makes (every element but the ties past a
// block's first four and the deep ones, about 2% of blocks at p = 0.1). The rest goes to small
// dispatches after it: dropout_main_tail (one workgroup, the tiles past the last whole group of
// tiles, with every check) and dropout_ties (the blocks logged with an undecided tie, a small
// fixed grid walking the log, then dropout_tie_reset; dropout_ties_once for one workgroup).
// The logging in dropout_main is one atomicAdd and a store.
//
// That is the multi-pass schedule, for CPU adapters. GPUs pay for the extra dispatches (a
// pipeline switch, a barrier and a launch each) and hardly for a bounds check or a branch no lane
// of a warp takes, so there the single-pass schedule (src/gpu/schedule.ts picks one per device)
// does each job in one dispatch per chunk:
// dropout_single settles every tie inline (bernoulli_keep: the deeper levels only in the rare
// blocks that need them), checks bounds inline and packs the mask words of its own tiles through
// workgroup memory; dropout_apply_mask_tail dispatched over every tile is the mask backward.
//
// Entry points, in dispatch order within a pass:
//   dropout_fill_mask                     a mask of all ones (or all zeros) without a draw
//   dropout_main, dropout_main_tail       forward, and backward that rebuilds the mask
//   dropout_ties, dropout_ties_once       the undecided ties of logged blocks (every block's, when
//                                         the log overflowed); _once: one workgroup that also
//                                         empties the log
//   dropout_tie_reset                     empties the log (after a tie grid of several workgroups)
//   dropout_pack_mask                     the staged keep bits of a draw into the packed mask
//   dropout_apply_mask, *_apply_mask_tail backward from a packed 1-bit mask, no Philox
//   dropout_single                        single-pass: a whole draw (ties, tail, mask) at once

override WORKGROUP_SIZE: u32 = 64u; // a multiple of 64: each 64 invocations own one tile

// Field order is mirrored by PARAM_FIELDS in src/kernels/dropout-params.ts (a test compares them).
struct Params {
  n: u32,             // elements in this chunk
  block_base: u32,    // Philox block index of the chunk's first element (chunk start / 24)
  keep_from: u32,     // Rule (shaders/bernoulli.wgsl): after moving settled ties, nibble >= keep_from keeps
  tie_nibble: u32,    // Rule: T >> 28
  tie_keep_byte: u32, // Rule: a tie byte >= this keeps
  tie_deep_byte: u32, // Rule: a tie byte equal to this goes deeper (0x100: never)
  tie_up: u32,        // Rule: 1 when kept ties move up, 0 when dropped ones move down
  deep_from: u32,     // Rule: T's low 20 bits
  scale: f32,         // f32(1 / (1 - p)), computed once on the host
  seed_lo: u32,
  seed_hi: u32,
  offset_lo: u32,     // the draw's 64-bit offset: Philox counter words 2 and 3
  offset_hi: u32,
  src_shift: u32,     // element index of the chunk's first element inside the src binding
  dst_shift: u32,
  mask_shift: u32,    // word index of the chunk's first mask word inside the mask binding
  tie_capacity: u32,  // blocks the tie log can hold
  pre0: u32,           // philoxUniformPart of level 0's counter words 2, 3 and the key
  pre1: u32,
  pre2: u32,
  pre3: u32,
  cols: u32,           // EPILOGUE: size of the last dimension (the bias length)
  col_base: u32,       // EPILOGUE: column of the chunk's first element
  col_step: u32,       // EPILOGUE: 256 % cols, the column step between an invocation's vec4s
  bias_shift: u32,     // EPILOGUE: element index of bias[0] inside its binding
  aux_shift: u32,      // EPILOGUE: the same for the residual (forward) or x (backward)
  main_groups: u32,    // workgroups of dropout_main / dropout_apply_mask (all whole tiles)
  tail_tile: u32,      // first tile of the *_tail entry points
  bias: f32,           // AFFINE: added to kept values
  dropped: f32,        // AFFINE: the value of dropped elements
}

@group(0) @binding(0) var<uniform> params: Params;
// Bindings 1 (src) and 2 (dst) are declared by the io-*.wgsl file.
@group(0) @binding(3) var<storage, read_write> mask_words: array<u32>;
// Mask stage: word b holds the keep bits of block b (bit 4k + c for component c of vec4 k). A
// block's 24 elements lie in six mask words that eight lanes share, so a lane cannot write
// whole mask words; atomicOr into them cost ~1.6 copies on SwiftShader, a plain store and a packing
// pass ~0.3.
@group(0) @binding(7) var<storage, read_write> stage: array<u32>;
@group(0) @binding(7) var<storage, read_write> stage_atomic: array<atomic<u32>>; // dropout_ties
// Tie log: [0] tied blocks seen, [1..] the indices of the logged blocks.
// dropout_ties_once or dropout_tie_reset (after dropout_ties) sets [0] back to 0 once it
// has been read, so every chunk leaves the log ready for the next one (a new log is zeroed by
// WebGPU): no clear between chunks.
@group(0) @binding(4) var<storage, read_write> tie_log_rw: array<atomic<u32>>;

const NIBBLE = vec4<u32>(1u, 2u, 4u, 8u);

// Level 0 of a block: the hot path, with the uniform part of Philox precomputed.
fn draw0(block: u32) -> vec4<u32> {
  return philox4x32_10_varying_c0(params.block_base + block, vec4<u32>(params.pre0, params.pre1, params.pre2, params.pre3),
                                  vec2<u32>(params.seed_lo, params.seed_hi));
}

fn rule() -> Rule {
// #if TIES
  let ties = true;
// #else
  let ties = false;
// #endif
  return Rule(ties, params.tie_nibble, params.tie_keep_byte, params.tie_deep_byte, params.tie_up != 0u, params.keep_from, params.deep_from);
}

const NO_HOLD = vec4<bool>(false);

// Four flags as the low bits of a word (component c → bit c).
fn bits4(v: vec4<bool>) -> u32 {
  let b = select(vec4<u32>(0u), NIBBLE, v);
  return b.x | b.y | b.z | b.w;
}

// What level 0 decides for a block: its words with the settled ties moved across keep_from, so
// that nibble k of word c >= keep_from keeps component c of vec4 k; and the ties it leaves
// undecided (bit 4k + c, dropped for now).
struct Decision {
  r: vec4<u32>,
  undecided: u32,
}

fn decide(block: u32) -> Decision {
  var d = Decision(draw0(block), 0u);
// #if TIES
  let rule = rule();
  let t = bernoulli_ties(d.r, rule);
  d.r = bernoulli_moved(d.r, rule, t);
  d.undecided = t.undecided;
// #endif
  return d;
}

// Keep flags of vec4 k (0..5) of a decided block.
fn keep_at(d: Decision, k: u32) -> vec4<bool> {
  return ((d.r >> vec4<u32>(4u * k)) & vec4<u32>(0xfu)) >= vec4<u32>(params.keep_from);
}

// Elements of vec4 k held unchanged (the undecided ties, in place only).
fn hold_at(d: Decision, k: u32) -> vec4<bool> {
// #if INPLACE
  return (vec4<u32>(d.undecided >> (4u * k)) & NIBBLE) != vec4<u32>(0u);
// #else
  return NO_HOLD;
// #endif
}

// #if EPILOGUE
// #if BIAS4
@group(0) @binding(5) var<storage, read> bias: array<Packed>;
// #else
@group(0) @binding(5) var<storage, read> bias: array<Elem>;
// #endif
// #if AUX4
@group(0) @binding(6) var<storage, read> aux: array<Packed>; // the residual (forward) or x (backward)
// #else
@group(0) @binding(6) var<storage, read> aux: array<Elem>;
// #endif

// The columns of an invocation's vec4s. Integer division is slow on SwiftShader (it measured as
// costly as the rest of the epilogue), so there is one per invocation: start_columns takes the
// column of its first vec4, and each later vec4 (256 elements on: dropout_main and
// dropout_main_tail visit first, first + 256, …, first + 1280 in order) steps it by 256 % cols.
// A branch back to a division for other elements would cost the division every time (SwiftShader
// runs both sides), hence the cursor.
var<private> next_column: u32;
fn start_columns(first: u32) {
  next_column = (params.col_base + first) % params.cols;
}
fn column() -> u32 {
  let c = next_column;
  let stepped = c + params.col_step;
  next_column = select(stepped, stepped - params.cols, stepped >= params.cols);
  return c;
}

// The bias of the four elements at chunk element e (a multiple of 4).
fn bias4(e: u32) -> vec4<f32> {
  let c = column();
// #if BIAS4
  return vec4<f32>(bias[(params.bias_shift + c) >> 2u]);
// #else
  let b = params.bias_shift;
  let cols = params.cols;
  let c1 = select(c + 1u, c + 1u - cols, c + 1u >= cols);
  let c2 = select(c1 + 1u, c1 + 1u - cols, c1 + 1u >= cols);
  let c3 = select(c2 + 1u, c2 + 1u - cols, c2 + 1u >= cols);
  return vec4<f32>(f32(bias[b + c]), f32(bias[b + c1]), f32(bias[b + c2]), f32(bias[b + c3]));
// #endif
}

fn aux4(e: u32) -> vec4<f32> {
// #if AUX4
  return vec4<f32>(aux[(params.aux_shift + e) >> 2u]);
// #else
  let i = params.aux_shift + e;
  return vec4<f32>(f32(aux[i]), f32(aux[i + 1u]), f32(aux[i + 2u]), f32(aux[i + 3u]));
// #endif
}

// Single elements (the tie pass), for any e.
fn component(v: vec4<f32>, i: u32) -> f32 {
  return select(select(v.x, v.y, i == 1u), select(v.z, v.w, i == 3u), i >= 2u);
}
fn bias1(e: u32) -> f32 {
  let c = (params.col_base + e) % params.cols;
// #if BIAS4
  return component(vec4<f32>(bias[(params.bias_shift + c) >> 2u]), c & 3u);
// #else
  return f32(bias[params.bias_shift + c]);
// #endif
}
fn aux1(e: u32) -> f32 {
// #if AUX4
  return component(vec4<f32>(aux[(params.aux_shift + e) >> 2u]), e & 3u);
// #else
  return f32(aux[params.aux_shift + e]);
// #endif
}

// Activations and their derivatives. erf has no WGSL builtin: Abramowitz–Stegun 7.1.26
// (absolute error below 1.5e-7). tanh's argument is clamped to ±15, where f32 tanh is ±1 already,
// because WGSL's tanh may overflow to NaN for large |x|. CPU twin: src/cpu/epilogue.ts.
const SQRT1_2 = 0.70710678118654752;
const INV_SQRT_2PI = 0.39894228040143268;
const SQRT_2_OVER_PI = 0.79788456080286536;

fn erf4(x: vec4<f32>) -> vec4<f32> {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-a * a));
}

fn act(h: vec4<f32>) -> vec4<f32> {
// #if ACT_RELU
  return max(h, vec4<f32>(0.0));
// #else
// #if ACT_GELU
  return 0.5 * h * (1.0 + erf4(h * SQRT1_2));
// #else
// #if ACT_GELU_TANH
  return 0.5 * h * (1.0 + tanh(clamp(SQRT_2_OVER_PI * (h + 0.044715 * h * h * h), vec4<f32>(-15.0), vec4<f32>(15.0))));
// #else
// #if ACT_SILU
  return h / (1.0 + exp(-h));
// #else
  return h;
// #endif
// #endif
// #endif
// #endif
}

fn act_grad(h: vec4<f32>) -> vec4<f32> {
// #if ACT_RELU
  return select(vec4<f32>(0.0), vec4<f32>(1.0), h > vec4<f32>(0.0));
// #else
// #if ACT_GELU
  return 0.5 * (1.0 + erf4(h * SQRT1_2)) + h * INV_SQRT_2PI * exp(-0.5 * h * h);
// #else
// #if ACT_GELU_TANH
  let t = tanh(clamp(SQRT_2_OVER_PI * (h + 0.044715 * h * h * h), vec4<f32>(-15.0), vec4<f32>(15.0)));
  return 0.5 * (1.0 + t) + 0.5 * h * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * h * h);
// #else
// #if ACT_SILU
  let s = 1.0 / (1.0 + exp(-h));
  return s + h * s * (1.0 - s);
// #else
  return vec4<f32>(1.0);
// #endif
// #endif
// #endif
// #endif
}
// #endif

// Bias and residual (or x) of the four elements at e; zeros (unused) without an epilogue.
fn bias_of(e: u32) -> vec4<f32> {
// #if EPILOGUE
  return bias4(e);
// #else
  return vec4<f32>(0.0);
// #endif
}
fn aux_of(e: u32) -> vec4<f32> {
// #if EPILOGUE
  return aux4(e);
// #else
  return vec4<f32>(0.0);
// #endif
}

// #if DYN_SCALE
// The scale as an earlier pass of the same submit computed it (DropBlock's numel / (eps + kept)).
@group(0) @binding(7) var<storage, read_write> dyn_scale: array<f32>;
fn scale_of() -> f32 { return dyn_scale[1]; }
// #else
fn scale_of() -> f32 { return params.scale; }
// #endif

// The output of kept and of dropped elements, given their inputs x, bias b and residual (or, in
// backward, the pre-activation) a. f32 products are correctly rounded in WGSL; the CPU twins
// (src/cpu/reference.ts, src/cpu/epilogue.ts) round the same way.
fn kept_value(x: vec4<f32>, b: vec4<f32>, a: vec4<f32>) -> vec4<f32> {
// #if EPILOGUE_BACKWARD
  return (x * scale_of()) * act_grad(a + b);
// #else
// #if EPILOGUE
// #if RESIDUAL
  return act(x + b) * scale_of() + a;
// #else
  return act(x + b) * scale_of();
// #endif
// #else
// #if AFFINE
  return x * scale_of() + params.bias;
// #else
  return x * scale_of();
// #endif
// #endif
// #endif
}
fn dropped_value(a: vec4<f32>) -> vec4<f32> {
// #if AFFINE
  return vec4<f32>(params.dropped);
// #else
// #if RESIDUAL
  return a;
// #else
  return vec4<f32>(0.0);
// #endif
// #endif
}

// `hold`: elements written back unchanged (in-place tied elements; NO_HOLD otherwise).
fn output4(x: vec4<f32>, e: u32, keep: vec4<bool>, hold: vec4<bool>) -> vec4<f32> {
  let a = aux_of(e);
// #if INPLACE
  return select(select(dropped_value(a), kept_value(x, bias_of(e), a), keep), x, hold);
// #else
  return select(dropped_value(a), kept_value(x, bias_of(e), a), keep);
// #endif
}

fn apply4(e: u32, keep: vec4<bool>, hold: vec4<bool>) {
// #if DATA
  store4(e, output4(load4(e), e, keep, hold));
// #endif
}

// apply4 for any e: elements at or past n are left alone.
fn apply4_guarded(e: u32, keep: vec4<bool>, hold: vec4<bool>) {
// #if DATA
  let n = params.n;
  if (e + 3u < n) {
    apply4(e, keep, hold);
  } else if (e < n) {
    let count = n - e;
    store_partial(e, output4(load_partial(e, count), e, keep, hold), count);
  }
// #endif
}

// The keep bits of a block, as the mask stage holds them (bit 4k + c).
fn block_bits(d: Decision) -> u32 {
  return bernoulli_at_least(d.r, params.keep_from);
}

// #if TIES
fn log_tie(block: u32) {
  let slot = atomicAdd(&tie_log_rw[0], 1u);
  if (slot < params.tie_capacity) { atomicStore(&tie_log_rw[1u + slot], block); }
}
// #endif

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
// #if SPARE
  if (group >= params.main_groups) { return; }
// #endif
  let tile = group * (WORKGROUP_SIZE / 64u) + li / 64u;
  let block = tile * 64u + li % 64u;
  let first = tile * 1536u + (li % 64u) * 4u;
// #if EPILOGUE
  start_columns(first);
// #endif
  let d = decide(block);
  apply4(first, keep_at(d, 0u), hold_at(d, 0u));
  apply4(first + 256u, keep_at(d, 1u), hold_at(d, 1u));
  apply4(first + 512u, keep_at(d, 2u), hold_at(d, 2u));
  apply4(first + 768u, keep_at(d, 3u), hold_at(d, 3u));
  apply4(first + 1024u, keep_at(d, 4u), hold_at(d, 4u));
  apply4(first + 1280u, keep_at(d, 5u), hold_at(d, 5u));
// #if TIES
  if (d.undecided != 0u) { log_tie(block); }
// #endif
// #if WRITE_MASK
  stage[block] = block_bits(d);
// #endif
}

// Which of the four elements at e are below n.
fn in_range(e: u32) -> vec4<bool> {
  return vec4<u32>(e) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(params.n);
}

// The block's slots below n (bit 4k + c).
fn inside_bits(first: u32) -> u32 {
  return bits4(in_range(first)) | (bits4(in_range(first + 256u)) << 4u) | (bits4(in_range(first + 512u)) << 8u)
    | (bits4(in_range(first + 768u)) << 12u) | (bits4(in_range(first + 1024u)) << 16u) | (bits4(in_range(first + 1280u)) << 20u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_main_tail(@builtin(local_invocation_index) li: u32) {
  let tile = params.tail_tile + li / 64u;
  let block = tile * 64u + li % 64u;
  let first = tile * 1536u + (li % 64u) * 4u;
  if (first >= params.n) { return; }
// #if EPILOGUE
  start_columns(first);
// #endif
  let d = decide(block);
  apply4_guarded(first, keep_at(d, 0u), hold_at(d, 0u));
  apply4_guarded(first + 256u, keep_at(d, 1u), hold_at(d, 1u));
  apply4_guarded(first + 512u, keep_at(d, 2u), hold_at(d, 2u));
  apply4_guarded(first + 768u, keep_at(d, 3u), hold_at(d, 3u));
  apply4_guarded(first + 1024u, keep_at(d, 4u), hold_at(d, 4u));
  apply4_guarded(first + 1280u, keep_at(d, 5u), hold_at(d, 5u));
  // Elements past n are not the draw's: their ties are not logged, their bits not staged.
  let inside = inside_bits(first);
// #if TIES
  if ((d.undecided & inside) != 0u) { log_tie(block); }
// #endif
// #if WRITE_MASK
  stage[block] = block_bits(d) & inside;
// #endif
}

// #if TIES
// Gives the ties level 0 left undecided in one block (those below n) their final values. The
// first pass wrote the dropped value for each (or held it unchanged, in place).
fn resolve_block(block: u32) {
  let first = (block / 64u) * 1536u + (block % 64u) * 4u;
  let r = draw0(block);
  let rule = rule();
  var undecided = bernoulli_ties(r, rule).undecided & inside_bits(first);
  let kept = bernoulli_finish(params.block_base + block, vec2<u32>(params.offset_lo, params.offset_hi),
                              vec2<u32>(params.seed_lo, params.seed_hi), rule, r, undecided);
  while (undecided != 0u) {
    let j = firstTrailingBit(undecided);
    undecided &= undecided - 1u;
    let e = first + 256u * (j >> 2u) + (j & 3u);
    let keep = (kept & (1u << j)) != 0u;
// #if DATA
// #if EPILOGUE
    let a = vec4<f32>(aux1(e));
    let b = vec4<f32>(bias1(e));
// #else
    let a = vec4<f32>(0.0);
    let b = vec4<f32>(0.0);
// #endif
    store1(e, select(dropped_value(a), kept_value(vec4<f32>(load1(e)), b, a), keep).x);
// #endif
// #if WRITE_MASK
    if (keep) { atomicOr(&stage_atomic[block], 1u << j); }
// #endif
  }
}

// A fixed grid (sized on the host: one invocation per 128 blocks; about 2% of blocks log) walks
// the log with a grid stride; after an overflow of the log, every block of the chunk instead (rare:
// the log holds an eighth of the blocks). Direct dispatches only: an indirect dispatch sized by the
// log made WebGPU implementations validate its arguments with a pass of their own, ~11 µs of host
// time per dispatch in Dawn.
fn walk_ties(first: u32, stride: u32, logged: u32) {
  let overflow = logged > params.tie_capacity;
  // One loop and one call of resolve_block: SwiftShader runs the code of a branch no lane takes.
  let count = select(logged, (params.n + 1535u) / 1536u * 64u, overflow);
  for (var i = first; i < count; i += stride) {
    var block = i;
    if (!overflow) { block = atomicLoad(&tie_log_rw[1u + i]); }
    resolve_block(block);
  }
}

@compute @workgroup_size(64)
fn dropout_ties(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  walk_ties(gid.x, nwg.x * 64u, atomicLoad(&tie_log_rw[0]));
}

// The same as one workgroup (chunks up to 8,192 blocks), which empties the log itself once every
// invocation has read the count: no dropout_tie_reset after it. An entry point of its own because
// a barrier makes SwiftShader run the whole kernel as coroutines (5% slower rebuild at 2^20 when
// every tie grid had it).
@compute @workgroup_size(64)
fn dropout_ties_once(@builtin(local_invocation_index) li: u32) {
  let logged = atomicLoad(&tie_log_rw[0]);
  workgroupBarrier();
  if (li == 0u) { atomicStore(&tie_log_rw[0], 0u); }
  walk_ties(li, 64u, logged);
}

// Empties the log for the next chunk or call after a dropout_ties of several workgroups, which
// read the count in every workgroup (dispatches run in order, their storage writes visible to the
// next).
@compute @workgroup_size(1)
fn dropout_tie_reset() {
  atomicStore(&tie_log_rw[0], 0u);
}
// #endif

// #if WRITE_MASK
// Mask word `word` of the chunk holds elements 32·word … + 31: within tile t = word / 48, vec4
// k = (word / 8) % 6 of the lanes 8g … 8g + 7 (g = word % 8), i.e. nibble k of eight stage words.
// Bits past n are cleared (the stage words of blocks wholly past n are not written).
@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_pack_mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) li: u32) {
  let word = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + li;
  let first = word * 32u;
  if (first >= params.n) { return; }
  let tile = word / 48u;
  let within = word - 48u * tile;
  let base = tile * 64u + (within & 7u) * 8u;
  // Unrolled: loops cost extra on SwiftShader.
  store_mask_word(word, vec4<u32>(stage[base], stage[base + 1u], stage[base + 2u], stage[base + 3u]),
                  vec4<u32>(stage[base + 4u], stage[base + 5u], stage[base + 6u], stage[base + 7u]));
}

// Writes mask word `word` (first element below n) from the keep bits of the eight blocks that
// share it, lo and hi (blocks 8g … 8g + 7 of its tile, g = word % 8): nibble (word % 48) / 8 of
// each. Bits past n are cleared.
fn store_mask_word(word: u32, lo_bits: vec4<u32>, hi_bits: vec4<u32>) {
  let k4 = ((word % 48u) >> 3u) * 4u;
  let lo = (lo_bits >> vec4<u32>(k4)) & vec4<u32>(0xfu);
  let hi = (hi_bits >> vec4<u32>(k4)) & vec4<u32>(0xfu);
  let a = lo << vec4<u32>(0u, 4u, 8u, 12u);
  let b = hi << vec4<u32>(16u, 20u, 24u, 28u);
  let bits = a.x | a.y | a.z | a.w | b.x | b.y | b.z | b.w;
  let count = params.n - word * 32u;
  mask_words[params.mask_shift + word] = select(bits & ((1u << count) - 1u), bits, count >= 32u);
}

// The keep bits of the workgroup's blocks, for dropout_single: a tile's 48 mask words hold
// exactly its 64 blocks' bits, so a workgroup writes whole words, with no atomics and no stage.
var<workgroup> group_bits: array<u32, 256>; // one per invocation (WORKGROUP_SIZE <= 256)
// #endif

// Keep flags of vec4 k (0..5) of a block's keep bits (bit 4k + c).
fn keep_bits_at(bits: u32, k: u32) -> vec4<bool> {
  return (vec4<u32>(bits >> (4u * k)) & NIBBLE) != vec4<u32>(0u);
}

// The single-pass schedule's draw (forward, and backward that rebuilds the mask): every tile of
// the chunk in one dispatch, one block per invocation, each tie settled inline and every access
// checked against n (a spare workgroup of a 2-D grid finds nothing below n). With WRITE_MASK the
// workgroup then packs its tiles' mask words.
@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_single(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let tile = (wid.x + wid.y * nwg.x) * (WORKGROUP_SIZE / 64u) + li / 64u;
  let block = tile * 64u + li % 64u;
  let first = tile * 1536u + (li % 64u) * 4u;
  var bits = 0u;
  if (first < params.n) {
// #if EPILOGUE
    start_columns(first);
// #endif
    bits = bernoulli_keep(params.block_base + block, vec2<u32>(params.offset_lo, params.offset_hi),
                          vec2<u32>(params.seed_lo, params.seed_hi), rule(), draw0(block));
    apply4_guarded(first, keep_bits_at(bits, 0u), NO_HOLD);
    apply4_guarded(first + 256u, keep_bits_at(bits, 1u), NO_HOLD);
    apply4_guarded(first + 512u, keep_bits_at(bits, 2u), NO_HOLD);
    apply4_guarded(first + 768u, keep_bits_at(bits, 3u), NO_HOLD);
    apply4_guarded(first + 1024u, keep_bits_at(bits, 4u), NO_HOLD);
    apply4_guarded(first + 1280u, keep_bits_at(bits, 5u), NO_HOLD);
  }
// #if WRITE_MASK
  group_bits[li] = bits;
  workgroupBarrier();
  let within = li % 64u;
  let word = tile * 48u + within;
  if (within < 48u && word * 32u < params.n) {
    let base = li - within + (within & 7u) * 8u;
    store_mask_word(word, vec4<u32>(group_bits[base], group_bits[base + 1u], group_bits[base + 2u], group_bits[base + 3u]),
                    vec4<u32>(group_bits[base + 4u], group_bits[base + 5u], group_bits[base + 6u], group_bits[base + 7u]));
  }
// #endif
}

fn mask_keep(e: u32) -> vec4<bool> {
  let bits = mask_words[params.mask_shift + (e >> 5u)] >> (e & 31u);
  return (vec4<u32>(bits) & NIBBLE) != vec4<u32>(0u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_apply_mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_index) li: u32) {
  let group = wid.x + wid.y * nwg.x;
// #if SPARE
  if (group >= params.main_groups) { return; }
// #endif
  let first = (group * (WORKGROUP_SIZE / 64u) + li / 64u) * 1536u + (li % 64u) * 4u;
  apply4(first, mask_keep(first), NO_HOLD);
  apply4(first + 256u, mask_keep(first + 256u), NO_HOLD);
  apply4(first + 512u, mask_keep(first + 512u), NO_HOLD);
  apply4(first + 768u, mask_keep(first + 768u), NO_HOLD);
  apply4(first + 1024u, mask_keep(first + 1024u), NO_HOLD);
  apply4(first + 1280u, mask_keep(first + 1280u), NO_HOLD);
}

// The tiles from tail_tile on, every access checked: one workgroup after dropout_apply_mask in the
// multi-pass schedule, every tile of the chunk (tail_tile 0) in the single-pass one.
@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_apply_mask_tail(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                           @builtin(local_invocation_index) li: u32) {
  let first = (params.tail_tile + (wid.x + wid.y * nwg.x) * (WORKGROUP_SIZE / 64u) + li / 64u) * 1536u + (li % 64u) * 4u;
  for (var k = 0u; k < 6u; k++) {
    let e = first + 256u * k;
    if (e < params.n) { apply4_guarded(e, mask_keep(e), NO_HOLD); }
  }
}

// Fills the chunk's mask words without a draw: with ones (bits past n clear) when everything is
// kept (keep_from 0: eval mode, p = 0), else with zeros (p = 1).
@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_fill_mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) li: u32) {
  let word = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + li;
  let first = word * 32u;
  if (first < params.n) {
    let count = min(params.n - first, 32u);
    let ones = select(0xffffffffu, (1u << count) - 1u, count < 32u);
    mask_words[params.mask_shift + word] = select(0u, ones, params.keep_from == 0u);
  }
}
