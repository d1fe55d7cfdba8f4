// Inverted dropout, f32: dst = keep ? src * scale : 0, with keep drawn from Philox4x32-10.
// Compiled as philox.wgsl + this file + one of io-vec4.wgsl / io-scalar.wgsl (element access:
// src, dst, load4/store4, load1/store1), after `#if` specialization (src/gpu/specialize.ts):
//   WRITE_MASK  dropout_main also writes the packed keep mask (bit e & 31 of word e >> 5)
//   TIES        dropout_main logs blocks whose top bytes tie with the threshold's
// The mask contract (README, "Mask contract") and its CPU twin (src/rng/mask.ts) define which
// elements are kept; this file only walks it in parallel.
//
// Layout: a tile is 1024 elements and 64 Philox blocks. Block `lane` of a tile decides the four
// vec4s at elements 4*lane + 256*k (k = 0..3): byte k of output word c is the top byte of the
// uniform of component c of vec4 k. Lanes own vec4s 64 apart so that neighbouring lanes touch
// neighbouring memory.
//
// SwiftShader (the CPU Vulkan driver CI runs on) pays for every extra feature inside the hot
// kernel, even untaken, so dropout_main does only the common case: whole vec4s whose top byte
// decides. The rare rest, the elements that tie and the last partial vec4, goes to
// dropout_ties, a second dispatch sized by the blocks dropout_main logs.
//
// Entry points:
//   dropout_main             forward, and backward that rebuilds the mask
//   dropout_ties             tied elements and the partial vec4 of logged blocks
//   dropout_apply_mask       backward from a packed 1-bit mask, no Philox
//   dropout_apply_mask_tail  its partial vec4
//   dropout_fill_mask        the all-ones mask of a draw that keeps everything

override WORKGROUP_SIZE: u32 = 64u; // a multiple of 64: each 64 invocations own one tile

// Field order is mirrored by PARAM_FIELDS in src/gpu/params.ts (a test compares them).
struct Params {
  n: u32,             // elements in this chunk
  block_base: u32,    // Philox block index of the chunk's first element (chunk start / 16)
  threshold: u32,     // T = round(p * 2^32); an element is kept iff its uniform u >= T
  keep_from: u32,     // top-byte rule: byte >= keep_from is kept without looking deeper
  tie_byte: u32,      // top byte that needs deeper levels; 0x100 when none can
  scale: f32,         // f32(1 / (1 - p)), computed once on the host
  seed_lo: u32,
  seed_hi: u32,
  offset_lo: u32,     // the draw's 64-bit offset: Philox counter words 2 and 3
  offset_hi: u32,
  src_shift: u32,     // element index of the chunk's first element inside the src binding
  dst_shift: u32,
  mask_shift: u32,    // word index of the chunk's first mask word inside the mask binding
  tie_capacity: u32,  // blocks the tie log can hold
  tie_full_x_add: u32, // on overflow: added to the tie dispatch's x so it covers every block
  tie_full_y: u32,     // on overflow: the tie dispatch's y
  tail_block: u32,     // block holding the partial vec4 (pre-logged by the host), or 0xffffffff
}

@group(0) @binding(0) var<uniform> params: Params;
// Bindings 1 (src) and 2 (dst) are declared by the io-*.wgsl file.
@group(0) @binding(3) var<storage, read_write> mask_words: array<u32>;
@group(0) @binding(3) var<storage, read_write> mask_atomic: array<atomic<u32>>; // dropout_ties only
// Tie log: [0] blocks logged, [1..3] indirect dispatch size of dropout_ties, [4..] block indices.
// The host seeds it before dropout_main (with the tail block, if any).
@group(0) @binding(4) var<storage, read_write> tie_log_rw: array<atomic<u32>>; // dropout_main
@group(0) @binding(4) var<storage, read> tie_log: array<u32>;                  // dropout_ties

fn draw(block: u32, level: u32) -> vec4<u32> {
  return philox4x32_10(
    vec4<u32>(params.block_base + block, level, params.offset_lo, params.offset_hi),
    vec2<u32>(params.seed_lo, params.seed_hi));
}

