/**
 * The HTTP wire rules of JSON-RPC as data and pure functions: what the rules read of a request
 * ({@link RequestHead}), the answers they give ({@link HttpAnswer}), the checks of a request's head
 * in their order ({@link refuse}), CORS, and the body limit. The table of the rules is in the
 * public `Rules` module (src/fetch/rules.ts), whose options and refusals these read; the one
 * exchange that applies them, body and dispatch included, is `./exchange.ts`.
 *
 * Nothing here touches a runtime's objects, so the rules are the same byte for byte on Node, Bun,
 * Deno and workers.
 *
 * @internal
 */
import type { Cors, Options, Refusal } from '../../fetch/rules.js'
import { defaultMaxBodyBytes } from '../../fetch/rules.js'
import { PARSE_ERROR_TEXT } from '../json.js'
import { isAllowedHost, serializeOrigin } from './hosts.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What the rules read of a request before its body. A rule that needs a member it is not given
 * refuses (a missing `host` with `allowedHosts` set is `403`).
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

/** An HTTP answer as plain data, for an adapter to write. `body` is `''` when there is none. */
export interface HttpAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

// -------------------------------------------------------------------------------------
// answers
// -------------------------------------------------------------------------------------

const text = (status: number, reason: string, headers: Readonly<Record<string, string>> = {}): HttpAnswer => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  body: reason,
})

export const notFound: HttpAnswer = text(404, 'Not Found')

export const methodNotAllowed: HttpAnswer = text(405, 'Method Not Allowed: JSON-RPC takes POST', { allow: 'POST' })

export const unsupportedMediaType: HttpAnswer = text(415, 'Unsupported Media Type: send Content-Type: application/json')

export const badRequest: HttpAnswer = text(400, 'Bad Request: the body could not be read')

export const internalServerError: HttpAnswer = text(500, 'Internal Server Error')

/**
 * The answer to a body above the limit. `Connection: close`, as the rest of the body is not read:
 * the connection cannot carry another request.
 */
export const payloadTooLarge: HttpAnswer = text(413, 'Payload Too Large', { connection: 'close' })

/** The answer to a `Host` not allowed, an origin not allowed, or a `Forbidden` refusal. */
export const forbidden: HttpAnswer = text(403, 'Forbidden')

/**
 * The answer to an `Unauthenticated` refusal, with its challenge. The challenge is the
 * application's own text: its line breaks become spaces, as they could forge headers (the WebSocket
 * server writes it raw) or make node refuse to write the answer at all.
 */
export const unauthorized = (challenge = 'Bearer'): HttpAnswer => text(401, 'Unauthorized', { 'www-authenticate': challenge.replace(/[\r\n]/g, ' ') })

/** The HTTP answer to a {@link Refusal}. */
export const fromRefusal = (refusal: Refusal): HttpAnswer => (refusal._tag === 'Forbidden' ? forbidden : unauthorized(refusal.challenge))

const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' }

/** The answer to a body that is not UTF-8: the JSON-RPC Parse error, with status `200`. */
export const parseError: HttpAnswer = { status: 200, headers: JSON_HEADERS, body: PARSE_ERROR_TEXT }

const NO_CONTENT: HttpAnswer = { status: 204, headers: {}, body: '' }

/** `200` with an empty body: the answer to nothing under `notificationStatus: 200`, and to a JSON-RPC 1.0 notification. */
export const EMPTY_OK: HttpAnswer = { status: 200, headers: {}, body: '' }

/**
 * The dispatcher's reply as an HTTP answer: `200` with the JSON text, or `204` with no body when
 * there is nothing to answer (a message of notifications only).
 */
export const fromReply = (reply: string | undefined): HttpAnswer => (reply === undefined ? NO_CONTENT : { status: 200, headers: JSON_HEADERS, body: reply })

/**
 * {@link fromReply} with the options' `notificationStatus`: the answer to nothing is a `204`, or a
 * `200` with an empty body.
 */
export const replyAnswer = (options: Options): ((reply: string | undefined) => HttpAnswer) =>
  options.notificationStatus === 200 ? (reply) => (reply === undefined ? EMPTY_OK : fromReply(reply)) : fromReply

// -------------------------------------------------------------------------------------
// content types
// -------------------------------------------------------------------------------------

/** The media type of a `Content-Type` value, lower-cased, and its `charset` parameter if any. */
export const parseContentType = (header: string): { readonly type: string; readonly charset: string | undefined } => {
  const parts = header.split(';')
  const type = parts[0].trim().toLowerCase()
  let charset: string | undefined
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]
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
 */
export const isJsonMediaType = (type: string): boolean =>
  type === 'application/json' ||
  type === 'application/json-rpc' ||
  type === 'application/jsonrequest' ||
  (type.startsWith('application/') && type.endsWith('+json'))

