import { checkActivation, type Activation } from '../spec/epilogue.js';
import { DropoutArgumentError } from '../errors.js';
import { type BufferArg } from '../gpu/buffers.js';
import { run } from '../gpu/execute.js';
import { planJob } from '../kernels/dropout.js';
import { planColumnSums } from '../kernels/reduce.js';
import { dropRate } from '../rng/threshold.js';
import { checkShape } from '../shape.js';
import { checkOptions, OPTIONS } from '../spec/options.js';
import { call, planned, type DropoutCallOptions, type PlannedCall } from './functional.js';
import { checkDistinct, maskRange, tensorRange } from './validate.js';
import { planRepeatable } from './repeat.js';

/** Options shared by {@link fusedDropout} and {@link fusedDropoutBackward}. */
export interface FusedDropoutCallOptions extends Omit<DropoutCallOptions, 'noiseShape' | 'mode' | 'n'> {
  /** (…, cols): the bias is broadcast over the last dimension. */
  shape: readonly number[];
  /** 'none' (default), 'relu', 'gelu' (erf), 'gelu_tanh' or 'silu'. */
  activation?: Activation;
}

/** Options of {@link fusedDropout}. */
export interface FusedDropoutOptions extends FusedDropoutCallOptions {
  /** The pre-activation x. */
  x: BufferArg;
  /** cols values (f32, or f16 with dtype 'f16') added to every row of x. */
  bias: BufferArg;
  /** Optional residual added after dropout. */
  residual?: BufferArg;
  /** y = residual + dropout(act(x + bias)): a buffer of its own (the fused epilogue never runs in place). */
  y: BufferArg;
  /** Optional packed keep mask output. */
  mask?: BufferArg;
}

/** Options of {@link fusedDropoutBackward}. */
export interface FusedDropoutBackwardOptions extends FusedDropoutCallOptions {
  /** Gradient of y. */
  dy: BufferArg;
  /** The forward's pre-activation x (not its output): the activation's derivative is rebuilt from it. */
  x: BufferArg;
  /** The forward's bias (cols values). */
  bias: BufferArg;
  /** dL/dx, written. */
  dx: BufferArg;
  /** dL/dbias (cols values), written: the column sums of dx in a fixed order (the same every run). */
  dbias: BufferArg;
}

/** The options object and its shape, checked before anything else reads them. */
function checkFusedOptions(options: unknown, operation: 'fusedDropout' | 'fusedDropoutBackward'): void {
  checkOptions(options, operation, OPTIONS[operation]);
  checkShape('shape', (options as { shape?: unknown }).shape);
}

function cols(shape: readonly number[]): number {
  const last = shape[shape.length - 1];
  if (!last) throw new DropoutArgumentError('shape', shape, 'a shape whose last dimension (the bias length) is at least 1');
  return last;
}

/**
 * Fused epilogue: y = residual + dropout(act(x + bias)) in one pass — one read of each input, one
 * write — with the mask contract of {@link dropout} on the element index. In eval mode the dropout
 * is the identity but the bias, activation and residual still apply.
 * @example
 * await fusedDropout(device, { x, bias, residual, y, shape: [tokens, hidden], activation: 'gelu', p: 0.1, training: true, seed: 1n, offset: 0n });
 */
export function fusedDropout(device: GPUDevice, options: FusedDropoutOptions): Promise<void> {
  return run(() => planFusedDropout(device, options));
}

/** Plans a {@link fusedDropout} call without running it. */
export function planFusedDropout(device: GPUDevice, options: FusedDropoutOptions): PlannedCall | null {
  const operation = 'fusedDropout';
  return planRepeatable(device, operation, options, () => planFusedAfresh(device, options, operation));
}

