/**
 * The client transport: how a client's message text reaches a server and how the answer's text
 * comes back. This is the seam for custom transports: HTTP, WebSocket and stream transports each fill
 * in this one interface, and anything else (a worker, a test double, a message queue) can too.
 *
 * The boundary is text. A transport moves one message out and at most one message back; it does not
 * build requests, parse responses or match them to calls (the client does that, see `Client`). Its
 * own failures (a refused connection, a timeout, a status code it will not read) are its `Left`,
 * typed as it likes: the client carries them to the caller unchanged inside
 * `ClientError.TransportError`.
 *
 * @since 0.1.0
 */
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What the client awaits for one message, handed to {@link Transport.send} beside the text so that a
 * transport need not parse what it sends.
 *
 * @category model
 * @since 0.1.0
 */
export interface Expected extends CallOptions {
  /**
   * The ids of the requests in the message, in the order sent. Empty when the message holds only
   * notifications: then no answer is due, and a transport that reads answers off a shared connection
   * (WebSocket, stream) must not wait for one.
   */
  readonly ids: ReadonlyArray<string | number>
  /**
   * `true` when every call and notification in the message is of a contract marked idempotent
   * (`Method.make({ ..., idempotent: true })`), so that sending the same text again is safe; absent or
   * `false` otherwise. `Client` fills it in; a retrying wrapper (see `Retry`) reads it and sends any
   * other message once only.
   *
   * @since 0.2.0
   */
  readonly idempotent?: boolean
  /**
   * Headers to send with this one message, for a transport that sends headers (HTTP with
   * `fp-jsonrpc/fetch`, NATS with `fp-jsonrpc/nats`; the others ignore them): set after the
   * transport's own headers, so they replace one of the same name. A wrapper fills it in (the
   * tracing wrapper of `fp-jsonrpc/otel` puts the trace context here); `Client` leaves it unset.
   *
   * @since 0.2.0
   */
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * What a caller may ask of one exchange (`Client.call`, `Client.notify` and `Client.batch` take it as
 * their last argument), handed to the transport inside {@link Expected}.
 *
 * Both members are requests to the transport, which says in its own documentation whether it honours
 * them: the fetch transport (`fp-jsonrpc/fetch`) honours both; the in-memory transport ignores them.
 * A transport that honours them fails the exchange with its own typed error (a `Timeout`, an
 * `Aborted`) and never rejects.
 *
 * @category model
 * @since 0.1.0
 */
export interface CallOptions {
  /** Gives up on the exchange once this signal aborts (at once, if it already has). */
  readonly signal?: AbortSignalLike
  /** Gives up on the exchange after this many milliseconds, instead of the transport's default. */
  readonly timeoutMs?: number
}

/**
 * The part of the standard `AbortSignal` a transport reads; every `AbortSignal` (of browsers, Node,
 * Deno, Bun and workers) is one. It is declared here, structurally, so that the package's types need
 * neither the DOM library nor Node's.
 *
 * @category model
 * @since 0.1.0
 */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/**
 * A client transport: `send` takes the message text and gives the answer's text, or `undefined` when
 * the peer sent no body (as after a notification), or the transport's own error `TErr`.
 *
 * Laws a transport keeps:
 * - `send` starts nothing until its task runs, and each run sends once.
 * - its task never rejects: every failure is a `Left`.
 * - it hands back the body as received; judging it is the client's work.
 *
 * A transport that does not need {@link Expected} may leave the second parameter out.
 *
 * @example
 * import * as TE from 'fp-ts/lib/TaskEither.js'
 * import type { Transport } from 'fp-jsonrpc'
 *
 * // A transport over `fetch`, in a few lines (errors as text):
 * const overFetch = (url: string): Transport.Transport<string> => ({
 *   send: (body) =>
 *     TE.tryCatch(
 *       async () => {
 *         const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
 *         if (!res.ok && res.status !== 204) throw new Error(`HTTP ${res.status}`)
 *         const text = await res.text()
 *         return text === '' ? undefined : text
 *       },
 *       (e) => String(e),
 *     ),
 * })
 *
 * @category model
 * @since 0.1.0
 */
export interface Transport<TErr = unknown> {
  readonly send: (body: string, expected: Expected) => TaskEither<TErr, string | undefined>
  /**
   * Optional: the same exchange as `send`, for a transport that has parsed the answer already (a
   * two-way connection parses every message to tell answers from calls). It gives the answer's text
   * and the value `JSON.parse` gives for it, so that the client does not parse it a second time;
   * `undefined` when `send` would give `undefined`. The client uses it when it is there.
   */
  readonly sendParsed?: (body: string, expected: Expected) => TaskEither<TErr, Parsed | undefined>
}

/**
 * An answer's text and its parsed JSON value (see {@link Transport.sendParsed}). Law: `value` is
 * `JSON.parse(text)`.
 *
 * @category model
 * @since 0.2.0
 */
export interface Parsed {
  readonly text: string
  readonly value: unknown
}
