/**
 * Request ids: the model, its codec, and generators for clients.
 *
 * An id is a string, a number or `null`. Numbers must be finite and within the safe-integer range
 * (|n| <= 2^53 - 1), so that an id answered back is the id that was sent, never a rounded one.
 *
 * Generators hold state (a counter), so each is made by a `make...` function and is an `IO`: two
 * clients never share a counter, and nothing here is global.
 *
 * @since 0.1.0
 */
import type { IO } from 'fp-ts/lib/IO.js'
import * as t from 'io-ts'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A request id: a string, a number or `null` (see {@link isId} for the numbers allowed).
 *
 * @category model
 * @since 0.1.0
 */
export type Id = string | number | null

// -------------------------------------------------------------------------------------
// refinements
// -------------------------------------------------------------------------------------

/**
 * Whether `u` is a valid id: a string, `null`, or a finite number with |n| <= 2^53 - 1.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isId = (u: unknown): u is Id =>
  typeof u === 'string' || u === null || (typeof u === 'number' && u <= Number.MAX_SAFE_INTEGER && u >= -Number.MAX_SAFE_INTEGER)

// NaN fails both comparisons above and the infinities fail one, so no separate isFinite check.

/**
 * The io-ts codec of {@link Id}: decodes what {@link isId} accepts, and encodes an id as it is.
 *
 * @category codecs
 * @since 0.1.0
 */
export const codec: t.Type<Id, Id, unknown> = new t.Type<Id, Id, unknown>(
  'Id',
  isId,
  (u, c) => (isId(u) ? t.success(u) : t.failure(u, c, 'expected a string, a safe-integer-range number or null')),
  t.identity,
)

// -------------------------------------------------------------------------------------
// generators
// -------------------------------------------------------------------------------------

/**
 * Makes a generator of ids, for a client to number its requests.
 *
 * @category model
 * @since 0.1.0
 */
export type Generator = IO<Exclude<Id, null>>

/**
 * Decimal numbers counting up from `start` (1 by default): `1, 2, 3, ...`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeDecimal = (start = 1): IO<number> => {
  let next = start
  return () => next++
}

/**
 * Hexadecimal strings counting up from `start`: `"1", ..., "9", "a", "b", ...`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeHexadecimal = (start = 1): IO<string> => {
  let next = start
  return () => (next++).toString(16)
}

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'

/**
 * Random strings of `length` characters from `a-z0-9` (8 by default), from the platform's
 * cryptographic random source.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeRandom =
  (length = 8): IO<string> =>
  () => {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(length))
    let out = ''
    // 252 is the largest multiple of 36 below 256: rejecting bytes above it keeps every character
    // equally likely.
    for (let i = 0; i < length; i++) {
      let b = bytes[i]
      while (b >= 252) b = globalThis.crypto.getRandomValues(new Uint8Array(1))[0]
      out += alphabet[b % 36]
    }
    return out
  }

/**
 * Version 4 UUIDs from the platform's `crypto.randomUUID`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeUuid = (): IO<string> => () => globalThis.crypto.randomUUID()
