/**
 * The dispatcher: the pure core that every transport calls. A message in, the answer out (or
 * nothing, for notifications). It never throws and never rejects: every failure becomes the
 * specification's error response.
 *
 * One message flows through one pipeline, readable top to bottom in {@link make}:
 *
 * ```
 * deserialize -> validate the request -> look up the method -> validate params -> call -> respond
 *   (parse error)   (Invalid Request)     (Method not found)    (Invalid params)  (result | error)
 * ```
 *
 * The first four steps are `Either`s joined by `chain`; the call is a `TaskEither` step when the
 * handler is asynchronous and a plain `Either` when it is not, so synchronous work never pays for a
 * Promise: the entry points answer synchronously when every handler did, with a Promise otherwise
 * (see {@link Awaitable}).
 *
 * `make` only wires the pieces; each lives in a module of its own under `src/internal/dispatch/`,
 * with its own tests: the model of a call (`Call`), the limits and option checks (`Limits`), the
 * steps before the call (`Steps`), the handler-result classifier (`Outcome`), the deadline of
 * asynchronous calls (`Timeout`), the batch runner (`Batch`), the response writer (`Writer`), the
 * reading of JSON-RPC 1.0 (`Version1`) and the compiled method table, built-in methods and their
 * middleware included (`Methods`).
 *
 * With the `version1` option, a JSON-RPC 1.0 message is read as the 2.0 request it stands for and
 * runs through the same pipeline; only its answer is written in 1.0's shape (`Version1`). `make`
 * chooses the runner once, so a 2.0-only dispatcher does no 1.0 work at all.
 *
 * The `chain` used here is this module's own: the same function as fp-ts's `Either.chain` on the
 * same `Either` values (a test checks the two agree), without the `dual()` dispatch that costs
 * fp-ts's 0.2-0.8 us on every call (measured in bench/), which is more than the rest of a request.
 *
 * @since 0.1.0
 */
import type { Either } from 'fp-ts/lib/Either.js'
import type { Task } from 'fp-ts/lib/Task.js'
import type * as t from 'io-ts'
import type { AbortSignalLike, Endpoint, RequestHeaders } from './Handler.js'
import type { ContextArg as ContextArgOf } from './internal/context.js'
import * as Batch from './internal/dispatch/Batch.js'
import { PARSE_ERROR } from './internal/dispatch/Errors.js'
import type { Item } from './internal/dispatch/Call.js'
import * as Limits from './internal/dispatch/Limits.js'
import * as Methods from './internal/dispatch/Methods.js'
import * as Outcome from './internal/dispatch/Outcome.js'
import * as Steps from './internal/dispatch/Steps.js'
import * as Timeout from './internal/dispatch/Timeout.js'
import * as Version1 from './internal/dispatch/Version1.js'
import * as Writer from './internal/dispatch/Writer.js'
import { safely } from './internal/hooks.js'
import { decodeUtf8 } from './internal/utf8.js'
import * as ParamReporter from './ParamReporter.js'
import type * as Params from './Params.js'
import type { Registry } from './Registry.js'
import * as RpcError from './RpcError.js'
import * as RpcRequest from './RpcRequest.js'
import * as RpcResponse from './RpcResponse.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A value now, or a Promise of it. The entry points answer synchronously when every handler they
 * ran answered synchronously; `await` takes either.
 *
 * @category model
 * @since 0.1.0
 */
export type Awaitable<A> = A | Promise<A>

/**
 * What {@link make} takes besides the registry. Every member is optional.
 *
 * @category model
 * @since 0.1.0
 */
