import { DropoutGPUError } from '../errors.js';
import { lostError, settledLoss, takeAllocationFailure, type DeviceState } from './device-state.js';

/**
 * Runs `body` inside validation and out-of-memory error scopes and turns a captured error into a
 * DropoutGPUError naming `operation`. Scopes are popped even when body throws; a GPU error
 * takes precedence over the exception it likely caused, and a device loss over both (a lost
 * device reports no errors, and whatever failed is the loss's doing).
 */
export async function withErrorScope<T>(state: DeviceState, operation: string, body: () => T | Promise<T>): Promise<T> {
  const device = state.device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let failed = false;
  let failure: unknown;
  try {
    result = await body();
  } catch (error) {
    failed = true;
    failure = error;
  }
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  if (state.lost) throw lostError(state.lost);
  if (validation || memory || failed) {
    const lost = await settledLoss(device);
    if (lost) throw lostError(lost);
  }
  if (validation || memory) {
    // An invalid buffer from a failed helper allocation only shows as "invalid" where it is used.
    const allocation = await takeAllocationFailure(state);
    if (allocation) {
      throw new DropoutGPUError(allocation.code, operation, `a buffer it was given could not be created (${allocation.operation} "${allocation.label}": ${allocation.message}); WebGPU then reported: ${(validation ?? memory)!.message}`);
    }
  }
  if (validation) throw new DropoutGPUError('GPU_VALIDATION', operation, validation.message);
  if (memory) throw new DropoutGPUError('GPU_OUT_OF_MEMORY', operation, memory.message);
  if (failed) throw failure;
  return result as T;
}
