/**
 * The WebSocket server: serves a dispatcher on every connection of a `ws` WebSocketServer
 * ({@link attach}), or on the upgrades of one path of a node `http`/`https` server
 * ({@link attachToHttp}), so HTTP and WebSocket JSON-RPC can share a port.
 *
 * Each connection is a {@link Peer.Peer}: requests and notifications from the client go to the
 * dispatcher, and the server calls the client back through the connection's own `client`
 * (notifications for a subscription, or requests to methods the client registered). One text frame
 * is one message; a binary frame is read as UTF-8 text. Bad input never closes the connection: it is
 * answered as the specification says (Parse error, Invalid Request, ...), by the dispatcher. What
 * does close it is the transport's own limits, each on by default: a message over `maxPayload`
 * (1009), a text frame that is not UTF-8 (1007), a client that stopped answering the heartbeat's
 * pings (cut off). Upgrades from pages of other origins are refused (`allowedOrigins`).
 *
 * The boundary: this module owns no listening socket. It attaches to a server the caller made and
 * listens on, and {@link Server.close} detaches from it and closes the connections it took, leaving
 * the server itself to the caller.
 *
 * @since 0.1.0
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Duplex } from 'node:stream'
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { Task } from 'fp-ts/lib/Task.js'
import type { WebSocket } from 'ws'
import { WebSocketServer } from 'ws'
import * as Client from '../Client.js'
import type * as Dispatch from '../Dispatch.js'
import * as Peer from '../Peer.js'
import type { Expected, Transport } from '../Transport.js'
import type { Authenticate } from '../fetch/rules.js'
import { safely } from '../internal/hooks.js'
import type { Endpoint } from '../Handler.js'
import { endpointOf, isAllowedHost, isLoopback, isSameHostOrigin, pathOf, serializeOrigin } from '../internal/http/hosts.js'
import { fromRefusal } from '../internal/http/rules.js'
import { bind, closeInfo, CloseCode, DEFAULT_MAX_PAYLOAD } from './socket.js'
import type { Bound, CloseInfo } from './socket.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One client connected to the server, as the server sees it. Made for each connection before the
 * `context` function runs, so the context (and through it every handler) can hold it.
 *
 * @category model
 * @since 0.1.0
 */
export interface ServerConnection {
  /** The HTTP upgrade request that opened the connection (headers, URL, remote address). */
  readonly request: IncomingMessage
  /** The `ws` socket, for what this module does not cover (`socket.close(code, reason)`, ping). */
  readonly socket: WebSocket
  /** The transport to the client over this connection: calls wait for the client's answer. */
  readonly transport: Transport<Peer.PeerError>
  /**
   * A client of the connected client: `pipe(connection.client, Client.notify(Tick, { n }))` sends it
   * a notification, `Client.call` calls a method it serves. Calls fail with `Closed` once the
   * connection has closed.
   */
  readonly client: Client.Client<Peer.PeerError>
  /** How many calls from the server await the client's answer. */
  readonly pending: () => number
  /** Settles when the connection has closed, with the close frame's code and reason. Never rejects. */
  readonly closed: Promise<CloseInfo>
  /**
   * Who is calling, as {@link HttpOptions.authenticate} admitted the upgrade (`undefined` without
   * one). The `context` function reads it here to give handlers the principal.
   */
  readonly principal: unknown
}

/**
 * The `context` option: made once per connection, it is the context every message of that
 * connection is dispatched with. Required when the dispatcher needs a context.
 *
 * @category model
 * @since 0.1.0
 */
export type ContextOption<B> = unknown extends B
  ? { readonly context?: (request: IncomingMessage, socket: WebSocket, connection: ServerConnection) => B }
  : { readonly context: (request: IncomingMessage, socket: WebSocket, connection: ServerConnection) => B }

/**
 * What {@link attach} takes besides the WebSocketServer and the dispatcher: options of its own, and
 * the {@link Peer.Settings} every two-way transport takes, for each connection's peer (`timeoutMs`
 * for the server's calls to a client, `onUnmatched`, `maxInFlight`, `overload`, `cancellation`, ...).
 *
 * @category model
 * @since 0.1.0
 */