export interface Options {
  /** Turns the input into a JSON value; throwing answers Parse error. `JSON.parse` by default. */
  readonly deserialize?: (input: string) => unknown
  /**
   * Replaces the request validator (a strict envelope, say). Its `Left` answers Invalid Request.
   * By default: {@link RpcRequest.isRpcRequest}.
   */
  readonly validateRequest?: t.Decoder<unknown, RpcRequest.RpcRequest>
  /** Sees, and may replace, every response before it is written. */
  readonly postProcess?: (response: RpcResponse.RpcResponse) => RpcResponse.RpcResponse
  /**
   * Receives what went wrong when a call answers Internal error: a thrown exception, a rejected
   * Promise, a result that is not JSON, a throwing hook. The peer only ever sees `-32603`.
   */
  readonly onDefect?: (cause: unknown, request: RpcRequest.RpcRequest | undefined) => void
  /** Renders params issues into an Invalid params error's `data`. {@link ParamReporter.report} by default. */
  readonly reportParams?: (issues: ReadonlyArray<Params.ParamIssue>) => unknown
  /** How many asynchronous handlers of one batch run at once. 16 by default. */
  readonly batchConcurrency?: number
  /**
   * The most requests one batch may hold: 100 by default (`Infinity` for no limit). A longer batch
   * runs none of its elements and is answered with one Invalid Request error object (not an array),
   * id `null`, whose `data` says the limit.
   */
  readonly maxBatchLength?: number
  /**
   * How deeply a request's params may nest arrays and objects (the params array or object itself is
   * level 1): 64 by default (`Infinity` for no limit). Deeper params are answered Invalid params
   * before the params codec or the handler sees them, so neither meets a value deep enough to
   * exhaust the stack. Params are the only part of a message that reaches code of the application:
   * invalid elements are answered without being looked into, and members the specification does
   * not define are never read.
   */
  readonly maxDepth?: number
  /**
   * How long an asynchronous handler may take, in milliseconds: 30 000 by default (`Infinity` for no
   * limit). Past it the call is answered `-32003 Request timed out` (or {@link timeoutError}), its `control.signal` aborts, and
   * whatever the handler answers later is dropped: one answer per id, never a second.
   */
  readonly timeoutMs?: number
  /** The error a call past {@link timeoutMs} is answered with: `RpcError.timeout()` (`-32003`) by default. */
  readonly timeoutError?: RpcError.RpcError
  /**
   * Takes JSON-RPC 1.0 as well as 2.0 (`false` by default: 2.0 only, and a 1.0 message is an Invalid
   * Request). A 1.0 message is an object with an `id` member and no `jsonrpc` member (or
   * `"jsonrpc": "1.0"`); `"id": null` makes it a notification; its `params` are an array, or an object
   * (keyword arguments, as jsonrpclib sends them), absent or `null` for none. It is run as the 2.0
   * request it stands for (handlers, middleware, `context`, `validateRequest` and `postProcess` see
   * that request and its response), and answered in 1.0's shape: `{"result": 19, "error": null, "id": 1}`
   * or `{"result": null, "error": {...}, "id": 1}`. A malformed 1.0 message is answered Invalid Request
   * in that shape, with its id when valid. A batch is answered element by element, each in its own
   * version. A message that cannot be read as either (not JSON, an empty batch) is answered in 2.0's
   * shape. The text entry points write 1.0's shape; `dispatchToSerializable` and
   * `dispatchToResponse` give the 2.0 model for every message. Over HTTP, a message of 1.0
   * notifications is answered `200` with an empty body (see {@link Dispatcher.versionAware}).
   *
   * @since 0.2.0
   */
  readonly version1?: boolean
}

/**
 * With a `context` function, the dispatcher takes a base value per message (what a transport knows:
 * headers, a connection) and each call's context is made from it and the request.
 *
 * @category model
 * @since 0.1.0
 */
export interface OptionsWithContext<C, B> extends Options {
  readonly context: (request: RpcRequest.RpcRequest, base: B) => C
}

/**
 * The context argument of the entry points: optional when the handlers need none.
 *
 * @category model
 * @since 0.1.0
 */
export type ContextArg<B> = ContextArgOf<B>

/**
 * The entry points, at the three levels jsonrpcserver offers.
 *
 * @category model
 * @since 0.1.0
 */
