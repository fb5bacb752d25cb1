/// <reference types="node" preserve="true" />
/**
 * A ready-made HTTP server for a dispatcher: {@link serve} starts a node:http server on a host and
 * port (the loopback interface and a free port by default) with the {@link listener} on one path, and
 * gives back where it listens and how to stop it gracefully. For a server of your own (TLS, express,
 * other routes), use the listener directly.
 *
 * @since 0.1.0
 */
import { createServer, type IncomingMessage, type Server as NodeServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { Dispatcher } from '../Dispatch.js'
import type * as Rules from '../fetch/rules.js'
import * as Exchange from '../internal/http/exchange.js'
import * as Explorer from '../internal/http/explorer/page.js'
import { isLoopback, loopbackHosts } from '../internal/http/hosts.js'
import { type Closing, listener, type Listener, type Options as ListenerOptions } from './listener.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link serve} takes. `context` (or `authenticate`, whose principal is then the base value) is
 * required when the dispatcher needs one.
 *
 * @category model
 * @since 0.1.0
 */
export type ServeOptions<B> = {
  /** The dispatcher to serve. */
  readonly dispatcher: Dispatcher<B>
  /** The interface to listen on: `127.0.0.1` by default, so nothing outside the machine can reach it. */
  readonly host?: string
  /** The port: `0` by default, a free one chosen by the system (read it from the handle). */
  readonly port?: number
  /** The one path served, `/` by default; every other path answers `404`. */
  readonly path?: string
  /**
   * The `Host` header values served; any other is `403` (DNS-rebinding protection). By default,
   * when `host` is a loopback address (`127.0.0.1`, `::1`, `localhost`): `localhost`, `127.0.0.1` and
   * `[::1]`, each with the port listened on; for any other `host`, every `Host`. `false` turns the
   * check off. See `Rules.Options.allowedHosts` for the entries' form.
   */
  readonly allowedHosts?: ReadonlyArray<string> | false
  /**
   * How long a client may take to send a request's headers, in milliseconds, before it is answered
   * `408` and disconnected (a slow-loris client): 10 000 by default, `Infinity` for no limit.
   */
  readonly headersTimeoutMs?: number
  /**
   * How long a client may take to send a whole request, headers and body, in milliseconds: 30 000 by
   * default (or `headersTimeoutMs`, if that is longer), `Infinity` for no limit. It may not be
   * shorter than `headersTimeoutMs`.
   */
  readonly requestTimeoutMs?: number
  /** How long an idle keep-alive connection is kept open, in milliseconds: 5 000 by default. */
  readonly keepAliveTimeoutMs?: number
} & Omit<ListenerOptions<B>, 'path' | 'context' | 'authenticate' | 'allowedHosts'> &
  (unknown extends B
    ? { readonly context?: (req: IncomingMessage) => B; readonly authenticate?: Rules.Authenticate<IncomingMessage, B> }
    : | { readonly context: (req: IncomingMessage) => B; readonly authenticate?: never }
      | { readonly authenticate: Rules.Authenticate<IncomingMessage, B>; readonly context?: never })

/**
 * Why {@link serve} could not listen; `cause` is what node:http reported.
 *
 * @category model
 * @since 0.1.0
 */
export interface ListenError {
  readonly _tag: 'ListenError'
  readonly cause: unknown
}

/**
 * A running server.
 *
 * @category model
 * @since 0.1.0
 */
export interface Server {
  /** The URL to `POST` to, such as `http://127.0.0.1:49152/`. */
  readonly url: string
  /** Where it listens, with the port the system chose. */
  readonly address: { readonly host: string; readonly port: number }
  /**
   * Stops the server gracefully: it stops accepting connections and closes idle keep-alive ones at
   * once; requests in flight are answered (with `Connection: close`), and then the Promise resolves.
   * Calling it again gives the same Promise.
   */
  readonly close: () => Promise<void>
  /** The node:http server underneath, to attach more to it (a WebSocket upgrade, say). */
  readonly server: NodeServer
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The defaults of {@link ServeOptions}' timeouts, in milliseconds.
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 } as const

/**
 * Starts an HTTP server that serves `dispatcher` on `path` when the task runs; `Right` once it
 * listens, `ListenError` when it cannot (a port in use, an address not of this machine). Like
 * `Stream.listen` and `Ws.connect`, nothing starts until the task is run.
 *
 * Safe by default: bound to the loopback interface, it serves only `Host: localhost`,
 * `127.0.0.1` or `[::1]` with its port (`403` otherwise); request bodies above 1 MiB are `413`;
 * clients that send their headers too slowly are disconnected (see the timeouts). `serve` throws a
 * `RangeError` for a limit that is negative or `NaN`.
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { Dispatch, Registry } from 'fp-jsonrpc'
 * import { serve } from 'fp-jsonrpc/http'
 *
 * const started = await serve({ dispatcher: Dispatch.make(Registry.empty), port: 8080, path: '/rpc' })()
 * if (E.isRight(started)) {
 *   const server = started.right
 *   console.log(`listening on ${server.url}`) // http://127.0.0.1:8080/rpc
 *   process.once('SIGTERM', () => void server.close())
 * }
 *
 * @category constructors
 * @since 0.1.0
 */
export const serve = <B>(options: ServeOptions<B>): TaskEither<ListenError, Server> => {
  const {
    dispatcher,
    host = '127.0.0.1',
    port = 0,
    path = '/',
    allowedHosts,
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs,
    ...rest
  } = options as ServeOptions<B> & { readonly context?: (req: IncomingMessage) => B; readonly authenticate?: Rules.Authenticate<IncomingMessage, B> }
  const listenerOptions = { ...rest, path } as ListenerOptions<B>
  // The implementation signature's options, which the overloads narrow for callers.
  const make = (hosts: ReadonlyArray<string> | false, isClosing: () => boolean): Listener =>
    (listener as (d: Dispatcher<B>, o: ListenerOptions<B> & Closing) => Listener)(dispatcher, { ...listenerOptions, allowedHosts: hosts, isClosing })
  // Options the listener would refuse (a negative limit, context with authenticate) throw now.
  Exchange.validate(listenerOptions)
  Explorer.pathOfExplorer(listenerOptions)
  const headers = timeoutOf('headersTimeoutMs', headersTimeoutMs ?? defaultTimeouts.headersTimeoutMs)
  const request = timeoutOf(
    'requestTimeoutMs',
    requestTimeoutMs ?? Math.max(defaultTimeouts.requestTimeoutMs, Number.isFinite(headersTimeoutMs) ? (headersTimeoutMs as number) : 0),
  )
  const keepAlive = timeoutOf('keepAliveTimeoutMs', keepAliveTimeoutMs ?? defaultTimeouts.keepAliveTimeoutMs)
  if (headers > 0 && request > 0 && headers > request) {
    throw new RangeError(`requestTimeoutMs (${requestTimeoutMs}) must not be shorter than headersTimeoutMs (${headersTimeoutMs})`)
  }
  const shortest = Math.min(...[headers, request].filter((ms) => ms > 0), 2_000)

  return () => {
    // Made once the port is known, for the default Host allowlist; nothing is served before that.
    let serveRequest: Listener = (_req, res) => {
      res.writeHead(503, { connection: 'close' }).end()
    }

    let closing: Promise<void> | undefined
    const isClosing = (): boolean => closing !== undefined

    const server = createServer(
      {
        headersTimeout: headers,
        requestTimeout: request,
        keepAliveTimeout: keepAlive,
        // How often node looks for requests past their timeouts (30 s by default): often enough that a
        // timeout is kept to within half of itself.
        connectionsCheckingInterval: Math.max(10, Math.ceil(shortest / 2)),
      },
      (req, res) => serveRequest(req, res),
    )

    // Answers written once close has begun carry Connection: close (the listener asks isClosing), so
    // their connections end after them. Idle keep-alive connections are closed at once, and so is any
    // connection that goes idle later (its answer was on its way when close began): it is looked for
    // every 50 ms until the server is closed, rather than left to its keep-alive timeout. Nothing is
    // tracked per request.
    const close = (): Promise<void> => {
      if (closing === undefined) {
        const sweep = setInterval(() => server.closeIdleConnections(), 50)
        sweep.unref()
        closing = new Promise((resolve) =>
          server.close(() => {
            clearInterval(sweep)
            resolve()
          }),
        )
        server.closeIdleConnections()
      }
      return closing
    }

    return new Promise((resolve) => {
      const refused = (cause: unknown): void => resolve(E.left({ _tag: 'ListenError', cause }))
      server.once('error', refused)
      try {
        server.listen(port, host, () => {
          server.off('error', refused)
          const address = server.address() as AddressInfo
          serveRequest = make(allowedHosts ?? (isLoopback(host) ? loopbackHosts(address.port) : false), isClosing)
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
          resolve(
            E.right({
              url: `http://${shown}:${address.port}${path}`,
              address: { host: address.address, port: address.port },
              close,
              server,
            }),
          )
        })
      } catch (cause) {
        // listen throws at once for arguments it refuses (a port out of range, say).
        refused(cause)
      }
    })
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

// A timeout as node:http takes it: milliseconds, 0 for none.
const timeoutOf = (name: string, ms: number): number => {
  if (!(ms > 0)) throw new RangeError(`${name} must be more than 0 (Infinity for no limit), got ${ms}`)
  return ms === Infinity ? 0 : Math.ceil(ms)
}
