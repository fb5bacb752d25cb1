/**
 * The WebSocket client: {@link connect} opens a socket to a server and gives a connection whose
 * `client` makes typed calls over it. Answers are matched to calls by id (a {@link Peer.Peer} does
 * it), so any number of calls may be in flight on one socket. With a `dispatcher`, the connection
 * also serves what the server calls: notifications of a subscription, or requests.
 *
 * When the socket closes, every call awaiting an answer fails with `Closed`. With `reconnect`, a
 * socket the client did not close is replaced by a new one, and later calls go over it; see
 * {@link Reconnect} for exactly what happens meanwhile.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { Task } from 'fp-ts/lib/Task.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { WebSocket } from 'ws'
import * as Client from '../Client.js'
import type * as Dispatch from '../Dispatch.js'
import * as Peer from '../Peer.js'
import type { Transport } from '../Transport.js'
import { bind, closeInfo, CloseCode, DEFAULT_MAX_PAYLOAD, report } from './socket.js'
import type { Bound, CloseInfo, PeerOptions } from './socket.js'
import type { Corkable } from '../internal/corkTick.js'
import type { OptionsArg } from './server.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Why {@link connect} gave no connection.
 *
 * - `ConnectFailed`: no WebSocket was opened: an invalid URL, a refused or reset TCP connection, a
 *   TLS failure, a handshake that timed out or was malformed. `cause` is the error `ws` gave.
 * - `UpgradeRefused`: the server answered the upgrade with an HTTP status instead of 101 (404 for a
 *   wrong path, 401 from an authenticating server, ...).
 *
 * @category model
 * @since 0.1.0
 */
export type ConnectError = { readonly _tag: 'ConnectFailed'; readonly cause: unknown } | { readonly _tag: 'UpgradeRefused'; readonly status: number }

/**
 * Reconnection after a socket drops. When a socket the client did not close (with `close()`) closes,
 * for whatever reason, the client makes up to `retries` attempts to open a new one, waiting `delayMs`
 * before each:
 *
 * - calls awaiting an answer on the old socket fail with `Closed` at once (their answer is lost);
 * - calls made during the attempts wait for their outcome, then go over the new socket, or fail with
 *   `Closed` when every attempt failed (their `timeoutMs` starts when they are sent);
 * - once an attempt succeeds, `onReconnect` runs (to subscribe again, say), and the next drop gets
 *   `retries` attempts again;
 * - when every attempt fails, the connection is closed for good: `closed` settles and every call
 *   fails with `Closed`.
 *
 * The first socket, the one {@link connect} opens, is not retried: its failure is connect's `Left`.
 *
 * @category model
 * @since 0.1.0
 */
export interface Reconnect {
  readonly retries: number
  readonly delayMs: number
}

/**
 * The `context` option: the context the server's calls to this client are dispatched with. Required
 * when the dispatcher needs one.
 *
 * @category model
 * @since 0.1.0
 */
export type ClientContextOption<B> = unknown extends B ? { readonly context?: B } : { readonly context: B }

/**
 * What {@link connect} takes besides the URL. Every member is optional unless the dispatcher needs
 * a context.
 *
 * @category model
 * @since 0.1.0
 */
export type ConnectOptions<B> = ClientContextOption<B> &
  Peer.Settings & {
    /** Answers the server's requests and runs its notifications. Without one, requests answer Method not found. */
    readonly dispatcher?: Dispatch.Dispatcher<B>
    /** Reconnect after a drop; without it, a drop closes the connection for good. */
    readonly reconnect?: Reconnect
    /** Runs each time a new socket replaces a dropped one. */
    readonly onReconnect?: () => void
    /** Headers of the upgrade request (`authorization`, say). */
    readonly headers?: Readonly<Record<string, string>>
    /** How long the opening handshake may take, in ms, for the first socket and each reconnection. 10 000 by default. */
    readonly handshakeTimeoutMs?: number
    /** Sees socket errors and failed reconnection attempts (as {@link ConnectError}). Nothing by default. */
    readonly onError?: (error: unknown) => void
    /**
     * The largest message taken from the server, in bytes; a larger one closes the socket with 1009
     * Message Too Big (`ws` stops reading it as soon as it is over). 1 MiB by default; `Infinity` (or 0)
     * for no limit.
     */
    readonly maxPayload?: number
    /**
     * Every this many ms, ping the server, and cut the socket off when the pong to the previous ping
     * has not come (then, with `reconnect`, a new socket replaces it). 0 (none) by default: the server
     * pings its clients.
     */
    readonly heartbeatMs?: number
  }

