/**
 * The HTTP client transport over `fetch`: each message is one `POST`, and the answer's body is the
 * reply. It runs wherever `fetch` does (Node 18+, browsers, Bun, Deno, workers), or over a `fetch` of
 * the caller's.
 *
 * The boundary: this module judges the HTTP exchange only (the status, the content type, the
 * network, the clock); what the body says is the client's to judge (see `Client`). Every failure of
 * its own is an {@link HttpError}, a value: `send` never rejects.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { maxBodyLength } from '../ClientError.js'
import type { AbortSignalLike, Expected, Transport } from '../Transport.js'
import { isJsonMediaType, parseContentType } from '../internal/http/rules.js'
import { MAX_TIMER_MS } from '../internal/timers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Why an HTTP exchange failed. `body` is the start of what the server sent, cut to
 * `ClientError.maxBodyLength` (200) characters, so a huge or hostile page is never held whole.
 *
 * - `BadStatus`: the server answered with a status outside 2xx.
 * - `NotJson`: a 2xx answer with a body whose content type is not JSON (an HTML error page from a
 *   proxy, say).
 * - `NetworkError`: `fetch` failed (a refused connection, DNS, TLS, a reset, an invalid header, a
 *   `headers` function that threw); `cause` is what was thrown.
 * - `Timeout`: no whole answer within `ms` milliseconds.
 * - `Aborted`: the caller's signal aborted; `reason` is the signal's.
 * - `TooLarge`: a JSON answer longer than `limit` bytes (`maxResponseBytes`); reading stopped there.
 *
 * @category model
 * @since 0.1.0
 */
export type HttpError =
  | { readonly _tag: 'BadStatus'; readonly status: number; readonly body: string }
  | { readonly _tag: 'NotJson'; readonly status: number; readonly contentType: string | null; readonly body: string }
  | { readonly _tag: 'NetworkError'; readonly cause: unknown }
  | { readonly _tag: 'Timeout'; readonly ms: number }
  | { readonly _tag: 'Aborted'; readonly reason: unknown }
  | { readonly _tag: 'TooLarge'; readonly limit: number }

/**
 * The `fetch` the transport calls: the global one by default. Any function of this shape will do (a
 * `fetch` with a proxy agent, a test double).
 *
 * @category model
 * @since 0.1.0
 */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>

/**
 * What {@link transport} takes.
 *
 * @category model
 * @since 0.1.0
 */
export interface Options {
  /** Where to `POST` each message. */
  readonly url: string | URL
  /**
   * Headers sent with every message, or a function read before each one (for a token that changes).
   * They are set after `Content-Type: application/json` and `Accept: application/json`, so they may
   * replace them; a message's own `Expected.headers` are set after these.
   */
  readonly headers?: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>)
  /**
   * How long an exchange may take, in milliseconds, until the whole body is read: 30 000 by
   * default, `Infinity` for no limit. A call's own `timeoutMs` replaces it for that call.
   */
  readonly timeoutMs?: number
  /** The `fetch` to call; the global one by default. */
  readonly fetch?: Fetch
  /**
   * The largest answer read, in bytes: 10 MiB (10 485 760) by default, `Infinity` for no limit. A
   * longer one (by its `Content-Length`, or as it arrives) fails with `TooLarge`, and the rest is not
   * downloaded.
   */
  readonly maxResponseBytes?: number
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The default of {@link Options.maxResponseBytes}: 10 MiB.
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultMaxResponseBytes = 10_485_760

/**
 * A client transport that `POST`s each message to `url` with `fetch`.
 *
 * What an answer gives: the body text for a 2xx answer with a JSON content type; `undefined` for a
 * 2xx answer with no body (`204`, the answer to notifications); `BadStatus` for any other status,
 * and `NotJson` for a 2xx body of another content type. A call's {@link Expected} `signal` and
 * `timeoutMs` are honoured: either ends the exchange (the request is aborted) with `Aborted` or
 * `Timeout`. Redirects are followed as `fetch` does by default.
 *
 * An answer is read up to `maxResponseBytes` (10 MiB by default): a longer one is `TooLarge`. The
 * timeout runs until the whole body is read, so a server that sends its headers and then stalls is a
 * `Timeout`, never a hang.
 *
 * `transport` throws a `RangeError` for a `timeoutMs` or `maxResponseBytes` that is negative or `NaN`. A call's own `timeoutMs`
 * below 0 (or `NaN`) counts as 0.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Client, Method } from 'fp-jsonrpc'
 * import { transport } from 'fp-jsonrpc/fetch'
 *
 * const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
 * const client = Client.make(transport({ url: 'http://127.0.0.1:8080/', headers: { authorization: 'Bearer token' } }))
 *
 * const answer = await pipe(client, Client.call(Echo, { text: 'hi' }, { timeoutMs: 2000 }))()
 * // E.right('hi'), or E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 2000 } }), ...
 *
 * @category constructors
 * @since 0.1.0
 */
