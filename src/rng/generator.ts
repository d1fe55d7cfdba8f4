import { DropoutArgumentError } from '../errors.js';
import { addU64, toU64 } from './seed.js';

/**
 * A generator's full state, and the (seed, offset) of one draw: restoring it replays the same masks.
 * @example
 * const { seed, offset } = new PhiloxGenerator(7n).next(); // 7n, 0n
 */
export interface GeneratorState {
  /** The 64-bit Philox key, in [0, 2^64 - 1]. */
  readonly seed: bigint;
  /** The 64-bit stream position, in [0, 2^64 - 1]: counter words 2 and 3 of every block of the draw. */
  readonly offset: bigint;
}

/**
 * Hands out (seed, offset) pairs for dropout draws. Each draw consumes one offset, so
 * consecutive draws use disjoint Philox counters and never share mask bits.
 * @example
 * const gen = new PhiloxGenerator(1234n);
 * const saved = gen.getState();
 * const a = gen.next();          // { seed: 1234n, offset: 0n }
 * gen.setState(saved);
 * gen.next().offset === a.offset; // true: replaying a step reproduces its mask
 */
export class PhiloxGenerator {
  #seed: bigint;
  #offset = 0n;

  /**
   * @param seed - integer in [0, 2^64 - 1] (a safe-integer number or a bigint)
   * @throws {@link DropoutArgumentError} if `seed` is not such an integer
   */
  constructor(seed: bigint | number) {
    this.#seed = toU64('seed', seed);
  }

  /** The 64-bit key every draw of this generator uses. */
  get seed(): bigint {
    return this.#seed;
  }

  /** The offset the next draw will use. */
  get offset(): bigint {
    return this.#offset;
  }

  /**
   * Reseeds and rewinds the stream to offset 0, like `torch.manual_seed`.
   * @param seed - integer in [0, 2^64 - 1]
   * @returns this generator
   * @throws {@link DropoutArgumentError} if `seed` is not such an integer
   * @example gen.manualSeed(42n).next() // { seed: 42n, offset: 0n }
   */
  manualSeed(seed: bigint | number): this {
    this.#seed = toU64('seed', seed);
    this.#offset = 0n;
    return this;
  }

  /**
   * A snapshot of (seed, offset); pass it to {@link PhiloxGenerator.setState} to replay.
   * @example const saved = gen.getState();
   */
  getState(): GeneratorState {
    return { seed: this.#seed, offset: this.#offset };
  }

  /**
   * Restores a state from {@link PhiloxGenerator.getState}: the next draws repeat the masks drawn
   * after that snapshot.
   * @param state - `{ seed, offset }`, each an integer in [0, 2^64 - 1]
   * @returns this generator
   * @throws {@link DropoutArgumentError} if `state` is not such an object (nothing changes then)
   * @example gen.setState(saved);
   */
  setState(state: GeneratorState): this {
    if (typeof state !== 'object' || state === null) throw new DropoutArgumentError('state', state, 'a { seed, offset } object from getState()');
    const seed = toU64('state.seed', state.seed);
    this.#offset = toU64('state.offset', state.offset);
    this.#seed = seed;
    return this;
  }

  /**
   * Returns the (seed, offset) for the next `count` draws (offsets offset … offset + count - 1)
   * and advances past them. The 64-bit offset wraps modulo 2^64.
   * @param count - a positive safe integer (default 1)
   * @throws {@link DropoutArgumentError} if `count` is not a positive integer
   * @example const { seed, offset } = gen.next(); // then dropout(device, { ..., seed, offset })
   */
  next(count = 1): GeneratorState {
    if (!Number.isSafeInteger(count) || count < 1) throw new DropoutArgumentError('count', count, 'a positive integer');
    const state = { seed: this.#seed, offset: this.#offset };
    this.#offset = addU64(this.#offset, BigInt(count));
    return state;
  }
}
