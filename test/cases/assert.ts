// Minimal assertions usable in Node and in the browser. GPU values compare bit for bit: WGSL's f32
// multiply is correctly rounded and the CPU reference rounds the exact product once with
// Math.fround, so the only allowances are WGSL's permission to flush subnormals to zero and
// NaN payloads.
import { DropoutError } from 'webgpu-dropout';

const MIN_NORMAL = 2 ** -126;

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function checkEqual<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) throw new AssertionError(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

interface Mismatch {
  index: number;
  expected: string;
  actual: string;
}

function report(what: string, mismatches: Mismatch[], total: number): string {
  const rows = mismatches.slice(0, 12).map((m) => `  [${m.index}] expected ${m.expected}, got ${m.actual}`).join('\n');
  return `${what}: ${total} mismatching element(s)\n${rows}`;
}

/** Bitwise f32 equality, flushed subnormals allowed. */
export function checkF32(actual: Float32Array, expected: Float32Array, what: string): void {
  checkEqual(actual.length, expected.length, `${what} length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const bad: Mismatch[] = [];
  let total = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === e[i]) continue;
    if (Number.isNaN(actual[i]) && Number.isNaN(expected[i])) continue; // NaN payloads may differ
    if (Math.abs(actual[i]!) < MIN_NORMAL && Math.abs(expected[i]!) < MIN_NORMAL) continue;
    total++;
    if (bad.length < 12) bad.push({ index: i, expected: `${expected[i]} (0x${e[i]!.toString(16)})`, actual: `${actual[i]} (0x${a[i]!.toString(16)})` });
  }
  if (total) throw new AssertionError(report(what, bad, total));
}

export function checkU32(actual: Uint32Array, expected: Uint32Array, what: string): void {
  checkEqual(actual.length, expected.length, `${what} length`);
  const bad: Mismatch[] = [];
  let total = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] === expected[i]) continue;
    total++;
    if (bad.length < 12) bad.push({ index: i, expected: `0x${expected[i]!.toString(16)}`, actual: `0x${actual[i]!.toString(16)}` });
  }
  if (total) throw new AssertionError(report(what, bad, total));
}

export function checkAll(values: Uint32Array, expected: number, what: string): void {
  checkU32(values, new Uint32Array(values.length).fill(expected), what);
}

export interface ExpectedError {
  code: string;
  /** For DropoutArgumentError: the argument the message must name. */
  argument?: string;
  /** Substrings the message must contain. */
  includes?: string[];
}

/** Runs `body` and checks it throws a DropoutError with the given code, argument and text. */
export async function checkThrows(body: () => unknown, expected: ExpectedError, what: string): Promise<DropoutError> {
  let thrown: unknown;
  try {
    await body();
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof DropoutError)) throw new AssertionError(`${what}: expected a DropoutError ${expected.code}, got ${thrown === undefined ? 'no error' : String(thrown)}`);
  checkEqual(thrown.code, expected.code, `${what}: error code (${thrown.message})`);
  if (expected.argument !== undefined) {
    checkEqual((thrown as DropoutError & { argument?: string }).argument, expected.argument, `${what}: argument (${thrown.message})`);
    check(thrown.message.includes(expected.argument), `${what}: message should name ${expected.argument}: ${thrown.message}`);
  }
  for (const text of expected.includes ?? []) check(thrown.message.includes(text), `${what}: message should contain "${text}": ${thrown.message}`);
  return thrown;
}
