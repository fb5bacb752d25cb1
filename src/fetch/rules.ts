/**
 * The HTTP wire rules as a user meets them: the options every HTTP server adapter takes (the Fetch
 * `handler`, the node:http `listener` and `serve`), CORS, the authentication hook, and
 * the refusals it answers with. The rules themselves (the checks in their order, the answers, the
 * body limit, the one exchange both adapters run) are internal to the package, so that they are
 * written once; docs/transports-http.md gives them as a table.
 *
 * The rules, in the order they are checked:
 *
 * | the request                                          | the answer                                      |
 * | ---------------------------------------------------- | ----------------------------------------------- |
 * | a `Host` not in `allowedHosts` (when that is set)    | `403`                                           |
 * | another path than `path` (when one is set)           | `404`                                           |
 * | a `GET` of the explorer's path, `explorer` set      | `200`, the API explorer (after the `Host` check) |
 * | a CORS preflight (`OPTIONS` with `Origin`), `cors` set | `204` with the CORS headers, or `403` for an origin not allowed |
 * | a method other than `POST`                           | `405`, with `Allow: POST`                       |
 * | a content type other than JSON, or a charset other than UTF-8 | `415`                                  |
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
import type { Either } from 'fp-ts/lib/Either.js'
import * as Hosts from '../internal/http/hosts.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

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
  /**
   * The API explorer, a page for browsers that calls `rpc.discover`, lists the methods and sends
   * calls, notifications and batches (docs/discovery.md): served on `GET` of its `path` (the
   * endpoint's `path` by default, `/` when that is unset), with the same `allowedHosts`, a strict
   * Content-Security-Policy and `X-Content-Type-Options: nosniff`. Off by default: then a `GET` is
   * answered as any other method than `POST`. The page is useful only when the dispatcher answers
   * `rpc.discover` (`Registry.withDiscovery`).
   *
   * @since 0.2.0
   */
  readonly explorer?: boolean | { readonly path?: string }
  /**
   * Hands each request's headers to the handlers, as `control.headers` (names in lower case): what
   * the tracing middleware of `fp-jsonrpc/otel` reads the caller's trace context from. Off by
   * default, and then a request costs nothing more; on, the headers are read only when a handler
   * asks for them.
   *
   * @since 0.2.0
   */
  readonly requestHeaders?: boolean
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The default of {@link Options.maxBodyBytes}: 1 MiB.
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultMaxBodyBytes = 1_048_576

/**
 * A refusal: who is calling could not be established (`401`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const unauthenticated = (challenge?: string): Refusal => (challenge === undefined ? { _tag: 'Unauthenticated' } : { _tag: 'Unauthenticated', challenge })

/**
 * A refusal: the caller is known and may not call (`403`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const refused: Refusal = { _tag: 'Forbidden' }

/**
 * The `Host` values a server bound to a loopback address serves by default (see
 * {@link Options.allowedHosts}): `localhost`, `127.0.0.1` and `[::1]` with its port (and without one,
 * for port 80). DNS rebinding (a page of another site whose name now points at 127.0.0.1) sends
 * that site's name as `Host`, so it is `403`. `serve` sets it by itself; give it to a `listener` of
 * your own bound to loopback.
 *
 * @category constructors
 * @since 0.1.0
 */
export const loopbackHosts: (port: number) => ReadonlyArray<string> = Hosts.loopbackHosts
