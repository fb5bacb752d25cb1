/**
 * Retries of idempotent messages: a wrapper around any client {@link Transport.Transport} that sends
 * a message again after a transport failure, when, and only when, sending it twice is safe.
 *
 * A message is sent again only if all of these hold:
 * - every call and notification in it is of a contract marked idempotent
 *   (`Method.make({ ..., idempotent: true })`; the client says so in `Expected.idempotent`). Any other
 *   message is sent once, whatever happens: a call that may have run is never run twice.
 * - the failure is one the inner transport calls retryable (the `retryable` option: a NATS
 *   `NoResponders` or `Timeout`, say). A JSON-RPC error is an answer, not a failure of the transport:
 *   it is handed back as it came, never retried.
 * - attempts are left (`maxAttempts`, the first included), the caller's signal has not aborted, and
 *   the caller's overall timeout (`Expected.timeoutMs`) leaves time for another attempt.
 *
 * Each retry sends the same text, so the same ids: a server that answers the first attempt late
 * answers the same request. Between attempts it waits with exponential backoff and full jitter
 * ({@link delayOf}): a random time between 0 and `baseDelayMs * 2^(n-1)`, capped at `maxDelayMs`.
 *
 * The boundary: this module decides when to send again; what counts as a transient failure is the
 * inner transport's to say. It is generic: the NATS transport offers it as an option (`retry`), and
 * it wraps the fetch transport or a transport of your own the same way.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { AbortSignalLike, Expected, Transport } from './Transport.js'
import { MAX_TIMER_MS } from './internal/timers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How many times to try and how long to wait between tries.
 *
 * @category model
 * @since 0.2.0
 */
export interface Policy {
  /** Attempts in all, the first included: 3 by default; 1 means no retry. */
  readonly maxAttempts: number
  /** The cap of the first wait, in milliseconds: 50 by default. Each later cap doubles. */
  readonly baseDelayMs: number
  /** The largest cap of any wait, in milliseconds: 2 000 by default. */
  readonly maxDelayMs: number
  /**
   * How long each attempt may take, in milliseconds, within the caller's overall `timeoutMs`: unset
   * by default, so an attempt takes what is left of the caller's timeout (or the inner transport's
   * default). Set it below the overall timeout when a timeout is retryable (a worker that died
   * mid-call), or the first attempt uses up the whole budget. A message that is not retried (not
   * all idempotent) is sent with the caller's timeout as it is.
   */
  readonly attemptTimeoutMs?: number
}

/**
 * What {@link transport} takes: when a failure is worth another try, and optionally a {@link Policy}
 * (each member defaults as documented there).
 *
 * @category model
 * @since 0.2.0
 */
export interface Options<TErr> extends Partial<Policy> {
  /** Whether a failure of the inner transport may pass if tried again (no responders, a timeout). */
  readonly retryable: (error: TErr) => boolean
  /** A random number in `[0, 1)`, for the jitter: `Math.random` by default (a test may fix it). */
  readonly random?: () => number
  /**
   * Told of each retry before its wait: the attempt about to be made (2 for the first retry), the
   * failure that led to it and the wait in milliseconds. Its exceptions are ignored.
   */
  readonly onRetry?: (attempt: number, error: TErr, delayMs: number) => void
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The default {@link Policy}: 3 attempts, waits capped at 50 ms, then 100 ms (at most 2 000 ms).
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultPolicy: Policy = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 2_000 }

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The wait before retry `n` (1 for the first retry, so the second attempt), with full jitter:
 * `random() * min(maxDelayMs, baseDelayMs * 2^(n-1))`. Law: `0 <= delayOf(p, n, r) <= p.maxDelayMs`,
 * and the cap doubles with each retry until it reaches `maxDelayMs`.
 *
 * @example
 * import { Retry } from 'fp-jsonrpc'
 *
 * Retry.delayOf(Retry.defaultPolicy, 1, () => 0.5) // 25: half of the first cap, 50
 * Retry.delayOf(Retry.defaultPolicy, 3, () => 0.5) // 100: half of 200
 *
 * @category utils
 * @since 0.2.0
 */
