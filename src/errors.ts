/**
 * Every error this library throws is a {@link DropoutError}; its `code` is stable and
 * documented in the README's error table, so apps can branch on it.
 */
export type DropoutErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNSUPPORTED'
  | 'STATE'
  | 'GPU_VALIDATION'
  | 'GPU_OUT_OF_MEMORY'
  | 'DEVICE_LOST'
  | 'NO_ADAPTER';

/** Base class of all errors thrown by webgpu-dropout. */
export class DropoutError extends Error {
  readonly code: DropoutErrorCode;
  constructor(code: DropoutErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An argument is out of range or of the wrong kind. `argument` names it, `value` is what was
 * passed and `allowed` says what would have been accepted.
 */
export class DropoutArgumentError extends DropoutError {
  readonly argument: string;
  readonly value: unknown;
  readonly allowed: string;
  constructor(argument: string, value: unknown, allowed: string, detail?: string) {
    super('INVALID_ARGUMENT', `${argument} = ${describe(value)} is invalid: expected ${allowed}${detail ? ` (${detail})` : ''}`);
    this.argument = argument;
    this.value = value;
    this.allowed = allowed;
  }
}

/** The device lacks a feature or limit the call needs (e.g. `shader-f16`). */
export class DropoutUnsupportedError extends DropoutError {
  constructor(message: string) {
    super('UNSUPPORTED', message);
  }
}

/** A call came in the wrong order, e.g. `backward()` before any `forward()`. */
export class DropoutStateError extends DropoutError {
  constructor(message: string) {
    super('STATE', message);
  }
}

/** WebGPU reported a validation or out-of-memory error inside one of our calls. */
export class DropoutGPUError extends DropoutError {
  /** The pipeline key or operation label the error came from. */
  readonly operation: string;
  constructor(code: 'GPU_VALIDATION' | 'GPU_OUT_OF_MEMORY', operation: string, message: string) {
    super(code, `${operation}: ${message}`);
    this.operation = operation;
  }
}

/** The device was lost or destroyed; make a new device (and buffers) to continue. */
export class DropoutDeviceLostError extends DropoutError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('DEVICE_LOST', `GPU device lost (${reason}): ${message || 'no message'}. Request a new GPUDevice, re-create your buffers and call again.`);
    this.reason = reason;
  }
}

/** No WebGPU adapter could be found (see the README's "No GPU?" section). */
export class DropoutNoAdapterError extends DropoutError {
  constructor(message: string) {
    super('NO_ADAPTER', message);
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') {
    const label = (value as { label?: unknown }).label;
    const ctor = (value as object).constructor?.name ?? 'object';
    return typeof label === 'string' && label ? `${ctor}("${label}")` : ctor;
  }
  return typeof value;
}
