// Repeated calls. A training loop makes the same calls every step with a new draw key: the same
// tensors, sizes and options, a new offset. Such a call reuses the plans of the earlier call it
// repeats, rekeyed: that call's arguments were validated when it was planned, so only the key
// and the encoder are checked again. Planning afresh (validation objects, chunk plans, uniform
// structs, bind-group lookups) costs several times the rekeying, a large share of the host path
// in a browser (docs/host-cost.md, third pass).
//
// A kept call is compared with a snapshot of its options, taken when it was planned: a GPUBuffer
// by identity (its size and usage never change), a { buffer, byteOffset } object by those two
// fields, an array by its entries, any other value by `===`. So a caller who mutates an options
// object, a range object or a shape array between calls gets a call planned afresh. An option
// whose value is an object of another kind makes a call that is never kept.
import { isBuffer } from '../gpu/buffers.js';
import { liveState } from '../gpu/device-state.js';
import { type KernelPlan } from '../gpu/execute.js';
import { checkKey } from '../spec/options.js';
import { checkEncoder } from './validate.js';
import type { PlannedCall } from './functional.js';

/** Calls kept per operation and device: one per layer of a model, for models with up to this many. */
const KEPT = 16;

/** Options that are not part of what a repeat must equal: the draw key, and the encoder (its presence is). */
const isKey = (name: string): boolean => name === 'seed' || name === 'offset' || name === 'encoder';

/** A range object's fields as they were when the call was planned. */
class RangeSnapshot {
  constructor(readonly buffer: unknown, readonly byteOffset: unknown) {}
}

const UNKEEPABLE = Symbol('unkeepable');

function snapshot(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.every((v) => typeof v !== 'object' || v === null) ? [...value] : UNKEEPABLE;
  if ('buffer' in value) return new RangeSnapshot((value as { buffer: unknown }).buffer, (value as { byteOffset?: unknown }).byteOffset);
  return isBuffer(value) ? value : UNKEEPABLE;
}

function same(kept: unknown, value: unknown): boolean {
  if (kept === value) return true;
  if (typeof value !== 'object' || value === null) return false;
  if (kept instanceof RangeSnapshot) {
    return (value as { buffer?: unknown }).buffer === kept.buffer && (value as { byteOffset?: unknown }).byteOffset === kept.byteOffset;
  }
  if (!Array.isArray(kept) || !Array.isArray(value) || value.length !== kept.length) return false;
  for (let i = 0; i < kept.length; i++) if (value[i] !== kept[i]) return false;
  return true;
}

/** The options a repeat must equal, in their order; null if one cannot be kept. */
function inputsOf(options: Record<string, unknown>): unknown[] | null {
  const inputs: unknown[] = [options.encoder === undefined];
  for (const name in options) {
    const value = options[name];
    if (value === undefined || isKey(name)) continue;
    const kept = snapshot(value);
    if (kept === UNKEEPABLE) return null;
    inputs.push(name, kept);
  }
  return inputs;
}

function repeats(inputs: readonly unknown[], options: Record<string, unknown>): boolean {
  if (inputs[0] !== (options.encoder === undefined)) return false;
  let i = 1;
  for (const name in options) {
    const value = options[name];
    if (value === undefined || isKey(name)) continue;
    if (inputs[i] !== name || !same(inputs[i + 1], value)) return false;
    i += 2;
  }
  return i === inputs.length;
}

/** Whether every plan can be recorded again with another key. */
function rekeyable(plans: readonly KernelPlan[]): boolean {
  return plans.every((plan) => plan.rekey !== undefined || plan.keyless === true);
}

/**
 * Plans a call with `plan` (which validates everything, the options' keys included), or, when the
 * call repeats one of the operation's recent calls on the device but for its key and encoder,
 * rekeys that call's plans: its options have the same defined keys with equal values, so only
 * `seed`, `offset` (its draw key) and `encoder` are checked again. A device the library has not
 * seen live yet, or options that are not an object, go to `plan`, which refuses them.
 */
export function planRepeatable(device: GPUDevice, operation: string, options: unknown, plan: () => PlannedCall | null): PlannedCall | null {
  if (typeof options !== 'object' || options === null) return plan();
  const record = options as Record<string, unknown>;
  const known = liveState(device);
  if (known) {
    for (const repeat of known.repeats.get(operation) ?? []) {
      if (!repeats(repeat.inputs, record)) continue;
      const { seed, offset } = checkKey(record);
      const encoder = checkEncoder(record.encoder);
      for (const p of repeat.plans) p.rekey?.(seed, offset);
      known.stats.repeats++;
      return { state: known, operation, encoder, plans: repeat.plans as KernelPlan[] };
    }
  }
  const result = plan();
  if (result === null || !rekeyable(result.plans)) return result;
  const inputs = inputsOf(record);
  if (inputs === null) return result;
  const state = result.state;
  let kept = state.repeats.get(operation);
  if (!kept) state.repeats.set(operation, (kept = []));
  // The oldest goes first: a model's layers each keep theirs while there are few.
  if (kept.length >= KEPT) kept.shift();
  kept.push({ inputs, plans: result.plans });
  return result;
}
