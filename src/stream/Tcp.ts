/// <reference types="node" preserve="true" />
/**
 * JSON-RPC over TCP (`node:net`): a server that serves every connection with one dispatcher, and a
 * client connection. Both ends are peers: on one connection, each side may call the other.
 *
 * The boundary: this module opens and accepts sockets and hands each to `attach` (see
 * `Connection`), which does the rest. Sockets are half-open (an answer still being computed when
 * the other side ends its stream is written before this side ends its own) and send without delay
 * (Nagle's algorithm off: requests and answers are small).
 *
 * The host is `127.0.0.1` unless given: listening on other interfaces is a choice to make
 * explicitly. A server closes a connection that has been idle for 5 minutes (`idleTimeoutMs`), and
 * every connection reads messages of at most 1 MiB (`maxMessageBytes`; see `Framing.Limits`).
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import * as net from 'node:net'
import type * as Dispatch from '../Dispatch.js'
import type * as Framing from './Framing.js'
import { attach, type AttachOptions, type Connection, type Link } from './Connection.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What a TCP connection offers the `context` function as it opens: its client, and its socket
 * (`socket.remoteAddress`, ...).
 *
 * @category model
 * @since 0.1.0
 */
export interface TcpLink extends Link {
  readonly socket: net.Socket
}

/**
 * What {@link listen} takes.
 *
 * @category model
 * @since 0.1.0
 */
export interface ListenOptions<B> extends Omit<AttachOptions<B>, 'dispatcher' | 'context' | 'onFramingError'> {
  /** `127.0.0.1` by default. */
  readonly host?: string
  /** `0` by default: a free port, which {@link Server.address} then tells. */
  readonly port?: number
  /** Answers every connection's calls. */
  readonly dispatcher: Dispatch.Dispatcher<B>
  /**
   * Makes the context of a connection's messages, once per connection. It gets the connection's
   * client: a handler that calls back the side that called it uses that one.
   */
  readonly context?: (link: TcpLink) => B
  /**
   * Sees the bytes a connection's decoder cannot frame, with the connection and its socket (see
   * `AttachOptions.onFramingError`).
   */
  readonly onFramingError?: (error: Framing.FramingError, connection: Connection, socket: net.Socket) => void
  /**
   * Closes a connection gracefully once it has been idle this long, in milliseconds (see
   * `AttachOptions.idleTimeoutMs`). 300 000 (5 minutes) by default; `Infinity` or `0` for never.
   */
  readonly idleTimeoutMs?: number
}

/**
 * A listening server.
 *
 * @category model
 * @since 0.1.0
 */
export interface Server {
  /** Where it listens (the port chosen, when `0` was asked). */
  readonly address: net.AddressInfo
  /** The connections open now. */
  readonly connections: () => ReadonlyArray<Connection>
  /**
   * Stops accepting connections, closes each open one gracefully (answers in flight are written
   * first; see `Connection.close`) and resolves once all are closed. Idempotent.
   */
  readonly close: () => Promise<void>
}

/**
 * Why {@link listen} could not listen (an address in use, a host that is not local, ...).
 *
 * @category model
 * @since 0.1.0
 */
export interface ListenError {
  readonly _tag: 'ListenError'
  readonly cause: unknown
}

/**
 * What {@link connect} takes.
 *
 * @category model
 * @since 0.1.0
 */
export interface ConnectOptions<B> extends Omit<AttachOptions<B>, 'context'> {
  /** `127.0.0.1` by default. */
  readonly host?: string
  readonly port: number
  /** Makes the context of the server's messages to this side, once, as the connection opens. */
  readonly context?: (link: TcpLink) => B
}

/**
 * Why {@link connect} could not connect (refused, unreachable, ...).
 *
 * @category model
 * @since 0.1.0
 */