export type ServerOptions<B> = ContextOption<B> &
  Peer.Settings & {
    /** Sees each new connection once it is ready to serve (to keep it, or call the client at once). */
    readonly onConnection?: (connection: ServerConnection) => void
    /**
     * Sees what goes wrong that no peer is told about: socket errors, a `context` function or an
     * `onConnection` callback that threw. Nothing of it is sent to the client.
     */
    readonly onError?: (error: unknown) => void
    /**
     * The largest message taken, in bytes; a larger one closes the connection with 1009 Message Too
     * Big. 1 MiB by default; `Infinity` (or 0) for no limit. With {@link attachToHttp}, `ws` stops
     * reading a frame as soon as it is over; with {@link attach}, the WebSocketServer's own
     * `maxPayload` (ws's default: 100 MiB) bounds what is read, and a message over this one is then
     * refused whole: give the WebSocketServer the same limit.
     */
    readonly maxPayload?: number
    /**
     * Every this many ms, the server pings each connection, and cuts off (closes at once, without a
     * close frame) one whose pong to the previous ping has not come. 30 000 by default; 0 or
     * `Infinity` for none. Browsers and `ws` clients answer pings by themselves.
     */
    readonly heartbeatMs?: number
    /**
     * Which pages may connect, by their `Origin` header (which browsers always send, and other
     * clients usually do not). An upgrade from another origin is refused: with {@link attachToHttp},
     * answered `403 Forbidden` and never upgraded; with {@link attach}, closed with 1008 Policy
     * Violation before any message is read (refuse it at the handshake with {@link verifyOrigin} as the
     * WebSocketServer's `verifyClient`).
     *
     * - `'same-host'` (the default): an `Origin` whose host and port are the upgrade request's `Host`;
     *   when the connection came over loopback (127.0.0.0/8, ::1), the origin must also be a loopback
     *   name (`localhost`, `127.0.0.1`, `[::1]`), so that a page whose name was rebound to 127.0.0.1
     *   (DNS rebinding) is refused.
     * - a list: exactly these origins (`'https://app.example.com'`; scheme, host and port compared).
     * - `'*'`: any origin.
     *
     * An upgrade without an `Origin` is taken whatever this says: it does not come from a browser
     * page, and the attack this guards against (a page of another site using the browser's cookies or
     * its access to the local network) needs one. Authenticate such clients in `verifyClient` or
     * `context`.
     */
    readonly allowedOrigins?: 'same-host' | '*' | ReadonlyArray<string>
  }

/**
 * What {@link attachToHttp} takes: the options of {@link attach}, and the path to serve.
 *
 * @category model
 * @since 0.1.0
 */
export type HttpOptions<B> = ServerOptions<B> & {
  /**
   * Runs on each upgrade request before the connection is made (after the `Origin` check): `Right`
   * admits the caller (the principal is then `connection.principal`, for the `context` function),
   * `Left` answers `401 Unauthorized` (`Rules.unauthenticated()`) or `403 Forbidden`
   * (`Rules.refused`) and no WebSocket is opened. A hook that throws or rejects gives `500`, with
   * its cause to `onError` only.
   */
  readonly authenticate?: Authenticate<IncomingMessage, unknown>
  /** The path taken, compared exactly with the request's path (its query string aside): `/rpc`. */
  readonly path: string
}

/**
 * The options argument: optional when the dispatcher needs no context.
 *
 * @category model
 * @since 0.1.0
 */
export type OptionsArg<O, B> = unknown extends B ? [options?: O] : [options: O]

/**
 * A dispatcher attached to a server.
 *
 * @category model
 * @since 0.1.0
 */
