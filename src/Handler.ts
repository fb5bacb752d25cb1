/**
 * What implements a method: a function of the decoded params, the context and the request.
 *
 * A handler may answer in the shape that suits its code. The FP shapes are `Either` and `TaskEither`
 * (`Left` for an error the contract declares, or any {@link RpcError.RpcError}); for code coming from
 * imperative libraries, a plain value or a `Promise` is lifted, and {@link RpcError.raise} may throw a
 * chosen error. Anything else thrown or rejected becomes `Internal error` on the wire.
 *
 * How a returned value is read: a function is a `TaskEither`; an object whose `_tag` is `"Left"`
 * or `"Right"` is an `Either`; a thenable is a `Promise` of either of those (so `async` handlers may
 * return `E.right(x)`); anything else is the result itself (`undefined` is answered as `null`).
 *
 * @since 0.1.0
 */
import type { Either } from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type * as Method from './Method.js'
import type * as RpcError from './RpcError.js'
import type { RpcRequest } from './RpcRequest.js'

/**
 * What a handler may return: a value, a Promise of one, an `Either` of an error or a value, a
 * Promise of that, or a `TaskEither`.
 *
 * @category model
 * @since 0.1.0
 */
export type Result<E, A> = A | Promise<A> | Either<E, A> | Promise<Either<E, A>> | TaskEither<E, A>

/**
 * The function that answers a method: given the decoded params, the context, the request and its
 * {@link Control}, it returns a {@link Result}.
 *
 * @category model
 * @since 0.1.0
 */
export type Handler<P, A, E, C> = (params: P, context: C, request: RpcRequest, control: Control) => Result<E | RpcError.RpcError, A>

/**
 * What a handler may ask of the dispatcher about its own call.
 *
 * @category model
 * @since 0.1.0
 */
export interface Control {
  /**
   * Aborts when the call is given up: its timeout passed and `Request timed out` was answered. An
   * asynchronous handler can stop its work then; whatever it answers later is dropped. Made on first
   * read, so a handler that never reads it costs nothing.
   */
  readonly signal: AbortSignalLike
  /**
   * Where the message was received, when its transport knows: the URL a client reached this server
   * at (`http://127.0.0.1:8080/rpc`, `wss://api.example.com/rpc`), as the HTTP and WebSocket servers
   * of this package tell it. `undefined` when the message came without one (`Dispatch.dispatch`,
   * streams, in memory).
   */
  readonly endpoint?: Endpoint | undefined
  /**
   * The headers the message came with, when its transport gives them: the HTTP request's headers
   * (names in lower case) when the server was asked to (`requestHeaders: true` among the HTTP
   * adapters' options), a NATS message's headers likewise (`fp-jsonrpc/nats`'s `serve`).
   * `undefined` otherwise. The tracing middleware (`fp-jsonrpc/otel`) reads the trace context here.
   *
   * @since 0.2.0
   */
  readonly headers?: RequestHeaders | undefined
}

/**
 * A message's headers as a transport gives them (see {@link Control.headers}): names in lower case,
 * each with its value, or its values when the header came more than once (Node's
 * `IncomingHttpHeaders` is one).
 *
 * @category model
 * @since 0.2.0
 */
export type RequestHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/**
 * Where a message was received (see {@link Control.endpoint}): what a transport hands the dispatcher
 * beside the message (`Dispatch.Given`).
 *
 * @category model
 * @since 0.2.0
 */
export interface Endpoint {
  /**
   * The URL a client reached the server at: for HTTP, the scheme of the connection, the request's
   * `Host` header and the path; for WebSocket, the same of the upgrade request, with `ws:`/`wss:`.
   */
  readonly url: string
}

/**
 * The part of `AbortSignal` a handler reads (declared structurally, so that the package's types need
 * neither the DOM library nor Node's; a real `AbortSignal` is what it gets).
 *
 * @category model
 * @since 0.1.0
 */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/**
 * The handler type a contract asks for.
 *
 * @category model
 * @since 0.1.0
 */
export type For<M, C = unknown> = Handler<Method.ParamsOf<M>, Method.ResultOf<M>, Method.ErrorOf<M>, C>

/**
 * A handler with its types forgotten, as a registry stores it beside its contract.
 *
 * @category model
 * @since 0.1.0
 */
// `any` in params: the registry pairs each handler with the contract whose codec produced its params,
// a link TypeScript cannot express for a heterogeneous collection.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- params of a heterogeneous collection of handlers (see above)
export type AnyHandler<C> = (params: any, context: C, request: RpcRequest, control: Control) => unknown

/**
 * A {@link Control} for calling a handler directly (a unit test of a handler, say), with the given
 * signal or one that never aborts.
 *
 * @example
 * import { Handler } from 'fp-jsonrpc'
 *
 * declare const subtract: Handler.Handler<{ a: number; b: number }, number, never, unknown>
 * subtract({ a: 3, b: 1 }, undefined, { jsonrpc: '2.0', method: 'subtract', id: 1 }, Handler.makeControl())
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeControl = (signal: AbortSignalLike = new AbortController().signal): Control => ({ signal })

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Whether `u` has the shape of an fp-ts `Either`.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isEither = (u: unknown): u is Either<unknown, unknown> => {
  if (typeof u !== 'object' || u === null) return false
  const tag = (u as { _tag?: unknown })._tag
  return tag === 'Right' ? 'right' in u : tag === 'Left' && 'left' in u
}

/**
 * Whether `u` is a thenable.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isThenable = (u: unknown): u is PromiseLike<unknown> => typeof u === 'object' && u !== null && typeof (u as { then?: unknown }).then === 'function'

/**
 * Calls `settled(ok)` once the result is known (`ok` is false for a `Left`, a throw or a
 * rejection), and returns a result that answers the same. For middleware that observes outcomes.
 *
 * @category utils
 * @since 0.1.0
 */
export const onSettled = <E, A>(run: () => Result<E, A>, settled: (ok: boolean) => void): Result<E, A> => {
  let out: Result<E, A>
  try {
    out = run()
  } catch (e) {
    settled(false)
    throw e
  }
  const fail = (e: unknown): never => {
    settled(false)
    throw e
  }
  if (typeof out === 'function') {
    const task = out as TaskEither<E, A>
    return () =>
      Promise.resolve()
        .then(task)
        .then((e) => (settled(isEither(e) && e._tag === 'Right'), e), fail)
  }
  if (isThenable(out)) return Promise.resolve(out).then((a) => (settled(true), a), fail) as Promise<A>
  settled(!isEither(out) || out._tag === 'Right')
  return out
}
