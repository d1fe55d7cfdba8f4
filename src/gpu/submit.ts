// The two ways a call reaches the queue: encoded into the caller's GPUCommandEncoder (they
// submit), or into our own encoder that we submit at once. Both run inside error scopes.
import { ensureBuffer, type DeviceState } from './device-state.js';
import { withErrorScope } from './error-scope.js';

const UNIFORM = 0x40;
const COPY_DST = 0x8;

/**
 * Where recorded work goes: `shared` names the reusable uniform buffer to write (one per kind of
 * job in a submit, so jobs recorded together never overwrite each other's), or null when the
 * work is recorded into the caller's encoder.
 */
export interface RecordTarget {
  encoder: GPUCommandEncoder;
  shared: string | null;
  /**
   * Supplies a uniform buffer holding `data` that lives until the encoder's work has run (the
   * TensorFlow.js integration takes them from tfjs's pool); by default see {@link uniformsFor}.
   */
  uniforms?: (data: ArrayBuffer) => GPUBuffer;
}

/** Records a prepared job into an encoder. */
export type Recorder = (target: RecordTarget) => void;

/** A job ready to record at once (synchronous preparation), and how many dispatches it records. */
export interface Prepared {
  record: Recorder;
  dispatches: number;
}

/**
 * A uniform buffer holding `data` for work recorded now. For our own submits a shared buffer
 * serves (queue.writeBuffer lands before the submit that follows it); work in the caller's
 * encoder runs after later calls' writes, so it gets its own buffer, freed by the garbage
 * collector once the caller's commands are done with it.
 */
export function uniformsFor(state: DeviceState, data: ArrayBuffer, target: RecordTarget, label: string): GPUBuffer {
  if (target.uniforms) return target.uniforms(data);
  if (target.shared === null) {
    state.stats.uniformBuffers++;
    const buffer = state.device.createBuffer({ label, size: data.byteLength, usage: UNIFORM, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
    buffer.unmap();
    return buffer;
  }
  const buffer = ensureBuffer(state, `uniforms ${target.shared}`, data.byteLength, UNIFORM | COPY_DST);
  state.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/**
 * Runs the recorders, in order, into the caller's encoder or into a fresh one that is then
 * submitted, inside error scopes. Recorders must not await: shared uniforms are written while
 * recording, and no other call may write them before the submit.
 */
export async function recordAndSubmit(state: DeviceState, operation: string, encoder: GPUCommandEncoder | undefined, ...recorders: Recorder[]): Promise<void> {
  await withErrorScope(state, operation, () => {
    if (encoder) state.stats.encodedCalls++;
    else state.stats.submits++;
    const target = encoder ?? state.device.createCommandEncoder({ label: operation });
    recorders.forEach((record, i) => record({ encoder: target, shared: encoder ? null : `${operation}#${i}` }));
    if (!encoder) state.device.queue.submit([target.finish()]);
  });
}

/** Slot size for per-chunk uniform structs addressed by dynamic offsets. */
export function uniformSlot(state: DeviceState, structBytes: number): number {
  const align = state.device.limits.minUniformBufferOffsetAlignment;
  return Math.ceil(structBytes / align) * align;
}