export interface Server {
  /** The connections open now, in the order they opened (to broadcast to, say). */
  readonly connections: () => ReadonlyArray<ServerConnection>
  /**
   * Stops taking connections; each open one first answers the calls it has received (handlers are
   * bounded by the dispatcher's `timeoutMs`), then is closed with 1001 Going Away. Settles once all
   * have closed (a client that does not answer the close frame is cut off after ws's 30 s close
   * timeout). The server's own calls to clients still awaiting an answer fail with `Closed`. The
   * WebSocketServer or HTTP server stays open: it is the caller's.
   */
  readonly close: Task<void>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const CLOSED: Either<Peer.PeerError, never> = E.left({ _tag: 'Closed' })

// The options as the implementation reads them: the public ones with `context` always optional,
// and whether text frames must be checked for UTF-8 here (a WebSocketServer that skips it).
type Options<B> = Omit<ServerOptions<B>, 'context'> & {
  readonly context?: (request: IncomingMessage, socket: WebSocket, connection: ServerConnection) => B
  readonly checkText?: boolean
}

const DEFAULT_HEARTBEAT_MS = 30_000

// Where the client reached the server, as its handlers read it (`control.endpoint`): the upgrade
// request's scheme, `Host` and path, with `ws:` or `wss:`. The WebSocket server has no `Host`
// allowlist, so only a loopback name is handed back: a `Host` no one checked (a DNS-rebinding
// page's) never is.
const loopbackName = isAllowedHost(['localhost', '127.0.0.1', '[::1]'])
const withEndpoint = (request: IncomingMessage): { readonly endpoint?: Endpoint } => {
  if (!loopbackName(request.headers.host)) return {}
  const endpoint = endpointOf((request.socket as { readonly encrypted?: boolean }).encrypted === true ? 'wss' : 'ws', request.headers.host, request.url ?? '/')
  return endpoint === undefined ? {} : { endpoint }
}

// An origin of the upgrade request's own host; over a loopback connection, also a loopback name.
const sameHost = (origin: string, request: IncomingMessage): boolean => {
  const local = request.socket.localAddress
  return isSameHostOrigin(origin, request.headers.host, local !== undefined && isLoopback(local))
}

/**
 * Whether the upgrade request's `Origin` is allowed (see {@link ServerOptions.allowedOrigins}).
 *
 * @internal
 * @since 0.1.0
 */
export const isOriginAllowed = (allowed: ServerOptions<unknown>['allowedOrigins'], request: IncomingMessage): boolean => {
  const origin = request.headers.origin
  if (origin === undefined || allowed === '*') return true
  if (allowed === undefined || allowed === 'same-host') return sameHost(origin, request)
  const serialized = serializeOrigin(origin)
  return allowed.some((a) => serializeOrigin(a) === serialized)
}

/**
 * A `verifyClient` for a `ws` WebSocketServer that refuses an upgrade whose `Origin` is not allowed
 * (with `403 Forbidden`), as {@link attachToHttp} does, for the server given to {@link attach}.
 *
 * @example
 * import { WebSocketServer } from 'ws'
 * import * as Ws from 'fp-jsonrpc/ws'
 *
 * const wss = new WebSocketServer({ host: '127.0.0.1', port: 8080, maxPayload: 1024 * 1024, verifyClient: Ws.verifyOrigin(['https://app.example.com']) })
 *
 * @category constructors
 * @since 0.1.0
 */
export const verifyOrigin =
  (allowedOrigins: ServerOptions<unknown>['allowedOrigins'] = 'same-host') =>
  // The callback form: with a plain boolean, ws would answer a refusal 401.
  (info: { readonly req: IncomingMessage }, callback: (result: boolean, code?: number) => void): void =>
    isOriginAllowed(allowedOrigins, info.req) ? callback(true) : callback(false, 403)

/** What both attach functions share: the connections taken, and how each is served. */
const makeServer = <B>(dispatcher: Dispatch.Dispatcher<B>, options: Options<B>, detach: () => void) => {
  const settings = Peer.settingsOf(options as Peer.Settings)
  const live = new Set<ServerConnection>()
  // How each live connection's incoming work is waited for, at a graceful close.
  const drains = new WeakMap<ServerConnection, () => Promise<void>>()
  let closing = false

  const serve = (socket: WebSocket, request: IncomingMessage, principal?: unknown): void => {
    if (closing) {
      socket.on('error', (e) => safely(options.onError, e))
      socket.close(CloseCode.GoingAway)
      return
    }
    if (!isOriginAllowed(options.allowedOrigins, request)) {
      socket.on('error', (e) => safely(options.onError, e))
      socket.close(CloseCode.PolicyViolation)
      return
    }
    // The connection exists before its peer, so that the context function can hold it; its
    // transport finds the peer when a call runs, by which time the peer is made.
    const made: { bound?: Bound } = {}
    const transport: Transport<Peer.PeerError> = {
      send: (body: string, expected: Expected) => () => (made.bound === undefined ? Promise.resolve(CLOSED) : made.bound.transport.send(body, expected)()),
      sendParsed: (body: string, expected: Expected) => () =>
        made.bound === undefined ? Promise.resolve(CLOSED) : made.bound.transport.sendParsed(body, expected)(),
    }
    let settle: (info: CloseInfo) => void = () => undefined
    const connection: ServerConnection = {
      request,
      socket,
      transport,
      client: Client.make(transport),
      pending: () => made.bound?.peer.pending() ?? 0,
      closed: new Promise<CloseInfo>((resolve) => (settle = resolve)),
      principal,
    }
    socket.on('close', (code, reason) => {
      live.delete(connection)
      settle(closeInfo(code, reason))
    })
    let context: B | undefined
    try {
      context = options.context?.(request, socket, connection)
    } catch (e) {
      // No context, nothing to serve with. The cause stays here: the client only sees 1011.
      socket.on('error', (err) => safely(options.onError, err))
      safely(options.onError, e)
      socket.close(CloseCode.InternalError)
      return
    }
    const bound = bind(
      socket,
      {
        ...settings,
        dispatcher,
        ...(context === undefined ? {} : { context }),
        ...withEndpoint(request),
        maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
        heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
        checkText: options.checkText === true,
      },
      options.onError,
      request.socket,
    )
    made.bound = bound
    const peer = bound.peer
    drains.set(connection, () => peer.drained())
    live.add(connection)
    if (options.onConnection !== undefined) {
      try {
        options.onConnection(connection)
      } catch (e) {
        // Not an observer's failure to swallow: the application is told, as of a context that threw.
        safely(options.onError, e)
      }
    }
  }

  const server: Server = {
    connections: () => [...live],
    close: async () => {
      if (!closing) {
        closing = true
        detach()
      }
      // Each connection first answers the calls it has received (as an HTTP server lets its
      // requests in flight finish), then gets 1001 Going Away.
      await Promise.all(
        [...live].map(async (connection) => {
          await drains.get(connection)?.()
          connection.socket.close(CloseCode.GoingAway)
          return connection.closed
        }),
      )
    },
  }
  return { serve, server }
}

/**
 * Serves `dispatcher` on every connection `wss` accepts from now on (it listens to its `connection`
 * event). Use it when the WebSocketServer is yours to configure: its own port, `verifyClient`,
 * compression. Give it the `maxPayload` of the options here (1 MiB by default) too, so that `ws`
 * stops reading an oversized message at that size rather than at its own (100 MiB), and
 * {@link verifyOrigin} as its `verifyClient`, so that a refused origin gets a 403 rather than an
 * upgrade closed at once with 1008.
 *
 * Each connection gets its own peer, so its own pending calls. With a `context` function, its value
 * for the connection is the context of every message on it.
 *
 * @example
 * import { WebSocketServer } from 'ws'
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Dispatch, Method, Registry } from 'fp-jsonrpc'
 * import * as Ws from 'fp-jsonrpc/ws'
 *
 * const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
 * const dispatcher = Dispatch.make(pipe(Registry.empty, Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend))))
 *
 * const server = Ws.attach(new WebSocketServer({ host: '127.0.0.1', port: 8080 }), dispatcher)
 *
 * @category constructors
 * @since 0.1.0
 */
export const attach = <B>(wss: WebSocketServer, dispatcher: Dispatch.Dispatcher<B>, ...args: OptionsArg<ServerOptions<B>, B>): Server => {
  // ws checks text frames as UTF-8 unless this WebSocketServer was told not to.
  const options: Options<B> = { ...((args[0] ?? {}) as Options<B>), checkText: wss.options.skipUTF8Validation === true }
  const listener = (socket: WebSocket, request: IncomingMessage): void => serve(socket, request)
  const { serve, server } = makeServer(dispatcher, options, () => wss.off('connection', listener))
  wss.on('connection', listener)
  return server
}

interface Routes {
  readonly paths: Map<string, (request: IncomingMessage, socket: Duplex, head: Buffer) => void>
  readonly listener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void
}

// One 'upgrade' listener per HTTP server, whatever the number of paths attached, so that it can tell
// when no one else will answer an upgrade.
const routesByServer = new WeakMap<HttpServer, Routes>()

const STATUS_TEXT = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' } as const

const refuse = (socket: Duplex, status: keyof typeof STATUS_TEXT, extraHeaders = ''): void => {
  socket.on('error', () => undefined)
  socket.once('finish', () => socket.destroy())
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n${extraHeaders}Connection: close\r\nContent-Length: 0\r\n\r\n`)
}

const routesOf = (http: HttpServer): Routes => {
  const existing = routesByServer.get(http)
  if (existing !== undefined) return existing
  const paths: Routes['paths'] = new Map()
  const listener: Routes['listener'] = (request, socket, head) => {
    const route = paths.get(pathOf(request.url ?? '/'))
    if (route !== undefined) return route(request, socket, head)
    // Another listener may take this upgrade; when there is none, it would hang for ever.
    if (http.listenerCount('upgrade') === 1) refuse(socket, 404)
  }
  const routes: Routes = { paths, listener }
  routesByServer.set(http, routes)
  http.on('upgrade', listener)
  return routes
}

/**
 * Serves `dispatcher` on the WebSocket upgrades of `options.path` on a node `http` or `https`
 * server, which may serve plain HTTP requests (HTTP JSON-RPC, say) on the same port.
 *
 * Upgrades on other paths are left to the server's other `upgrade` listeners; when there are none,
 * they are answered `404 Not Found` and their socket closed. An upgrade on the path whose `Origin`
 * is not allowed (see {@link ServerOptions.allowedOrigins}) is answered `403 Forbidden`. Several paths of one server may each
 * have their own dispatcher; attaching a path twice throws a `TypeError`.
 *
 * @example
 * import { createServer } from 'node:http'
 * import { Dispatch, Registry } from 'fp-jsonrpc'
 * import * as Ws from 'fp-jsonrpc/ws'
 *
 * const http = createServer((_req, res) => res.end('ok')).listen(8080, '127.0.0.1')
 * const server = Ws.attachToHttp(http, Dispatch.make(Registry.empty), { path: '/rpc' })
 *
 * @category constructors
 * @since 0.1.0
 */
export const attachToHttp = <B>(http: HttpServer, dispatcher: Dispatch.Dispatcher<B>, options: HttpOptions<B>): Server => {
  const routes = routesOf(http)
  const path = options.path
  if (routes.paths.has(path)) throw new TypeError(`a WebSocket dispatcher is attached to ${path} already`)
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    // ws reads 0 as no limit.
    maxPayload: maxPayload === Infinity ? 0 : maxPayload,
  })
  const { serve, server } = makeServer(dispatcher, options as Options<B>, () => {
    routes.paths.delete(path)
    if (routes.paths.size === 0) {
      http.off('upgrade', routes.listener)
      routesByServer.delete(http)
    }
    wss.close()
  })
  const authenticate = options.authenticate
  routes.paths.set(path, (request, socket, head) => {
    if (!isOriginAllowed(options.allowedOrigins, request)) return refuse(socket, 403)
    if (authenticate === undefined) return wss.handleUpgrade(request, socket, head, (ws) => serve(ws, request))
    // Before any connection exists: a refused caller gets a status, never a WebSocket, so it learns
    // nothing of the methods. A hook that throws gives a fixed 500; its cause goes to onError only.
    Promise.resolve()
      .then(() => authenticate(request))
      .then(
        (decided) => {
          if (E.isLeft(decided)) {
            // The refusal's answer as HTTP has it (its challenge cleared of line breaks), written raw.
            const challenge = fromRefusal(decided.left).headers['www-authenticate']
            return challenge === undefined ? refuse(socket, 403) : refuse(socket, 401, `WWW-Authenticate: ${challenge}\r\n`)
          }
          wss.handleUpgrade(request, socket, head, (ws) => serve(ws, request, decided.right))
        },
        (cause: unknown) => {
          safely(options.onError, cause)
          refuse(socket, 500)
        },
      )
  })
  return server
}
