/**
 * The NATS client transport: each message is one NATS request on a subject, and the reply's payload
 * is the answer. Any number of workers serving that subject in one queue group share the calls; the
 * connection is the caller's (`connect` of `@nats-io/transport-node`), so one connection serves many
 * transports and its reconnection, authentication and TLS are set where it is made.
 *
 * The boundary: this module judges the NATS exchange only (responders, the clock, the payload
 * limit, the connection); what the payload says is the client's to judge (see `Client`). Every
 * failure of its own is a {@link NatsError}, a value: `send` never rejects.
 *
 * Delivery is at most once, as core NATS is: a worker that dies mid-call loses that call, and the
 * caller sees a `Timeout`. With the `retry` option, a message whose every call is of an idempotent
 * contract is sent again after `NoResponders` or `Timeout` (see `Retry`); any other is sent once.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import * as Retry from '../Retry.js'
import type { Transport } from '../Transport.js'
import * as Exchange from '../internal/nats/exchange.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Why a NATS exchange failed.
 *
 * - `NoResponders`: nothing subscribes to `subject` (no worker runs); the server said so at once.
 * - `Timeout`: no reply within `ms` milliseconds (a worker too slow, or one that died mid-call).
 * - `TooLarge`: the message, `size` bytes with its headers, is larger than the server's
 *   `max_payload` (`limit`); nothing was sent.
 * - `Closed`: the connection is closed or draining; nothing was sent.
 * - `Aborted`: the caller's signal aborted; `reason` is the signal's.
 * - `RequestFailed`: any other refusal of the NATS client (a permission violation, a header name it
 *   will not send); `cause` is what it threw.
 *
 * @category model
 * @since 0.2.0
 */
export type NatsError = Exchange.NatsError

/**
 * The connection `serve`, {@link transport} and the gateway take: a `NatsConnection` of
 * `@nats-io/transport-node` (`await connect({ servers })`), of which only these members are used.
 * Declared here, structurally, so that the package's declarations do not depend on the NATS
 * client's.
 *
 * @category model
 * @since 0.2.0
 */
export type Connection = Exchange.Connection

/**
 * What {@link transport} takes.
 *
 * @category model
 * @since 0.2.0
 */
export interface TransportOptions {
  /** An open connection (`await connect({ servers })` of `@nats-io/transport-node`); closing it stays the caller's work. */
  readonly connection: Exchange.Connection
  /** The subject the workers serve. */
  readonly subject: string
  /**
   * How long a request may wait for its reply, in milliseconds: 30 000 by default; `Infinity` for no
   * limit of this transport's own (the NATS client's longest timer, about 24.8 days). A call's own
   * `timeoutMs` replaces it for that call.
   */
  readonly timeoutMs?: number
  /**
   * NATS message headers sent with every message (an auth token, a trace id), or a function read
   * before each one. The workers' context sees them. A message's own `Expected.headers` are set after these.
   */
  readonly headers?: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>)
  /**
   * How a message of notifications only (no answer due) is sent: `'request'` (the default) waits
   * for the worker's empty reply, so a missing worker is `NoResponders` and a notification is known
   * to have been taken; `'publish'` sends it and returns at once, as fire and forget (nothing is
   * known of its fate, as JSON-RPC allows).
   */
  readonly notifications?: 'request' | 'publish'
  /**
   * Retries of idempotent messages (see `Retry`): `true` for `Retry.defaultPolicy`, or a policy of
   * your own. Off by default. Only `NoResponders` and `Timeout` are retried ({@link isRetryable}).
   */
  readonly retry?: boolean | Partial<Retry.Policy>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The default of {@link TransportOptions.timeoutMs}: 30 000 ms.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultTimeoutMs = 30_000

