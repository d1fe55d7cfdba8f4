// Fixed-order column sums (shaders/reduce.wgsl): the fused epilogue's dbias.
import reduceSource from '../../shaders/reduce.wgsl?raw';
import { ROWS_PER_BLOCK } from '../spec/epilogue.js';
import { type BufferRange } from '../gpu/buffers.js';
import { elementBinding, planChunks, wholeBinding } from '../gpu/chunks.js';
import { ensureBuffer, limitsOf, type DeviceState } from '../gpu/device-state.js';
import { dispatchGrid } from '../gpu/geometry.js';
import { type LayoutSpec, type PipelineSpec } from '../gpu/pipeline-cache.js';
import { type KernelPlan } from '../gpu/execute.js';
import { DropoutArgumentError } from '../errors.js';

const COMPUTE = 0x4;
const PARAMS_BYTES = 32;
const LAYOUT: LayoutSpec = {
  name: 'reduce',
  entries: [
    { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PARAMS_BYTES } },
    { binding: 1, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
    { binding: 2, visibility: COMPUTE, buffer: { type: 'storage' } },
    { binding: 3, visibility: COMPUTE, buffer: { type: 'storage' } },
  ],
};

/**
 * Records out[c] = Σ_r src[r · cols + c] in the fixed block order. A src larger than one storage
 * binding is summed in chunks of whole 256-row blocks: each chunk's block sums go to a scratch
 * buffer and are copied to their place among all the block sums, which the final stage adds in
 * the same order as unchunked (so the result does not change). Refused only when one block of
 * 256 rows does not fit a binding.
 */
export function planColumnSums(state: DeviceState, src: BufferRange, out: BufferRange, rows: number, cols: number, operation: string, f16 = false): KernelPlan {
  const limits = limitsOf(state);
  const elementBytes = f16 ? 2 : 4;
  const rowBytes = elementBytes * cols;
  const chunkRows = Math.floor((limits.maxBindingBytes - limits.storageAlign) / rowBytes / ROWS_PER_BLOCK) * ROWS_PER_BLOCK;
  const single = src.byteLength + limits.storageAlign <= limits.maxBindingBytes;
  if (!single && chunkRows === 0) {
    throw new DropoutArgumentError(src.name, src.buffer, `rows of at most (maxStorageBufferBindingSize - ${limits.storageAlign}) / (${elementBytes} · ${ROWS_PER_BLOCK}) = ${Math.floor((limits.maxBindingBytes - limits.storageAlign) / elementBytes / ROWS_PER_BLOCK)} columns for the bias gradient`, `it has ${cols} columns`);
  }
  const dtype = f16 ? 'f16' : 'f32';
  const code = (): string => `${f16 ? 'enable f16;\nalias Elem = f16;' : 'alias Elem = f32;'}\n${reduceSource}`;
  const spec = (entry: string): PipelineSpec => ({ key: `reduce:${dtype}:${entry}:wg64`, moduleKey: `reduce:${dtype}`, code, entry, layout: LAYOUT });
  const BLOCKS = 0;
  const FINAL = 1;
  const blocks = Math.ceil(rows / ROWS_PER_BLOCK);
  const outBinding = wholeBinding(out, limits.storageAlign, elementBytes);
  const label = `${operation} column sums`;
  const pipelines = [spec('colsum_blocks'), spec('colsum_final')];
  if (single) {
    const srcBinding = wholeBinding(src, limits.storageAlign, elementBytes);
    const partial = ensureBuffer(state, 'column partial sums', Math.max(16, 4 * blocks * cols), 0x80);
    return {
      pipelines,
      uniformBytes: PARAMS_BYTES,
      keyless: true,
      slots: 1,
      writeUniforms: (view, at) => [rows, cols, blocks, srcBinding.shift, outBinding.shift, 0, 0, 0].forEach((v, i) => view.setUint32(at(0) + 4 * i, v, true)),
      dispatches: 2,
      record: (r) => {
        const pass = r.pass();
        r.bind(pass, r.bindGroup(LAYOUT, [
          { binding: 0, resource: r.uniforms },
          { binding: 1, resource: srcBinding },
          { binding: 2, resource: { buffer: partial } },
          { binding: 3, resource: outBinding },
        ], label), 0);
        pass.setPipeline(r.pipeline(BLOCKS));
        pass.dispatchWorkgroups(...dispatchGrid(Math.ceil((blocks * cols) / 64), limits.maxPerDimension));
        pass.setPipeline(r.pipeline(FINAL));
        pass.dispatchWorkgroups(...dispatchGrid(Math.ceil(cols / 64), limits.maxPerDimension));
        pass.end();
      },
    };
  }
  const chunks = planChunks(rows, chunkRows).map((c) => ({
    firstBlock: c.start / ROWS_PER_BLOCK,
    rows: c.count,
    blocks: Math.ceil(c.count / ROWS_PER_BLOCK),
    src: elementBinding(src, { start: c.start * cols, count: c.count * cols }, limits.storageAlign, false, elementBytes),
  }));
  const partial = ensureBuffer(state, 'column partial sums (chunked)', Math.max(16, 4 * blocks * cols), 0x80 | 0x8);
  const chunkPartial = ensureBuffer(state, 'column partial sums (chunk)', Math.max(16, 4 * (chunkRows / ROWS_PER_BLOCK) * cols), 0x80 | 0x4);
  return {
    pipelines,
    uniformBytes: PARAMS_BYTES,
    keyless: true,
    slots: chunks.length + 1,
    writeUniforms: (view, at) => {
      const put = (slot: number, values: number[]): void => values.forEach((v, i) => view.setUint32(at(slot) + 4 * i, v, true));
      chunks.forEach((c, i) => put(i, [c.rows, cols, c.blocks, c.src.shift, 0, 0, 0, 0]));
      put(chunks.length, [rows, cols, blocks, 0, outBinding.shift, 0, 0, 0]);
    },
    dispatches: chunks.length + 1,
    record: (r) => {
      const { encoder } = r;
      const group = (srcBinding: GPUBufferBinding, partialBuffer: GPUBuffer): GPUBindGroup => r.bindGroup(LAYOUT, [
        { binding: 0, resource: r.uniforms },
        { binding: 1, resource: srcBinding },
        { binding: 2, resource: { buffer: partialBuffer } },
        { binding: 3, resource: outBinding },
      ], label);
      chunks.forEach((c, i) => {
        const pass = r.pass();
        r.bind(pass, group(c.src, chunkPartial), i);
        pass.setPipeline(r.pipeline(BLOCKS));
        pass.dispatchWorkgroups(...dispatchGrid(Math.ceil((c.blocks * cols) / 64), limits.maxPerDimension));
        pass.end();
        encoder.copyBufferToBuffer(chunkPartial, 0, partial, 4 * c.firstBlock * cols, 4 * c.blocks * cols);
      });
      const pass = r.pass();
      r.bind(pass, group(chunks[0]!.src, partial), chunks.length);
      pass.setPipeline(r.pipeline(FINAL));
      pass.dispatchWorkgroups(...dispatchGrid(Math.ceil(cols / 64), limits.maxPerDimension));
      pass.end();
    },
  };
}
