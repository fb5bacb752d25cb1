/**
 * The Fetch API server adapter: a dispatcher as a `(request: Request) => Promise<Response>`
 * function, the shape Hono, Bun, Deno and workers all take. It only translates: the request's method,
 * path, content type and body go to the shared wire rules (see `rules.ts`), and the answer they give
 * comes back as a `Response`. No `node:` module is used, so it runs on any runtime with `fetch`.
 *
 * @since 0.1.0
 */
import type { Dispatcher } from '../Dispatch.js'
import * as Rules from './rules.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link handler} takes besides the dispatcher. `Args` are the runtime's arguments after the
 * request (a worker's `env` and `ctx`, Deno's `info`), handed to `context`.
 *
 * @category model
 * @since 0.1.0
 */
export interface Options<B, Args extends ReadonlyArray<unknown> = []> extends Rules.Options {
  /**
   * The dispatcher's base value for one request (see `Dispatch` on context): what the handlers may
   * know of it, such as a header or a worker's `env`. Required when the dispatcher needs one.
   */
  readonly context?: (request: Request, ...args: Args) => B
}

/**
 * {@link Options} with `context` required, for a dispatcher whose handlers need a context.
 *
 * @category model
 * @since 0.1.0
 */
export interface OptionsWithContext<B, Args extends ReadonlyArray<unknown> = []> extends Options<B, Args> {
  readonly context: (request: Request, ...args: Args) => B
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
 * Serves a dispatcher as a Fetch API handler. The wire rules: `POST` only (`405` with
 * `Allow: POST` otherwise), a JSON content type only (`415` otherwise), `200` with
 * `application/json` for every JSON-RPC answer (errors and Parse error included), `204` with no body
 * for a message of notifications only, and `404` for any path but `path` when it is set. It never
 * rejects.
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
export function handler<B, Args extends ReadonlyArray<unknown>>(dispatcher: Dispatcher<B>, options: Options<B, Args> = {}): Handler<Args> {
  const respond = Rules.respond(dispatcher, options)
  const path = options.path
  const context = options.context
  return async (request, ...args) => {
    const head: Rules.RequestHead = {
      method: request.method,
      path: path === undefined ? '' : new URL(request.url).pathname,
      contentType: request.headers.get('content-type'),
    }
    const answer = await respond(
      head,
      () => readBody(request),
      () => (context === undefined ? (undefined as B) : context(request, ...args)),
    )
    return new Response(answer.body === '' ? null : answer.body, { status: answer.status, headers: answer.headers })
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

// All body reading goes through here, so this is where a size limit belongs.
const readBody = async (request: Request): Promise<Rules.Body> => ({ _tag: 'Text', text: await request.text() })