export interface Dispatcher<B> {
  /** A message in, the response text out, or `undefined` when nothing is to be sent. */
  readonly dispatch: (input: string, ...context: ContextArg<B>) => Awaitable<string | undefined>
  /**
   * For transports that parse messages themselves (to route responses on a two-way connection):
   * an already deserialized message in, the response text out. The `deserialize` option is not used.
   */
  readonly dispatchValue: (message: unknown, ...context: ContextArg<B>) => Awaitable<string | undefined>
  /**
   * For two-way transports that honour cancellation (see `Peer`): {@link dispatchValue}, with a
   * signal that gives the message's calls up. Once it aborts, the `control.signal` of each handler
   * of the message aborts too (with its reason); answering the caller is then the transport's work.
   */
  readonly dispatchCancellable: (message: unknown, signal: AbortSignalLike, ...context: ContextArg<B>) => Awaitable<string | undefined>
  /**
   * For transports that know more of a message than its text (see {@link Given}): {@link dispatch},
   * with what the transport gives, which each handler reads from its `control`.
   */
  readonly dispatchWith: (input: string, given: Given, ...context: ContextArg<B>) => Awaitable<string | undefined>
  /** {@link dispatchValue} with what the transport gives (see {@link dispatchWith}). */
  readonly dispatchValueWith: (message: unknown, given: Given, ...context: ContextArg<B>) => Awaitable<string | undefined>
  /**
   * For custom transports that read bytes: {@link dispatch} of the bytes as UTF-8 text, decoded
   * strictly, as every transport of this package does. Bytes that are not UTF-8 are answered Parse
   * error; a leading byte order mark is kept, so it is a Parse error too.
   */
  readonly dispatchBytes: (input: Uint8Array, ...context: ContextArg<B>) => Awaitable<string | undefined>
  /** The same, as a `Task`, for FP code that composes tasks. */
  readonly dispatchTask: (input: string, ...context: ContextArg<B>) => Task<string | undefined>
  /** The responses as tagged values: `Right` for a success, `Left` for an error. */
  readonly dispatchToResponse: (input: string, ...context: ContextArg<B>) => Awaitable<Reply<Either<RpcResponse.Failure, RpcResponse.Success>>>
  /** The responses as plain JSON values, ready for a serializer of the caller's. */
  readonly dispatchToSerializable: (input: string, ...context: ContextArg<B>) => Awaitable<Reply<RpcResponse.RpcResponse>>
  /**
   * Only on a dispatcher made with {@link Options.version1}: the entry points for transports whose
   * answer to nothing depends on the version (see {@link VersionAware}). HTTP's exchange reads it once,
   * when the server is made: a 2.0-only dispatcher is served as before.
   */
  readonly versionAware?: VersionAware<B>
}

/**
 * {@link Dispatcher.dispatchWith} and {@link Dispatcher.dispatchValueWith}, except that a message that
 * has nothing to answer is `''` (an empty text) when it was JSON-RPC 1.0 (a 1.0 notification, or a
 * batch of notifications one of which is 1.0), and `undefined` when it was 2.0. Over HTTP, the first
 * is answered `200` with an empty body (jsonrpclib's client fails on `204`), the second `204`.
 *
 * @category model
 * @since 0.2.0
 */
export interface VersionAware<B> {
  readonly dispatchWith: (input: string, given: Given | undefined, ...context: ContextArg<B>) => Awaitable<string | undefined>
  readonly dispatchValueWith: (message: unknown, given: Given | undefined, ...context: ContextArg<B>) => Awaitable<string | undefined>
}

/**
 * What a transport knows of one message besides its content, handed to {@link Dispatcher.dispatchWith}
 * and read by each of its handlers through `control`. Every member is optional; a transport gives
 * what it has, and the object may be shared by many messages (one per connection, say).
 *
 * @category model
 * @since 0.2.0
 */