/**
 * A client transport that sends each message as a NATS request on `subject` and reads the reply.
 *
 * What a reply gives: its payload as text, strictly decoded; an empty payload (a worker's answer to
 * a message of notifications only) gives `undefined`. A call's `Expected` `signal` and
 * `timeoutMs` are honoured (`Aborted`, `Timeout`). A message larger than the server's `max_payload`
 * (read from the connection's `info`) is `TooLarge` before anything is sent. `transport` throws a
 * `RangeError` for a `timeoutMs` that is negative or `NaN`; a call's own below 0 counts as 0, which
 * times out at once without sending.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Client, Method } from 'fp-jsonrpc'
 * import * as Nats from 'fp-jsonrpc/nats'
 *
 * // const connection = await connect({ servers: 'nats://127.0.0.1:4222' }) (of @nats-io/transport-node)
 * declare const connection: Nats.Connection
 * const GetUser = Method.make({ name: 'getUser', params: t.type({ id: t.string }), result: t.unknown, idempotent: true })
 * const client = Client.make(Nats.transport({ connection, subject: 'users', retry: { attemptTimeoutMs: 1000 } }))
 *
 * const user = await pipe(client, Client.call(GetUser, { id: 'ada' }, { timeoutMs: 5000 }))()
 * // E.right(...), or E.left({ _tag: 'TransportError', error: { _tag: 'NoResponders', subject: 'users' } }), ...
 *
 * @category constructors
 * @since 0.2.0
 */
export const transport = (options: TransportOptions): Transport<NatsError> => {
  const { connection, subject, retry } = options
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be 0 or more, got ${timeoutMs}`)
  const headersOf = options.headers
  const settings: Exchange.Settings = { connection, subject, timeoutMs, publishNotifications: options.notifications === 'publish' }
  const headers = (): Either<NatsError, Exchange.Headers> => {
    if (typeof headersOf !== 'function') return E.right(headersOf)
    try {
      return E.right(headersOf())
    } catch (cause) {
      return E.left({ _tag: 'RequestFailed', cause })
    }
  }
  // No async layer of its own: the task is the exchange's one Promise.
  const plain: Transport<NatsError> = {
    send:
      (body, expected): TaskEither<NatsError, string | undefined> =>
      () => {
        const extra = headers()
        if (E.isLeft(extra)) return Promise.resolve(extra)
        const own = expected.headers
        // A message's own headers are set after the transport's, as the fetch transport does.
        return Exchange.exchange(settings, body, expected, own === undefined ? extra.right : { ...extra.right, ...own })
      },
  }
  if (retry === undefined || retry === false) return plain
  return Retry.transport<NatsError>({ ...(retry === true ? {} : retry), retryable: isRetryable })(plain)
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Whether a failure may pass if the message is sent again: `NoResponders` (a worker may be starting)
 * and `Timeout` (a worker may have died mid-call; only safe for idempotent calls, which is all that
 * `Retry` sends twice). Never `TooLarge`, `Closed`, `Aborted` or `RequestFailed`, which another try
 * does not change.
 *
 * @category utils
 * @since 0.2.0
 */
export const isRetryable = (e: NatsError): boolean => e._tag === 'NoResponders' || e._tag === 'Timeout'

/**
 * One line of text for a {@link NatsError}, such as `no responders on "users"` or
 * `no answer within 2000 ms`.
 *
 * @category utils
 * @since 0.2.0
 */
export const formatError = (e: NatsError): string => {
  switch (e._tag) {
    case 'NoResponders':
      return `no responders on ${JSON.stringify(e.subject)}`
    case 'Timeout':
      return `no answer within ${e.ms} ms`
    case 'TooLarge':
      return `message of ${e.size} bytes is larger than the server's max_payload of ${e.limit} bytes`
    case 'Closed':
      return 'the NATS connection is closed'
    case 'Aborted':
      return `aborted: ${e.reason instanceof Error ? e.reason.message : String(e.reason)}`
    case 'RequestFailed':
      return `request failed: ${e.cause instanceof Error ? e.cause.message : String(e.cause)}`
  }
}
