/**
 * The gateway: a stateless edge that forwards JSON-RPC messages to NATS workers. {@link dispatcher}
 * gives a `Dispatch.Dispatcher` that runs no method itself: it sends each message's text as a NATS
 * request on a subject and hands back the reply's text. So the existing servers front a pool of
 * workers unchanged: `serve({ dispatcher: gateway })` (fp-jsonrpc/http) and
 * `Ws.attachToHttp(server, gateway, ...)` (fp-jsonrpc/ws), with their limits, Host and Origin
 * checks and graceful close; edges and workers scale apart.
 *
 * When forwarding fails, every request of the message is answered with a JSON-RPC error carrying its
 * id ({@link GatewayErrorCode}), notifications get nothing, and nothing of the NATS client's own
 * text reaches the caller (it goes to `onError`). Nothing hangs: every forward has a timeout.
 *
 * @since 0.2.0
 */
import type { Either } from 'fp-ts/lib/Either.js'
import * as E from 'fp-ts/lib/Either.js'
import type { Dispatcher, Given } from '../Dispatch.js'
import * as Retry from '../Retry.js'
import * as RpcError from '../RpcError.js'
import * as RpcRequest from '../RpcRequest.js'
import * as RpcResponse from '../RpcResponse.js'
import type { AbortSignalLike, Expected } from '../Transport.js'
import { safely } from '../internal/hooks.js'
import * as Exchange from '../internal/nats/exchange.js'
import { hasOwn, isRecord } from '../internal/object.js'
import { decodeUtf8 } from '../internal/utf8.js'
import { type Connection, isRetryable, type NatsError } from './transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link dispatcher} takes. `B` is the base value the edge dispatches with (its `context`
 * option), which {@link GatewayOptions.headers} reads.
 *
 * @category model
 * @since 0.2.0
 */
