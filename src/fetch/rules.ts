/**
 * The HTTP wire rules of JSON-RPC, shared by every HTTP server adapter: the Fetch handler
 * (`fp-jsonrpc/fetch`) and the node:http listener (`fp-jsonrpc/http`) each turn their request into
 * a {@link RequestHead} and a way to read the body, call {@link respond}, and write the
 * {@link HttpAnswer} it gives back. Nothing here touches a runtime's objects, so the rules are the same
 * byte for byte on Node, Bun, Deno and workers.
 *
 * The rules, in the order they are checked:
 *
 * | the request                                          | the answer                                      |
 * | ---------------------------------------------------- | ----------------------------------------------- |
 * | another path than `path` (when one is set)           | `404`                                           |
 * | a method other than `POST`                           | `405`, with `Allow: POST`                       |
 * | a content type other than JSON (see {@link isJsonMediaType}), or a charset other than UTF-8 | `415` |
 * | a message of notifications only                      | `204`, no body                                  |
 * | anything else, JSON-RPC errors and Parse error included | `200`, `Content-Type: application/json`      |
 *
 * A `404`, `405` or `415` carries a short `text/plain` reason. The JSON content type is what blocks a
 * cross-site form post: a browser sends `application/json` only after a CORS preflight.
 *
 * @since 0.1.0
 */
import type { ContextArg, Dispatcher } from '../Dispatch.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What the rules read of a request before its body.
 *
 * @category model
 * @since 0.1.0
 */
export interface RequestHead {
  /** The HTTP method, as sent (`POST`). */
  readonly method: string
  /** The path without the query string; only read when {@link Options.path} is set. */
  readonly path: string
  /** The `Content-Type` header, if any. */
  readonly contentType: string | null | undefined
}

/**
 * An HTTP answer as plain data, for an adapter to write. `body` is `''` when there is none.
 *
 * @category model
 * @since 0.1.0
 */
export interface HttpAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * A request body as an adapter has it: text to dispatch, or a value a framework already parsed from
 * JSON (express's `req.body`), which is dispatched as it is.
 *
 * @category model
 * @since 0.1.0
 */
export type Body = { readonly _tag: 'Text'; readonly text: string } | { readonly _tag: 'Value'; readonly value: unknown }

/**
 * What the rules take from an adapter's options.
 *
 * @category model
 * @since 0.1.0
 */
export interface Options {
  /** Serve this path only (compared exactly, without the query string); every other path is `404`. */
  readonly path?: string
  /**
   * Told of what the adapter answered `400` or `500` for itself: a body that could not be read, a
   * `context` function that threw. The peer only ever sees the status and a fixed reason.
   */
  readonly onError?: (cause: unknown) => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const text = (status: number, reason: string, headers: Readonly<Record<string, string>> = {}): HttpAnswer => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  body: reason,
})

/**
 * @category constructors
 * @since 0.1.0
 */
export const notFound: HttpAnswer = text(404, 'Not Found')

/**
 * @category constructors
 * @since 0.1.0
 */
export const methodNotAllowed: HttpAnswer = text(405, 'Method Not Allowed: JSON-RPC takes POST', { allow: 'POST' })

/**
 * @category constructors
 * @since 0.1.0
 */
export const unsupportedMediaType: HttpAnswer = text(415, 'Unsupported Media Type: send Content-Type: application/json')

/**
 * @category constructors
 * @since 0.1.0
 */
export const badRequest: HttpAnswer = text(400, 'Bad Request: the body could not be read')

/**
 * @category constructors
 * @since 0.1.0
 */
export const internalServerError: HttpAnswer = text(500, 'Internal Server Error')

const NO_CONTENT: HttpAnswer = { status: 204, headers: {}, body: '' }

const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' }

