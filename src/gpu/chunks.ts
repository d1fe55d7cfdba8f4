// Splits a tensor into chunks that each fit one storage binding. Chunks start at multiples of a
// tile (1536 elements), so a chunk's Philox blocks are the tensor's blocks shifted by a constant
// (block_base) and the mask is the same as unchunked. Caller byte offsets need not be aligned to
// minStorageBufferOffsetAlignment: each binding starts at the aligned offset below and the kernel
// skips `shift` elements.
import { TILE_ELEMENTS } from '../rng/layout.js';
import { bufferSize, type BufferRange } from './buffers.js';

/** The largest chunk the kernels address with u32 element indices and a bounded tie log: whole tiles, under 2^28. */
export const MAX_CHUNK_ELEMENTS = Math.floor(2 ** 28 / TILE_ELEMENTS) * TILE_ELEMENTS;

export interface Binding {
  buffer: GPUBuffer;
  offset: number;
  size: number;
  /** Elements (or mask words) between the binding's start and the chunk's first one. */
  shift: number;
}

export interface Chunk {
  start: number;
  count: number;
}

export function chunkElements(maxBindingBytes: number, storageAlign: number): number {
  const fit = Math.floor((maxBindingBytes - storageAlign) / 4 / TILE_ELEMENTS) * TILE_ELEMENTS;
  return Math.max(TILE_ELEMENTS, Math.min(MAX_CHUNK_ELEMENTS, fit));
}

export function planChunks(n: number, chunk: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let start = 0; start < n; start += chunk) chunks.push({ start, count: Math.min(chunk, n - start) });
  return chunks;
}

function bindingFor(range: BufferRange, firstByte: number, byteLength: number, align: number, unit: number): Binding {
  const start = range.byteOffset + firstByte;
  const offset = start - (start % align);
  // Storage bindings are whole 4-byte words: an odd count of f16 values takes the next half word
  // (f16 tensors are validated to have room up to their next vec4).
  const size = Math.ceil((start + byteLength - offset) / 4) * 4;
  return { buffer: range.buffer, offset, size, shift: (start - offset) / unit };
}

/**
 * Binding of a tensor's elements [chunk.start, chunk.start + chunk.count) (elementBytes 4 for
 * f32, 2 for f16); with `padToVec4` it extends to the end of the last partial vec4 (the caller
 * checked there is room).
 */
export function elementBinding(range: BufferRange, chunk: Chunk, align: number, padToVec4 = false, elementBytes = 4): Binding {
  const count = padToVec4 ? Math.ceil(chunk.count / 4) * 4 : chunk.count;
  return bindingFor(range, chunk.start * elementBytes, count * elementBytes, align, elementBytes);
}

/**
 * Whether a tensor can use vec4 element access: it starts aligned to a vec4 (16 bytes for f32, 8
 * for f16) and its last partial vec4, if any, lies inside the buffer.
 */
export function vec4Ready(range: BufferRange, n: number, elementBytes = 4): boolean {
  const vec = 4 * elementBytes;
  return range.byteOffset % vec === 0 && range.byteOffset + Math.ceil(n / 4) * vec <= bufferSize(range.buffer);
}

/** Binding of the packed-mask words that cover the chunk. */
export function maskBinding(range: BufferRange, chunk: Chunk, align: number): Binding {
  return bindingFor(range, (chunk.start / 32) * 4, Math.ceil(chunk.count / 32) * 4, align, 4);
}

/** One binding over a whole range (its start aligned down, the rest as `shift` elements). */
export function wholeBinding(range: BufferRange, align: number, elementBytes = 4): Binding {
  return bindingFor(range, 0, range.byteLength, align, elementBytes);
}