function planFusedAfresh(device: GPUDevice, options: FusedDropoutOptions, operation: 'fusedDropout'): PlannedCall | null {
  checkFusedOptions(options, operation);
  const c = call(device, { ...options, noiseShape: undefined }, operation);
  const act = checkActivation(options.activation);
  const width = cols(options.shape);
  const x = tensorRange('x', options.x, c.n, c.dtype);
  const y = tensorRange('y', options.y, c.n, c.dtype);
  const bias = tensorRange('bias', options.bias, width, c.dtype);
  const residual = options.residual === undefined ? null : tensorRange('residual', options.residual, c.n, c.dtype);
  const mask = maskRange(options.mask, c.n);
  checkDistinct([x, y, bias, residual, mask], null, [0, 2, 3]); // x, bias and residual are bound read-only
  if (c.n === 0) return null;
  const rate = c.training ? c.rate : dropRate(0);
  return planned(c, [planJob(c.state, {
    kind: 'draw', src: x, dst: y, mask, n: c.n, rate, seed: c.seed, offset: c.offset, f16: c.dtype === 'f16',
    epilogue: { direction: 'forward', act, bias, aux: residual, cols: width },
    workgroupSize: c.workgroupSize ?? 64, operation,
  })]);
}

/**
 * Backward of {@link fusedDropout}: dx = dropout'(dy) · act'(x + bias) with the mask rebuilt from
 * (seed, offset) and the activation's derivative rebuilt from the pre-activation x (no stored
 * activation), and dbias = column sums of dx in a fixed order. The residual's gradient is dy
 * itself: it is returned as `dresidual`, nothing is copied.
 * @example
 * const { dresidual } = await fusedDropoutBackward(device, { dy, x, bias, dx, dbias, shape, activation: 'gelu', p: 0.1, training: true, seed: 1n, offset: 0n });
 */
export function fusedDropoutBackward(device: GPUDevice, options: FusedDropoutBackwardOptions): Promise<{
  /** The residual's gradient: dy itself. */
  dresidual: BufferArg;
}> {
  // `options` may be anything here: planning refuses it before the result is ever used.
  return run(() => planFusedDropoutBackward(device, options), { dresidual: (options as Partial<FusedDropoutBackwardOptions> | null)?.dy as BufferArg });
}

/** Plans a {@link fusedDropoutBackward} call without running it. */
export function planFusedDropoutBackward(device: GPUDevice, options: FusedDropoutBackwardOptions): PlannedCall | null {
  const operation = 'fusedDropoutBackward';
  return planRepeatable(device, operation, options, () => planFusedBackwardAfresh(device, options, operation));
}

function planFusedBackwardAfresh(device: GPUDevice, options: FusedDropoutBackwardOptions, operation: 'fusedDropoutBackward'): PlannedCall | null {
  checkFusedOptions(options, operation);
  const c = call(device, { ...options, noiseShape: undefined }, operation);
  const act = checkActivation(options.activation);
  const width = cols(options.shape);
  const dy = tensorRange('dy', options.dy, c.n, c.dtype);
  const x = tensorRange('x', options.x, c.n, c.dtype);
  const bias = tensorRange('bias', options.bias, width, c.dtype);
  const dx = tensorRange('dx', options.dx, c.n, c.dtype);
  const dbias = tensorRange('dbias', options.dbias, width, c.dtype);
  checkDistinct([dy, x, bias, dx, dbias], null, [0, 1, 2]); // dy, x and bias are bound read-only
  if (c.n === 0) return null;
  const rate = c.training ? c.rate : dropRate(0);
  return planned(c, [
    planJob(c.state, {
      kind: 'draw', src: dy, dst: dx, mask: null, n: c.n, rate, seed: c.seed, offset: c.offset, f16: c.dtype === 'f16',
      epilogue: { direction: 'backward', act, bias, aux: x, cols: width },
      workgroupSize: c.workgroupSize ?? 64, operation,
    }),
    planColumnSums(c.state, dx, dbias, c.n / width, width, operation, c.dtype === 'f16'),
  ]);
}
