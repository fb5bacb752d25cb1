/**
 * The Fetch API server adapter: a dispatcher as a `(request: Request) => Promise<Response>`
 * function, the shape Hono, Bun, Deno and workers all take. It only translates: it reads the
 * request's head, gives the one HTTP exchange (src/internal/http/exchange.ts, which the node:http
 * listener runs too) a way to read the body, and turns the answer it decides into a `Response`. No
 * `node:` module is used, so it runs on any runtime with `fetch`.
 *
 * @since 0.1.0
 */
import type { Dispatcher, Given } from '../Dispatch.js'
import type { Endpoint } from '../Handler.js'
import * as Exchange from '../internal/http/exchange.js'
import * as Explorer from '../internal/http/explorer/page.js'
import { endpointOf } from '../internal/http/hosts.js'
import type { HttpAnswer, RequestHead } from '../internal/http/rules.js'
import type * as Rules from './rules.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link handler} takes besides the dispatcher. `Args` are the runtime's arguments after the
 * request (a worker's `env` and `ctx`, Deno's `info`), handed to `context` or `authenticate`.
 *
 * The dispatcher's base value comes from one of two: `context`, or `authenticate`, whose principal
 * is then the base value (it reads the request too, so it can carry whatever the handlers need
 * beside who is calling). Giving both throws a `TypeError`.
 *
 * @category model
 * @since 0.1.0
 */
export interface Options<B, Args extends ReadonlyArray<unknown> = []> extends Rules.Options {
  /**
   * The dispatcher's base value for one request (see `Dispatch` on context): what the handlers may
   * know of it, such as a header or a worker's `env`. Required when the dispatcher needs one, unless
   * `authenticate` gives it.
   */
  readonly context?: (request: Request, ...args: Args) => B
  /**
   * Decides who is calling, before the body is read and before any method is looked up: `Right`
   * with the principal, which is the dispatcher's base value, or `Left` with a `Rules.Refusal`
   * (`401` or `403`, and nothing is dispatched). Its exceptions answer `500` and go to `onError`.
   */
  readonly authenticate?: (request: Request, ...args: Args) => ReturnType<Rules.Authenticate<Request, B>>
}

/**
 * {@link Options} with `context` required, for a dispatcher whose handlers need a context.
 *
 * @category model
 * @since 0.1.0
 */
export interface OptionsWithContext<B, Args extends ReadonlyArray<unknown> = []> extends Omit<Options<B, Args>, 'authenticate'> {
  readonly context: (request: Request, ...args: Args) => B
  readonly authenticate?: never
}

/**
 * {@link Options} with `authenticate` required: the principal it gives is the dispatcher's base
 * value, so the handlers' context is made from who is calling.
 *
 * @category model
 * @since 0.1.0
 */
export interface OptionsWithAuthenticate<P, Args extends ReadonlyArray<unknown> = []> extends Omit<Options<P, Args>, 'context'> {
  readonly authenticate: (request: Request, ...args: Args) => ReturnType<Rules.Authenticate<Request, P>>
  readonly context?: never
}

/**
 * A Fetch API handler.
 *
 * @category model
 * @since 0.1.0
 */
export type Handler<Args extends ReadonlyArray<unknown> = []> = (request: Request, ...args: Args) => Promise<Response>

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Serves a dispatcher as a Fetch API handler. The wire rules (`Rules`): `POST` only (`405` with
 * `Allow: POST` otherwise), a JSON content type only (`415` otherwise), a body of at most
 * `maxBodyBytes` (1 MiB by default; `413`), `200` with `application/json` for every JSON-RPC answer
 * (errors and Parse error included), `204` with no body for a message of notifications only, and
 * `404` for any path but `path` when it is set. `allowedHosts`, `cors` and `authenticate` are off
 * unless given. It never rejects.
 *
 * @example
 * import * as t from 'io-ts'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { Hono } from 'hono'
 * import { Dispatch, Method, Registry } from 'fp-jsonrpc'
 * import { handler } from 'fp-jsonrpc/fetch'
 *
 * const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
 * const rpc = handler(Dispatch.make(pipe(Registry.empty, Registry.add(Echo, ({ text }) => text))))
 *
 * const app = new Hono()
 * app.post('/rpc', (c) => rpc(c.req.raw))
 * // Bun.serve({ fetch: rpc }), Deno.serve(rpc), export default { fetch: rpc } work as they are.
 *
 * @category constructors
 * @since 0.1.0
 */
