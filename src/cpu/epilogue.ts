// CPU twin of the fused epilogue (the EPILOGUE paths of shaders/dropout.wgsl) and of the fixed-order
// column sums (shaders/reduce.wgsl). Activations are evaluated in float64 from the f32
// pre-activation and rounded once; the GPU evaluates them in f32 with WGSL's exp/tanh accuracy, so
// 'gelu', 'gelu_tanh' and 'silu' agree to a tolerance (docs/family.md), 'none' and 'relu' bit for bit.
import { DropoutArgumentError } from '../errors.js';
import { keepMask, maskBit, type DrawKey } from '../rng/mask.js';
import { dropRate, type DropRate } from '../rng/threshold.js';
import { checkKey, checkOptions, checkTraining, OPTIONS } from '../spec/options.js';
import { checkActivation, ROWS_PER_BLOCK, type Activation } from '../spec/epilogue.js';

export { ACTIVATIONS, type Activation } from '../spec/epilogue.js';

function erf(x: number): number {
  // The same Abramowitz–Stegun 7.1.26 approximation the shader uses.
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-a * a));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const tanhArg = (h: number): number => Math.min(15, Math.max(-15, SQRT_2_OVER_PI * (h + 0.044715 * h * h * h)));

/**
 * The activation of a pre-activation value, in float64 (the shader's formulas: erf by
 * Abramowitz–Stegun 7.1.26, tanh's argument clamped to ±15).
 * @example activation('gelu', 1) // 0.8413…
 */
export function activation(kind: Activation, h: number): number {
  switch (kind) {
    case 'relu': return Math.max(h, 0);
    case 'gelu': return 0.5 * h * (1 + erf(h * Math.SQRT1_2));
    case 'gelu_tanh': return 0.5 * h * (1 + Math.tanh(tanhArg(h)));
    case 'silu': return h / (1 + Math.exp(-h));
    default: return h;
  }
}

/**
 * The activation's derivative at a pre-activation value, in float64 (the shader's formulas).
 * @example activationGrad('relu', -1) // 0
 */
export function activationGrad(kind: Activation, h: number): number {
  switch (kind) {
    case 'relu': return h > 0 ? 1 : 0;
    case 'gelu': return 0.5 * (1 + erf(h * Math.SQRT1_2)) + h * Math.exp(-0.5 * h * h) / Math.sqrt(2 * Math.PI);
    case 'gelu_tanh': {
      const t = Math.tanh(tanhArg(h));
      return 0.5 * (1 + t) + 0.5 * h * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * h * h);
    }
    case 'silu': {
      const s = 1 / (1 + Math.exp(-h));
      return s + h * s * (1 - s);
    }
    default: return 1;
  }
}

/** Options of {@link fusedDropoutCPU} and {@link fusedDropoutBackwardCPU}. */
export interface EpilogueOptions extends DrawKey {
  /** Drop probability in [0, 1]. */
  p: number;
  /** Training mode; default true. In eval mode bias, activation and residual still apply. */
  training?: boolean;
  /** 'none' (default), 'relu', 'gelu', 'gelu_tanh' or 'silu'. */
  activation?: Activation;
}

/** The options, checked as the GPU's fusedDropout checks them; the rate is 0 in eval mode. */
function checkEpilogue(options: EpilogueOptions, operation: string): { act: Activation; rate: DropRate } {
  checkOptions(options, operation, operation === 'fusedDropoutCPU' ? OPTIONS.fusedDropout : OPTIONS.fusedDropoutBackward);
  const rate = dropRate(options.p);
  const training = checkTraining(options.training, true);
  checkKey(options);
  return { act: checkActivation(options.activation), rate: training ? rate : dropRate(0) };
}

/**
 * y = residual + dropout(act(x + bias)) on the CPU, bias broadcast over the last dimension
 * (length bias.length), residual optional. Kept: f32(f32(act(f32(x + b)) · scale) + r).
 * @example fusedDropoutCPU(x, bias, residual, { p: 0.1, activation: 'gelu', seed: 1n, offset: 0n })
 */
export function fusedDropoutCPU(x: Float32Array, bias: Float32Array, residual: Float32Array | null, options: EpilogueOptions): {
  /** residual + dropout(act(x + bias)). */
  y: Float32Array;
  /** The packed keep mask. */
  mask: Uint32Array;
} {
  const { act, rate } = checkEpilogue(options, 'fusedDropoutCPU');
  const cols = bias.length;
  const n = x.length;
  if (cols === 0 || n % cols !== 0) throw new DropoutArgumentError('bias', bias, `a Float32Array whose length divides x.length = ${n}`);
  const mask = keepMask(options, rate.p, n);
  const f32 = Math.fround;
  const y = new Float32Array(n);
  for (let e = 0; e < n; e++) {
    const r = residual ? residual[e]! : 0;
    const a = f32(activation(act, f32(x[e]! + bias[e % cols]!)));
    const kept = rate.dropsAll ? false : maskBit(mask, e);
    y[e] = kept ? (residual ? f32(f32(a * rate.scale) + r) : f32(a * rate.scale)) : residual ? r : 0;
  }
  return { y, mask };
}

/**
 * Backward of {@link fusedDropoutCPU}: dx = keep ? f32(f32(dy · scale) · act'(x + b)) : 0, and
 * dbias = the column sums of dx (fixed order, {@link columnSumsCPU}); dresidual is dy.
 */
export function fusedDropoutBackwardCPU(dy: Float32Array, x: Float32Array, bias: Float32Array, options: EpilogueOptions): {
  /** dL/dx. */
  dx: Float32Array;
  /** dL/dbias: the fixed-order column sums of dx. */
  dbias: Float32Array;
} {
  const { act, rate } = checkEpilogue(options, 'fusedDropoutBackwardCPU');
  const cols = bias.length;
  const n = dy.length;
  const mask = keepMask(options, rate.p, n);
  const f32 = Math.fround;
  const dx = new Float32Array(n);
  for (let e = 0; e < n; e++) {
    if (rate.dropsAll || !maskBit(mask, e)) continue;
    dx[e] = f32(f32(dy[e]! * rate.scale) * f32(activationGrad(act, f32(x[e]! + bias[e % cols]!))));
  }
  return { dx, dbias: columnSumsCPU(dx, n / cols, cols) };
}

/** Column sums in shaders/reduce.wgsl's order: blocks of 256 rows top to bottom, then the blocks. */
export function columnSumsCPU(m: Float32Array, rows: number, cols: number): Float32Array {
  const f32 = Math.fround;
  const blocks = Math.ceil(rows / ROWS_PER_BLOCK);
  const out = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    let total = 0;
    for (let b = 0; b < blocks; b++) {
      let sum = 0;
      for (let r = b * ROWS_PER_BLOCK; r < Math.min(rows, (b + 1) * ROWS_PER_BLOCK); r++) sum = f32(sum + m[r * cols + c]!);
      total = f32(total + sum);
    }
    out[c] = total;
  }
  return out;
}