/**
 * An open connection to a server. Besides the options of its own, it takes the {@link Peer.Settings}
 * every two-way transport takes (`timeoutMs`, `onUnmatched`, `maxInFlight`, `overload`,
 * `cancellation`, ...).
 *
 * @category model
 * @since 0.1.0
 */
export interface ClientConnection {
  /** The transport over the connection, for `Client.make` with options of your own. */
  readonly transport: Transport<Peer.PeerError>
  /** A client over {@link transport}, ready for `Client.call`, `Client.notify` and `Client.batch`. */
  readonly client: Client.Client<Peer.PeerError>
  /**
   * Closes the connection with 1000 Normal Closure and stops reconnecting; calls awaiting an answer
   * fail with `Closed` at once, later ones too. Settles once the socket has closed. Idempotent.
   */
  readonly close: Task<void>
  /** How many calls await an answer on the current socket. */
  readonly pending: () => number
  /** Settles when the connection is closed for good, with how its last socket closed. Never rejects. */
  readonly closed: Promise<CloseInfo>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

type State =
  | { readonly _tag: 'Open'; readonly socket: WebSocket; readonly bound: Bound }
  | { readonly _tag: 'Reconnecting'; readonly next: Promise<Bound | undefined> }
  | { readonly _tag: 'Closed' }

// The options as the implementation reads them: the public ones, with `context` always optional.
type Options<B> = Omit<ConnectOptions<B>, 'context'> & { readonly context?: B }

const CLOSED: Either<Peer.PeerError, never> = E.left({ _tag: 'Closed' })

interface Opening<A> {
  /** The socket being opened, to abort it; `undefined` when the URL was refused at once. */
  readonly socket: WebSocket | undefined
  readonly opened: Promise<Either<ConnectError, A>>
}

// `ready` runs within the 'open' event: ws may emit a message that came with the handshake's answer
// before any Promise callback runs, so the socket must have its listeners by then.
const open = <A>(url: string | URL, options: Options<unknown>, ready: (socket: WebSocket, raw: Corkable | undefined) => A): Opening<A> => {
  let socket: WebSocket
  try {
    const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD
    socket = new WebSocket(url, {
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      // ws reads 0 as no limit.
      maxPayload: maxPayload === Infinity ? 0 : maxPayload,
      ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
    })
  } catch (cause) {
    return { socket: undefined, opened: Promise.resolve(E.left({ _tag: 'ConnectFailed', cause })) }
  }
  const opened = new Promise<Either<ConnectError, A>>((resolve) => {
    // The first outcome counts; this 'error' listener stays, so that a later error never goes unheard.
    socket.on('error', (cause) => resolve(E.left({ _tag: 'ConnectFailed', cause })))
    socket.once('unexpected-response', (_request, response) => {
      resolve(E.left({ _tag: 'UpgradeRefused', status: response.statusCode ?? 0 }))
      socket.terminate()
    })
    // The TCP socket under the WebSocket, to send the frames of one tick together (see `bind`).
    let raw: Corkable | undefined
    socket.once('upgrade', (response) => (raw = response.socket))
    socket.once('open', () => resolve(E.right(ready(socket, raw))))
  })
  return { socket, opened }
}

/**
 * Opens a WebSocket to `url` (`ws://` or `wss://`) and gives the connection once the handshake is
 * done, or why it could not be opened. Nothing happens until the task runs; each run opens a new
 * connection.
 *
 * Every call made through the connection's `client` is matched to its answer by id, fails with
 * `Timeout` after `timeoutMs`, and with `Closed` when the socket closes first: all as
 * `ClientError.TransportError` whose `error` is a {@link Peer.PeerError}.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as TE from 'fp-ts/lib/TaskEither.js'
 * import * as t from 'io-ts'
 * import { Client, Method } from 'fp-jsonrpc'
 * import * as Ws from 'fp-jsonrpc/ws'
 *
 * const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
 *
 * const program = pipe(
 *   Ws.connect('ws://127.0.0.1:8080/rpc', { timeoutMs: 5_000 }),
 *   TE.chainW((connection) => pipe(connection.client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))),
 * )
 *
 * @category constructors
 * @since 0.1.0
 */
export const connect =
  <B = unknown>(url: string | URL, ...args: OptionsArg<ConnectOptions<B>, B>): TaskEither<ConnectError, ClientConnection> =>
  async () => {
    const options = (args[0] ?? {}) as Options<B>
    return open(url, options as Options<unknown>, (socket, raw) => start(url, socket, raw, options)).opened
  }

// One client connection over the socket of the moment: the state below, and the functions after it
// that work on it (using a socket, reconnecting after a drop, sending over the socket of the
// moment, closing).
interface Link<B> {
  readonly url: string | URL
  readonly options: Options<B>
  readonly peerOptions: PeerOptions<B>
  readonly retries: number
  readonly delayMs: number
  state: State
  closing: boolean
  // What close() must interrupt while reconnecting: the delay before an attempt, or the attempt.
  cancelDelay: (() => void) | undefined
  attempt: WebSocket | undefined
  readonly settleClosed: (info: CloseInfo) => void
  readonly closed: Promise<CloseInfo>
}

const start = <B>(url: string | URL, firstSocket: WebSocket, firstRaw: Corkable | undefined, options: Options<B>): ClientConnection => {
  let settleClosed: (info: CloseInfo) => void = () => undefined
  const closed = new Promise<CloseInfo>((resolve) => (settleClosed = resolve))
  const link: Link<B> = {
    url,
    options,
    peerOptions: {
      ...Peer.settingsOf(options as Peer.Settings),
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      ...(options.context === undefined ? {} : { context: options.context }),
      maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    },
    retries: options.reconnect?.retries ?? 0,
    delayMs: options.reconnect?.delayMs ?? 0,
    state: { _tag: 'Closed' },
    closing: false,
    cancelDelay: undefined,
    attempt: undefined,
    settleClosed,
    closed,
  }
  use(link, firstSocket, firstRaw)
  const transport: Transport<Peer.PeerError> = {
    send: (body, expected) => over(link, (t) => t.send(body, expected)),
    sendParsed: (body, expected) => over(link, (t) => t.sendParsed(body, expected)),
  }
  const pending = (): number => (link.state._tag === 'Open' ? link.state.bound.peer.pending() : 0)
  return { transport, client: Client.make(transport), close: () => close(link), pending, closed }
}

const finish = <B>(link: Link<B>, info: CloseInfo): void => {
  link.state = { _tag: 'Closed' }
  link.settleClosed(info)
}

// A socket just opened becomes the socket of the moment; when it closes, the connection closes or
// reconnects.
const use = <B>(link: Link<B>, socket: WebSocket, raw: Corkable | undefined): Bound => {
  const bound = bind(socket, link.peerOptions, link.options.onError, raw)
  link.state = { _tag: 'Open', socket, bound }
  socket.on('close', (code, reason) => {
    const info = closeInfo(code, reason)
    if (link.closing || link.retries <= 0) finish(link, info)
    else void reconnect(link, info)
  })
  return bound
}

const wait = <B>(link: Link<B>, ms: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    link.cancelDelay = () => {
      clearTimeout(timer)
      resolve()
    }
  })

