/// <reference types="node" preserve="true" />
/**
 * The Fastify adapter: a dispatcher as a Fastify plugin. It only translates, as the node:http
 * listener does: it reads the request's head, gives the one HTTP exchange
 * (src/internal/http/exchange.ts) a way to read the body, and sends the answer the exchange decides
 * through Fastify's reply. Only Fastify's types are used: nothing of Fastify is loaded at run time.
 *
 * The plugin's routes keep their bodies to themselves: in its own encapsulated context it replaces
 * Fastify's content-type parsers with one that reads nothing, so the exchange reads the body, after
 * the head's checks and `authenticate`, under `maxBodyBytes`, decoded strictly as UTF-8, with the
 * JSON content types and answers of the other adapters (Fastify's JSON parser would answer
 * `application/json-rpc` with its own `415`, malformed JSON with its own `400` instead of the Parse
 * error, and would read the body before the `Host` allowlist ran). The rest of the application keeps
 * its parsers.
 *
 * @since 0.2.0
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify'
import { Buffer } from 'node:buffer'
import type { Readable } from 'node:stream'
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
 * What {@link plugin} takes besides the dispatcher. `path` is the route the plugin adds (`/` by
 * default), under the prefix it is registered with; `Req` is Fastify's request as the application
 * types it, which `context` or `authenticate` then reads.
 *
 * The dispatcher's base value comes from one of two: `context`, or `authenticate`, whose principal
 * is then the base value. Giving both throws a `TypeError`.
 *
 * @category model
 * @since 0.2.0
 */
export interface Options<B, Req extends FastifyRequest = FastifyRequest> extends Rules.Options {
  /**
   * The dispatcher's base value for one request (see `Dispatch` on context): what the handlers may
   * know of it, such as a header. Required when the dispatcher needs one, unless `authenticate`
   * gives it.
   */
  readonly context?: (request: Req) => B
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
 * @since 0.2.0
 */
export interface OptionsWithContext<B, Req extends FastifyRequest = FastifyRequest> extends Omit<Options<B, Req>, 'authenticate'> {
  readonly context: (request: Req) => B
  readonly authenticate?: never
}

/**
 * {@link Options} with `authenticate` required: the principal it gives is the dispatcher's base
 * value.
 *
 * @category model
 * @since 0.2.0
 */
export interface OptionsWithAuthenticate<P, Req extends FastifyRequest = FastifyRequest> extends Omit<Options<P, Req>, 'context'> {
  readonly authenticate: Rules.Authenticate<Req, P>
  readonly context?: never
}

/**
 * A Fastify plugin: what `app.register` takes.
 *
 * @category model
 * @since 0.2.0
 */
export type Plugin = FastifyPluginCallback

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Serves a dispatcher as a Fastify plugin, with the wire rules of the node:http listener and the
 * Fetch handler (`Rules`): on its route (`path`, `/` by default, under the prefix of `register`),
 * `POST` only (`405` with `Allow: POST`), a JSON content type only (`415`), a body of at most
 * `maxBodyBytes` (1 MiB by default; `413`, `Connection: close`; Fastify's `bodyLimit` does not
 * apply), `200` with `application/json` for every JSON-RPC answer, `204` with no body for
 * notifications only. `allowedHosts`, `cors`, `authenticate` and the `explorer` are off unless given.
 * Other paths are the application's (Fastify answers them, `404` if no route has them).
 *
 * The body is read by the plugin, not by Fastify's parsers (see the module's comment); hooks of the
 * application (`onRequest`, `preHandler`) run before it, as for any route.
 *
 * @example
 * import Fastify from 'fastify'
 * import { Dispatch, Registry } from 'fp-jsonrpc'
 * import { plugin } from 'fp-jsonrpc/fastify'
 *
 * const app = Fastify()
 * void app.register(plugin(Dispatch.make(Registry.empty), { path: '/rpc' }))
 * // await app.listen({ host: '127.0.0.1', port: 8080 })
 *
 * @category constructors
 * @since 0.2.0
 */
