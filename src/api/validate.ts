import { DropoutArgumentError } from '../errors.js';
import { bufferRange, overlaps, type BufferArg, type BufferRange } from '../gpu/buffers.js';
import { type WorkgroupSize } from '../kernels/dropout-family.js';

export const STORAGE = 0x80;
export const COPY_SRC = 0x4;
export const COPY_DST = 0x8;

export function checkTraining(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new DropoutArgumentError('training', value, 'true or false');
  return value;
}

export function checkWorkgroupSize(value: unknown): WorkgroupSize {
  if (value === undefined) return 64;
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

export function tensorRange(name: string, arg: BufferArg | undefined, n: number): BufferRange {
  return bufferRange(name, arg, n * 4, STORAGE, 'STORAGE');
}

export function maskRange(arg: BufferArg | undefined, n: number): BufferRange | null {
  return arg === undefined ? null : bufferRange('mask', arg, Math.ceil(n / 32) * 4, STORAGE, 'STORAGE');
}

/** WebGPU tracks usage per buffer, not per range: a buffer written in a dispatch may not be bound twice. */
export function checkDistinct(ranges: (BufferRange | null)[]): void {
  const present = ranges.filter((r): r is BufferRange => r !== null);
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      const a = present[i]!;
      const b = present[j]!;
      if (a.buffer === b.buffer) {
        throw new DropoutArgumentError(b.name, b.buffer, `a GPUBuffer other than ${a.name}'s`,
          overlaps(a, b) ? 'in-place dropout is not supported' : 'WebGPU forbids binding one buffer as both read and written in a dispatch, even at disjoint offsets');
      }
    }
  }
}
