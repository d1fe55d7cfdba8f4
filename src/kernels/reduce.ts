// Fixed-order column sums (shaders/reduce.wgsl): the fused epilogue's dbias.
import reduceSource from '../../shaders/reduce.wgsl?raw';
import { ROWS_PER_BLOCK } from '../cpu/epilogue.js';
import { type BufferRange } from '../gpu/buffers.js';
import { wholeBinding } from '../gpu/chunks.js';
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

/** Records out[c] = Σ_r src[r · cols + c] in the fixed block order. */
export async function prepareColumnSums(state: DeviceState, src: BufferRange, out: BufferRange, rows: number, cols: number, operation: string): Promise<Recorder> {
  const limits = limitsOf(state);
  if (src.byteLength + limits.storageAlign > limits.maxBindingBytes) {
    throw new DropoutArgumentError(src.name, src.buffer, `a tensor of at most maxStorageBufferBindingSize = ${limits.maxBindingBytes} bytes for the bias gradient`, `it has ${src.byteLength}`);
  }
  const spec = (entry: string) => getPipeline(state, { key: `reduce:f32:${entry}:wg64`, moduleKey: 'reduce:f32', code: () => reduceSource, entry, layout: LAYOUT });
  const [blocksPipeline, finalPipeline] = await Promise.all([spec('colsum_blocks'), spec('colsum_final')]);
  const blocks = Math.ceil(rows / ROWS_PER_BLOCK);
  const srcBinding = wholeBinding(src, limits.storageAlign);
  const outBinding = wholeBinding(out, limits.storageAlign);
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
    pass.setPipeline(finalPipeline);
    pass.dispatchWorkgroups(...dispatchGrid(Math.ceil(cols / 64), limits.maxPerDimension));
    pass.end();
  };
}
