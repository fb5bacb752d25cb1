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
 * | a `Host` not in `allowedHosts` (when that is set)    | `403`                                           |
 * | another path than `path` (when one is set)           | `404`                                           |
 * | a CORS preflight (`OPTIONS` with `Origin`), `cors` set | `204` with the CORS headers, or `403` for an origin not allowed |
 * | a method other than `POST`                           | `405`, with `Allow: POST`                       |
 * | a content type other than JSON (see {@link isJsonMediaType}), or a charset other than UTF-8 | `415` |
 * | a `Content-Length` above `maxBodyBytes`              | `413`, with `Connection: close`, the body unread |
 * | `authenticate` refuses                               | `401` (with `WWW-Authenticate`) or `403`; nothing is dispatched |
 * | a body that grows past `maxBodyBytes` as it is read  | `413`, with `Connection: close`                 |
 * | a body that is not UTF-8                             | `200`, the JSON-RPC Parse error                 |
 * | a message of notifications only                      | `204`, no body                                  |
 * | anything else, JSON-RPC errors and Parse error included | `200`, `Content-Type: application/json`      |
 *
 * A `4xx` or `500` carries a short fixed `text/plain` reason. The JSON content type is what blocks a
 * cross-site form post: a browser sends `application/json` only after a CORS preflight. Every answer
 * to an allowed origin carries `Access-Control-Allow-Origin` when `cors` is set; without `cors` no
 * answer carries a CORS header.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import * as Utf8 from '../internal/utf8.js'
