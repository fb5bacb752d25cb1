/// <reference types="node" preserve="true" />
/**
 * The Koa adapter: a dispatcher as Koa middleware. It only translates, as the node:http listener
 * does: it reads the request's head from Koa's context, gives the one HTTP exchange
 * (src/internal/http/exchange.ts) a way to read the body, and sets the answer the exchange decides
 * on the context (status, headers, body), for Koa to write. Only Koa's types are used: nothing of
 * Koa is loaded at run time.
 *
 * @since 0.2.0
 */
import type * as Koa from 'koa'
import type { Dispatcher, Given } from '../Dispatch.js'
import type * as Rules from '../fetch/rules.js'
import type { Endpoint } from '../Handler.js'
import * as Exchange from '../internal/http/exchange.js'
import * as Explorer from '../internal/http/explorer/page.js'
import { endpointOf } from '../internal/http/hosts.js'
import * as NodeBody from '../internal/http/nodeBody.js'
import type { HttpAnswer, RequestHead } from '../internal/http/rules.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link middleware} takes besides the dispatcher. `Ctx` is Koa's context as the application
 * types it (its `state` included), which `context` or `authenticate` then reads.
 *
 * The dispatcher's base value comes from one of two: `context`, or `authenticate`, whose principal
 * is then the base value. Giving both throws a `TypeError`.
 *
 * @category model
 * @since 0.2.0
 */
export interface Options<B, Ctx extends Koa.ParameterizedContext = Koa.ParameterizedContext> extends Rules.Options {
  /**
   * The dispatcher's base value for one request (see `Dispatch` on context): what the handlers may
   * know of it, such as a header or `ctx.state.user`. Required when the dispatcher needs one, unless
   * `authenticate` gives it.
   */
  readonly context?: (ctx: Ctx) => B
  /**
   * Decides who is calling, before the body is read and before any method is looked up: `Right`
   * with the principal, which is the dispatcher's base value, or `Left` with a `Rules.Refusal`
   * (`401` or `403`, and nothing is dispatched). Its exceptions answer `500` and go to `onError`.
   */
  readonly authenticate?: Rules.Authenticate<Ctx, B>
}

/**
 * {@link Options} with `context` required, for a dispatcher whose handlers need a context.
 *
 * @category model
 * @since 0.2.0
 */
export interface OptionsWithContext<B, Ctx extends Koa.ParameterizedContext = Koa.ParameterizedContext> extends Omit<Options<B, Ctx>, 'authenticate'> {
  readonly context: (ctx: Ctx) => B
  readonly authenticate?: never
}

/**
 * {@link Options} with `authenticate` required: the principal it gives is the dispatcher's base
 * value.
 *
 * @category model
 * @since 0.2.0
 */
export interface OptionsWithAuthenticate<P, Ctx extends Koa.ParameterizedContext = Koa.ParameterizedContext> extends Omit<Options<P, Ctx>, 'context'> {
  readonly authenticate: Rules.Authenticate<Ctx, P>
  readonly context?: never
}

/**
 * Koa middleware: what `app.use` (or a router's route) takes.
 *
 * @category model
 * @since 0.2.0
 */
export type Middleware<Ctx extends Koa.ParameterizedContext = Koa.ParameterizedContext> = (ctx: Ctx, next: Koa.Next) => Promise<void>

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Serves a dispatcher as Koa middleware, with the wire rules of the node:http listener and the
 * Fetch handler (`Rules`): `POST` only (`405` with `Allow: POST`), a JSON content type only
 * (`415`), a body of at most `maxBodyBytes` (1 MiB by default; `413`, `Connection: close`), `200`
 * with `application/json` for every JSON-RPC answer, `204` with no body for notifications only.
 * `allowedHosts`, `cors`, `authenticate` and the `explorer` are off unless given.
 *
 * With `path`, a request for another path goes on to `next` (so the rest of the application serves
 * it); without it, every request that reaches the middleware is a JSON-RPC one: mount it on a
 * router's route then. The body is read from the request stream, unless a body parser in front
 * (koa-bodyparser) read it already: then its parsed value (`ctx.request.body`) is dispatched as it
 * is. The answer is set on the context (`ctx.status`, headers, `ctx.body`), so Koa middleware around
 * it (logging, compression) sees it; nothing is thrown to Koa, so no error page answers a peer.
 *
 * @example
 * import Koa from 'koa'
 * import { Dispatch, Registry } from 'fp-jsonrpc'
 * import { middleware } from 'fp-jsonrpc/koa'
 *
 * const app = new Koa()
 * app.use(middleware(Dispatch.make(Registry.empty), { path: '/rpc' }))
 * // app.listen(8080, '127.0.0.1')
 *
 * @category constructors
 * @since 0.2.0
 */