export interface GatewayOptions<B = unknown> {
  /** An open connection; closing it stays the caller's work (close the edge first, then drain it). */
  readonly connection: Connection
  /** The subject the workers serve. */
  readonly subject: string
  /**
   * How long a forwarded message may wait for its reply, in milliseconds: 35 000 by default, longer
   * than a worker's own default deadline (`Dispatch.Options.timeoutMs`, 30 000), so that a slow call
   * is answered by the worker's `-32003` rather than the gateway's `-32011`. `Infinity` for no limit
   * of its own.
   */
  readonly timeoutMs?: number
  /**
   * The NATS message headers to forward with a message, made from the edge's base value: with
   * `serve({ dispatcher, context: (req) => req })` or `Ws.attachToHttp(server, dispatcher, { context:
   * (req) => req, ... })`, `headers: headersFrom(['authorization', 'traceparent'])` forwards those
   * HTTP headers (of the POST, or of the WebSocket upgrade). Undefined values are left out. A
   * function that throws fails the message as `RequestFailed` (`-32013`).
   */
  readonly headers?: (base: B) => Readonly<Record<string, string | undefined>> | undefined
  /**
   * Retries of messages whose every call is idempotent, after `NoResponders` or a `Timeout` (see
   * `Retry`): `true` for `Retry.defaultPolicy`, or a policy. Off by default. The gateway knows only
   * method names, so it needs {@link idempotent} too; without it nothing is retried.
   */
  readonly retry?: boolean | Partial<Retry.Policy>
  /**
   * Which methods are idempotent, by name: from the contracts, say
   * `(name) => contracts.some((m) => m.name === name && Method.isIdempotent(m))`.
   */
  readonly idempotent?: (method: string) => boolean
  /** Sees each failure to forward (for logs and metrics); its exceptions are ignored. */
  readonly onError?: (error: NatsError) => void
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The codes a gateway answers with when it cannot forward a message, in the specification's
 * server-error range, clear of the codes this package (`-32003`, `-32004`) and the Language Server
 * Protocol (`-32001`, `-32002`, `-32099..-32096`) use:
 *
 * - `NoWorker` (`-32010`, "No worker available"): nothing serves the subject (`NoResponders`). No
 *   worker saw the request: safe to send again.
 * - `WorkerTimeout` (`-32011`, "Worker timed out"): no reply in time. A worker may have run the
 *   call (and died, or is slow): send again only what is idempotent.
 * - `MessageTooLarge` (`-32012`, "Message too large"): the message is larger than the NATS
 *   server's `max_payload`; nothing was sent.
 * - `Unavailable` (`-32013`, "Gateway unavailable"): the gateway's NATS connection is closed, or
 *   the NATS client refused the message; nothing was sent.
 *
 * @category constants
 * @since 0.2.0
 */
export const GatewayErrorCode = {
  NoWorker: -32010,
  WorkerTimeout: -32011,
  MessageTooLarge: -32012,
  Unavailable: -32013,
} as const

/**
 * The default of {@link GatewayOptions.timeoutMs}: 35 000 ms.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultGatewayTimeoutMs = 35_000

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A dispatcher that forwards every message to the NATS workers serving `subject`, for an edge
 * server (`serve`, `Ws.attach`, `Ws.attachToHttp`, the Fetch `handler`).
 *
 * What a message gets: the worker's reply text as it came; `undefined` (no body: `204` over HTTP)
 * when the worker's reply is empty (notifications only). When forwarding fails, the message's
 * requests are answered as {@link failureOf} says (a batch with an array, a single request with one
 * object), and its notifications are not; a message the gateway cannot read (not JSON, an empty
 * batch) gets one error with id `null`. When the edge gives up a call (a WebSocket client's
 * `$/cancelRequest`, through `dispatchCancellable` or the `signal` of `dispatchWith`), the gateway
 * stops waiting and answers nothing, since the edge answers it. The `endpoint` an edge gives
 * (`Dispatch.Given`) is not forwarded: the workers' `control.endpoint` is their own.
 *
 * Sizes: the edge reads at most its own limit (`maxBodyBytes`, `maxPayload`: 1 MiB by default),
 * and a message (with its forwarded headers) larger than the NATS server's `max_payload` (also 1 MiB
 * by default) is answered `-32012`. Set the edge's limit a little below `max_payload`, so that a
 * message too large is refused at the edge (`413`, or WebSocket close 1009) before it is read whole.
 * Throws a `RangeError` for a `timeoutMs` that is negative or `NaN`.
 *
 * @example
 * import type { IncomingMessage } from 'node:http'
 * import { serve } from 'fp-jsonrpc/http'
 * import * as Nats from 'fp-jsonrpc/nats'
 * import * as Ws from 'fp-jsonrpc/ws'
 *
 * // const connection = await connect({ servers: 'nats://10.0.0.5:4222' }) (of @nats-io/transport-node)
 * declare const connection: Nats.Connection & { readonly drain: () => Promise<void> }
 * const gateway = Nats.dispatcher<IncomingMessage>({ connection, subject: 'rpc', headers: Nats.headersFrom(['authorization', 'traceparent']) })
 *
 * const started = await serve({ dispatcher: gateway, context: (req) => req, host: '0.0.0.0', port: 8080, allowedHosts: false, maxBodyBytes: 1_000_000 })()
 * if (started._tag === 'Right') {
 *   const ws = Ws.attachToHttp(started.right.server, gateway, { path: '/ws', context: (req) => req, maxPayload: 1_000_000 })
 *   process.once('SIGTERM', () => void ws.close().then(() => started.right.close()).then(() => connection.drain()))
 * }
 *
 * @category constructors
 * @since 0.2.0
 */
export const dispatcher = <B = unknown>(options: GatewayOptions<B>): Dispatcher<B> => {
  const { connection, subject, headers, idempotent, onError } = options
  const timeoutMs = options.timeoutMs ?? defaultGatewayTimeoutMs
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be 0 or more, got ${timeoutMs}`)
  const settings: Exchange.Settings = { connection, subject, timeoutMs, publishNotifications: false }
  const retrying =
    options.retry === undefined || options.retry === false || idempotent === undefined
      ? undefined
      : Retry.transport<NatsError>({ ...(options.retry === true ? {} : options.retry), retryable: isRetryable })

  const headersOf = (base: B | undefined): Either<NatsError, Exchange.Headers> => {
    if (headers === undefined) return E.right(undefined)
    try {
      const given = headers(base as B)
      if (given === undefined) return E.right(undefined)
      const out: Record<string, string> = {}
      for (const name of Object.keys(given)) {
        const value = given[name]
        if (value !== undefined) out[name] = value
      }
      return E.right(out)
    } catch (cause) {
      return E.left({ _tag: 'RequestFailed', cause })
    }
  }

  /** `value` is the message's parsed form when the edge has it, `unread` when only the text is known. */
  const forward = async (text: string, value: unknown, base: B | undefined, signal: AbortSignalLike | undefined): Promise<string | undefined> => {
    const extra = headersOf(base)
    let answer: Either<NatsError, string | undefined>
    if (E.isLeft(extra)) answer = extra
    else if (retrying === undefined) answer = await Exchange.exchange(settings, text, signal === undefined ? noIds : { ids: [], signal }, extra.right)
    else {
      const expected: Expected = {
        ids: [],
        idempotent: allIdempotent(value === unread ? parseOrUnread(text) : value, idempotent as (m: string) => boolean),
        ...(signal === undefined ? {} : { signal }),
      }
      const inner = { send: (body: string, e: Expected) => () => Exchange.exchange(settings, body, e, extra.right) }
      answer = await retrying(inner).send(text, expected)()
    }
    if (E.isRight(answer)) return answer.right
    safely(onError, answer.left)
    if (answer.left._tag === 'Aborted') return undefined
    return failureText(failureOf(answer.left), value === unread ? parseOrUnread(text) : value)
  }

  const dispatch = (input: string, base?: B): Promise<string | undefined> => forward(input, unread, base, undefined)
  const dispatchValue = (message: unknown, base?: B, signal?: AbortSignalLike): Promise<string | undefined> => {
    let text: string
    try {
      text = JSON.stringify(message)
    } catch {
      // Only a value too deep for the stack, which JSON.parse gave the edge: answered as the core would.
      return Promise.resolve(JSON.stringify(RpcResponse.failure(RpcError.internalError(), null)))
    }
    return forward(text, message, base, signal)
  }
  const replyValue = async (input: string, base?: B): Promise<unknown> => {
    const text = await dispatch(input, base)
    if (text === undefined) return undefined
    try {
      return JSON.parse(text) as unknown
    } catch {
      return RpcResponse.failure(RpcError.internalError(), null)
    }
  }
  const toEither = (r: unknown): Either<RpcResponse.Failure, RpcResponse.Success> => {
    const response = r as RpcResponse.RpcResponse
    return RpcResponse.isFailure(response) ? E.left(response) : E.right(response)
  }

  const entryPoints = {
    dispatch,
    dispatchValue: (message: unknown, base?: B) => dispatchValue(message, base, undefined),
    dispatchCancellable: (message: unknown, signal: AbortSignalLike, base?: B) => dispatchValue(message, base, signal),
    // What the edge knows besides the message: its signal is honoured; where it came in
    // (`endpoint`) stays at the edge.
    dispatchWith: (input: string, given: Given, base?: B) => forward(input, unread, base, given.signal),
    dispatchValueWith: (message: unknown, given: Given, base?: B) => dispatchValue(message, base, given.signal),
    dispatchBytes: (input: Uint8Array, base?: B) => {
      const text = decodeUtf8(input)
      return text === undefined ? JSON.stringify(RpcResponse.failure(RpcError.parseError(), null)) : dispatch(text, base)
    },
    dispatchTask: (input: string, base?: B) => () => dispatch(input, base),
    dispatchToResponse: async (input: string, base?: B) => {
      const u = await replyValue(input, base)
      return u === undefined ? undefined : Array.isArray(u) ? u.map(toEither) : toEither(u)
    },
    dispatchToSerializable: async (input: string, base?: B) =>
      (await replyValue(input, base)) as RpcResponse.RpcResponse | ReadonlyArray<RpcResponse.RpcResponse> | undefined,
  }
  // The entry points take the base value as an optional last argument, which is what ContextArg<B> spells.
  return entryPoints
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The error each request of a message gets when the gateway cannot forward it (see
 * {@link GatewayErrorCode}); `undefined` for `Aborted`, which the edge answers. No `data`: nothing
 * of the NATS client's text is sent.
 *
 * @category utils
 * @since 0.2.0
 */
export function failureOf(error: Exclude<NatsError, { readonly _tag: 'Aborted' }>): RpcError.RpcError<never>
export function failureOf(error: NatsError): RpcError.RpcError<never> | undefined
export function failureOf(error: NatsError): RpcError.RpcError<never> | undefined {
  switch (error._tag) {
    case 'NoResponders':
      return { code: GatewayErrorCode.NoWorker, message: 'No worker available' }
    case 'Timeout':
      return { code: GatewayErrorCode.WorkerTimeout, message: 'Worker timed out' }
    case 'TooLarge':
      return { code: GatewayErrorCode.MessageTooLarge, message: 'Message too large' }
    case 'Closed':
    case 'RequestFailed':
      return { code: GatewayErrorCode.Unavailable, message: 'Gateway unavailable' }
    case 'Aborted':
      return undefined
  }
}

/**
 * A {@link GatewayOptions.headers} function that forwards the named HTTP headers of a request (the
 * edge's base value when its `context` is `(req) => req`), names compared without case; a header
 * sent several times is forwarded joined with `, `, and one not sent is left out.
 *
 * @example
 * import { headersFrom } from 'fp-jsonrpc/nats'
 *
 * headersFrom(['authorization', 'traceparent'])({ headers: { authorization: 'Bearer t', host: 'x' } })
 * // { authorization: 'Bearer t' }
 *
 * @category utils
 * @since 0.2.0
 */
export const headersFrom =
  (names: ReadonlyArray<string>) =>
  (request: { readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>> }): Readonly<Record<string, string>> => {
    const out: Record<string, string> = {}
    for (const name of names) {
      const value = request.headers[name.toLowerCase()]
      if (value !== undefined) out[name] = typeof value === 'string' ? value : value.join(', ')
    }
    return out
  }

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const unread: unique symbol = Symbol('unread')
const noIds: Expected = { ids: [] }

const parseOrUnread = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return unread
  }
}

/** Whether every element of the message is a request or notification of an idempotent method. */
const allIdempotent = (u: unknown, idempotent: (method: string) => boolean): boolean => {
  if (u === unread) return false
  const elements = Array.isArray(u) ? u : [u]
  if (elements.length === 0) return false
  for (const e of elements) {
    if (!isRecord(e) || typeof e['method'] !== 'string') return false
    try {
      if (idempotent(e['method']) !== true) return false
    } catch {
      return false
    }
  }
  return true
}

/**
 * The answer to a message that could not be forwarded: `error` for each element with an `id`
 * member (with that id, or `null` when it is not a valid id), nothing for an object without one (a
 * notification), `error` with id `null` for an element that is not an object; one error with id
 * `null` for a message that is not JSON or an empty batch.
 */
const failureText = (error: RpcError.RpcError<never> | undefined, u: unknown): string | undefined => {
  if (error === undefined) return undefined
  if (u === unread || (Array.isArray(u) && u.length === 0)) return JSON.stringify(RpcResponse.failure(error, null))
  if (!Array.isArray(u)) return isRecord(u) && !hasOwn(u, 'id') ? undefined : JSON.stringify(RpcResponse.failure(error, RpcRequest.detectId(u)))
  const answers: Array<RpcResponse.RpcResponse> = []
  for (const e of u) if (!isRecord(e) || hasOwn(e, 'id')) answers.push(RpcResponse.failure(error, RpcRequest.detectId(e)))
  return answers.length === 0 ? undefined : JSON.stringify(answers)
}
