// TensorFlow.js seeds (a number or a string) → our 64-bit Philox key, and the generators that hand
// out a fresh offset per draw.
import { DropoutArgumentError } from '../errors.js';
import { PhiloxGenerator } from '../rng/generator.js';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;

function fnv1a64(text: string): bigint {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & U64;
  return hash;
}

/**
 * The 64-bit Philox key for a TensorFlow.js seed: a non-negative safe integer is the key itself;
 * any other finite number, and any string, is hashed (64-bit FNV-1a of its UTF-8 text; numbers by
 * their JavaScript string form, e.g. -1 → "-1"). A bigint in [0, 2^64) is taken as is.
 * @example
 * philoxSeed(42);        // 42n
 * philoxSeed('my-run');  // 64-bit FNV-1a of "my-run"
 */
export function philoxSeed(seed: number | string | bigint): bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed > U64) throw new DropoutArgumentError('seed', seed, 'a number, a string, or a bigint in [0, 2^64 - 1]');
    return seed;
  }
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) throw new DropoutArgumentError('seed', seed, 'a finite number, a string, or a bigint in [0, 2^64 - 1]');
    return Number.isSafeInteger(seed) && seed >= 0 ? BigInt(seed) : fnv1a64(String(seed));
  }
  if (typeof seed === 'string') return fnv1a64(seed);
  throw new DropoutArgumentError('seed', seed, 'a number, a string, or a bigint in [0, 2^64 - 1]');
}

/** A 53-bit seed from the platform's CSPRNG (what an unseeded layer or op starts from). */
export function randomSeed(): bigint {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return (BigInt(words[1]! & 0x1fffff) << 32n) | BigInt(words[0]!);
}

/** How many seeds keep their generator: the least recently used beyond this are forgotten. */
export const SEED_GENERATORS = 1024;
/** Insertion order is recency order: a use moves the seed to the end, eviction takes the first. */
const perSeed = new Map<bigint, PhiloxGenerator>();
let unseeded: PhiloxGenerator | null = null;

/**
 * The generator the {@link dropout} op draws from for `seed`: one per distinct seed (the k-th
 * call with seed s uses (philoxSeed(s), k)), or, with no seed, one shared generator seeded at
 * random when first used. Save and restore its state (getState/setState) to replay draws, or
 * call manualSeed. The {@link SEED_GENERATORS} most recently used seeds keep their generators; a
 * seed unused while that many others were used is forgotten and starts again at offset 0 (so
 * `seed = step` loops stay bounded in memory; pass `offset` or your own `generator` to pin draws).
 * @example
 * const gen = generatorFor(42);
 * const saved = gen.getState();
 * const a = dropout(x, 0.5, { seed: 42 });
 * gen.setState(saved);
 * const b = dropout(x, 0.5, { seed: 42 });   // the same mask as a
 */
export function generatorFor(seed?: number | string | bigint): PhiloxGenerator {
  if (seed === undefined || seed === null) {
    unseeded ??= new PhiloxGenerator(randomSeed());
    return unseeded;
  }
  const key = philoxSeed(seed);
  const gen = perSeed.get(key) ?? new PhiloxGenerator(key);
  perSeed.delete(key);
  perSeed.set(key, gen);
  if (perSeed.size > SEED_GENERATORS) perSeed.delete(perSeed.keys().next().value!);
  return gen;
}