export function plugin<Req extends FastifyRequest = FastifyRequest>(dispatcher: Dispatcher<unknown>, options?: Options<unknown, Req>): Plugin
export function plugin<B, Req extends FastifyRequest = FastifyRequest>(dispatcher: Dispatcher<B>, options: OptionsWithContext<B, Req>): Plugin
export function plugin<P, Req extends FastifyRequest = FastifyRequest>(dispatcher: Dispatcher<P>, options: OptionsWithAuthenticate<P, Req>): Plugin
export function plugin<B, Req extends FastifyRequest>(dispatcher: Dispatcher<B>, options: Options<B, Req> = {}): Plugin {
  const path = options.path ?? '/'
  // Fastify routes by path: the exchange checks none. The explorer compares its own path with the
  // route's, prefix left out, and points at the endpoint relative to itself.
  const { path: _routed, ...rules } = options
  const given = Array.isArray(options.allowedHosts) ? (req: Req): Given => new Received(req) : undefined
  const exchange = Exchange.make<Req, B>(dispatcher, rules, {
    read: readBody,
    given,
    headers: (req) => req.raw.headers,
    context: options.context,
    authenticate: options.authenticate,
  })
  const explorerPath = Explorer.pathOfExplorer({ ...options, path })
  const page = Explorer.make({ ...options, path })

  const serve = (request: FastifyRequest, reply: FastifyReply): void => {
    const headers = request.headers
    const head: RequestHead = {
      method: request.method,
      path: '',
      contentType: headers['content-type'],
      host: headers.host,
      origin: headers.origin,
      contentLength: headers['content-length'],
    }
    exchange(request as Req, head, (answer) => write(request, reply, answer))
  }
  const explore = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (page === undefined || explorerPath === undefined || request.method !== 'GET') return false
    const query = request.url.indexOf('?')
    const answer = page(query === -1 ? explorerPath : explorerPath + request.url.slice(query), request.headers.host)
    if (answer === undefined) return false
    write(request, reply, answer)
    return true
  }

  return (instance, _opts, done) => {
    // Encapsulated: these parsers are this plugin's routes' only, not the application's.
    instance.removeAllContentTypeParsers()
    instance.addContentTypeParser('*', (_request, payload, parsed) => parsed(null, new Unread(payload)))
    // The explorer's page on the endpoint's own route when they share a path, else on a route of its own.
    const shared = explorerPath === path
    instance.all(path, (request, reply) => {
      if (!shared || !explore(request, reply)) serve(request, reply)
    })
    if (explorerPath !== undefined && !shared) {
      instance.route({
        method: 'GET',
        url: explorerPath,
        exposeHeadRoute: false,
        handler: (request, reply) => {
          if (!explore(request, reply)) serve(request, reply)
        },
      })
    }
    done()
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

// The body as the plugin's parser leaves it: the payload stream (after the application's preParsing
// hooks), not read.
class Unread {
  declare readonly payload: Readable
  constructor(payload: Readable) {
    this.payload = payload
  }
}

const readBody = (request: FastifyRequest, maxBytes: number, done: (body: Exchange.Body) => void): void => {
  const body = request.body
  // No parser ran when Fastify saw no body (no Content-Type and no length): the stream is then empty.
  NodeBody.readStream(body instanceof Unread ? body.payload : request.raw, maxBytes, done)
}

/**
 * Where a request was received (`control.endpoint`): the scheme of its connection, its `Host` header
 * (the one the allowlist checked) and the path it was sent to (`originalUrl`, before any
 * `rewriteUrl`). Given only under a `Host` allowlist, as the listener does.
 */
class Received implements Given {
  declare readonly request: FastifyRequest
  constructor(request: FastifyRequest) {
    this.request = request
  }
  get endpoint(): Endpoint | undefined {
    const req = this.request.raw
    const scheme = (req.socket as { readonly encrypted?: boolean } | null)?.encrypted === true ? 'https' : 'http'
    return endpointOf(scheme, req.headers.host, this.request.originalUrl)
  }
}

// The answer, sent through Fastify's reply (its onSend hooks and logging see it). The body goes as
// bytes, which Fastify sends as they are under the Content-Type given (to a string it adds
// `; charset=utf-8` for a JSON type, or `text/plain` when there is none); an empty body goes as
// nothing, with no Content-Type, as the listener sends it.
const write = (request: FastifyRequest, reply: FastifyReply, answer: HttpAnswer): void => {
  if (reply.sent) return
  reply.code(answer.status).headers(answer.headers)
  // An answer given before the body was read whole ends the connection, as the listener's does.
  if (!request.raw.complete) reply.header('connection', 'close')
  void reply.send(answer.body === '' ? undefined : Buffer.from(answer.body))
}
