/**
 * A peer: one end of a two-way JSON-RPC connection (a WebSocket, a TCP socket, a child process's
 * stdio), where either side may call the other. Incoming requests and notifications go to a
 * dispatcher; incoming responses settle the calls this side made. Transports that carry messages
 * both ways are thin adapters over a peer: they feed it what they read, give it a way to write, and
 * stop reading when it asks them to.
 *
 * The boundary: a peer knows messages, not bytes. Framing (newline-delimited, Content-Length, one
 * message per WebSocket frame) stays in the transport. A peer owns the pending calls (their
 * matching by id, their timeouts, their cancellation, failing them all when the connection closes)
 * and the incoming work (how much runs at once, and what waits). Each is a module of its own, plain
 * state and functions on it: the pending calls in `internal/peer/Calls`, the incoming work in
 * `internal/peer/Inbox`; {@link make} reads the options, makes both, and routes each message read.
 *
 * Flow control. A message whose dispatch answers synchronously is answered at once and takes no
 * place. One whose dispatch is asynchronous takes one of {@link Settings.maxInFlight} places until
 * it is answered. When every place is taken, the peer asks its transport to stop reading
 * ({@link Options.pause}) and to read again once a place is free ({@link Options.resume}); messages
 * the transport had read already wait in order, and none is dropped or refused. The sender is then
 * held by the transport's own flow control (TCP's window, a pipe's buffer), so memory stays bounded
 * by what one read brings. `overload: 'refuse'` fails fast instead (see {@link Settings.overload}).
 *
 * Cancellation. Aborting one of this side's calls (its `signal`, or its timeout) sends the other side
 * the notification `$/cancelRequest` with the call's id, as vscode-jsonrpc and the Language Server
 * Protocol do; receiving `$/cancelRequest` for a request being worked on aborts its handler's
 * `control.signal` and answers it at once with `-32800 Request cancelled`: one answer per id, the
 * handler's later one is dropped.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import * as Dispatch from './Dispatch.js'
import type { Endpoint } from './Handler.js'
import { PARSE_ERROR_TEXT } from './internal/json.js'
import * as Calls from './internal/peer/Calls.js'
import * as Inbox from './internal/peer/Inbox.js'
import { cancelledId, NOT_JSON } from './internal/peer/messages.js'
import { decodeUtf8 } from './internal/utf8.js'
import * as Registry from './Registry.js'
import * as RpcError from './RpcError.js'
import type { Expected, Parsed, Transport } from './Transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Why a call made through a peer failed before any answer came.
 *
 * @category model
 * @since 0.1.0
 */
export type PeerError =
  | { readonly _tag: 'Closed' }
  | { readonly _tag: 'Timeout'; readonly ms: number }
  | { readonly _tag: 'WriteFailed'; readonly cause: unknown }
  | { readonly _tag: 'DuplicateId'; readonly id: string | number }
  | { readonly _tag: 'Aborted'; readonly reason: unknown }

/**
 * How a peer behaves, whatever the transport: every two-way transport (`fp-jsonrpc/ws`,
 * `fp-jsonrpc/stream`) takes these same options and hands them to its peers.
 *
 * @category model
 * @since 0.2.0
 */
