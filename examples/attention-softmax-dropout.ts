// A worked example of DROPOUT_MASK_WGSL in a user's own kernel: attention's softmax and the
// dropout on its probabilities fused into one pass over (B, H, L, L) scores, and its backward, as
// FlashAttention does it: the mask is drawn inside the kernel and never stored. The mask is the
// one dropout() would draw on the probability tensor: element e = row · L + col of the draw
// (seed, offset), row = (b · H + h) · L + query. Only the library's public surface is used:
// DROPOUT_MASK_WGSL and maskUniforms (and, for the CPU check, keepMask from webgpu-dropout/cpu).
import { DROPOUT_MASK_WGSL, MASK_UNIFORM_WORDS, maskUniforms } from 'webgpu-dropout';
import { dropRate, keepMask, maskBit } from 'webgpu-dropout/cpu';

/**
 * The example's WGSL: DROPOUT_MASK_WGSL plus two entry points, one workgroup of 64 per row of L
 * scores (rows past the grid's first dimension wrap into its second):
 * - `attn_forward`: y = dropout(softmax(s)), the row's max and sum reduced in workgroup memory;
 * - `attn_backward`: ds = P ⊙ (dP − Σ dP ⊙ P) with dP = dy ⊙ keep · scale, P recomputed from s.
 * Each invocation takes four adjacent columns at a time, so the mask costs one or two Philox
 * blocks per four elements (wd_keep4), not one per element (wd_keep).
 */
export const ATTENTION_SOFTMAX_DROPOUT_WGSL = `${DROPOUT_MASK_WGSL}
struct Attn {
  mask: wd_Mask,   // maskUniforms(seed, offset, p): words 0-11
  rows: u32,       // B · H · L
  len: u32,        // L
}
@group(0) @binding(0) var<uniform> attn: Attn;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // y (forward), ds (backward)

var<workgroup> partial: array<f32, 64>;

fn reduce(v: f32, t: u32, is_max: bool) -> f32 {
  partial[t] = v;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride >>= 1u) {
    if (t < stride) {
      partial[t] = select(partial[t] + partial[t + stride], max(partial[t], partial[t + stride]), is_max);
    }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}

// The row's max and the sum of exp(s - max), reduced over the workgroup.
fn row_stats(base: u32, t: u32) -> vec2<f32> {
  var m = -3.0e38;
  for (var c = t; c < attn.len; c += 64u) { m = max(m, s[base + c]); }
  m = reduce(m, t, true);
  var total = 0.0;
  for (var c = t; c < attn.len; c += 64u) { total += exp(s[base + c] - m); }
  return vec2<f32>(m, reduce(total, t, false));
}

@compute @workgroup_size(64)
fn attn_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) t: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= attn.rows) { return; }
  let base = row * attn.len;
  let stats = row_stats(base, t);
  let first = wd_element_at(row, attn.len, 0u);
  for (var c = 4u * t; c < attn.len; c += 256u) {
    let keep = wd_keep4(attn.mask, wd_element_add(first, c));
    for (var j = 0u; j < 4u && c + j < attn.len; j++) {
      let p = exp(s[base + c + j] - stats.x) / stats.y;
      out[base + c + j] = select(0.0, p * wd_scale(attn.mask), keep[j]);
    }
  }
}

@compute @workgroup_size(64)
fn attn_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) t: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= attn.rows) { return; }
  let base = row * attn.len;
  let stats = row_stats(base, t);
  let first = wd_element_at(row, attn.len, 0u);
  var dot = 0.0;
  for (var c = 4u * t; c < attn.len; c += 256u) {
    let keep = wd_keep4(attn.mask, wd_element_add(first, c));
    for (var j = 0u; j < 4u && c + j < attn.len; j++) {
      let p = exp(s[base + c + j] - stats.x) / stats.y;
      dot += select(0.0, dy[base + c + j] * wd_scale(attn.mask), keep[j]) * p;
    }
  }
  dot = reduce(dot, t, false);
  for (var c = 4u * t; c < attn.len; c += 256u) {
    let keep = wd_keep4(attn.mask, wd_element_add(first, c));
    for (var j = 0u; j < 4u && c + j < attn.len; j++) {
      let p = exp(s[base + c + j] - stats.x) / stats.y;
      let dp = select(0.0, dy[base + c + j] * wd_scale(attn.mask), keep[j]);
      out[base + c + j] = p * (dp - dot);
    }
  }
}`;

