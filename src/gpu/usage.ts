/**
 * WebGPU's buffer usage flags (the values of the `GPUBufferUsage` global), as a constant of this
 * package. TypeScript's `lib.dom` (6 and 7) declares WebGPU's interfaces but not the
 * `GPUBufferUsage` global, so an app that creates its own buffers gets TS2304 on
 * `GPUBufferUsage.STORAGE`; use `BufferUsage.STORAGE` instead (or add `@webgpu/types`, see
 * docs/packaging.md). The values are fixed by the WebGPU specification.
 * @example
 * import { BufferUsage } from 'webgpu-dropout';
 * const y = device.createBuffer({ size: 4 * n, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
 */
export const BufferUsage = {
  /** The buffer can be mapped for reading (with COPY_DST only). */
  MAP_READ: 0x0001,
  /** The buffer can be mapped for writing (with COPY_SRC only). */
  MAP_WRITE: 0x0002,
  /** The buffer can be the source of a copy. */
  COPY_SRC: 0x0004,
  /** The buffer can be the destination of a copy or of `queue.writeBuffer`. */
  COPY_DST: 0x0008,
  /** An index buffer. */
  INDEX: 0x0010,
  /** A vertex buffer. */
  VERTEX: 0x0020,
  /** A uniform buffer. */
  UNIFORM: 0x0040,
  /** A storage buffer: every tensor this library reads or writes needs it. */
  STORAGE: 0x0080,
  /** An indirect-dispatch or indirect-draw buffer. */
  INDIRECT: 0x0100,
  /** The destination of `resolveQuerySet`. */
  QUERY_RESOLVE: 0x0200,
} as const;

/**
 * A usage bit mask in words, for messages: `0x84` → `'COPY_SRC | STORAGE'`, `0` → `'none'`;
 * bits WebGPU does not define are shown in hex.
 */
export function usageNames(usage: number): string {
  const names = Object.entries(BufferUsage).filter(([, bit]) => (usage & bit) !== 0).map(([name]) => name);
  const unknown = usage & ~Object.values(BufferUsage).reduce((all, bit) => all | bit, 0);
  if (unknown) names.push(`0x${unknown.toString(16)}`);
  return names.length ? names.join(' | ') : 'none';
}