export interface Given {
  /** Gives the message's calls up once it aborts, as {@link Dispatcher.dispatchCancellable}'s signal does. */
  readonly signal?: AbortSignalLike | undefined
  /** Where the message was received (`control.endpoint`); `rpc.discover` names it as the server. */
  readonly endpoint?: Endpoint | undefined
  /** The headers the message came with (`control.headers`), names in lower case. */
  readonly headers?: RequestHeaders | undefined
}

/**
 * One response, a batch of them, or nothing.
 *
 * @category model
 * @since 0.1.0
 */
export type Reply<R> = R | ReadonlyArray<R> | undefined

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * `Either.chain`, curried once when the pipeline is built and then called with no overhead: the same
 * function as fp-ts's `Either.chain` on the same values, without its `dual()` dispatch.
 *
 * @category utils
 * @since 0.1.0
 */
export const chain: <E, A, B>(f: (a: A) => Either<E, B>) => (ma: Either<E, A>) => Either<E, B> = Steps.chain

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Makes the dispatcher of a registry. Codecs and decoders are prepared here, once.
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Dispatch, Method, Registry } from 'fp-jsonrpc'
 *
 * const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
 * const registry = pipe(Registry.empty, Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)))
 * const server = Dispatch.make(registry)
 *
 * server.dispatch('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}')
 * // '{"jsonrpc":"2.0","result":19,"id":1}'
 *
 * // JSON-RPC 1.0 as well (see `Options.version1`): answered in 1.0's shape.
 * Dispatch.make(registry, { version1: true }).dispatch('{"method":"subtract","params":[42,23],"id":1}')
 * // '{"result":19,"error":null,"id":1}'
 *
 * @category constructors
 * @since 0.1.0
 */
