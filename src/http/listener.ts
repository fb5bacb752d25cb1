/// <reference types="node" preserve="true" />
/**
 * The node:http server adapter: a dispatcher as a request listener, for `http.createServer`,
 * `https.createServer`, and express or connect as middleware. It only translates: the request's
 * method, path, content type and body go to the shared wire rules (`fp-jsonrpc/fetch`'s `Rules`, the
 * same the Fetch handler follows), and the answer they give is written to the response.
 *
 * @since 0.1.0
 */
import { Buffer } from 'node:buffer'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from '../Dispatch.js'
import * as Rules from '../fetch/rules.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link listener} takes besides the dispatcher. `Req` is the request type of the framework in
 * front (express's `Request`, say), which `context` then reads.
 *
 * @category model
 * @since 0.1.0
 */
export interface Options<B, Req extends IncomingMessage = IncomingMessage> extends Rules.Options {
  /**
   * The dispatcher's base value for one request (see `Dispatch` on context): what the handlers may
   * know of it, such as a header. Required when the dispatcher needs one.
   */
  readonly context?: (req: Req) => B
}

/**
 * {@link Options} with `context` required, for a dispatcher whose handlers need a context.
 *
 * @category model
 * @since 0.1.0
 */
export interface OptionsWithContext<B, Req extends IncomingMessage = IncomingMessage> extends Options<B, Req> {
  readonly context: (req: Req) => B
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
 * Serves a dispatcher as a node:http request listener, with the wire rules of the Fetch handler:
 * `POST` only (`405` with `Allow: POST`), a JSON content type only (`415`), `200` with
 * `application/json` for every JSON-RPC answer, `204` with no body for notifications only, and `404`
 * for any path but `path` when it is set.
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
export function listener<B, Req extends IncomingMessage>(dispatcher: Dispatcher<B>, options: Options<B, Req> = {}): Listener<Req> {
  const respond = Rules.respond(dispatcher, options)
  const path = options.path
  const context = options.context
  return (req, res, next) => {
    const head: Rules.RequestHead = {
      method: req.method ?? '',
      path: path === undefined ? '' : Rules.pathOf(req.url ?? '/'),
      contentType: req.headers['content-type'],
    }
    if (next !== undefined && path !== undefined && head.path !== path) return next()
    void respond(
      head,
      () => bodyOf(req),
      () => (context === undefined ? (undefined as B) : context(req)),
    ).then((answer) => write(res, answer, options))
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Reads a request's body to its end, as UTF-8 text. All body reading goes through here, so this is
 * where a size limit belongs. (Not exported from `fp-jsonrpc/http`.)
 *
 * @category utils
 * @since 0.1.0
 */
export const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on('data', (chunk: Buffer | string) => {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
    // A request closed before its end (the client went away) is settled too; after 'end' this is
    // a no-op.
    req.on('close', () => reject(new Error('the request closed before its body ended')))
  })

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const EMPTY: Rules.Body = { _tag: 'Text', text: '' }

// What a body parser in front left: it read the stream (so `readableEnded`), and put its result in
// `req.body`. A parser that read nothing of an empty body (`Content-Length: 0`) may still leave `{}`.
const bodyOf = async (req: IncomingMessage): Promise<Rules.Body> => {
  if (!req.readableEnded) return { _tag: 'Text', text: await readBody(req) }
  const parsed = (req as IncomingMessage & { readonly body?: unknown }).body
  if (parsed === undefined || req.headers['content-length'] === '0') return EMPTY
  if (typeof parsed === 'string') return { _tag: 'Text', text: parsed }
  if (parsed instanceof Uint8Array) return { _tag: 'Text', text: Buffer.from(parsed.buffer, parsed.byteOffset, parsed.byteLength).toString('utf8') }
  return { _tag: 'Value', value: parsed }
}

const write = (res: ServerResponse, answer: Rules.HttpAnswer, options: Rules.Options): void => {
  // The peer may have gone, or something else answered: there is no one to write to.
  if (res.headersSent || res.writableEnded || res.destroyed) return
  try {
    // Content-Length up front, as the answer is whole (a 204 must not carry one).
    res.writeHead(answer.status, answer.status === 204 ? answer.headers : { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) })
    res.end(answer.body)
  } catch (cause) {
    try {
      options.onError?.(cause)
    } catch {
      // A failing logger must not crash the server.
    }
  }
}