export interface ConnectError {
  readonly _tag: 'ConnectError'
  readonly cause: unknown
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

// How long a server keeps a connection that does nothing.
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60 * 1000

const withSocket = <B>(context: ((link: TcpLink) => B) | undefined, socket: net.Socket): Pick<AttachOptions<B>, 'context'> =>
  context === undefined ? {} : { context: (link) => context({ ...link, socket }) }

/**
 * Listens for TCP connections and serves each with `dispatcher`, in the given framing. Starts
 * when the task runs; resolves once listening.
 *
 * Bad input never stops the server: unreadable messages are answered as the dispatcher answers
 * them, and bytes that cannot be framed are skipped (see `Framing`). Each connection may call back
 * the side that connected through the client that `context` gets (see {@link TcpLink}).
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Dispatch, Method, Registry } from 'fp-jsonrpc'
 * import { Framing, listen } from 'fp-jsonrpc/stream'
 *
 * const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
 * const dispatcher = Dispatch.make(pipe(Registry.empty, Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend))))
 *
 * const server = await listen({ framing: Framing.ndjson, dispatcher })()
 * // E.right({ address: { address: '127.0.0.1', family: 'IPv4', port: 41234 }, connections, close })
 *
 * @category constructors
 * @since 0.1.0
 */
export const listen =
  <B>(options: ListenOptions<B>): TaskEither<ListenError, Server> =>
  () =>
    new Promise((resolve) => {
      const connections = new Set<Connection>()
      let closing: Promise<void> | undefined
      const server = net.createServer({ allowHalfOpen: true }, (socket) => {
        if (closing !== undefined) return void socket.destroy()
        socket.setNoDelay(true)
        const { context, onFramingError, ...rest } = options
        const connection = attach(socket, socket, {
          ...rest,
          idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
          ...withSocket(context, socket),
          onFramingError: (error, connection) => onFramingError?.(error, connection, socket),
        })
        connections.add(connection)
        void connection.closed.then(() => connections.delete(connection))
      })
      const close = (): Promise<void> => {
        if (closing === undefined) {
          closing = new Promise((done) => {
            server.close(() => done())
            for (const connection of connections) void connection.close()
          })
        }
        return closing
      }
      const failed = (cause: unknown): void => resolve(E.left({ _tag: 'ListenError', cause }))
      server.once('error', failed)
      const listening = (): void => {
        server.off('error', failed)
        // Later errors (an accept that failed) concern one connection, not the server.
        server.on('error', () => undefined)
        resolve(E.right({ address: server.address() as net.AddressInfo, connections: () => [...connections], close }))
      }
      try {
        server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, listening)
      } catch (cause) {
        // Options Node refuses outright (a port out of range, ...).
        failed(cause)
      }
    })

/**
 * Connects to a TCP server and runs JSON-RPC both ways over the socket, in the given framing: the
 * connection's `client` calls the server, and `dispatcher` (if any) answers the server's calls.
 * Starts when the task runs; resolves once connected.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as TE from 'fp-ts/lib/TaskEither.js'
 * import * as t from 'io-ts'
 * import { Client, Method } from 'fp-jsonrpc'
 * import { Framing, connect } from 'fp-jsonrpc/stream'
 *
 * const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
 *
 * const difference = await pipe(
 *   connect({ port: 4000, framing: Framing.ndjson }),
 *   TE.mapLeft((e) => ({ _tag: 'TransportError' as const, error: e })),
 *   TE.chainW((connection) => pipe(connection.client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))),
 * )()
 *
 * @category constructors
 * @since 0.1.0
 */
export const connect =
  <B>(options: ConnectOptions<B>): TaskEither<ConnectError, Connection> =>
  () =>
    new Promise((resolve) => {
      let socket: net.Socket
      try {
        socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port, allowHalfOpen: true })
      } catch (cause) {
        // Options Node refuses outright (a port out of range, ...).
        return resolve(E.left({ _tag: 'ConnectError', cause }))
      }
      const failed = (cause: unknown): void => {
        socket.destroy()
        resolve(E.left({ _tag: 'ConnectError', cause }))
      }
      socket.once('error', failed)
      socket.once('connect', () => {
        socket.off('error', failed)
        socket.setNoDelay(true)
        const { context, ...rest } = options
        resolve(E.right(attach(socket, socket, { ...rest, ...withSocket(context, socket) })))
      })
    })