// Up to `retries` attempts, `delayMs` apart; calls made meanwhile wait for the outcome.
const reconnect = async <B>(link: Link<B>, last: CloseInfo): Promise<void> => {
  let settleNext: (bound: Bound | undefined) => void = () => undefined
  link.state = { _tag: 'Reconnecting', next: new Promise((resolve) => (settleNext = resolve)) }
  const options = link.options
  for (let i = 0; i < link.retries; i++) {
    await wait(link, link.delayMs)
    link.cancelDelay = undefined
    if (link.closing) break
    const opening = open(link.url, options as Options<unknown>, (socket, raw) => use(link, socket, raw))
    link.attempt = opening.socket
    const result = await opening.opened
    link.attempt = undefined
    // A close() that came while the socket opened has closed it (or aborted the attempt).
    if (link.closing) break
    if (E.isRight(result)) {
      settleNext(result.right)
      try {
        options.onReconnect?.()
      } catch (e) {
        report(options.onError, e)
      }
      return
    }
    report(options.onError, result.left)
  }
  settleNext(undefined)
  finish(link, last)
}

// Over the socket of the moment; both forms of the transport go the same way.
const over =
  <B, A>(link: Link<B>, run: (transport: Bound['transport']) => TaskEither<Peer.PeerError, A>) =>
  (): Promise<Either<Peer.PeerError, A>> => {
    const now = link.state
    switch (now._tag) {
      case 'Open':
        return run(now.bound.transport)()
      case 'Reconnecting':
        return now.next.then((bound) => (bound === undefined ? CLOSED : run(bound.transport)()))
      case 'Closed':
        return Promise.resolve(CLOSED)
    }
  }

const close = async <B>(link: Link<B>): Promise<void> => {
  if (!link.closing) {
    link.closing = true
    link.cancelDelay?.()
    link.attempt?.terminate()
    const now = link.state
    if (now._tag === 'Open') {
      now.bound.peer.close()
      now.socket.close(CloseCode.Normal)
    }
  }
  await link.closed
}
