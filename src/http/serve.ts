/// <reference types="node" preserve="true" />
/**
 * A ready-made HTTP server for a dispatcher: {@link serve} starts a node:http server on a host and
 * port (the loopback interface and a free port by default) with the {@link listener} on one path, and
 * gives back where it listens and how to stop it gracefully. For a server of your own (TLS, express,
 * other routes), use the listener directly.
 *
 * @since 0.1.0
 */
import { createServer, type IncomingMessage, type Server as NodeServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { Dispatcher } from '../Dispatch.js'
import { listener, type Options as ListenerOptions } from './listener.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link serve} takes. `context` is required when the dispatcher needs one.
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
} & Omit<ListenerOptions<B>, 'path' | 'context'> &
  (unknown extends B ? { readonly context?: (req: IncomingMessage) => B } : { readonly context: (req: IncomingMessage) => B })

/**
 * A running server.
 *
 * @category model
 * @since 0.1.0
 */
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
 * Starts an HTTP server that serves `dispatcher` on `path` when the task runs; `Right` once it
 * listens, `ListenError` when it cannot (a port in use, an address not of this machine). Like
 * `Stream.listen` and `Ws.connect`, nothing starts until the task is run.
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
export const serve =
  <B>(options: ServeOptions<B>): TaskEither<ListenError, Server> =>
  () => {
  const { dispatcher, host = '127.0.0.1', port = 0, path = '/', context, onError } = options as ServeOptions<B> & {
    readonly context?: (req: IncomingMessage) => B
  }
  const serveRequest = listener(dispatcher, {
    path,
    ...(context === undefined ? {} : { context }),
    ...(onError === undefined ? {} : { onError }),
  } as ListenerOptions<B> & { readonly context: (req: IncomingMessage) => B })

  const inFlight = new Set<ServerResponse>()
  let closing: Promise<void> | undefined

  const server = createServer((req, res) => {
    inFlight.add(res)
    res.once('close', () => {
      inFlight.delete(res)
      // Its connection may now be idle: let close() finish without waiting for the keep-alive timeout.
      if (closing !== undefined) server.closeIdleConnections()
    })
    if (closing !== undefined) res.setHeader('connection', 'close')
    serveRequest(req, res)
  })

  const close = (): Promise<void> => {
    if (closing === undefined) {
      closing = new Promise((resolve) => server.close(() => resolve()))
      // Answers still to be written end their connection after them.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close')
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