fn tile_and_lane(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> vec2<u32> {
  let tile = (wid.x + wid.y * nwg.x) * (WORKGROUP_SIZE / 64u) + li / 64u;
  return vec2<u32>(tile, li % 64u);
}

// The four elements starting at chunk element e, if all four exist: kept ones scaled, dropped +0.
fn emit4(e: u32, keep: vec4<bool>) {
  if (e + 3u < params.n) {
    store4(e, select(vec4<f32>(0.0), load4(e) * params.scale, keep));
  }
}

// #if WRITE_MASK
var<workgroup> lane_nibbles: array<u32, WORKGROUP_SIZE>;

// Keep flags of the four elements at e as 4 bits, 0 past the end so the mask's tail stays 0.
fn nibble(keep: vec4<bool>, e: u32) -> u32 {
  let exists = (vec4<u32>(e) + vec4<u32>(0u, 1u, 2u, 3u)) < vec4<u32>(params.n);
  let bits = select(vec4<u32>(0u), vec4<u32>(1u, 2u, 4u, 8u), keep & exists);
  return bits.x | bits.y | bits.z | bits.w;
}
// #endif

// #if TIES
fn log_tie(block: u32) {
  let slot = atomicAdd(&tie_log_rw[0], 1u);
  if (slot < params.tie_capacity) {
    atomicStore(&tie_log_rw[4u + slot], block);
    if (slot % 64u == 0u) {
      atomicAdd(&tie_log_rw[1], 1u);
      atomicMax(&tie_log_rw[2], 1u);
      atomicMax(&tie_log_rw[3], 1u);
    }
  } else if (slot == params.tie_capacity) {
    // The log is full: grow the tie dispatch to every block (the increments of the slots below
    // the capacity plus this one add up to the full size) and let it re-examine them all.
    atomicAdd(&tie_log_rw[1], params.tie_full_x_add);
    atomicMax(&tie_log_rw[2], params.tie_full_y);
    atomicMax(&tie_log_rw[3], 1u);
  }
}
// #endif

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) li: u32) {
  let at = tile_and_lane(wid, nwg, li);
  let block = at.x * 64u + at.y;
  let first = at.x * 1024u + at.y * 4u;
  let r = draw(block, 0u);
  let b0 = r & vec4<u32>(0xffu);
  let b1 = (r >> vec4<u32>(8u)) & vec4<u32>(0xffu);
  let b2 = (r >> vec4<u32>(16u)) & vec4<u32>(0xffu);
  let b3 = r >> vec4<u32>(24u);
  let keep_from = vec4<u32>(params.keep_from);
  let k0 = b0 >= keep_from;
  let k1 = b1 >= keep_from;
  let k2 = b2 >= keep_from;
  let k3 = b3 >= keep_from;
  emit4(first, k0);
  emit4(first + 256u, k1);
  emit4(first + 512u, k2);
  emit4(first + 768u, k3);
// #if TIES
  let tie = vec4<u32>(params.tie_byte);
  if (any((b0 == tie) | (b1 == tie) | (b2 == tie) | (b3 == tie)) && first < params.n && block != params.tail_block) {
    log_tie(block);
  }
// #endif
// #if WRITE_MASK
  lane_nibbles[li] = nibble(k0, first) | (nibble(k1, first + 256u) << 4u)
                   | (nibble(k2, first + 512u) << 8u) | (nibble(k3, first + 768u) << 12u);
  workgroupBarrier();
  if (at.y < 32u) {
    // Word w of the tile holds nibble w / 8 of lanes 8 * (w % 8) .. 8 * (w % 8) + 7.
    let w = at.y;
    let first_lane = li - w + (w & 7u) * 8u;
    let shift = 4u * (w >> 3u);
    var word = 0u;
    for (var q = 0u; q < 8u; q++) {
      word |= ((lane_nibbles[first_lane + q] >> shift) & 0xfu) << (4u * q);
    }
    let index = at.x * 32u + w;
    if (index * 32u < params.n) {
      mask_words[params.mask_shift + index] = word;
    }
  }
// #endif
}

