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
export function listener<B, Req extends IncomingMessage>(dispatcher: Dispatcher<B>, options: Options<B, Req> = {}): Listener<Req> {
  const respond = Rules.respond(dispatcher, options)
  const check = Rules.refuse(options)
  const maxBodyBytes = Rules.limitOf(options)
  const cors = options.cors === undefined ? undefined : Rules.withCors(options.cors)
  const answerOf = Rules.replyAnswer(options)
  const path = options.path
  const context = options.context
  const authenticate = options.authenticate
  if (context !== undefined && authenticate !== undefined) throw new TypeError('give context or authenticate, not both: the principal is the base value')
  const dispatch = dispatcher.dispatch as (input: string, base?: B) => string | undefined | Promise<string | undefined>
  return (req, res, next) => {
    const head: Rules.RequestHead = {
      method: req.method ?? '',
      path: path === undefined ? '' : Rules.pathOf(req.url ?? '/'),
      contentType: req.headers['content-type'],
      host: req.headers.host,
      origin: req.headers.origin,
      contentLength: req.headers['content-length'],
    }
    if (next !== undefined && path !== undefined && head.path !== path) return next()
    // The common case, with the same rules in the same order as Rules.respond, without its Promises:
    // the body is read by callback, and a synchronous dispatcher's answer is written at once. (Each
    // Promise layer and closure here cost microseconds per request under load; see bench/http.ts.)
    // With an authentication hook, or a body a framework has read already, the general path runs.
    if (authenticate === undefined && !req.readableEnded) {
      const finish = (answer: Rules.HttpAnswer): void => write(req, res, cors === undefined ? answer : cors(answer, head.origin), options)
      const refusal = check(head)
      if (refusal !== undefined) return finish(refusal)
      let base: B | undefined
      try {
        base = context === undefined ? undefined : context(req)
      } catch (cause) {
        Rules.report(options, cause)
        return finish(Rules.internalServerError)
      }
      return collectBody(req, maxBodyBytes, (body) => {
        if (body === TOO_LARGE) return finish(Rules.payloadTooLarge)
        if (body === UNREADABLE) return finish(Rules.badRequest)
        const text = Rules.decodeUtf8(body)
        if (text === undefined) return finish(Rules.parseError)
        const reply = dispatch(text, base)
        if (reply instanceof Promise) {
          reply.then(
            (r) => finish(answerOf(r)),
            (cause: unknown) => {
              // The dispatcher is total; this guards against one that is not.
              Rules.report(options, cause)
              finish(Rules.internalServerError)
            },
          )
        } else finish(answerOf(reply))
      })
    }
    void respond<B>(
      head,
      (maxBytes) => bodyOf(req, maxBytes),
      (principal) => (context === undefined ? principal : context(req)),
      authenticate === undefined ? undefined : () => authenticate(req),
    ).then((answer) => write(req, res, answer, options))
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Reads a request's body to its end as bytes, or up to `maxBytes`: past it, reading stops (the
 * stream is paused and nothing more is kept) and the result is `TooLarge`. All body reading goes
 * through here. (Not exported from `fp-jsonrpc/http`.)
 *
 * @category utils
 * @since 0.1.0
 */
export const readBody = (req: IncomingMessage, maxBytes: number = Infinity): Promise<Rules.Body> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer | string): void => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      size += buffer.byteLength
      if (size > maxBytes) {
        // Stop here: the answer (413, Connection: close) ends the connection, unread rest and all.
        req.off('data', onData)
        req.pause()
        chunks.length = 0
        resolve({ _tag: 'TooLarge' })
        return
      }
      chunks.push(buffer)
    }
    req.on('data', onData)
    req.on('end', () => resolve({ _tag: 'Bytes', bytes: Buffer.concat(chunks, size) }))
    // Stays attached after a TooLarge, so a reset of the connection later is not an unhandled error.
    req.on('error', reject)
    // A request closed before its end (the client went away) is settled too. 'close' comes after
    // every request, so the error is only made when the body really did not end.
    req.on('close', () => {
      if (!req.readableEnded) reject(new Error('the request closed before its body ended'))
    })
  })