export function make<C>(registry: Registry<C>, options?: Options): Dispatcher<C>
export function make<C, B>(registry: Registry<C>, options: OptionsWithContext<C, B>): Dispatcher<B>
export function make<C, B>(
  registry: Registry<C>,
  options: Options & { readonly context?: (request: RpcRequest.RpcRequest, base: B) => C } = {},
): Dispatcher<B> {
  // --- what the dispatcher is made of, prepared once --------------------------------------------

  const methods = Methods.compileAll(registry) // every method, built-ins included, each guarded by its middleware
  const limits = Limits.read(options)
  const deserialize = options.deserialize ?? JSON.parse
  const reportParams = options.reportParams ?? ParamReporter.report
  const onDefectHook = options.onDefect
  // A failing logger must not turn one bad call into a crashed server.
  const onDefect: Outcome.OnDefect = (cause, request) => safely(onDefectHook, cause, request)
  const writer: Writer.WriterOptions = { postProcess: options.postProcess, onDefect }

  // --- the pipeline: one message, or one element of a batch ---------------------------------------

  const validateRequest = Steps.validateRequest(options.validateRequest)
  const lookupMethod = chain(Steps.lookupMethod(methods))
  const validateParams = chain(Steps.validateParams(limits, reportParams)<C>)
  const prepare = Steps.guarded(Steps.flow(validateRequest, lookupMethod, validateParams), onDefect)
  const call = Outcome.invoker<C, B>({ context: options.context, onDefect, withDeadline: Timeout.make<C>(limits) })

  const runOne = (u: unknown, base: B, given: Given | undefined): Awaitable<Item> => {
    const prepared = prepare(u)
    return prepared._tag === 'Left' ? Steps.reject(prepared.left) : call(prepared.right, base, given)
  }

  // --- the entry points: 2.0 only, or 1.0 as well (each 1.0 message read as its 2.0 request) --------

  return options.version1 === true
    ? entryPoints(Version1.runner(runOne), Writer.makeMixed(writer), deserialize, limits)
    : entryPoints(runOne, Writer.make(writer), deserialize, limits)
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

/** The writer's levels an entry point answers at; `asMarked` only when 1.0 is taken as well. */
interface Levels<I> {
  readonly asText: Writer.Level<string, I>
  readonly asValues: Writer.Level<RpcResponse.RpcResponse | ReadonlyArray<RpcResponse.RpcResponse>, I>
  readonly asMarked?: Writer.Level<string, I>
}

/**
 * The entry points over `run`, the answer to one message or batch element (`I`: a response, or, with
 * 1.0 as well, a response marked with its version), written by `levels`.
 */
const entryPoints = <B, I>(
  run: (u: unknown, base: B, given: Given | undefined) => Awaitable<I>,
  levels: Levels<I>,
  deserialize: (input: string) => unknown,
  limits: Limits.Limits,
): Dispatcher<B> => {
  const { asText, asValues, asMarked } = levels

  // A batch: refused whole (empty, or longer than the limit), or run element by element.
  const answerBatch = <R>(u: ReadonlyArray<unknown>, base: B, level: Writer.Level<R, I>, given: Given | undefined): Awaitable<R | undefined> => {
    const refused = Limits.refusal(u, limits)
    if (refused !== undefined) return level.refused(refused)
    const items = Batch.run(u, limits.batchConcurrency, run, base, given)
    return items instanceof Promise ? items.then(level.batch) : level.batch(items)
  }

  // One parsed message, at either level: a batch, or a single call. The batch's work is a function of
  // its own, so that a single message's path stays small enough for V8 to inline whole.
  const answer = <R>(u: unknown, base: B, level: Writer.Level<R, I>, given?: Given): Awaitable<R | undefined> => {
    if (Array.isArray(u)) return answerBatch(u, base, level, given)
    const item = run(u, base, given)
    return item instanceof Promise ? item.then(level.one) : level.one(item)
  }

  const fromText = <R>(input: string, base: B, level: Writer.Level<R, I>, given?: Given): Awaitable<R | undefined> => {
    let u: unknown
    try {
      u = deserialize(input)
    } catch {
      return level.refused(PARSE_ERROR)
    }
    return answer(u, base, level, given)
  }

  const dispatch = (input: string, base?: B): Awaitable<string | undefined> => fromText(input, base as B, asText)

  const dispatchToSerializable = (input: string, base?: B): Awaitable<Reply<RpcResponse.RpcResponse>> => fromText(input, base as B, asValues)

  const dispatcher: Dispatcher<B> = {
    dispatch,
    dispatchValue: (u: unknown, base?: B) => answer(u, base as B, asText),
    dispatchCancellable: (u: unknown, signal: AbortSignalLike, base?: B) => answer(u, base as B, asText, { signal }),
    dispatchWith: (input: string, given: Given, base?: B) => fromText(input, base as B, asText, given),
    dispatchValueWith: (u: unknown, given: Given, base?: B) => answer(u, base as B, asText, given),
    dispatchBytes: (input: Uint8Array, base?: B) => {
      const text = decodeUtf8(input)
      return text === undefined ? asText.refused(PARSE_ERROR) : fromText(text, base as B, asText)
    },
    dispatchTask: (input: string, base?: B) => () => Promise.resolve(dispatch(input, base)),
    dispatchToResponse: (input: string, base?: B) => {
      const reply = dispatchToSerializable(input, base)
      return reply instanceof Promise ? reply.then(toTagged) : toTagged(reply)
    },
    dispatchToSerializable,
  }
  if (asMarked === undefined) return dispatcher
  const versionAware: VersionAware<B> = {
    dispatchWith: (input: string, given: Given | undefined, base?: B) => fromText(input, base as B, asMarked, given),
    dispatchValueWith: (u: unknown, given: Given | undefined, base?: B) => answer(u, base as B, asMarked, given),
  }
  return { ...dispatcher, versionAware }
}

// The tagged view of the serializable level: `Right` for a success, `Left` for an error.
const toTagged = (reply: Reply<RpcResponse.RpcResponse>): Reply<Either<RpcResponse.Failure, RpcResponse.Success>> =>
  reply === undefined ? undefined : isBatch(reply) ? reply.map((r) => RpcResponse.toEither(r)) : RpcResponse.toEither(reply)

const isBatch = <R>(reply: R | ReadonlyArray<R>): reply is ReadonlyArray<R> => Array.isArray(reply)