export const transport = (options: Options): Transport<HttpError> => {
  const url = String(options.url)
  const defaultTimeout = options.timeoutMs ?? 30_000
  if (!(defaultTimeout >= 0)) throw new RangeError(`timeoutMs must be 0 or more, got ${defaultTimeout}`)
  const maxResponseBytes = options.maxResponseBytes ?? defaultMaxResponseBytes
  if (!(maxResponseBytes >= 0)) throw new RangeError(`maxResponseBytes must be 0 or more, got ${maxResponseBytes}`)
  const headersOf = options.headers
  const fetchFn: Fetch = options.fetch ?? ((input, init) => fetch(input, init))

  const exchange = async (body: string, expected: Expected): Promise<Either<HttpError, string | undefined>> => {
    const outer = expected.signal
    if (outer !== undefined && outer.aborted) return E.left({ _tag: 'Aborted', reason: outer.reason })
    const ms = expected.timeoutMs === undefined ? defaultTimeout : expected.timeoutMs > 0 ? expected.timeoutMs : 0
    const controller = new AbortController()
    // The first reason to stop wins: the error fetch then throws is only its echo.
    let stopped: HttpError | undefined
    const onAbort = (): void => {
      stopped ??= { _tag: 'Aborted', reason: (outer as AbortSignalLike).reason }
      controller.abort()
    }
    outer?.addEventListener('abort', onAbort, { once: true })
    const timer =
      // setTimeout fires at once for longer delays, so those mean no timer at all (0 times out at once).
      ms <= MAX_TIMER_MS
        ? setTimeout(() => {
            stopped ??= { _tag: 'Timeout', ms }
            controller.abort()
          }, ms)
        : undefined
    try {
      const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json' })
      const extra = typeof headersOf === 'function' ? headersOf() : headersOf
      if (extra !== undefined) for (const name of Object.keys(extra)) headers.set(name, extra[name])
      const own = expected.headers
      if (own !== undefined) for (const name of Object.keys(own)) headers.set(name, own[name])
      const response = await fetchFn(url, { method: 'POST', headers, body, signal: controller.signal })
      return await read(response, maxResponseBytes)
    } catch (cause) {
      return E.left(stopped ?? { _tag: 'NetworkError', cause })
    } finally {
      if (timer !== undefined) clearTimeout(timer)
      outer?.removeEventListener('abort', onAbort)
    }
  }

  return {
    send:
      (body, expected): TaskEither<HttpError, string | undefined> =>
      () =>
        exchange(body, expected),
  }
}

// -------------------------------------------------------------------------------------
// reporters
// -------------------------------------------------------------------------------------

const causeText = (cause: unknown): string => {
  if (!(cause instanceof Error)) return String(cause)
  // fetch's own errors say "fetch failed" and keep the reason (ECONNREFUSED, ...) in their cause.
  const inner = (cause as { readonly cause?: unknown }).cause
  return inner instanceof Error ? `${cause.message}: ${inner.message}` : cause.message
}

/**
 * One line of text for an {@link HttpError}, such as `HTTP 502: <html>...` or
 * `network error: fetch failed: connect ECONNREFUSED 127.0.0.1:8080`.
 *
 * @category utils
 * @since 0.1.0
 */
export const formatError = (e: HttpError): string => {
  switch (e._tag) {
    case 'BadStatus':
      return e.body === '' ? `HTTP ${e.status}` : `HTTP ${e.status}: ${e.body}`
    case 'NotJson':
      return `not JSON (${e.contentType ?? 'no content type'}), HTTP ${e.status}: ${e.body}`
    case 'NetworkError':
      return `network error: ${causeText(e.cause)}`
    case 'Timeout':
      return `no answer within ${e.ms} ms`
    case 'Aborted':
      return `aborted: ${causeText(e.reason)}`
    case 'TooLarge':
      return `answer larger than ${e.limit} bytes`
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const read = async (response: Response, maxBytes: number): Promise<Either<HttpError, string | undefined>> => {
  const { status } = response
  if (status < 200 || status > 299) return E.left({ _tag: 'BadStatus', status, body: await readStart(response) })
  const contentType = response.headers.get('content-type')
  if (contentType !== null && isJsonMediaType(parseContentType(contentType).type)) {
    const text = await readUpTo(response, maxBytes)
    return text === undefined ? E.left({ _tag: 'TooLarge', limit: maxBytes }) : E.right(text === '' ? undefined : text)
  }
  // Not JSON: only an empty body is acceptable (a 204, a 202 with nothing), so no more than the
  // start of it is read.
  const start = await readStart(response)
  return start === '' ? E.right(undefined) : E.left({ _tag: 'NotJson', status, contentType, body: start })
}

/** The whole body as text, or `undefined` once it is longer than `maxBytes` (the rest is not read). */
const readUpTo = async (response: Response, maxBytes: number): Promise<string | undefined> => {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const declared = response.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    reader.cancel().catch(() => undefined)
    return undefined
  }
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for (;;) {
    const chunk = await reader.read()
    if (chunk.done) return text + decoder.decode()
    size += chunk.value.byteLength
    if (size > maxBytes) {
      reader.cancel().catch(() => undefined)
      return undefined
    }
    text += decoder.decode(chunk.value, { stream: true })
  }
}

const truncate = (text: string): string => (text.length > maxBodyLength ? `${text.slice(0, maxBodyLength - 3)}...` : text)

/** The start of a body, cut to `maxBodyLength` characters; the rest is not downloaded. */
const readStart = async (response: Response): Promise<string> => {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    for (;;) {
      const chunk = await reader.read()
      if (chunk.done) {
        text += decoder.decode()
        break
      }
      text += decoder.decode(chunk.value, { stream: true })
      if (text.length > maxBodyLength) break
    }
  } finally {
    // Releases the connection whether the body was read to its end or not.
    reader.cancel().catch(() => undefined)
  }
  return truncate(text)
}
