import { DropoutGPUError } from '../errors.js';
import { lostError, type DeviceState } from './device-state.js';

/**
 * Runs `body` inside validation and out-of-memory error scopes and turns a captured error into a
 * DropoutGPUError naming `operation`. Scopes are popped even when body throws.
 */
export async function withErrorScope<T>(state: DeviceState, operation: string, body: () => T | Promise<T>): Promise<T> {
  const device = state.device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await body();
  } finally {
    const validation = await device.popErrorScope();
    const memory = await device.popErrorScope();
    if (state.lost) throw lostError(state.lost);
    if (validation) throw new DropoutGPUError('GPU_VALIDATION', operation, validation.message);
    if (memory) throw new DropoutGPUError('GPU_OUT_OF_MEMORY', operation, memory.message);
  }
  return result;
}