export function handler<Args extends ReadonlyArray<unknown> = []>(dispatcher: Dispatcher<unknown>, options?: Options<unknown, Args>): Handler<Args>
export function handler<B, Args extends ReadonlyArray<unknown> = []>(dispatcher: Dispatcher<B>, options: OptionsWithContext<B, Args>): Handler<Args>
export function handler<P, Args extends ReadonlyArray<unknown> = []>(dispatcher: Dispatcher<P>, options: OptionsWithAuthenticate<P, Args>): Handler<Args>
export function handler<B, Args extends ReadonlyArray<unknown>>(dispatcher: Dispatcher<B>, options: Options<B, Args> = {}): Handler<Args> {
  const { context, authenticate } = options
  const readHost = options.allowedHosts !== undefined && options.allowedHosts !== false
  const exchange = Exchange.make<Call<Args>, B>(dispatcher, options, {
    read: (call, maxBytes, done) => void readBody(call.request, maxBytes).then(done, (cause: unknown) => done({ _tag: 'Unreadable', cause })),
    // Only under a Host allowlist: see Received.
    given: readHost ? (call) => new Received(call.request) : undefined,
    headers: (call) => headersOf(call.request.headers),
    context: context === undefined ? undefined : (call) => context(call.request, ...call.args),
    authenticate: authenticate === undefined ? undefined : (call) => authenticate(call.request, ...call.args),
  })
  const path = options.path
  const serve: Handler<Args> = (request, ...args) =>
    new Promise((resolve) => {
      const headers = request.headers
      const head: RequestHead = {
        method: request.method,
        path: path === undefined ? '' : new URL(request.url).pathname,
        contentType: headers.get('content-type'),
        host: readHost ? (headers.get('host') ?? new URL(request.url).host) : undefined,
        origin: headers.get('origin'),
        contentLength: headers.get('content-length'),
      }
      exchange({ request, args }, head, (answer) => resolve(responseOf(answer)))
    })
  // The explorer is a handler in front, made only when it is on: off, the handler is as it was.
  const page = Explorer.make(options)
  if (page === undefined) return serve
  return (request, ...args) => {
    if (request.method === 'GET') {
      const url = new URL(request.url)
      const answer = page(url.pathname + url.search, request.headers.get('host') ?? url.host)
      if (answer !== undefined) return Promise.resolve(responseOf(answer))
    }
    return serve(request, ...args)
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

// One call of the handler: the request and the runtime's arguments after it.
interface Call<Args extends ReadonlyArray<unknown>> {
  readonly request: Request
  readonly args: Args
}

/**
 * What the handler gives the dispatcher of a request: where it was received (`control.endpoint`),
 * from the request's URL and its `Host` header (the one the allowlist checked), worked out only when
 * a handler reads it. Given only under a `Host` allowlist, so that a `Host` no one checked (a
 * DNS-rebinding page's) is never handed back as the server's address.
 */
class Received implements Given {
  declare readonly request: Request
  constructor(request: Request) {
    this.request = request
  }
  get endpoint(): Endpoint | undefined {
    let url: URL
    try {
      url = new URL(this.request.url)
    } catch {
      return undefined
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    return endpointOf(url.protocol === 'https:' ? 'https' : 'http', this.request.headers.get('host') ?? url.host, url.pathname)
  }
}

// Fetch's `Headers` gives names in lower case, the values of a repeated header joined.
const headersOf = (headers: Headers): Record<string, string> => {
  const read: Record<string, string> = {}
  headers.forEach((value, name) => {
    read[name] = value
  })
  return read
}

const responseOf = (answer: HttpAnswer): Response => new Response(answer.body === '' ? null : answer.body, { status: answer.status, headers: answer.headers })

// All body reading goes through here: chunk by chunk, up to `maxBytes`; past it the stream is
// cancelled and nothing more is read.
const readBody = async (request: Request, maxBytes: number): Promise<Exchange.Body> => {
  if (request.body === null) {
    // A body already read (by middleware in front) is an error, as `text()` says.
    if (request.bodyUsed) await request.text()
    return { _tag: 'Bytes', bytes: new Uint8Array(0) }
  }
  const reader = request.body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const chunk = await reader.read()
    if (chunk.done) break
    size += chunk.value.byteLength
    if (size > maxBytes) {
      reader.cancel().catch(() => undefined)
      return { _tag: 'TooLarge' }
    }
    chunks.push(chunk.value)
  }
  if (chunks.length === 1) return { _tag: 'Bytes', bytes: chunks[0] }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return { _tag: 'Bytes', bytes }
}
