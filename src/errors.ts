/**
 * Every error this library throws is a {@link DropoutError}; its `code` is stable and
 * documented in the error table of docs/errors.md, so apps can branch on it.
 *
 * - `INVALID_ARGUMENT`: {@link DropoutArgumentError}
 * - `UNSUPPORTED`: {@link DropoutUnsupportedError}
 * - `STATE`: {@link DropoutStateError}
 * - `GPU_VALIDATION`, `GPU_OUT_OF_MEMORY`: {@link DropoutGPUError}
 * - `DEVICE_LOST`: {@link DropoutDeviceLostError}
 * - `NO_ADAPTER`: {@link DropoutNoAdapterError}
 * @example
 * try {
 *   await dropout(device, { x, y, n, p, training: true, seed: 1n, offset: 0n });
 * } catch (error) {
 *   if (error instanceof DropoutError && error.code === 'DEVICE_LOST') device = await newDevice();
 *   else throw error;
 * }
 */
export type DropoutErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNSUPPORTED'
  | 'STATE'
  | 'GPU_VALIDATION'
  | 'GPU_OUT_OF_MEMORY'
  | 'DEVICE_LOST'
  | 'NO_ADAPTER';

/**
 * Base class of all errors thrown by webgpu-dropout: `instanceof DropoutError` catches every one
 * of them, and {@link DropoutError.code} tells them apart. `name` is the subclass's name.
 * @example
 * if (error instanceof DropoutError) console.warn(error.code, error.message);
 */
export class DropoutError extends Error {
  /** Stable machine-readable cause, one of {@link DropoutErrorCode}. */
  readonly code: DropoutErrorCode;
  /**
   * @param code - the error's {@link DropoutErrorCode}
   * @param message - human-readable text, shown as `error.message`
   * @param options - `cause`: the underlying error, if any
   */
  constructor(code: DropoutErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    // A fixed name, not new.target.name: minifiers rename classes in apps' bundles.
    this.name = 'DropoutError';
    this.code = code;
  }
}

/**
 * An argument is out of range or of the wrong kind (code `INVALID_ARGUMENT`). `argument` names
 * it, `value` is what was passed and `allowed` says what would have been accepted. Thrown
 * synchronously inside the call (or as its rejected promise), before anything is dispatched.
 * @example
 * try {
 *   await dropout(device, { x, y, n, p: 1.5, training: true, seed: 1n, offset: 0n });
 * } catch (error) {
 *   if (error instanceof DropoutArgumentError) console.log(error.argument, error.allowed); // 'p', 'a number in [0, 1]'
 * }
 */
export class DropoutArgumentError extends DropoutError {
  /** The argument's name as the caller wrote it, e.g. `'p'`, `'x.byteOffset'`, `'state.seed'`. */
  readonly argument: string;
  /** The value that was passed (any type; `describe`d in the message). */
  readonly value: unknown;
  /** What would have been accepted, in words, e.g. `'a number in [0, 1]'`. */
  readonly allowed: string;
  /**
   * @param argument - the argument's name
   * @param value - the value that was passed
   * @param allowed - what would have been accepted
   * @param detail - extra context appended to the message in parentheses
   */
  constructor(argument: string, value: unknown, allowed: string, detail?: string) {
    super('INVALID_ARGUMENT', `${argument} = ${describe(value)} is invalid: expected ${allowed}${detail ? ` (${detail})` : ''}`);
    this.name = 'DropoutArgumentError';
    this.argument = argument;
    this.value = value;
    this.allowed = allowed;
  }
}

/**
 * The device lacks a feature or limit the call needs (code `UNSUPPORTED`), e.g. `dtype: 'f16'`
 * on a device created without `shader-f16`.
 * @example
 * const f16 = adapter.features.has('shader-f16'); // request the feature, or stay with 'f32'
 */
export class DropoutUnsupportedError extends DropoutError {
  /** @param message - what is missing and what to do */
  constructor(message: string) {
    super('UNSUPPORTED', message);
    this.name = 'DropoutUnsupportedError';
  }
}

/**
 * A call came in the wrong order (code `STATE`), e.g. a module's `backward()` before any
 * `forward()`. Run forward first, or pass the forward's record to `backward`.
 * @example
 * const drop = new Dropout(device, { p: 0.1 });
 * await drop.backward(dy, dx); // throws DropoutStateError: no forward() yet
 */
export class DropoutStateError extends DropoutError {
  /** @param message - what was called out of order */
  constructor(message: string) {
    super('STATE', message);
    this.name = 'DropoutStateError';
  }
}

/**
 * WebGPU reported a validation error (code `GPU_VALIDATION`, e.g. a destroyed buffer or a buffer
 * from another device) or could not allocate (code `GPU_OUT_OF_MEMORY`) inside one of our calls.
 * Errors are captured with error scopes, never left to `uncapturederror`; the message is WebGPU's.
 * @example
 * if (error instanceof DropoutGPUError && error.code === 'GPU_OUT_OF_MEMORY') shrinkBatch();
 */
export class DropoutGPUError extends DropoutError {
  /** The pipeline key or operation label the error came from. */
  readonly operation: string;
  /**
   * @param code - `'GPU_VALIDATION'` or `'GPU_OUT_OF_MEMORY'`
   * @param operation - the pipeline key or operation label
   * @param message - WebGPU's message
   */
  constructor(code: 'GPU_VALIDATION' | 'GPU_OUT_OF_MEMORY', operation: string, message: string) {
    super(code, `${operation}: ${message}`);
    this.name = 'DropoutGPUError';
    this.operation = operation;
  }
}

/**
 * The device was lost or destroyed (code `DEVICE_LOST`); request a new `GPUDevice`, re-create
 * your buffers and call again. The library drops its state for the lost device by itself.
 * @example
 * if (error instanceof DropoutDeviceLostError) device = await (await navigator.gpu.requestAdapter())!.requestDevice();
 */
export class DropoutDeviceLostError extends DropoutError {
  /** `GPUDeviceLostInfo.reason`: `'destroyed'` or `'unknown'`. */
  readonly reason: string;
  /**
   * @param reason - `GPUDeviceLostInfo.reason`
   * @param message - `GPUDeviceLostInfo.message`
   */
  constructor(reason: string, message: string) {
    super('DEVICE_LOST', `GPU device lost (${reason}): ${message || 'no message'}. Request a new GPUDevice, re-create your buffers and call again.`);
    this.name = 'DropoutDeviceLostError';
    this.reason = reason;
  }
}

/**
 * No WebGPU adapter could be found (code `NO_ADAPTER`; see the "Node" section of docs/guide.md):
 * thrown by `requestNodeDevice` in `webgpu-dropout/node` when the `webgpu` package is missing,
 * Vulkan has no adapter and SwiftShader is not installed, or a required feature is missing.
 * @example
 * // Node, no GPU: npm install webgpu && sudo apt-get install -y chromium libvulkan1
 */
export class DropoutNoAdapterError extends DropoutError {
  /** @param message - what was not found and what to install */
  constructor(message: string) {
    super('NO_ADAPTER', message);
    this.name = 'DropoutNoAdapterError';
  }
}

/**
 * Formats a value for an error message: bigints with `n`, strings quoted, `-0` kept, objects
 * by constructor name and `label` (e.g. `GPUBuffer("x")`). Used by {@link DropoutArgumentError}.
 * @param value - anything
 * @returns a short, single-line description
 * @example describe(2n ** 64n) // '18446744073709551616n'
 */
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