const TOO_LARGE = Symbol('too large')
const UNREADABLE = Symbol('unreadable')

// readBody by callback, for the listener's fast path: the bytes, TOO_LARGE past `maxBytes` (reading
// stops, nothing more is kept), or UNREADABLE when the stream fails or closes before its end.
// `done` is called once.
const collectBody = (req: IncomingMessage, maxBytes: number, done: (body: Buffer | typeof TOO_LARGE | typeof UNREADABLE) => void): void => {
  let chunks: Array<Buffer> | undefined = []
  let size = 0
  const finish = (body: Buffer | typeof TOO_LARGE | typeof UNREADABLE): void => {
    if (chunks === undefined) return
    chunks = undefined
    done(body)
  }
  const onData = (chunk: Buffer | string): void => {
    if (chunks === undefined) return
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buffer.byteLength
    if (size > maxBytes) {
      // Stop here: the answer (413, Connection: close) ends the connection, unread rest and all.
      req.off('data', onData)
      req.pause()
      return finish(TOO_LARGE)
    }
    chunks.push(buffer)
  }
  req.on('data', onData)
  req.on('end', () => {
    if (chunks !== undefined) finish(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size))
  })
  // Stays attached after TOO_LARGE, so a reset of the connection later is not an unhandled error.
  // A client gone before the end of its body emits 'error' (aborted); no 'close' listener is
  // needed, as no Promise waits here and no one is left to answer.
  req.on('error', () => finish(UNREADABLE))
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const EMPTY: Rules.Body = { _tag: 'Text', text: '' }

// What a body parser in front left: it read the stream (so `readableEnded`), and put its result in
// `req.body`. A parser that read nothing of an empty body (`Content-Length: 0`) may still leave `{}`.
const bodyOf = async (req: IncomingMessage, maxBytes: number): Promise<Rules.Body> => {
  if (!req.readableEnded) return readBody(req, maxBytes)
  const parsed = (req as IncomingMessage & { readonly body?: unknown }).body
  if (parsed === undefined || req.headers['content-length'] === '0') return EMPTY
  if (typeof parsed === 'string') return Buffer.byteLength(parsed) > maxBytes ? { _tag: 'TooLarge' } : { _tag: 'Text', text: parsed }
  if (parsed instanceof Uint8Array) return { _tag: 'Bytes', bytes: parsed }
  return { _tag: 'Value', value: parsed }
}

// The headers of an answer as written. They are copied member by member into a fresh object: an
// object made by spreading (`{ ...answer.headers, 'content-length': n }`) measured about 12 us more
// per answer in node's writeHead (node 20), a fifth of the floor's whole cost per request in
// bench/http.ts; a copy costs what the floor's object literal does.
const headersOf = (req: IncomingMessage, answer: Rules.HttpAnswer, options: Closing): Record<string, string | number> => {
  const headers: Record<string, string | number> = {}
  for (const name in answer.headers) headers[name] = answer.headers[name] as string
  // An answer given before the body was read (a refusal, 413) ends the connection: node would
  // otherwise read and discard the rest of the body, however long, to keep the connection alive. So
  // does every answer once `serve`'s server is closing.
  if (!req.complete || options.isClosing?.() === true) headers['connection'] = 'close'
  // Content-Length up front, as the answer is whole (a 204 must not carry one).
  if (answer.status !== 204) headers['content-length'] = Buffer.byteLength(answer.body)
  return headers
}

const write = (req: IncomingMessage, res: ServerResponse, answer: Rules.HttpAnswer, options: Rules.Options & Closing): void => {
  // The peer may have gone, or something else answered: there is no one to write to.
  if (res.headersSent || res.writableEnded || res.destroyed) return
  try {
    res.writeHead(answer.status, headersOf(req, answer, options))
    res.end(answer.body)
  } catch (cause) {
    try {
      options.onError?.(cause)
    } catch {
      // A failing logger must not crash the server.
    }
  }
}