export interface Settings {
  /**
   * How long a call waits for its answer, in milliseconds (30 000 by default; `Infinity` for ever).
   * A call's own `timeoutMs` (see `Transport.CallOptions`) replaces it; a call's `signal` ends the
   * wait with `Aborted`. Either way the pending entry is removed, `$/cancelRequest` is sent (see
   * {@link cancellation}), and a late answer is unmatched.
   */
  readonly timeoutMs?: number
  /** Sees responses that match no pending call (late, unknown or duplicated ids). Ignored by default. */
  readonly onUnmatched?: (message: unknown) => void
  /**
   * How many incoming messages whose dispatch is asynchronous are worked on at once: 64 by default.
   * A message answered synchronously takes no place.
   */
  readonly maxInFlight?: number
  /**
   * What happens to incoming messages while every place is taken:
   *
   * - `'pause'` (the default): messages wait in order; once {@link maxQueued} wait, the transport
   *   stops reading, and reads again when half of them have found a place. Nothing is dropped or
   *   refused, and the sender is slowed down by the transport's flow control. Until the queue is
   *   full, `$/cancelRequest` and the answers to this side's calls are still read, so a full
   *   dispatcher can still be cancelled and can still finish work that waits on the other side.
   * - `'refuse'`: fail fast. Up to {@link maxQueued} messages wait; past that, each request of a
   *   message is answered {@link busyError} at once and its notifications are dropped. Reading never
   *   stops, so a flooding peer cannot slow this side's own calls, at the price of lost
   *   notifications and refused requests under a burst.
   */
  readonly overload?: 'pause' | 'refuse'
  /**
   * How many incoming messages may wait for a place: 256 by default. Past it, the transport stops
   * reading (`overload: 'pause'`) or requests are refused (`'refuse'`). Messages a transport had read
   * before it stopped still wait (a stream's chunk may hold many), so the queue can briefly be longer.
   */
  readonly maxQueued?: number
  /** The error a refused request gets: `RpcError.serverBusy()` (`-32004`) by default. */
  readonly busyError?: RpcError.RpcError
  /**
   * Cancellation on the wire, on by default: an aborted or timed-out call of this side sends
   * `{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":<id>}}`, and `$/cancelRequest` from the
   * other side cancels that request (its handler's `control.signal` aborts, and it is answered
   * {@link cancelledError} at once). With `false`, neither: `$/cancelRequest` then goes to the
   * dispatcher like any notification. Only single requests are cancellable, not batch elements.
   */
  readonly cancellation?: boolean
  /** The answer to a cancelled request: `RpcError.requestCancelled()` (`-32800`) by default. */
  readonly cancelledError?: RpcError.RpcError
}

/**
 * What {@link make} takes: the {@link Settings}, and what the transport provides.
 *
 * @category model
 * @since 0.1.0
 */
export interface Options<B> extends Settings {
  /** Sends one message to the other side. May throw; the call it was for then fails with `WriteFailed`. */
  readonly write: (text: string) => void
  /** Answers what the other side calls. Without one, every request is answered Method not found. */
  readonly dispatcher?: Dispatch.Dispatcher<B>
  /** The context each incoming message is dispatched with. */
  readonly context?: B
  /** Where the connection was made, which its handlers read as `control.endpoint` (a WebSocket server's URL). */
  readonly endpoint?: Endpoint
  /** Stop reading: every place is taken and the queue is full (see {@link Settings.overload}). */
  readonly pause?: () => void
  /** Read again: the queue has room. Called once after each `pause`. */
  readonly resume?: () => void
}

/**
 * A peer's client transport: it has parsed every answer to tell it from a call, so it always hands
 * the client the parsed value too (`sendParsed`).
 *
 * @category model
 * @since 0.2.0
 */
export interface PeerTransport extends Transport<PeerError> {
  readonly sendParsed: (body: string, expected: Expected) => TaskEither<PeerError, Parsed | undefined>
}

/**
 * One side of a two-way connection: it answers the other side's calls with its dispatcher and
 * makes its own calls through its transport.
 *
 * @category model
 * @since 0.1.0
 */