/** The shape and draw of one call: scores (B, H, L, L), row-major f32. */
export interface AttentionDropoutArgs {
  batch: number;
  heads: number;
  len: number;
  p: number;
  seed: bigint;
  offset: bigint;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function pipeline(device: GPUDevice, entryPoint: 'attn_forward' | 'attn_backward'): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let found = cache.get(entryPoint);
  if (!found) {
    const module = device.createShaderModule({ code: ATTENTION_SOFTMAX_DROPOUT_WGSL, label: 'attention softmax + dropout' });
    found = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint } });
    cache.set(entryPoint, found);
  }
  return found;
}

function dispatch(device: GPUDevice, entryPoint: 'attn_forward' | 'attn_backward', args: AttentionDropoutArgs, buffers: GPUBuffer[]): void {
  const rows = args.batch * args.heads * args.len;
  const words = new Uint32Array(MASK_UNIFORM_WORDS + 4);
  words.set(maskUniforms(args.seed, args.offset, args.p));
  words.set([rows, args.len], MASK_UNIFORM_WORDS);
  const uniforms = device.createBuffer({ size: words.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(uniforms, 0, words);
  const p = pipeline(device, entryPoint);
  const bindings = entryPoint === 'attn_forward' ? [1, 3] : [1, 2, 3];
  const group = device.createBindGroup({
    layout: p.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: uniforms } }, ...bindings.map((binding, i) => ({ binding, resource: { buffer: buffers[i]! } }))],
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(p);
  pass.setBindGroup(0, group);
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  pass.dispatchWorkgroups(Math.min(rows, max), Math.ceil(rows / max));
  pass.end();
  device.queue.submit([encoder.finish()]);
  uniforms.destroy(); // freed once the submitted work is done
}

/**
 * y = dropout(softmax(scores)) over the last dimension, fused: the probabilities are never
 * written before dropout. `scores` and `y` hold B·H·L·L f32 values.
 * @example attentionSoftmaxDropout(device, scores, y, { batch: 2, heads: 4, len: 128, p: 0.1, seed: 1n, offset: 0n });
 */
export function attentionSoftmaxDropout(device: GPUDevice, scores: GPUBuffer, y: GPUBuffer, args: AttentionDropoutArgs): void {
  dispatch(device, 'attn_forward', args, [scores, y]);
}

/**
 * The gradient with respect to the scores, from the scores and dy (P recomputed, the mask redrawn
 * from the same (seed, offset)).
 * @example attentionSoftmaxDropoutBackward(device, scores, dy, dScores, args);
 */
export function attentionSoftmaxDropoutBackward(device: GPUDevice, scores: GPUBuffer, dy: GPUBuffer, dScores: GPUBuffer, args: AttentionDropoutArgs): void {
  dispatch(device, 'attn_backward', args, [scores, dy, dScores]);
}

/**
 * CPU reference in f64 (exact softmax, then rounded once): y, the gradient, P and the keep mask
 * (keepMask over B·H·L·L elements).
 */
export function attentionSoftmaxDropoutCPU(scores: Float32Array, dy: Float32Array, args: AttentionDropoutArgs): { y: Float32Array; ds: Float32Array; probs: Float64Array; mask: Uint32Array; scale: number } {
  const { len } = args;
  const rows = args.batch * args.heads * len;
  const mask = keepMask(args, args.p, rows * len);
  const scale = dropRate(args.p).scale; // the scale maskUniforms gives the kernel
  const y = new Float32Array(rows * len);
  const ds = new Float32Array(rows * len);
  const probs = new Float64Array(rows * len);
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let m = -Infinity;
    for (let c = 0; c < len; c++) m = Math.max(m, scores[base + c]!);
    let total = 0;
    for (let c = 0; c < len; c++) total += Math.exp(scores[base + c]! - m);
    let dot = 0;
    for (let c = 0; c < len; c++) {
      const p = Math.exp(scores[base + c]! - m) / total;
      probs[base + c] = p;
      const kept = maskBit(mask, base + c);
      y[base + c] = kept ? p * scale : 0;
      dot += (kept ? dy[base + c]! * scale : 0) * p;
    }
    for (let c = 0; c < len; c++) {
      const dp = maskBit(mask, base + c) ? dy[base + c]! * scale : 0;
      ds[base + c] = probs[base + c]! * (dp - dot);
    }
  }
  return { y, ds, probs, mask, scale };
}