import type { ContextArg, Dispatcher } from '../Dispatch.js'
import * as RpcError from '../RpcError.js'
import * as RpcResponse from '../RpcResponse.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What the rules read of a request before its body. The members after `contentType` are optional
 * for adapters written before them; a rule that needs one it is not given refuses (a missing `host`
 * with `allowedHosts` set is `403`).
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
  /** The `Host` header (`127.0.0.1:8080`); read when {@link Options.allowedHosts} is set. */
  readonly host?: string | null | undefined
  /** The `Origin` header; read when {@link Options.cors} is set. */
  readonly origin?: string | null | undefined
  /** The `Content-Length` header, checked against {@link Options.maxBodyBytes} before the body is read. */
  readonly contentLength?: string | null | undefined
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
 * A request body as an adapter has it: text to dispatch; the raw bytes, which the rules decode as
 * UTF-8 (strictly: bytes that are not UTF-8 are the Parse error); a value a framework already parsed
 * from JSON (express's `req.body`), which is dispatched as it is; or `TooLarge`, when the adapter
 * stopped reading at the `maxBytes` it was given.
 *
 * @category model
 * @since 0.1.0
 */
export type Body =
  | { readonly _tag: 'Text'; readonly text: string }
  | { readonly _tag: 'Bytes'; readonly bytes: Uint8Array }
  | { readonly _tag: 'Value'; readonly value: unknown }
  | { readonly _tag: 'TooLarge' }

/**
 * Why `authenticate` turned a request away: `Unauthenticated` answers `401` with
 * `WWW-Authenticate: <challenge>` (`Bearer` unless given), `Forbidden` answers `403`. Either way the
 * peer gets a fixed text and nothing is dispatched.
 *
 * @category model
 * @since 0.1.0
 */
export type Refusal = { readonly _tag: 'Unauthenticated'; readonly challenge?: string } | { readonly _tag: 'Forbidden' }

/**
 * An authentication hook: the request in, the principal (who is calling) or a {@link Refusal} out,
 * synchronously or not. It runs before the body is read and before any method is looked up. An
 * exception, or a rejected Promise, answers `500` and goes to `onError`; it never reaches the peer.
 *
 * @category model
 * @since 0.1.0
 */
export type Authenticate<Req, P> = (req: Req) => Either<Refusal, P> | Promise<Either<Refusal, P>>

/**
 * CORS, for browsers on other origins. Off unless given.
 *
 * @category model
 * @since 0.1.0
 */
export interface Cors {
  /**
   * The origins allowed (`https://app.example.com`): scheme, host and port are compared, as
   * browsers serialize them (`https://App.example.com:443` is `https://app.example.com`); `'*'`
   * allows any origin (answered with `Access-Control-Allow-Origin: *`).
   */
  readonly origins: ReadonlyArray<string>
  /** The request headers a preflight may ask for: `['content-type', 'authorization']` by default. */
  readonly allowHeaders?: ReadonlyArray<string>
  /** How long a browser may cache a preflight's answer, in seconds: 600 by default. */
  readonly maxAgeSeconds?: number
}

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
   * `context` or `authenticate` function that threw. The peer only ever sees the status and a fixed
   * reason.
   */
  readonly onError?: (cause: unknown) => void
  /**
   * The largest request body read, in bytes: 1 MiB (1 048 576) by default, `Infinity` for no limit.
   * A `Content-Length` above it is `413` before the body is read; a body without one (chunked) is
   * read up to it and then `413`. Either answer carries `Connection: close`.
   */
  readonly maxBodyBytes?: number
  /**
   * The `Host` header values served (DNS-rebinding protection); any other is `403`. An entry with a
   * port (`localhost:8080`, `[::1]:8080`) matches that host and port, one without (`localhost`) that
   * host at any port; case is ignored. Unset or `false`: every host is served. (`serve` sets it for
   * a loopback address by default.)
   */
  readonly allowedHosts?: ReadonlyArray<string> | false
  /** CORS for the origins listed; without it, no answer carries a CORS header and `OPTIONS` is `405`. */
  readonly cors?: Cors
  /**
   * The status of the answer to a message of notifications only, which has no body: `204` (the
   * default) or `200`, for clients that read nothing else (jsonrpclib's `ServerProxy` fails on a 204
   * and then on the next call of its connection).
   */
  readonly notificationStatus?: 200 | 204
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
 * The default of {@link Options.maxBodyBytes}: 1 MiB.
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultMaxBodyBytes = 1_048_576

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

/**
 * The answer to a body above the limit. `Connection: close`, as the rest of the body is not read:
 * the connection cannot carry another request.
 *
 * @category constructors
 * @since 0.1.0
 */
export const payloadTooLarge: HttpAnswer = text(413, 'Payload Too Large', { connection: 'close' })

/**
 * The answer to a `Host` not allowed, an origin not allowed, or a `Forbidden` refusal.
 *
 * @category constructors
 * @since 0.1.0
 */
export const forbidden: HttpAnswer = text(403, 'Forbidden')

/**
 * The answer to an `Unauthenticated` refusal, with its challenge.
 *
 * @category constructors
 * @since 0.1.0
 */
export const unauthorized = (challenge = 'Bearer'): HttpAnswer => text(401, 'Unauthorized', { 'www-authenticate': challenge })

/**
 * A refusal: who is calling could not be established (`401`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const unauthenticated = (challenge?: string): Refusal =>
  challenge === undefined ? { _tag: 'Unauthenticated' } : { _tag: 'Unauthenticated', challenge }

/**
 * A refusal: the caller is known and may not call (`403`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const refused: Refusal = { _tag: 'Forbidden' }

/**
 * The HTTP answer to a {@link Refusal}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromRefusal = (refusal: Refusal): HttpAnswer => (refusal._tag === 'Forbidden' ? forbidden : unauthorized(refusal.challenge))

const NO_CONTENT: HttpAnswer = { status: 204, headers: {}, body: '' }

const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' }

const PARSE_ERROR: HttpAnswer = { status: 200, headers: JSON_HEADERS, body: JSON.stringify(RpcResponse.failure(RpcError.parseError(), null)) }

/**
 * The answer to a body that is not UTF-8: the JSON-RPC Parse error, with status `200`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const parseError: HttpAnswer = PARSE_ERROR

/**
 * The dispatcher's reply as an HTTP answer: `200` with the JSON text, or `204` with no body when
 * there is nothing to answer (a message of notifications only).
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromReply = (reply: string | undefined): HttpAnswer =>
  reply === undefined ? NO_CONTENT : { status: 200, headers: JSON_HEADERS, body: reply }

const EMPTY_OK: HttpAnswer = { status: 200, headers: {}, body: '' }

/**
 * {@link fromReply} with the options' {@link Options.notificationStatus}: the answer to nothing is a
 * `204`, or a `200` with an empty body.
 *
 * @category constructors
 * @since 0.1.0
 */
export const replyAnswer = (options: Options): ((reply: string | undefined) => HttpAnswer) =>
  options.notificationStatus === 200 ? (reply) => (reply === undefined ? EMPTY_OK : fromReply(reply)) : fromReply

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
 * `application/json`, a structured syntax suffix type such as `application/vnd.api+json`, or one of
 * the two media types JSON-RPC libraries use of their own: `application/json-rpc` (jsonrpclib's
 * default) and `application/jsonrequest`. None of them is a type a cross-site HTML form can send,
 * so taking them keeps the 415 that blocks form posts.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isJsonMediaType = (type: string): boolean =>
  type === 'application/json' ||
  type === 'application/json-rpc' ||
  type === 'application/jsonrequest' ||
  (type.startsWith('application/') && type.endsWith('+json'))

/**
 * Whether a request's `Content-Type` is one the server reads: a JSON media type (see
 * {@link isJsonMediaType}) with no `charset`, or `charset=utf-8` (JSON text is UTF-8, RFC 8259).
 *
 * @category refinements
 * @since 0.1.0
 */
export const acceptsContentType = (header: string | null | undefined): boolean => {
  if (header === null || header === undefined) return false
  // What nearly every client sends, told without parsing it.
  if (header === 'application/json') return true
  const { type, charset } = parseContentType(header)
  return isJsonMediaType(type) && (charset === undefined || charset === 'utf-8' || charset === 'utf8')
}

// `host:port` split at the port, `[v6]:port` included; the host lower-cased, the port '' when none.
const splitHost = (value: string): { readonly name: string; readonly port: string } => {
  const v = value.trim().toLowerCase()
  const colon = v.lastIndexOf(':')
  if (colon === -1 || (v.startsWith('[') && colon < v.indexOf(']'))) return { name: v, port: '' }
  return { name: v.slice(0, colon), port: v.slice(colon + 1) }
}

/**
 * Whether a `Host` header value is one of `allowed` (see {@link Options.allowedHosts}): an entry with
 * a port matches that host and port, an entry without one that host at any port.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isAllowedHost = (allowed: ReadonlyArray<string>) => {
  // Split once, not on every request.
  const wanted = allowed.map(splitHost)
  // An entry with a port, as clients send it (lower case, no spaces), is found without splitting.
  const exact = new Set(wanted.filter((w) => w.port !== '').map((w) => `${w.name}:${w.port}`))
  return (host: string | null | undefined): boolean => {
    if (host === null || host === undefined || host === '') return false
    if (exact.has(host)) return true
    const sent = splitHost(host)
    return wanted.some((w) => w.name === sent.name && (w.port === '' || w.port === sent.port))
  }
}

/**
 * The `Host` values a server bound to a loopback address serves by default: `localhost`,
 * `127.0.0.1` and `[::1]` with its port (and without one, for port 80). DNS rebinding (a page of
 * another site whose name now points at 127.0.0.1) sends that site's name as `Host`, so it is `403`.
 *
 * @category refinements
 * @since 0.1.0
 */
export const loopbackHosts = (port: number): ReadonlyArray<string> =>
  ['localhost', '127.0.0.1', '[::1]'].flatMap((name) => (port === 80 ? [`${name}:80`, name] : [`${name}:${port}`]))

/**
 * Whether an address (as given to `listen`) is a loopback one: `localhost`, `127.x.x.x` or `::1`.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isLoopback = (address: string): boolean => {
  const a = address.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  return a === 'localhost' || a === '::1' || /^127(\.\d{1,3}){3}$/.test(a) || /^::ffff:127(\.\d{1,3}){3}$/.test(a)
}

// The declared length, when there is one and it is a number.
const declaredLength = (header: string | null | undefined): number | undefined =>
  header !== null && header !== undefined && /^\s*\d+\s*$/.test(header) ? Number(header) : undefined

/**
 * Checks a request's head against the rules: `undefined` when it is for the dispatcher, otherwise
 * the answer that refuses it (`403`, `404`, a preflight's `204`, `405`, `415` or `413`). The CORS
 * header of an allowed origin is not added here (see {@link respond}).
 *
 * @category refinements
 * @since 0.1.0
 */
export const refuse = (options: Options) => {
  const hostAllowed = options.allowedHosts === undefined || options.allowedHosts === false ? undefined : isAllowedHost(options.allowedHosts)
  const preflight = options.cors === undefined ? undefined : preflightOf(options.cors)
  const maxBodyBytes = limitOf(options)
  return (head: RequestHead): HttpAnswer | undefined => {
    if (hostAllowed !== undefined && !hostAllowed(head.host)) return forbidden
    if (options.path !== undefined && head.path !== options.path) return notFound
    if (preflight !== undefined && head.method === 'OPTIONS' && head.origin !== null && head.origin !== undefined) return preflight(head.origin)
    if (head.method !== 'POST') return methodNotAllowed
    if (!acceptsContentType(head.contentType)) return unsupportedMediaType
    const length = declaredLength(head.contentLength)
    if (length !== undefined && length > maxBodyBytes) return payloadTooLarge
    return undefined
  }
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

/**
 * The body limit in force: {@link Options.maxBodyBytes}, or 1 MiB. Throws a `RangeError` for a
 * negative or `NaN` limit, so a typo does not turn the limit off.
 *
 * @category utils
 * @since 0.1.0
 */
export const limitOf = (options: Options): number => {
  const limit = options.maxBodyBytes ?? defaultMaxBodyBytes
  if (!(limit >= 0)) throw new RangeError(`maxBodyBytes must be 0 or more, got ${limit}`)
  return limit
}

/**
 * Hands `cause` to `options.onError`, which must not break the exchange by throwing.
 *
 * @category utils
 * @since 0.1.0
 */
export const report = (options: Options, cause: unknown): void => {
  try {
    options.onError?.(cause)
  } catch {
    // A failing logger must not stop the answer.
  }
}

const preflightOf = (cors: Cors) => {
  const allowOrigin = corsOrigin(cors)
  const allowHeaders = (cors.allowHeaders ?? ['content-type', 'authorization']).join(', ')
  const maxAge = String(cors.maxAgeSeconds ?? 600)
  return (origin: string): HttpAnswer => {
    const allowed = allowOrigin(origin)
    if (allowed === undefined) return { ...forbidden, headers: { ...forbidden.headers, vary: 'Origin' } }
    return {
      status: 204,
      headers: {
        'access-control-allow-origin': allowed,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': allowHeaders,
        'access-control-max-age': maxAge,
        vary: 'Origin',
      },
      body: '',
    }
  }
}

// The Access-Control-Allow-Origin value for an origin, or undefined when it is not allowed.
const corsOrigin = (cors: Cors) => {
  const any = cors.origins.includes('*')
  // Configured as browsers serialize an origin (lower case, no default port), which is how they send it.
  const origins = new Set(cors.origins.map(serializeOrigin))
  return (origin: string | null | undefined): string | undefined =>
    any ? '*' : origin !== null && origin !== undefined && origins.has(origin) ? origin : undefined
}

const serializeOrigin = (origin: string): string => {
  try {
    const serialized = new URL(origin).origin
    return serialized === 'null' ? origin : serialized
  } catch {
    return origin
  }
}

// An answer as CORS has it: an allowed origin may read it; every answer varies by Origin.
/**
 * Adds the CORS headers `cors` allows for `origin` to an answer (see {@link Options.cors}).
 *
 * @category utils
 * @since 0.1.0
 */
export const withCors = (cors: Cors) => {
  const allowOrigin = corsOrigin(cors)
  return (answer: HttpAnswer, origin: string | null | undefined): HttpAnswer => {
    if (answer.headers['access-control-allow-origin'] !== undefined || answer.headers['vary'] !== undefined) return answer
    const allowed = allowOrigin(origin)
    return {
      ...answer,
      headers: allowed === undefined ? { ...answer.headers, vary: 'Origin' } : { ...answer.headers, 'access-control-allow-origin': allowed, vary: 'Origin' },
    }
  }
}

/**
 * The body as text when it is UTF-8, `undefined` when it is not (decoded strictly: nothing is
 * replaced, so no mangled text is ever dispatched or echoed). A byte order mark is kept, so it is
 * the Parse error, as on every transport.
 *
 * @category utils
 * @since 0.1.0
 */
export const decodeUtf8: (bytes: Uint8Array) => string | undefined = Utf8.decodeUtf8

/**
 * One HTTP exchange, whole: the head checked ({@link refuse}), the caller authenticated, the context
 * made from the principal, the body read (up to `maxBodyBytes`, which `read` is given) and
 * dispatched, the reply turned into an answer ({@link fromReply}). The body is not read when the
 * head is refused or `authenticate` refuses, and nothing is dispatched. It never rejects: a `context`
 * or `authenticate` that throws answers `500`, a body that cannot be read `400`, and both go to
 * `onError`.
 *
 * Without `authenticate` the principal is `undefined`.
 *
 * @category utils
 * @since 0.1.0
 */
export const respond = <B>(dispatcher: Dispatcher<B>, options: Options) => {
  const answerOf = replyAnswer(options)
  const check = refuse(options)
  const maxBodyBytes = limitOf(options)
  const cors = options.cors === undefined ? undefined : withCors(options.cors)
  const exchange = async <P>(
    head: RequestHead,
    read: (maxBytes: number) => Promise<Body>,
    context: (principal: P) => B,
    authenticate?: () => Either<Refusal, P> | Promise<Either<Refusal, P>>,
  ): Promise<HttpAnswer> => {
    const refusal = check(head)
    if (refusal !== undefined) return refusal
    let principal: P
    if (authenticate === undefined) principal = undefined as P
    else {
      try {
        const decided = await authenticate()
        if (E.isLeft(decided)) return fromRefusal(decided.left)
        principal = decided.right
      } catch (cause) {
        report(options, cause)
        return internalServerError
      }
    }
    let base: ContextArg<B>
    try {
      base = [context(principal)] as ContextArg<B>
    } catch (cause) {
      report(options, cause)
      return internalServerError
    }
    let body: Body
    try {
      body = await read(maxBodyBytes)
    } catch (cause) {
      report(options, cause)
      return badRequest
    }
    try {
      switch (body._tag) {
        case 'TooLarge':
          return payloadTooLarge
        case 'Value':
          return answerOf(await dispatcher.dispatchValue(body.value, ...base))
        case 'Text':
          return answerOf(await dispatcher.dispatch(body.text, ...base))
        case 'Bytes': {
          if (body.bytes.byteLength > maxBodyBytes) return payloadTooLarge
          const decoded = decodeUtf8(body.bytes)
          return decoded === undefined ? PARSE_ERROR : answerOf(await dispatcher.dispatch(decoded, ...base))
        }
      }
    } catch (cause) {
      // The dispatcher is total; this guards against one that is not.
      report(options, cause)
      return internalServerError
    }
  }
  return cors === undefined
    ? exchange
    : async <P>(
        head: RequestHead,
        read: (maxBytes: number) => Promise<Body>,
        context: (principal: P) => B,
        authenticate?: () => Either<Refusal, P> | Promise<Either<Refusal, P>>,
      ): Promise<HttpAnswer> => cors(await exchange(head, read, context, authenticate), head.origin)
}
