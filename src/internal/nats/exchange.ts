/**
 * One NATS request-reply exchange, as the client transport (`fp-jsonrpc/nats`'s `transport`) and
 * the gateway (`dispatcher`) both make it: the checks before sending (a closed connection, the
 * payload limit, the caller's signal and clock), the request, and the NATS client's errors read as
 * {@link NatsError} values. Only the `fp-jsonrpc/nats` entry point reaches this module.
 */
import * as NatsClient from '@nats-io/transport-node'
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { Expected } from '../../Transport.js'
import { MAX_TIMER_MS } from '../timers.js'
import { encode } from './answers.js'
import type { Connection, MessageHeaders } from './connection.js'

export type { Connection, MessageHeaders } from './connection.js'

/** See `NatsError` in src/nats/transport.ts, which documents each case. */
export type NatsError =
  | { readonly _tag: 'NoResponders'; readonly subject: string }
  | { readonly _tag: 'Timeout'; readonly ms: number }
  | { readonly _tag: 'TooLarge'; readonly size: number; readonly limit: number }
  | { readonly _tag: 'Closed' }
  | { readonly _tag: 'Aborted'; readonly reason: unknown }
  | { readonly _tag: 'RequestFailed'; readonly cause: unknown }

// The NATS client's `headers()`, read through the namespace so that both builds compile it.
const natsHeaders = (): MessageHeaders => (NatsClient as unknown as { readonly headers: () => MessageHeaders }).headers()

export interface Settings {
  readonly connection: Connection
  readonly subject: string
  /** Milliseconds; a call's own `timeoutMs` replaces it. */
  readonly timeoutMs: number
  /** Messages with no request in them are published and not waited for. */
  readonly publishNotifications: boolean
}

/** Headers to send with one message: names and values, or nothing. */
export type Headers = Readonly<Record<string, string>> | undefined

/**
 * Sends `body` and waits for the reply as `settings` and `expected` say; never rejects (but for a
 * connection object that throws, below).
 *
 * Not an `async` function, and each failure found before sending is an already settled Promise: an
 * exchange is the transport's one Promise chain, with no layer of its own around it. Something
 * thrown here (a connection object whose `isClosed` throws) rejects the Promise, as from an `async`
 * function.
 */
export const exchange = (settings: Settings, body: string, expected: Expected, extra: Headers): Promise<Either<NatsError, string | undefined>> => {
  try {
    return exchangeNow(settings, body, expected, extra)
  } catch (e) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what was thrown, as an async function would reject with it
    return Promise.reject(e)
  }
}

const exchangeNow = (settings: Settings, body: string, expected: Expected, extra: Headers): Promise<Either<NatsError, string | undefined>> => {
  const { connection, subject } = settings
  const signal = expected.signal
  if (signal !== undefined && signal.aborted) return Promise.resolve(E.left({ _tag: 'Aborted', reason: signal.reason }))
  if (connection.isClosed() || connection.isDraining()) return Promise.resolve(E.left(closed))
  const ms = expected.timeoutMs === undefined ? settings.timeoutMs : expected.timeoutMs > 0 ? expected.timeoutMs : 0
  const payload = encode(body)
  let hdrs: MessageHeaders | undefined
  let headerBytes = 0
  if (extra !== undefined) {
    try {
      hdrs = natsHeaders()
      for (const name of Object.keys(extra)) hdrs.set(name, extra[name])
      headerBytes = headersSize(extra)
    } catch (cause) {
      return Promise.resolve(E.left({ _tag: 'RequestFailed', cause }))
    }
  }
  const limit = connection.info?.max_payload
  const size = payload.byteLength + headerBytes
  if (limit !== undefined && size > limit) return Promise.resolve(E.left({ _tag: 'TooLarge', size, limit }))

  if (settings.publishNotifications && expected.ids.length === 0) {
    try {
      connection.publish(subject, payload, hdrs === undefined ? undefined : { headers: hdrs })
      return Promise.resolve(E.right(undefined))
    } catch (cause) {
      return Promise.resolve(E.left(classify(cause, subject, ms, size, limit)))
    }
  }
  if (ms === 0) return Promise.resolve(E.left({ _tag: 'Timeout', ms }))

  // The NATS client takes a timer of at most MAX_TIMER_MS (a longer one would fire at once).
  const options = hdrs === undefined ? { timeout: Math.min(ms, MAX_TIMER_MS) } : { timeout: Math.min(ms, MAX_TIMER_MS), headers: hdrs }
  // The request starts from a promise reaction of its own, on a short stack (see `started`), and the
  // answer is given through `resolve`, not by a chain on that reaction (see `started` too).
  const answered = new Promise<Either<NatsError, string | undefined>>((resolve, reject) => {
    const failed = (cause: unknown): void => resolve(E.left(classify(cause, subject, ms, size, limit)))
    const replied = (msg: { readonly data: Uint8Array }): void => {
      try {
        resolve(msg.data.byteLength === 0 ? E.right(undefined) : E.right(decoder.decode(msg.data)))
      } catch (e) {
        // A connection that answered something other than a message: the exchange rejects, as before.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what was thrown, as a `.then` step would reject with it
        reject(e)
      }
    }
    void started.then(() => {
      let reply: Promise<{ readonly data: Uint8Array }>
      try {
        reply = requestWithoutStacks(connection, subject, payload, options)
      } catch (cause) {
        return failed(cause)
      }
      // Promise.resolve gives a Promise back as it is; anything else is read as the message.
      void Promise.resolve(reply).then(replied, failed)
    })
  })
  if (signal === undefined) return answered
  // The NATS client cannot withdraw a request: an abort stops the wait, and a late reply is dropped.
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(E.left({ _tag: 'Aborted', reason: signal.reason }))
    signal.addEventListener('abort', onAbort, { once: true })
    void answered.then((answer) => {
      signal.removeEventListener('abort', onAbort)
      resolve(answer)
    })
  })
}