/**
 * Whether a request's `Content-Type` is one the server reads: a JSON media type (see
 * {@link isJsonMediaType}) with no `charset`, or `charset=utf-8` (JSON text is UTF-8, RFC 8259).
 */
export const acceptsContentType = (header: string | null | undefined): boolean => {
  if (header === null || header === undefined) return false
  // What nearly every client sends, told without parsing it.
  if (header === 'application/json') return true
  const { type, charset } = parseContentType(header)
  return isJsonMediaType(type) && (charset === undefined || charset === 'utf-8' || charset === 'utf8')
}

// -------------------------------------------------------------------------------------
// limits
// -------------------------------------------------------------------------------------

/**
 * The body limit in force: `maxBodyBytes`, or 1 MiB. Throws a `RangeError` for a negative or `NaN`
 * limit, so a typo does not turn the limit off.
 */
export const limitOf = (options: Options): number => {
  const limit = options.maxBodyBytes ?? defaultMaxBodyBytes
  if (!(limit >= 0)) throw new RangeError(`maxBodyBytes must be 0 or more, got ${limit}`)
  return limit
}

// The declared length, when there is one and it is a number. What clients send (a few digits, no
// spaces) is told by a loop over its characters, which measured half the cost of the regex.
const declaredLength = (header: string | null | undefined): number | undefined => {
  if (header === null || header === undefined) return undefined
  if (isDigits(header)) return Number(header)
  return /^\s*\d+\s*$/.test(header) ? Number(header) : undefined
}

const isDigits = (s: string): boolean => {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

// -------------------------------------------------------------------------------------
// the head
// -------------------------------------------------------------------------------------

/**
 * Checks a request's head against the rules: `undefined` when it is for the dispatcher, otherwise
 * the answer that refuses it (`403`, `404`, a preflight's `204`, `405`, `415` or `413`). The CORS
 * header of an allowed origin is not added here (see {@link withCors}).
 */
export const refuse = (options: Options): ((head: RequestHead) => HttpAnswer | undefined) => {
  const hostAllowed = options.allowedHosts === undefined || options.allowedHosts === false ? undefined : isAllowedHost(options.allowedHosts)
  const preflight = options.cors === undefined ? undefined : preflightOf(options.cors)
  const maxBodyBytes = limitOf(options)
  const path = options.path
  return (head) => {
    if (hostAllowed !== undefined && !hostAllowed(head.host)) return forbidden
    if (path !== undefined && head.path !== path) return notFound
    if (preflight !== undefined && head.method === 'OPTIONS' && head.origin !== null && head.origin !== undefined) return preflight(head.origin)
    if (head.method !== 'POST') return methodNotAllowed
    if (!acceptsContentType(head.contentType)) return unsupportedMediaType
    const length = declaredLength(head.contentLength)
    if (length !== undefined && length > maxBodyBytes) return payloadTooLarge
    return undefined
  }
}

// -------------------------------------------------------------------------------------
// CORS
// -------------------------------------------------------------------------------------

// The Access-Control-Allow-Origin value for an origin, or undefined when it is not allowed.
const corsOrigin = (cors: Cors): ((origin: string | null | undefined) => string | undefined) => {
  const any = cors.origins.includes('*')
  // Configured as browsers serialize an origin (lower case, no default port), which is how they send it.
  const origins = new Set(cors.origins.map(serializeOrigin))
  return (origin) => (any ? '*' : origin !== null && origin !== undefined && origins.has(origin) ? origin : undefined)
}

const preflightOf = (cors: Cors): ((origin: string) => HttpAnswer) => {
  const allowOrigin = corsOrigin(cors)
  const allowHeaders = (cors.allowHeaders ?? ['content-type', 'authorization']).join(', ')
  const maxAge = String(cors.maxAgeSeconds ?? 600)
  return (origin) => {
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

/**
 * An answer as CORS has it: an allowed origin may read it; every answer varies by `Origin`. A
 * preflight's answer, which has its CORS headers already, is left as it is.
 */
export const withCors = (cors: Cors): ((answer: HttpAnswer, origin: string | null | undefined) => HttpAnswer) => {
  const allowOrigin = corsOrigin(cors)
  return (answer, origin) => {
    if (answer.headers['access-control-allow-origin'] !== undefined || answer.headers['vary'] !== undefined) return answer
    const allowed = allowOrigin(origin)
    return {
      ...answer,
      headers: allowed === undefined ? { ...answer.headers, vary: 'Origin' } : { ...answer.headers, 'access-control-allow-origin': allowed, vary: 'Origin' },
    }
  }
}
