// A call's own error scope. WebGPU keeps one scope stack per device, so a call pushes its scope,
// does all its GPU work and pops it before it returns — never awaiting in between, or calls in
// flight together would pop each other's errors. Only the popped result is awaited, here.
// One 'validation' scope is enough: what a call records does not allocate (the buffers the library
// creates are made in scopes of their own, see trackAllocation, and a failed one is reported by
// the call that uses it, typed as the allocation's error).
import { DropoutGPUError } from '../errors.js';
import { lostError, settledLoss, takeAllocationFailure, type DeviceState } from './device-state.js';

/** Runs `body` synchronously between a pushed and popped scope; what it throws is returned, not thrown. */
export function scoped(device: GPUDevice, body: () => void): { scope: Promise<GPUError | null>; failed: boolean; thrown: unknown } {
  device.pushErrorScope('validation');
  let failed = false;
  let thrown: unknown = null;
  try {
    body();
  } catch (error) {
    failed = true;
    thrown = error;
  }
  return { scope: device.popErrorScope(), failed, thrown };
}

/**
 * The call's outcome from its popped scopes. A device loss takes precedence (a lost device reports
 * no errors, and whatever failed is the loss's doing), then a GPU error (over the exception it
 * likely caused), then an exception thrown while recording. `explain` may name a likelier cause of
 * a GPU error (e.g. a pipeline whose creation failed).
 */
export function settle<T = void>(state: DeviceState, operation: string, outcome: { scope: Promise<GPUError | null>; failed: boolean; thrown: unknown }, explain?: () => Promise<string | null>, value?: T): Promise<T> {
  // The common case, a call without errors, settles with one reaction and no async frame, with
  // the call's result (a layer's record): no second promise to chain.
  return outcome.scope.then((error) => (error || state.lost || outcome.failed ? failure(state, operation, outcome, error, explain) : value as T));
}

/** Throws the call's error (only called when there is one: a loss, a GPU error or an exception). */
async function failure(state: DeviceState, operation: string, outcome: { failed: boolean; thrown: unknown }, error: GPUError | null, explain?: () => Promise<string | null>): Promise<never> {
  if (state.lost) throw lostError(state.lost);
  const lost = await settledLoss(state.device);
  if (lost) throw lostError(lost);
  if (error) {
    const cause = explain ? await explain() : null;
    if (cause !== null) throw new DropoutGPUError('GPU_VALIDATION', operation, cause);
    // An invalid buffer from a failed helper allocation only shows as "invalid" where it is used.
    const allocation = await takeAllocationFailure(state);
    if (allocation) {
      throw new DropoutGPUError(allocation.code, operation, `a buffer it was given could not be created (${allocation.operation} "${allocation.label}": ${allocation.message}); WebGPU then reported: ${error.message}`);
    }
    throw new DropoutGPUError('GPU_VALIDATION', operation, error.message);
  }
  throw outcome.thrown;
}
