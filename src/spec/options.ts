// Option checks both twins import, so the GPU API (src/api) and the CPU reference (src/cpu)
// accept and refuse the same options objects with the same typed errors.
import { DropoutArgumentError } from '../errors.js';
import { toU64 } from '../rng/seed.js';

const KEY = ['seed', 'offset'] as const;
const DRAW = ['p', 'training', ...KEY] as const;
const GPU = ['encoder', 'workgroupSize', 'dtype'] as const;
const SIZE = ['n', 'shape', 'noiseShape'] as const;

/**
 * The options each entry point takes; any other (defined) key is refused by {@link checkOptions}.
 * A CPU twin takes its GPU twin's options (the buffers, encoder, workgroupSize and dtype change
 * nothing there), so one options object serves both.
 */
export const OPTIONS = {
  dropout: ['x', 'y', 'mask', ...SIZE, ...DRAW, 'mode', ...GPU],
  dropoutBackward: ['dy', 'dx', 'mask', ...SIZE, ...DRAW, 'mode', ...GPU],
  gaussianDropout: ['x', 'y', 'n', ...DRAW, ...GPU],
  gaussianDropoutBackward: ['dy', 'dx', 'n', ...DRAW, ...GPU],
  dropBlock: ['x', 'y', 'mask', 'shape', 'blockSize', 'eps', ...DRAW, ...GPU],
  dropBlockBackward: ['dy', 'dx', 'mask', 'shape', 'blockSize', 'eps', ...DRAW, ...GPU],
  mcDropout: ['x', 'n', ...DRAW, 'samples', 'out', 'mean', 'variance', 'unbiased', ...GPU],
  fusedDropout: ['x', 'bias', 'residual', 'y', 'mask', 'shape', 'activation', ...DRAW, ...GPU],
  fusedDropoutBackward: ['dy', 'x', 'bias', 'dx', 'dbias', 'shape', 'activation', ...DRAW, ...GPU],
  dropConnectLinear: ['x', 'weight', 'bias', 'y', 'batch', 'inFeatures', 'outFeatures', ...DRAW, 'encoder', 'dtype'],
  dropConnectLinearBackward: ['dy', 'x', 'weight', 'dx', 'dWeight', 'dBias', 'batch', 'inFeatures', 'outFeatures', ...DRAW, 'encoder', 'dtype'],
} as const satisfies Record<string, readonly string[]>;

/**
 * An options object for `operation`, every defined key one it takes: an option it does not support
 * (a Gaussian call's noiseShape or mask, a fused call's mode) is refused, not silently ignored.
 * Keys whose value is undefined count as absent.
 * @throws {@link DropoutArgumentError} naming the options object or the first unsupported key
 */
export function checkOptions(options: unknown, operation: string, known: readonly string[]): Record<string, unknown> {
  if (typeof options !== 'object' || options === null) throw new DropoutArgumentError('options', options, `an options object for ${operation}`);
  const record = options as Record<string, unknown>;
  let fine = true;
  for (const k in record) if (record[k] !== undefined && !known.includes(k)) fine = false;
  if (fine) return record;
  const unsupported = Object.keys(record).filter((k) => record[k] !== undefined && !known.includes(k));
  if (unsupported.length > 0) {
    const [first] = unsupported as [string];
    throw new DropoutArgumentError(first, record[first], `no ${first}: ${operation} takes only ${known.join(', ')}`, `unsupported option${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')}`);
  }
  return record;
}

/** `n`, if given, is the length of the array a CPU twin was given. */
export function checkLength(n: unknown, length: number): void {
  if (n !== undefined && n !== length) throw new DropoutArgumentError('n', n, `the input's length ${length}, or undefined`);
}

/** `training`: a boolean, or undefined for `fallback` (PyTorch's default for the call). */
export function checkTraining(value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new DropoutArgumentError('training', value, 'true or false (or undefined for the default)');
  return value;
}

/** Monte Carlo dropout samples whatever train/eval says: `training` may be true or absent, not false. */
export function checkMcTraining(value: unknown): void {
  if (value !== undefined && value !== true) throw new DropoutArgumentError('training', value, 'true or undefined (Monte Carlo dropout always samples)');
}

/** The draw key, checked whether or not the call draws (p = 0 and eval mode check it too). */
export function checkKey(options: { seed?: unknown; offset?: unknown }): { seed: bigint; offset: bigint } {
  return { seed: toU64('seed', options.seed), offset: toU64('offset', options.offset) };
}
