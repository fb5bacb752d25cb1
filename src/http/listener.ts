/// <reference types="node" preserve="true" />
/**
 * The node:http server adapter: a dispatcher as a request listener, for `http.createServer`,
 * `https.createServer`, and express or connect as middleware. It only translates: it reads the
 * request's head, gives the one HTTP exchange (src/internal/http/exchange.ts, which the Fetch handler
 * runs too) a way to read the body, and writes the answer the exchange decides.
 *
 * @since 0.1.0
 */
import { Buffer } from 'node:buffer'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher, Given } from '../Dispatch.js'
import type * as Rules from '../fetch/rules.js'
import { safely } from '../internal/hooks.js'
import * as Exchange from '../internal/http/exchange.js'
import * as Explorer from '../internal/http/explorer/page.js'
import * as NodeBody from '../internal/http/nodeBody.js'
import type { Endpoint } from '../Handler.js'
import { endpointOf, pathOf } from '../internal/http/hosts.js'
import type { HttpAnswer, RequestHead } from '../internal/http/rules.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link listener} takes besides the dispatcher. `Req` is the request type of the framework in
 * front (express's `Request`, say), which `context` or `authenticate` then reads.
 *
 * The dispatcher's base value comes from one of two: `context`, or `authenticate`, whose principal
 * is then the base value (it reads the request too, so it can carry whatever the handlers need
 * beside who is calling). Giving both throws a `TypeError`.
 *
 * @category model
 * @since 0.1.0
 */
export interface Options<B, Req extends IncomingMessage = IncomingMessage> extends Rules.Options {
  /**
   * The dispatcher's base value for one request (see `Dispatch` on context): what the handlers may
   * know of it, such as a header. Required when the dispatcher needs one, unless `authenticate`
   * gives it.
   */
  readonly context?: (req: Req) => B
  /**
   * Decides who is calling, before the body is read and before any method is looked up: `Right`
   * with the principal, which is the dispatcher's base value, or `Left` with a `Rules.Refusal`
   * (`401` or `403`, and nothing is dispatched). Its exceptions answer `500` and go to `onError`.
   */
  readonly authenticate?: Rules.Authenticate<Req, B>
}

/**
 * {@link Options} with `context` required, for a dispatcher whose handlers need a context.
 *
 * @category model
 * @since 0.1.0
 */
export interface OptionsWithContext<B, Req extends IncomingMessage = IncomingMessage> extends Omit<Options<B, Req>, 'authenticate'> {
  readonly context: (req: Req) => B
  readonly authenticate?: never
}

/**
 * {@link Options} with `authenticate` required: the principal it gives is the dispatcher's base
 * value, so the handlers' context is made from who is calling.
 *
 * @category model
 * @since 0.1.0
 */
export interface OptionsWithAuthenticate<P, Req extends IncomingMessage = IncomingMessage> extends Omit<Options<P, Req>, 'context'> {
  readonly authenticate: Rules.Authenticate<Req, P>
  readonly context?: never
}

/**
 * What `serve` adds to the options (not public): whether the server is closing, so that every answer
 * written from then on ends its connection (`Connection: close`).
 *
 * @internal
 */
export interface Closing {
  readonly isClosing?: () => boolean
}

/**
 * A request listener that is also connect-style middleware.
 *
 * @category model
 * @since 0.1.0
 */
export type Listener<Req extends IncomingMessage = IncomingMessage> = (req: Req, res: ServerResponse, next?: (err?: unknown) => void) => void

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Serves a dispatcher as a node:http request listener, with the wire rules of the Fetch handler
 * (`Rules`): `POST` only (`405` with `Allow: POST`), a JSON content type only (`415`), a body of at
 * most `maxBodyBytes` (1 MiB by default; `413`), `200` with `application/json` for every JSON-RPC
 * answer, `204` with no body for notifications only, and `404` for any path but `path` when it is
 * set. `allowedHosts`, `cors` and `authenticate` are off unless given.
 *
 * As middleware (called with `next`), a request for another path than `path` goes on to `next`
 * instead of `404`. The body is read from the request stream, unless a body parser in front already
 * read it: then a parsed value (express's `express.json()`) is dispatched as it is, and a string or
 * `Buffer` (`express.text()`, `express.raw()`) as text. Errors are never passed to `next`, so no
 * framework error page (with its stack trace) answers a peer.
 *
 * @example
 * import { createServer } from 'node:http'
 * import { Dispatch, Registry } from 'fp-jsonrpc'
 * import { listener } from 'fp-jsonrpc/http'
 *
 * const dispatcher = Dispatch.make(Registry.empty)
 * createServer(listener(dispatcher, { path: '/rpc' })).listen(8080, '127.0.0.1')
 *
 * // express: app.post('/rpc', listener(dispatcher)), with or without express.json() in front
 *
 * @category constructors
 * @since 0.1.0
 */
export function listener<Req extends IncomingMessage = IncomingMessage>(dispatcher: Dispatcher<unknown>, options?: Options<unknown, Req>): Listener<Req>
export function listener<B, Req extends IncomingMessage = IncomingMessage>(dispatcher: Dispatcher<B>, options: OptionsWithContext<B, Req>): Listener<Req>
export function listener<P, Req extends IncomingMessage = IncomingMessage>(dispatcher: Dispatcher<P>, options: OptionsWithAuthenticate<P, Req>): Listener<Req>
export function listener<B, Req extends IncomingMessage>(dispatcher: Dispatcher<B>, options: Options<B, Req> & Closing = {}): Listener<Req> {
  // Where a request was received is told to handlers only when its Host was checked (see Received).
  const given = Array.isArray(options.allowedHosts) ? receivedAt : undefined
  const exchange = Exchange.make<Req, B>(dispatcher, options, {
    read: readBody,
    given,
    headers: (req) => req.headers,
    context: options.context,
    authenticate: options.authenticate,
  })
  const path = options.path
  const serve: Listener<Req> = (req, res, next) => {
    const headers = req.headers
    const head: RequestHead = {
      method: req.method ?? '',
      path: path === undefined ? '' : pathOf(req.url ?? '/'),
      contentType: headers['content-type'],
      host: headers.host,
      origin: headers.origin,
      contentLength: headers['content-length'],
    }
    if (next !== undefined && path !== undefined && head.path !== path) return next()
    exchange(req, head, (answer) => write(req, res, answer, options))
  }
  // The explorer is a listener in front, made only when it is on: off, the listener is as it was.
  const page = Explorer.make(options)
  if (page === undefined) return serve
  return (req, res, next) => {
    if (req.method === 'GET') {
      const answer = page(req.url ?? '/', req.headers.host)
      if (answer !== undefined) return write(req, res, answer, options)
    }
    serve(req, res, next)
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

/**
 * The one body reader: what a body parser in front left (express's `express.json()`,
 * `express.text()`, `express.raw()`), or else the request stream read to its end, up to `maxBytes`
 * (src/internal/http/nodeBody.ts, which the Koa and Fastify adapters read with too).
 */
const readBody = (req: IncomingMessage, maxBytes: number, done: (body: Exchange.Body) => void): void => {
  // A parser in front read the stream (so `readableEnded`) and put its result in `req.body`.
  if (req.readableEnded) return done(NodeBody.parsedBody((req as IncomingMessage & { readonly body?: unknown }).body, req.headers['content-length'], maxBytes))
  NodeBody.readStream(req, maxBytes, done)
}

/**
 * What the listener gives the dispatcher of a request: where it was received (`control.endpoint`),
 * worked out only when a handler reads it (`rpc.discover` does; most handlers never do). The path is
 * the one the request was sent to: express's `originalUrl` when a router in front cut it. Given only
 * under a `Host` allowlist, so that a `Host` header no one checked (a DNS-rebinding page's) is never
 * handed back as the server's address.
 */
class Received implements Given {
  declare readonly req: IncomingMessage
  constructor(req: IncomingMessage) {
    this.req = req
  }
  get endpoint(): Endpoint | undefined {
    const req = this.req as IncomingMessage & { readonly originalUrl?: string }
    const scheme = (req.socket as { readonly encrypted?: boolean }).encrypted === true ? 'https' : 'http'
    return endpointOf(scheme, req.headers.host, req.originalUrl ?? req.url ?? '/')
  }
}

const receivedAt = (req: IncomingMessage): Given => new Received(req)

// The headers of an answer as written. They are copied member by member into a fresh object: an
// object made by spreading (`{ ...answer.headers, 'content-length': n }`) measured about 12 us more
// per answer in node's writeHead (node 20), a fifth of the floor's whole cost per request in
// bench/http.ts; a copy costs what the floor's object literal does.
const headersOf = (req: IncomingMessage, answer: HttpAnswer, options: Closing): Record<string, string | number> => {
  const headers: Record<string, string | number> = {}
  for (const name in answer.headers) headers[name] = answer.headers[name]
  // An answer given before the body was read (a refusal, 413) ends the connection: node would
  // otherwise read and discard the rest of the body, however long, to keep the connection alive. So
  // does every answer once `serve`'s server is closing.
  if (!req.complete || options.isClosing?.() === true) headers['connection'] = 'close'
  // Content-Length up front, as the answer is whole (a 204 must not carry one).
  if (answer.status !== 204) headers['content-length'] = Buffer.byteLength(answer.body)
  return headers
}

const write = (req: IncomingMessage, res: ServerResponse, answer: HttpAnswer, options: Rules.Options & Closing): void => {
  // The peer may have gone, or something else answered: there is no one to write to.
  if (res.headersSent || res.writableEnded || res.destroyed) return
  try {
    res.writeHead(answer.status, headersOf(req, answer, options))
    res.end(answer.body)
  } catch (cause) {
    safely(options.onError, cause)
  }
}
