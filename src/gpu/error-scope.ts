// A call's own error scopes. WebGPU keeps one scope stack per device, so a call pushes its scopes,
// does all its GPU work and pops them before it returns — never awaiting in between, or calls in
// flight together would pop each other's errors. Only the popped results are awaited, here.
import { DropoutGPUError } from '../errors.js';
import { lostError, settledLoss, takeAllocationFailure, type DeviceState } from './device-state.js';

/** The popped validation and out-of-memory scopes of one call. */
export interface PoppedScopes {
  validation: Promise<GPUError | null>;
  memory: Promise<GPUError | null>;
}

/** Runs `body` synchronously between pushed and popped scopes; what it throws is returned, not thrown. */
export function scoped(device: GPUDevice, body: () => void): { scopes: PoppedScopes; failed: boolean; thrown: unknown } {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let failed = false;
  let thrown: unknown = null;
  try {
    body();
  } catch (error) {
    failed = true;
    thrown = error;
  }
  const validation = device.popErrorScope();
  const memory = device.popErrorScope();
  return { scopes: { validation, memory }, failed, thrown };
}

/**
 * The call's outcome from its popped scopes. A device loss takes precedence (a lost device reports
 * no errors, and whatever failed is the loss's doing), then a GPU error (over the exception it
 * likely caused), then an exception thrown while recording. `explain` may name a likelier cause of
 * a GPU error (e.g. a pipeline whose creation failed).
 */
export async function settle(state: DeviceState, operation: string, outcome: { scopes: PoppedScopes; failed: boolean; thrown: unknown }, explain?: () => Promise<string | null>): Promise<void> {
  const [validation, memory] = await Promise.all([outcome.scopes.validation, outcome.scopes.memory]);
  if (state.lost) throw lostError(state.lost);
  if (!validation && !memory && !outcome.failed) return;
  const lost = await settledLoss(state.device);
  if (lost) throw lostError(lost);
  const error = validation ?? memory;
  if (error) {
    const cause = explain ? await explain() : null;
    if (cause !== null) throw new DropoutGPUError('GPU_VALIDATION', operation, cause);
    // An invalid buffer from a failed helper allocation only shows as "invalid" where it is used.
    const allocation = await takeAllocationFailure(state);
    if (allocation) {
      throw new DropoutGPUError(allocation.code, operation, `a buffer it was given could not be created (${allocation.operation} "${allocation.label}": ${allocation.message}); WebGPU then reported: ${error.message}`);
    }
    throw new DropoutGPUError(validation ? 'GPU_VALIDATION' : 'GPU_OUT_OF_MEMORY', operation, error.message);
  }
  throw outcome.thrown;
}