/**
 * Where each request starts from. The NATS client makes two `Error`s per request (for the stack of a
 * later timeout or failure), and capturing a stack costs more the deeper it is, several times more
 * with source maps on (`--enable-source-maps`, tsx): called from the caller's stack (the client, the
 * transport, the application), the request paid about 4 us more per call in the NATS client than
 * from a promise reaction of its own (measured on Node 20 under tsx; see the notes of #11).
 *
 * The stack V8 captures also holds the async frames that wait on the running reaction's promise: a
 * `.then` chained on the reaction would lead it through every `await` of the caller's (the client's,
 * the application's) to its limit of 10 frames. So nothing waits on that promise: the answer goes
 * out through the exchange's own `resolve`. Measured in-process (Client.call over a connection that
 * answers at once and makes the NATS client's three Errors, source maps on, 64 in flight): 11.1 ->
 * 10.7 us a call; without the Errors, the same within 1 %.
 *
 * So those Errors' stacks hold nothing of the caller's: only the NATS client's frames and this
 * module's reaction. They are not captured at all: `Error.stackTraceLimit` is 0 while `request`
 * runs (synchronously; the application's limit is put back at once). Only an Error made inside that
 * call loses its frames: the NATS client's two per request (which a `Timeout` or `NoResponders`
 * never shows; a `RequestFailed` shows one as its `cause`, name, message and cause intact) and a
 * synchronous throw's. Measured in-process (as above, with the three Errors): 11.2 -> 6.8 us a
 * call with source maps on (paired ratio 0.60), 0.65 with them off; over real NATS (one server, 64 in
 * flight, the client under tsx) the client's CPU 46 -> 32 us a call and its GC 7.7 -> 5.0 us.
 */
const started: Promise<void> = Promise.resolve()

// The NATS client's `request`, with the two Errors it makes captured with no stack (see `started`):
// `Error.stackTraceLimit` is 0 while it runs, and the application's again as soon as it returns or
// throws, before anything else runs.
const requestWithoutStacks = (
  connection: Connection,
  subject: string,
  payload: Uint8Array,
  options: Parameters<Connection['request']>[2],
): Promise<{ readonly data: Uint8Array }> => {
  const limit = Error.stackTraceLimit
  const quiet = limit > 0 && setStackTraceLimit(0)
  try {
    return connection.request(subject, payload, options)
  } finally {
    if (quiet) Error.stackTraceLimit = limit
  }
}

// False where the limit cannot be set (intrinsics frozen by the application): stacks are then left alone.
const setStackTraceLimit = (n: number): boolean => {
  try {
    Error.stackTraceLimit = n
    return true
  } catch {
    return false
  }
}

// As the fetch transport reads a body: bytes that are not UTF-8 become U+FFFD, and the client then
// judges the text (a worker of this package only ever sends UTF-8).
const decoder = new TextDecoder()

const closed: NatsError = { _tag: 'Closed' }

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8')

/** The size of the header block the NATS client writes: `NATS/1.0\r\n`, `name: value\r\n` each, `\r\n`. */
const headersSize = (headers: Readonly<Record<string, string>>): number => {
  let n = 10 + 2
  for (const name of Object.keys(headers)) n += byteLength(name) + 2 + byteLength(headers[name]) + 2
  return n
}

const nameOf = (u: unknown): string | undefined =>
  typeof u === 'object' && u !== null && typeof (u as { readonly name?: unknown }).name === 'string' ? (u as { readonly name: string }).name : undefined

/**
 * The NATS client's errors, told apart by name (not `instanceof`, so that a second copy of the
 * client in a bundle reads the same): a no-responders status comes as a `RequestError` whose cause
 * is named `NoResponders`.
 */
const classify = (cause: unknown, subject: string, ms: number, size: number, limit: number | undefined): NatsError => {
  const name = nameOf(cause)
  if (name === 'TimeoutError') return { _tag: 'Timeout', ms }
  if (name === 'NoResponders' || nameOf((cause as { readonly cause?: unknown } | undefined)?.cause) === 'NoResponders') return { _tag: 'NoResponders', subject }
  if (name === 'ClosedConnectionError' || name === 'DrainingConnectionError') return closed
  if (name === 'InvalidArgumentError' && cause instanceof Error && cause.message.includes('max_payload'))
    return { _tag: 'TooLarge', size, limit: limit ?? size - 1 }
  return { _tag: 'RequestFailed', cause }
}
