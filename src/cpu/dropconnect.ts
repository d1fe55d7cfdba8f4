// CPU twin of shaders/dropconnect.wgsl: DropConnect in a linear layer with the mask dropout()
// draws on W (keepMask over outFeatures · inFeatures elements), each sum taken in f32 in the
// kernel's order (index ascending, one rounding per product and per addition; the GPU may fuse a
// product into its addition, so results agree within the summation's rounding bound, not bitwise).
import { DropoutArgumentError } from '../errors.js';
import { keepMask, maskBit, type DrawKey } from '../rng/mask.js';
import { dropRate } from '../rng/threshold.js';

/** Options of {@link dropConnectLinearCPU} and {@link dropConnectLinearBackwardCPU}. */
export interface DropConnectCpuOptions extends DrawKey {
  /** Rows of x. */
  batch: number;
  /** Columns of x and W. */
  inFeatures: number;
  /** Rows of W. */
  outFeatures: number;
  /** Drop probability of each weight, in [0, 1]. */
  p: number;
  /** Default true; false is the plain linear layer. */
  training?: boolean;
}

function prepareDraw(o: DropConnectCpuOptions, tensors: Record<string, [Float32Array | undefined, number]>): { mask: Uint32Array; scale: number } {
  for (const [name, [t, size]] of Object.entries(tensors)) {
    if (t !== undefined && t.length < size) throw new DropoutArgumentError(name, t.length, `at least ${size} values`);
  }
  const training = o.training ?? true;
  const rate = dropRate(training ? o.p : 0);
  return { mask: keepMask(o, rate.p, o.outFeatures * o.inFeatures), scale: rate.scale };
}

/**
 * y = x · (M ⊙ W)ᵀ · 1/(1 − p) + b on the CPU (M: the keep mask dropout() draws on W), and M as a
 * packed mask.
 * @example const { y } = dropConnectLinearCPU(x, w, b, { batch: 2, inFeatures: 3, outFeatures: 4, p: 0.5, seed: 1n, offset: 0n });
 */
export function dropConnectLinearCPU(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, o: DropConnectCpuOptions): {
  /** batch × outFeatures outputs. */
  y: Float32Array;
  /** The keep mask over W's elements, packed (bit e & 31 of word e >> 5). */
  mask: Uint32Array;
} {
  const { batch, inFeatures: K, outFeatures: N } = o;
  const { mask, scale } = prepareDraw(o, { x: [x, batch * K], weight: [weight, N * K], bias: [bias, N] });
  const y = new Float32Array(batch * N);
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) {
        if (maskBit(mask, n * K + k)) acc = Math.fround(acc + Math.fround(x[b * K + k]! * weight[n * K + k]!));
      }
      const v = Math.fround(acc * scale);
      y[b * N + n] = bias ? Math.fround(v + bias[n]!) : v;
    }
  }
  return { y, mask };
}

/**
 * The backward of {@link dropConnectLinearCPU}: dx = dy · (M ⊙ W) · scale, dW = M ⊙ (dyᵀ · x) · scale,
 * db = the column sums of dy.
 * @example const { dx, dWeight, dBias } = dropConnectLinearBackwardCPU(dy, x, w, { batch: 2, inFeatures: 3, outFeatures: 4, p: 0.5, seed: 1n, offset: 0n });
 */
export function dropConnectLinearBackwardCPU(dy: Float32Array, x: Float32Array, weight: Float32Array, o: DropConnectCpuOptions): {
  /** batch × inFeatures. */
  dx: Float32Array;
  /** outFeatures × inFeatures, 0 where the mask drops. */
  dWeight: Float32Array;
  /** outFeatures. */
  dBias: Float32Array;
} {
  const { batch, inFeatures: K, outFeatures: N } = o;
  const { mask, scale } = prepareDraw(o, { dy: [dy, batch * N], x: [x, batch * K], weight: [weight, N * K] });
  const dx = new Float32Array(batch * K);
  const dWeight = new Float32Array(N * K);
  const dBias = new Float32Array(N);
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < K; k++) {
      let acc = 0;
      for (let n = 0; n < N; n++) {
        if (maskBit(mask, n * K + k)) acc = Math.fround(acc + Math.fround(dy[b * N + n]! * weight[n * K + k]!));
      }
      dx[b * K + k] = Math.fround(acc * scale);
    }
  }
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      if (!maskBit(mask, n * K + k)) continue;
      let acc = 0;
      for (let b = 0; b < batch; b++) acc = Math.fround(acc + Math.fround(dy[b * N + n]! * x[b * K + k]!));
      dWeight[n * K + k] = Math.fround(acc * scale);
    }
    let sum = 0;
    for (let b = 0; b < batch; b++) sum = Math.fround(sum + dy[b * N + n]!);
    dBias[n] = sum;
  }
  return { dx, dWeight, dBias };
}
