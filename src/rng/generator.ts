import { DropoutArgumentError } from '../errors.js';
import { addU64, toU64 } from './seed.js';

/** A generator's full state: restoring it replays the same masks. */
export interface GeneratorState {
  readonly seed: bigint;
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

  /** @param seed integer in [0, 2^64 - 1] (number or bigint) */
  constructor(seed: bigint | number) {
    this.#seed = toU64('seed', seed);
  }

  get seed(): bigint {
    return this.#seed;
  }

  /** The offset the next draw will use. */
  get offset(): bigint {
    return this.#offset;
  }

  /** Reseeds and rewinds the stream to offset 0, like `torch.manual_seed`. */
  manualSeed(seed: bigint | number): this {
    this.#seed = toU64('seed', seed);
    this.#offset = 0n;
    return this;
  }

  getState(): GeneratorState {
    return { seed: this.#seed, offset: this.#offset };
  }

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
   */
  next(count = 1): GeneratorState {
    if (!Number.isSafeInteger(count) || count < 1) throw new DropoutArgumentError('count', count, 'a positive integer');
    const state = { seed: this.#seed, offset: this.#offset };
    this.#offset = addU64(this.#offset, BigInt(count));
    return state;
  }
}