export function middleware<Ctx extends Koa.ParameterizedContext = Koa.ParameterizedContext>(
  dispatcher: Dispatcher<unknown>,
  options?: Options<unknown, Ctx>,
): Middleware<Ctx>
export function middleware<B, Ctx extends Koa.ParameterizedContext = Koa.ParameterizedContext>(
  dispatcher: Dispatcher<B>,
  options: OptionsWithContext<B, Ctx>,
): Middleware<Ctx>
export function middleware<P, Ctx extends Koa.ParameterizedContext = Koa.ParameterizedContext>(
  dispatcher: Dispatcher<P>,
  options: OptionsWithAuthenticate<P, Ctx>,
): Middleware<Ctx>
export function middleware<B, Ctx extends Koa.ParameterizedContext>(dispatcher: Dispatcher<B>, options: Options<B, Ctx> = {}): Middleware<Ctx> {
  // Where a request was received is told to handlers only when its Host was checked (see Received).
  const given = Array.isArray(options.allowedHosts) ? (ctx: Ctx): Given => new Received(ctx) : undefined
  const exchange = Exchange.make<Ctx, B>(dispatcher, options, {
    read: readBody,
    given,
    headers: (ctx) => ctx.req.headers,
    context: options.context,
    authenticate: options.authenticate,
  })
  const path = options.path
  const page = Explorer.make(options)
  return (ctx, next) => {
    const headers = ctx.req.headers
    if (page !== undefined && ctx.method === 'GET') {
      const answer = page(ctx.url, headers.host)
      if (answer !== undefined) {
        write(ctx, answer)
        return Promise.resolve()
      }
    }
    const head: RequestHead = {
      method: ctx.method,
      path: path === undefined ? '' : ctx.path,
      contentType: headers['content-type'],
      host: headers.host,
      origin: headers.origin,
      contentLength: headers['content-length'],
    }
    if (path !== undefined && head.path !== path) return next().then(() => undefined)
    return new Promise((resolve) => exchange(ctx, head, (answer) => resolve(write(ctx, answer))))
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

// What a body parser in front left (koa-bodyparser's `ctx.request.body`), or the request stream.
const readBody = (ctx: Koa.ParameterizedContext, maxBytes: number, done: (body: Exchange.Body) => void): void => {
  const req = ctx.req
  if (req.readableEnded) return done(NodeBody.parsedBody((ctx.request as { readonly body?: unknown }).body, req.headers['content-length'], maxBytes))
  NodeBody.readStream(req, maxBytes, done)
}

/**
 * Where a request was received (`control.endpoint`): the scheme of its connection, its `Host` header
 * (the one the allowlist checked) and the path it was sent to (`ctx.originalUrl`, before a mount
 * cut it). Given only under a `Host` allowlist, as the listener does.
 */
class Received implements Given {
  declare readonly ctx: Koa.ParameterizedContext
  constructor(ctx: Koa.ParameterizedContext) {
    this.ctx = ctx
  }
  get endpoint(): Endpoint | undefined {
    const req = this.ctx.req
    const scheme = (req.socket as { readonly encrypted?: boolean }).encrypted === true ? 'https' : 'http'
    return endpointOf(scheme, req.headers.host, this.ctx.originalUrl)
  }
}

// The answer, set on the context for Koa to write. Koa adds a `Content-Type` of its own to a string
// body that has none, and removes it (with `Content-Length`) for a body of `null`: so a `204` gets
// `null`, and an empty `200` (notificationStatus: 200) loses the type Koa gave it, as the listener
// sends none.
const write = (ctx: Koa.ParameterizedContext, answer: HttpAnswer): void => {
  ctx.status = answer.status
  ctx.set(answer.headers)
  // An answer given before the body was read whole ends the connection, as the listener's does: node
  // would otherwise read and discard the rest of the body, however long.
  if (!ctx.req.complete) ctx.set('connection', 'close')
  if (answer.status === 204) {
    ctx.body = null
    return
  }
  ctx.body = answer.body
  if (answer.headers['content-type'] === undefined) ctx.remove('content-type')
}