fn pick(v: vec4<u32>, i: u32) -> u32 {
  return select(select(v.x, v.y, i == 1u), select(v.z, v.w, i == 3u), i >= 2u);
}

@compute @workgroup_size(64)
fn dropout_ties(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  let logged = tie_log[0];
  var block = i;
  if (logged <= params.tie_capacity) {
    if (i >= logged) { return; }
    block = tie_log[4u + i];
  } else if (i >= ((params.n + 1023u) / 1024u) * 64u) {
    return;
  }
  let r = draw(block, 0u);
  let first = (block / 64u) * 1024u + (block % 64u) * 4u;
  let whole = params.n & ~3u; // elements from here on form the partial vec4 dropout_main skipped
  // Bit j = 4 * k + c stands for component c of vec4 k of the block.
  var pending = 0u; // tied with the threshold: decided below from deeper levels
  var tail = 0u;    // in the partial vec4 and decided by the top byte
  var kept = 0u;
  for (var j = 0u; j < 16u; j++) {
    let e = first + 256u * (j >> 2u) + (j & 3u);
    let b = (pick(r, j & 3u) >> (8u * (j >> 2u))) & 0xffu;
    if (e < params.n) {
      if (b == params.tie_byte) {
        pending |= 1u << j;
      } else if (e >= whole) {
        tail |= 1u << j;
        if (b >= params.keep_from) { kept |= 1u << j; }
      }
    }
  }
  var write = pending | tail;
  for (var level = 1u; level < 4u && pending != 0u; level++) {
    let rl = draw(block, level);
    let t = (params.threshold >> (24u - 8u * level)) & 0xffu;
    var todo = pending;
    while (todo != 0u) {
      let j = firstTrailingBit(todo);
      todo &= todo - 1u;
      let b = (pick(rl, j & 3u) >> (8u * (j >> 2u))) & 0xffu;
      if (b != t) {
        pending &= ~(1u << j);
        if (b > t) { kept |= 1u << j; }
      }
    }
  }
  kept |= pending; // equal to T in all four bytes: u >= T holds
  while (write != 0u) {
    let j = firstTrailingBit(write);
    write &= write - 1u;
    let e = first + 256u * (j >> 2u) + (j & 3u);
    let keep = (kept & (1u << j)) != 0u;
    store1(e, select(0.0, load1(e) * params.scale, keep));
// #if WRITE_MASK
    if (keep) {
      atomicOr(&mask_atomic[params.mask_shift + (e >> 5u)], 1u << (e & 31u));
    }
// #endif
  }
}

fn mask_nibble(e: u32) -> vec4<bool> {
  var bits = 0u;
  if (e < params.n) { bits = mask_words[params.mask_shift + (e >> 5u)] >> (e & 31u); }
  return (vec4<u32>(bits) & vec4<u32>(1u, 2u, 4u, 8u)) != vec4<u32>(0u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_apply_mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_index) li: u32) {
  let at = tile_and_lane(wid, nwg, li);
  let first = at.x * 1024u + at.y * 4u;
  emit4(first, mask_nibble(first));
  emit4(first + 256u, mask_nibble(first + 256u));
  emit4(first + 512u, mask_nibble(first + 512u));
  emit4(first + 768u, mask_nibble(first + 768u));
}

@compute @workgroup_size(1)
fn dropout_apply_mask_tail() {
  for (var e = params.n & ~3u; e < params.n; e++) {
    let keep = ((mask_words[params.mask_shift + (e >> 5u)] >> (e & 31u)) & 1u) != 0u;
    store1(e, select(0.0, load1(e) * params.scale, keep));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_fill_mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) li: u32) {
  let word = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + li;
  let first = word * 32u;
  if (first < params.n) {
    let count = min(params.n - first, 32u);
    mask_words[params.mask_shift + word] = select(0xffffffffu, (1u << count) - 1u, count < 32u);
  }
}