/**
 * The dispatcher's reply as an HTTP answer: `200` with the JSON text, or `204` with no body when
 * there is nothing to answer (a message of notifications only).
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromReply = (reply: string | undefined): HttpAnswer =>
  reply === undefined ? NO_CONTENT : { status: 200, headers: JSON_HEADERS, body: reply }

// -------------------------------------------------------------------------------------
// refinements
// -------------------------------------------------------------------------------------

/**
 * The media type of a `Content-Type` value, lower-cased, and its `charset` parameter if any.
 *
 * @category refinements
 * @since 0.1.0
 */
export const parseContentType = (header: string): { readonly type: string; readonly charset: string | undefined } => {
  const parts = header.split(';')
  const type = (parts[0] as string).trim().toLowerCase()
  let charset: string | undefined
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string
    const eq = part.indexOf('=')
    if (eq === -1 || part.slice(0, eq).trim().toLowerCase() !== 'charset') continue
    charset = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase()
  }
  return { type, charset }
}

/**
 * `application/json`, or a structured syntax suffix type such as `application/vnd.api+json`.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isJsonMediaType = (type: string): boolean =>
  type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))

/**
 * Whether a request's `Content-Type` is one the server reads: a JSON media type (see
 * {@link isJsonMediaType}) with no `charset`, or `charset=utf-8` (JSON text is UTF-8, RFC 8259).
 *
 * @category refinements
 * @since 0.1.0
 */
export const acceptsContentType = (header: string | null | undefined): boolean => {
  if (header === null || header === undefined) return false
  const { type, charset } = parseContentType(header)
  return isJsonMediaType(type) && (charset === undefined || charset === 'utf-8' || charset === 'utf8')
}

/**
 * Checks a request's head against the rules: `undefined` when it is for the dispatcher, otherwise
 * the answer that refuses it (`404`, `405` or `415`).
 *
 * @category refinements
 * @since 0.1.0
 */
export const refuse =
  (options: Options) =>
  (head: RequestHead): HttpAnswer | undefined => {
    if (options.path !== undefined && head.path !== options.path) return notFound
    if (head.method !== 'POST') return methodNotAllowed
    if (!acceptsContentType(head.contentType)) return unsupportedMediaType
    return undefined
  }

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The path of a request target (`/rpc?x=1` gives `/rpc`), an absolute URL's included.
 *
 * @category utils
 * @since 0.1.0
 */
export const pathOf = (target: string): string => {
  if (!target.startsWith('/')) {
    try {
      return new URL(target).pathname
    } catch {
      return target
    }
  }
  const end = target.search(/[?#]/)
  return end === -1 ? target : target.slice(0, end)
}

const report = (options: Options, cause: unknown): void => {
  try {
    options.onError?.(cause)
  } catch {
    // A failing logger must not stop the answer.
  }
}

/**
 * One HTTP exchange, whole: the head checked ({@link refuse}), the context made, the body read and
 * dispatched, the reply turned into an answer ({@link fromReply}). The body is not read when the
 * head is refused. It never rejects: a `context` that throws answers `500`, a body that cannot be
 * read `400`, and both go to `onError`.
 *
 * @category utils
 * @since 0.1.0
 */
export const respond = <B>(dispatcher: Dispatcher<B>, options: Options) => {
  const check = refuse(options)
  return async (head: RequestHead, read: () => Promise<Body>, context: () => B): Promise<HttpAnswer> => {
    const refused = check(head)
    if (refused !== undefined) return refused
    let base: ContextArg<B>
    try {
      base = [context()] as ContextArg<B>
    } catch (cause) {
      report(options, cause)
      return internalServerError
    }
    let body: Body
    try {
      body = await read()
    } catch (cause) {
      report(options, cause)
      return badRequest
    }
    try {
      const reply = body._tag === 'Text' ? dispatcher.dispatch(body.text, ...base) : dispatcher.dispatchValue(body.value, ...base)
      return fromReply(await reply)
    } catch (cause) {
      // The dispatcher is total; this guards against one that is not.
      report(options, cause)
      return internalServerError
    }
  }
}