export const delayOf = (policy: Policy, n: number, random: () => number = Math.random): number => {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, n - 1))
  const r = random()
  // A random source outside [0, 1) is clamped, so the law holds whatever it gives.
  return cap * (r > 0 ? (r < 1 ? r : 1) : 0)
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Wraps `inner` so that a message whose every call is idempotent is sent again after a failure that
 * `options.retryable` accepts, as the module comment says; every other message goes through once.
 *
 * The answer is the first attempt's that succeeds, or the last failure. A caller's `timeoutMs` is the
 * budget of all attempts together: each attempt is given what is left of it (at most
 * `attemptTimeoutMs`, when set), and no retry starts once the next wait would pass it. A caller's signal is handed to each attempt, and a wait ends
 * early when it aborts: the answer is then the last failure. Throws a `RangeError` for a
 * `maxAttempts` below 1 or not an integer, or a delay that is negative or `NaN`.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Client, Method, Retry } from 'fp-jsonrpc'
 * import { transport, type HttpError } from 'fp-jsonrpc/fetch'
 *
 * const GetUser = Method.make({ name: 'getUser', params: t.type({ id: t.string }), result: t.unknown, idempotent: true })
 * const retrying = Retry.transport<HttpError>({ retryable: (e) => e._tag === 'NetworkError' || (e._tag === 'BadStatus' && e.status === 503), maxAttempts: 4 })
 * const client = Client.make(retrying(transport({ url: 'http://127.0.0.1:8080/' })))
 *
 * const user = pipe(client, Client.call(GetUser, { id: 'ada' }, { timeoutMs: 5000 }))
 *
 * @category combinators
 * @since 0.2.0
 */
export const transport = <TErr>(options: Options<TErr>): (<E extends TErr>(inner: Transport<E>) => Transport<E>) => {
  const policy: Policy = {
    maxAttempts: options.maxAttempts ?? defaultPolicy.maxAttempts,
    baseDelayMs: options.baseDelayMs ?? defaultPolicy.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? defaultPolicy.maxDelayMs,
  }
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1)
    throw new RangeError(`maxAttempts must be an integer of 1 or more, got ${policy.maxAttempts}`)
  if (!(policy.baseDelayMs >= 0)) throw new RangeError(`baseDelayMs must be 0 or more, got ${policy.baseDelayMs}`)
  if (!(policy.maxDelayMs >= 0)) throw new RangeError(`maxDelayMs must be 0 or more, got ${policy.maxDelayMs}`)
  const perAttempt = options.attemptTimeoutMs
  if (perAttempt !== undefined && !(perAttempt >= 0)) throw new RangeError(`attemptTimeoutMs must be 0 or more, got ${perAttempt}`)
  const random = options.random ?? Math.random
  const { retryable, onRetry } = options

  const withRetries = <E extends TErr, A>(send: (body: string, expected: Expected) => TaskEither<E, A>) => {
    const attempts = async (body: string, expected: Expected): Promise<Either<E, A>> => {
      const budget = expected.timeoutMs
      const started = Date.now()
      const deadline = budget === undefined || !(budget < Infinity) ? undefined : started + Math.max(0, budget)
      const signal = expected.signal
      for (let attempt = 1; ; attempt++) {
        // The first attempt gets the whole budget: a clock tick between reading the time for the
        // deadline and reading it again must not shave a millisecond off the caller's timeout.
        const now = attempt === 1 ? started : Date.now()
        const left = deadline === undefined ? undefined : Math.max(0, deadline - now)
        const ms = perAttempt === undefined ? left : left === undefined ? perAttempt : Math.min(perAttempt, left)
        const given = ms === undefined || ms === expected.timeoutMs ? expected : { ...expected, timeoutMs: ms }
        const answer = await send(body, given)()
        if (E.isRight(answer) || attempt >= policy.maxAttempts || !isRetryable(retryable, answer.left)) return answer
        const wait = delayOf(policy, attempt, random)
        // No time left for the wait and another try: the last failure is the answer.
        if (deadline !== undefined && Date.now() + wait >= deadline) return answer
        if (signal?.aborted === true) return answer
        if (onRetry !== undefined) {
          try {
            onRetry(attempt + 1, answer.left, wait)
          } catch {
            // a failing observer must not change the outcome
          }
        }
        if (!(await sleep(wait, signal))) return answer
      }
    }
    return (body: string, expected: Expected): TaskEither<E, A> =>
      expected.idempotent === true && policy.maxAttempts > 1 ? () => attempts(body, expected) : send(body, expected)
  }

  return <E extends TErr>(inner: Transport<E>): Transport<E> => {
    const send = withRetries(inner.send)
    const sendParsed = inner.sendParsed
    return sendParsed === undefined ? { send } : { send, sendParsed: withRetries(sendParsed) }
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const isRetryable = <E>(retryable: (error: E) => boolean, error: E): boolean => {
  try {
    return retryable(error) === true
  } catch {
    return false
  }
}

/** Waits `ms`; `false` when the signal aborted first. */
const sleep = (ms: number, signal: AbortSignalLike | undefined): Promise<boolean> =>
  new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve(true)
      },
      Math.min(ms, MAX_TIMER_MS),
    )
    signal?.addEventListener('abort', onAbort, { once: true })
  })