export interface Peer {
  /** The client transport of this side: give it to `Client.make` to call the other side. */
  readonly transport: PeerTransport
  /** Hands one incoming message (its text) to the peer. Never throws; an answer owed is written when ready. */
  readonly receive: (text: string) => void
  /**
   * Hands one incoming message as bytes: read as UTF-8 strictly, as every transport does. Bytes that
   * are not UTF-8 are answered Parse error; a leading byte order mark is kept, so it is one too.
   */
  readonly receiveBytes: (bytes: Uint8Array) => void
  /**
   * Fails every pending call with `Closed` and refuses new ones, at once. Idempotent. Incoming
   * messages received before it are still worked on and answered (see {@link drained}).
   */
  readonly close: () => void
  /** How many calls of this side await an answer. */
  readonly pending: () => number
  /** How many incoming messages are being worked on or wait for a place. */
  readonly incoming: () => number
  /**
   * Settles once no incoming message is being worked on or waiting, every answer owed written: what
   * a graceful close waits for before closing the connection.
   */
  readonly drained: () => Promise<void>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const SETTINGS: ReadonlyArray<keyof Settings> = [
  'timeoutMs',
  'onUnmatched',
  'maxInFlight',
  'overload',
  'maxQueued',
  'busyError',
  'cancellation',
  'cancelledError',
]

/**
 * The {@link Settings} among a transport's options (those given), for the peers it makes.
 *
 * @category utils
 * @since 0.2.0
 */
export const settingsOf = (options: Settings): Settings => {
  const out: Record<string, unknown> = {}
  for (const key of SETTINGS) if (options[key] !== undefined) out[key] = options[key]
  return out
}

const noMethods = Dispatch.make(Registry.empty)

const textOf = (answer: Calls.Answer): Either<PeerError, string | undefined> => (answer._tag === 'Left' ? answer : E.right(answer.right?.text))

const atLeast = (name: string, n: number, min: number): number => {
  if (!(n >= min)) throw new RangeError(`${name} must be at least ${min}, got ${n}`)
  return n
}

/**
 * Makes a peer. It holds mutable state (the pending calls, the incoming work), so each connection
 * makes its own.
 *
 * @example
 * import { Client, Dispatch, Peer, Registry } from 'fp-jsonrpc'
 *
 * // Two peers wired back to back, as a socket would connect them:
 * const a: Peer.Peer = Peer.make({ write: (text) => b.receive(text) })
 * const b: Peer.Peer = Peer.make({ write: (text) => a.receive(text), dispatcher: Dispatch.make(Registry.empty) })
 * const client = Client.make(a.transport)
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <B>(options: Options<B>): Peer => {
  const cancellation = options.cancellation !== false
  // Writes one message: `WRITTEN`, or what the transport threw (no allocation when it did not).
  const write = (text: string): unknown => {
    try {
      options.write(text)
      return Calls.WRITTEN
    } catch (cause) {
      return cause
    }
  }
  // An answer to the other side: when it cannot be written (the connection is gone), there is no one
  // to tell.
  const answer = (text: string): void => {
    write(text)
  }

  const calls = Calls.make({ write, timeoutMs: options.timeoutMs ?? 30_000, cancellation, onUnmatched: options.onUnmatched })
  const inbox = Inbox.make<B>({
    dispatcher: options.dispatcher ?? noMethods,
    context: options.context as B,
    endpoint: options.endpoint,
    answer,
    maxInFlight: atLeast('maxInFlight', options.maxInFlight ?? 64, 1),
    refuse: options.overload === 'refuse',
    maxQueued: atLeast('maxQueued', options.maxQueued ?? 256, 0),
    busyError: options.busyError ?? RpcError.serverBusy(),
    cancellation,
    cancelledError: options.cancelledError ?? RpcError.requestCancelled(),
    pause: options.pause,
    resume: options.resume,
  })

  // Whose a message is: an answer settles one of this side's calls, `$/cancelRequest` cancels the
  // other side's work, anything else (garbage included: the dispatcher answers it) is work.
  const receive = (text: string): void => {
    let u: unknown
    try {
      u = JSON.parse(text)
    } catch {
      // Not JSON: the dispatcher gives the Parse error answer.
      u = NOT_JSON
    }
    if (u !== NOT_JSON) {
      if (Calls.isResponseMessage(calls, u)) return Calls.settle(calls, u, text)
      if (cancellation) {
        const id = cancelledId(u)
        if (id !== undefined) return Inbox.cancel(inbox, id)
      }
    }
    Inbox.take(inbox, text, u)
  }

  return {
    transport: {
      send: (body, expected) => () => Calls.exchange(calls, body, expected).then(textOf),
      sendParsed: (body, expected) => () => Calls.exchange(calls, body, expected),
    },
    receive,
    receiveBytes: (bytes) => {
      const text = decodeUtf8(bytes)
      if (text === undefined) answer(PARSE_ERROR_TEXT)
      else receive(text)
    },
    close: () => Calls.close(calls),
    pending: () => Calls.pending(calls),
    incoming: () => Inbox.size(inbox),
    drained: () => Inbox.drained(inbox),
  }
}
