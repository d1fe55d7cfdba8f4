// What a fused epilogue means, shared by the GPU path (src/api, src/kernels) and the CPU reference
// (src/cpu): the activations it accepts and the row block of the column sums.
import { DropoutArgumentError } from '../errors.js';

/** The activation of a fused epilogue. */
export type Activation = 'none' | 'relu' | 'gelu' | 'gelu_tanh' | 'silu';
/** Every activation a fused epilogue accepts. */
export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'gelu', 'gelu_tanh', 'silu'];

/** Rows summed per block, first stage of the column sums (shaders/reduce.wgsl). */
export const ROWS_PER_BLOCK = 256;

export function checkActivation(value: unknown): Activation {
  if (value === undefined) return 'none';
  if (!ACTIVATIONS.includes(value as Activation)) throw new DropoutArgumentError('activation', value, ACTIVATIONS.map((a) => `'${a}'`).join(', '));
  return value as Activation;
}
