import { DropoutArgumentError, DropoutUnsupportedError } from '../errors.js';
import { vec4Ready } from '../gpu/chunks.js';
import { bufferRange, overlaps, type BufferArg, type BufferRange } from '../gpu/buffers.js';
import { BufferUsage } from '../gpu/usage.js';
import { type WorkgroupSize } from '../kernels/dropout-family.js';


/**
 * `workgroupSize`: 64, 128 or 256, or undefined for each kernel family's own default (64 for
 * element-wise dropout, Monte Carlo and the fused epilogue; 256 for the broadcast, Gaussian and
 * DropBlock kernels). An explicit value is honoured by every family.
 */
export function checkWorkgroupSize(value: unknown): WorkgroupSize | undefined {
  if (value === undefined) return undefined;
  if (value !== 64 && value !== 128 && value !== 256) throw new DropoutArgumentError('workgroupSize', value, '64, 128 or 256');
  return value;
}

export function checkEncoder(value: unknown): GPUCommandEncoder | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as GPUCommandEncoder).beginComputePass !== 'function') {
    throw new DropoutArgumentError('encoder', value, 'a GPUCommandEncoder or undefined');
  }
  return value as GPUCommandEncoder;
}

/** Element type of a tensor: 'f32' (default) or 'f16' (needs the device feature 'shader-f16'). */
export type DType = 'f32' | 'f16';

export function checkDtype(value: unknown, device: GPUDevice, operation: string): DType {
  if (value === undefined || value === 'f32') return 'f32';
  if (value !== 'f16') throw new DropoutArgumentError('dtype', value, `'f32' or 'f16'`);
  if (!device.features.has('shader-f16')) {
    throw new DropoutUnsupportedError(`${operation}: dtype 'f16' needs the device feature 'shader-f16', which this device lacks: request it with requestDevice({ requiredFeatures: ['shader-f16'] }) on an adapter that has it, or use 'f32'`);
  }
  return 'f16';
}

export function tensorRange(name: string, arg: BufferArg | undefined, n: number, dtype: DType = 'f32'): BufferRange {
  const range = bufferRange(name, arg, n * (dtype === 'f16' ? 2 : 4), BufferUsage.STORAGE);
  if (dtype === 'f16' && !vec4Ready(range, n, 2)) {
    throw new DropoutArgumentError(`${name}.byteOffset`, range.byteOffset, 'a multiple of 8 in a buffer that extends to the next multiple of 4 elements (f16 tensors are read four at a time)', `buffer of ${range.buffer.size} bytes, n = ${n}`);
  }
  return range;
}

export function maskRange(arg: BufferArg | undefined, n: number): BufferRange | null {
  return arg === undefined ? null : bufferRange('mask', arg, Math.ceil(n / 32) * 4, BufferUsage.STORAGE);
}

/** The output is the input: same buffer, same byte offset (an in-place call). */
export function sameRange(a: BufferRange, b: BufferRange): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset;
}

/**
 * Aliasing rules. The output may be the input exactly (in place: same buffer and byteOffset) when
 * `inPlace` allows it; ranges listed in `readOnly` (bound read-only) may share a buffer with each
 * other, as WebGPU allows; every other sharing of a buffer is refused: WebGPU tracks usage per
 * buffer, not per range, so a buffer written in a dispatch may not be bound twice, even at
 * disjoint offsets.
 */
export function checkDistinct(ranges: (BufferRange | null)[], inPlace: [number, number] | null = [0, 1], readOnly: readonly number[] = []): void {
  const present = ranges.map((r, index) => ({ r, index })).filter((e): e is { r: BufferRange; index: number } => e.r !== null);
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      const a = present[i]!;
      const b = present[j]!;
      if (a.r.buffer !== b.r.buffer || (readOnly.includes(a.index) && readOnly.includes(b.index))) continue;
      const pair = inPlace !== null && a.index === inPlace[0] && b.index === inPlace[1];
      if (pair && sameRange(a.r, b.r)) continue;
      const why = pair
        ? (overlaps(a.r, b.r) ? 'in place means the same byteOffset; a shifted overlap would read elements already written' : 'WebGPU forbids binding one buffer twice when a dispatch writes it, even at disjoint offsets')
        : inPlace === null && overlaps(a.r, b.r) ? 'this operation cannot run in place' : 'WebGPU forbids binding one buffer twice when a dispatch writes it, even at disjoint offsets';
      throw new DropoutArgumentError(b.r.name, b.r.buffer, pair ? `${a.r.name}'s exact range (in place) or another GPUBuffer` : `a GPUBuffer other than ${a.r.name}'s`, why);
    }
  }
}
