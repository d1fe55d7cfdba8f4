// Fixed-order column sums (shaders/reduce.wgsl): the fused epilogue's dbias.
import reduceSource from '../../shaders/reduce.wgsl?raw';
import { ROWS_PER_BLOCK } from '../cpu/epilogue.js';
import { type BufferRange } from '../gpu/buffers.js';
import { elementBinding, planChunks, wholeBinding } from '../gpu/chunks.js';
import { ensureBuffer, limitsOf, type DeviceState } from '../gpu/device-state.js';
import { dispatchGrid } from '../gpu/geometry.js';
import { getPipeline, layoutFor, type LayoutSpec } from '../gpu/pipeline-cache.js';
import { uniformSlot, uniformsFor, type Recorder } from '../gpu/submit.js';
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
export async function prepareColumnSums(state: DeviceState, src: BufferRange, out: BufferRange, rows: number, cols: number, operation: string, f16 = false): Promise<Recorder> {
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
  const spec = (entry: string) => getPipeline(state, { key: `reduce:${dtype}:${entry}:wg64`, moduleKey: `reduce:${dtype}`, code, entry, layout: LAYOUT });
  const [blocksPipeline, finalPipeline] = await Promise.all([spec('colsum_blocks'), spec('colsum_final')]);
  const blocks = Math.ceil(rows / ROWS_PER_BLOCK);
  const outBinding = wholeBinding(out, limits.storageAlign, elementBytes);
  if (single) {
    const srcBinding = wholeBinding(src, limits.storageAlign, elementBytes);
    return (target) => {
      const partial = ensureBuffer(state, 'column partial sums', Math.max(16, 4 * blocks * cols), 0x80);
      const data = new ArrayBuffer(uniformSlot(state, PARAMS_BYTES));
      new Uint32Array(data, 0, 8).set([rows, cols, blocks, srcBinding.shift, outBinding.shift, 0, 0, 0]);
      const uniforms = uniformsFor(state, data, target, `${operation} column sums`);
      const bindGroup = state.device.createBindGroup({
        label: `${operation} column sums`,
        layout: layoutFor(state, LAYOUT).group,
        entries: [
          { binding: 0, resource: { buffer: uniforms, offset: 0, size: PARAMS_BYTES } },
          { binding: 1, resource: srcBinding },
          { binding: 2, resource: { buffer: partial } },
          { binding: 3, resource: outBinding },
        ],
      });
      const pass = target.encoder.beginComputePass({ label: `${operation} column sums` });
      pass.setBindGroup(0, bindGroup, [0]);
      pass.setPipeline(blocksPipeline);
      pass.dispatchWorkgroups(...dispatchGrid(Math.ceil((blocks * cols) / 64), limits.maxPerDimension));
      state.stats.dispatches++;
      pass.setPipeline(finalPipeline);
      pass.dispatchWorkgroups(...dispatchGrid(Math.ceil(cols / 64), limits.maxPerDimension));
      state.stats.dispatches++;
      pass.end();
    };
  }
  const chunks = planChunks(rows, chunkRows).map((c) => ({
    firstBlock: c.start / ROWS_PER_BLOCK,
    rows: c.count,
    blocks: Math.ceil(c.count / ROWS_PER_BLOCK),
    src: elementBinding(src, { start: c.start * cols, count: c.count * cols }, limits.storageAlign, false, elementBytes),
  }));
  return (target) => {
    const { encoder } = target;
    const partial = ensureBuffer(state, 'column partial sums (chunked)', Math.max(16, 4 * blocks * cols), 0x80 | 0x8);
    const chunkPartial = ensureBuffer(state, 'column partial sums (chunk)', Math.max(16, 4 * (chunkRows / ROWS_PER_BLOCK) * cols), 0x80 | 0x4);
    const slot = uniformSlot(state, PARAMS_BYTES);
    const data = new ArrayBuffer(slot * (chunks.length + 1));
    chunks.forEach((c, i) => new Uint32Array(data, i * slot, 8).set([c.rows, cols, c.blocks, c.src.shift, 0, 0, 0, 0]));
    new Uint32Array(data, chunks.length * slot, 8).set([rows, cols, blocks, 0, outBinding.shift, 0, 0, 0]);
    const uniforms = uniformsFor(state, data, target, `${operation} column sums`);
    const layout = layoutFor(state, LAYOUT).group;
    const group = (srcBinding: GPUBufferBinding, partialBuffer: GPUBuffer) => state.device.createBindGroup({
      label: `${operation} column sums`,
      layout,
      entries: [
        { binding: 0, resource: { buffer: uniforms, offset: 0, size: PARAMS_BYTES } },
        { binding: 1, resource: srcBinding },
        { binding: 2, resource: { buffer: partialBuffer } },
        { binding: 3, resource: outBinding },
      ],
    });
    chunks.forEach((c, i) => {
      const pass = encoder.beginComputePass({ label: `${operation} column sums, rows ${c.firstBlock * ROWS_PER_BLOCK}+` });
      pass.setBindGroup(0, group(c.src, chunkPartial), [i * slot]);
      pass.setPipeline(blocksPipeline);
      pass.dispatchWorkgroups(...dispatchGrid(Math.ceil((c.blocks * cols) / 64), limits.maxPerDimension));
      state.stats.dispatches++;
      pass.end();
      encoder.copyBufferToBuffer(chunkPartial, 0, partial, 4 * c.firstBlock * cols, 4 * c.blocks * cols);
    });
    const pass = encoder.beginComputePass({ label: `${operation} column sums` });
    pass.setBindGroup(0, group(chunks[0]!.src, partial), [chunks.length * slot]);
    pass.setPipeline(finalPipeline);
    pass.dispatchWorkgroups(...dispatchGrid(Math.ceil(cols / 64), limits.maxPerDimension));
    state.stats.dispatches++;
    pass.end();
  };
}
