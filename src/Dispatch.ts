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
 * The `chain` used here is this module's own: the same function as fp-ts's `Either.chain` on the
 * same `Either` values (a test checks the two agree), without the `dual()` dispatch that costs
 * fp-ts's 0.2-0.8 us on every call (measured in bench/), which is more than the rest of a request.
 *
 * @since 0.1.0
 */
import type { Either } from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { Task } from 'fp-ts/lib/Task.js'
import * as t from 'io-ts'
import * as Handler from './Handler.js'
import type { AbortSignalLike } from './Handler.js'
import * as Deadlines from './internal/Deadlines.js'
import { decodeUtf8 } from './internal/utf8.js'
import type { Id } from './Id.js'
import * as Introspection from './Introspection.js'
import type { AnyMethod } from './Method.js'
import * as ParamReporter from './ParamReporter.js'
import * as Params from './Params.js'
import type { Registry } from './Registry.js'
import * as RpcError from './RpcError.js'
import * as RpcRequest from './RpcRequest.js'
import * as RpcResponse from './RpcResponse.js'
import { idText } from './internal/json.js'

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
export type ContextArg<B> = unknown extends B ? [context?: B] : [context: B]

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
   * For custom transports that read bytes: {@link dispatch} of the bytes as UTF-8 text, decoded
   * strictly, as every transport of this package does. Bytes that are not UTF-8 are answered Parse
   * error; a leading byte order mark is kept, so it is a Parse error too.
   */
  readonly dispatchBytes: (input: Uint8Array, ...context: ContextArg<B>) => Awaitable<string | undefined>
  /** The same, as a `Task`, for FP code that composes tasks. */
  readonly dispatchTask: (input: string, ...context: ContextArg<B>) => Task<string | undefined>
  /** The responses as tagged values: `Right` for a success, `Left` for an error. */
  readonly dispatchToResponse: (
    input: string,
    ...context: ContextArg<B>
  ) => Awaitable<Reply<Either<RpcResponse.Failure, RpcResponse.Success>>>
  /** The responses as plain JSON values, ready for a serializer of the caller's. */
  readonly dispatchToSerializable: (input: string, ...context: ContextArg<B>) => Awaitable<Reply<RpcResponse.RpcResponse>>
}

/**
 * One response, a batch of them, or nothing.
 *
 * @category model
 * @since 0.1.0
 */
export type Reply<R> = R | ReadonlyArray<R> | undefined

// A step that failed before the call: the error to answer, and the id to answer it with
// (`undefined` for a notification, which is answered with nothing).
interface Rejection {
  readonly id: Id | undefined
  readonly error: RpcError.RpcError
}

interface Compiled<C> {
  readonly method: AnyMethod
  readonly handler: Handler.AnyHandler<C>
  readonly decodeParams: Params.Decoder
  readonly encodeResult: ((a: unknown) => unknown) | undefined
  readonly error: AnyMethod['error']
}

interface Found<C> {
  readonly request: RpcRequest.RpcRequest
  readonly id: Id | undefined
  readonly entry: Compiled<C>
}

// A call on its way to its handler, and the handler's `control`: the signal is made on first read,
// since an AbortController costs microseconds and most handlers never look at it.
class Call<C> implements Found<C>, Handler.Control, Deadlines.Timed {
  // Declared, and assigned in the constructor: a parameter property or a field with an initializer
  // compiles (target ES2022) to a class-field definition, which costs more per call than a plain
  // assignment.
  declare readonly request: RpcRequest.RpcRequest
  declare readonly id: Id | undefined
  declare readonly entry: Compiled<C>
  declare readonly params: unknown
  declare controller: AbortController | undefined
  /** The transport's signal for the message (see `dispatchCancellable`), which the handler's follows. */
  declare given: AbortSignalLike | undefined
  /** How an asynchronous call with a deadline is answered (by its handler, or by the deadline). */
  declare settle: ((item: Item) => void) | undefined
  /** Its deadline (see internal/Deadlines). */
  declare deadline: number
  declare timed: boolean
  constructor(request: RpcRequest.RpcRequest, id: Id | undefined, entry: Compiled<C>, params: unknown) {
    this.request = request
    this.id = id
    this.entry = entry
    this.params = params
    this.controller = undefined
    this.given = undefined
    this.settle = undefined
    this.deadline = 0
    this.timed = false
  }
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController()
      this.controller = controller
      const given = this.given
      if (given !== undefined) {
        if (given.aborted) controller.abort(given.reason)
        else given.addEventListener('abort', () => controller.abort(given.reason), { once: true })
      }
    }
    return this.controller.signal
  }
}

type Item = RpcResponse.RpcResponse | undefined

// -------------------------------------------------------------------------------------
// internal: Either, lean
// -------------------------------------------------------------------------------------

const right = <A>(a: A): Either<never, A> => ({ _tag: 'Right', right: a })
const left = <E>(e: E): Either<E, never> => ({ _tag: 'Left', left: e })

/** `Either.chain`, curried once when the pipeline is built and then called with no overhead. */
export const chain =
  <E, A, B>(f: (a: A) => Either<E, B>) =>
  (ma: Either<E, A>): Either<E, B> =>
    ma._tag === 'Left' ? ma : f(ma.right)

// An id is a string, a safe-range number or null (checked on the way in), so its JSON text is
// String(id) for numbers and null, and JSON.stringify for strings.

// The JSON text of a result. A number, a boolean or null is written with string conversion, which
// gives the text JSON.stringify gives (both write a number with Number::toString; a non-finite one
// is null) for a fifth of its cost per call; anything else goes through JSON.stringify.
const resultText = (u: unknown): string | undefined => {
  if (typeof u === 'number') return Number.isFinite(u) ? '' + u : 'null'
  if (typeof u === 'boolean') return u ? 'true' : 'false'
  return u === null ? 'null' : JSON.stringify(u)
}

// Whether params hold no array or object: one level deep, within every maxDepth (at least 1). The
// common case, checked in place, without the walk's calls.
const isFlat = (params: object): boolean => {
  if (Array.isArray(params)) {
    for (let i = 0; i < params.length; i++) {
      const v: unknown = params[i]
      if (typeof v === 'object' && v !== null) return false
    }
    return true
  }
  for (const k in params) {
    const v: unknown = (params as Record<string, unknown>)[k]
    if (typeof v === 'object' && v !== null) return false
  }
  return true
}

// Whether a parsed JSON value nests arrays and objects more than `max` levels deep. The recursion
// stops at `max` levels; should a huge `max` still exhaust the stack, the value is deep enough to
// refuse.
const deeperThan = (u: unknown, max: number): boolean => {
  try {
    return deeper(u, max)
  } catch {
    return true
  }
}

const deeper = (u: unknown, levels: number): boolean => {
  if (typeof u !== 'object' || u === null) return false
  if (levels === 0) return true
  if (Array.isArray(u)) {
    for (let i = 0; i < u.length; i++) {
      const v: unknown = u[i]
      if (typeof v === 'object' && v !== null && deeper(v, levels - 1)) return true
    }
    return false
  }
  for (const k in u) {
    const v: unknown = (u as Record<string, unknown>)[k]
    if (typeof v === 'object' && v !== null && deeper(v, levels - 1)) return true
  }
  return false
}

const isPromise = (u: unknown): u is Promise<unknown> => u instanceof Promise

// setTimeout fires at once for delays beyond 2^31 - 1 ms, so a longer timeout is none.
const MAX_TIMER_MS = 2_147_483_647

const hasOwn = Object.prototype.hasOwnProperty

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const PARSE_ERROR_ERROR = RpcError.parseError()
const INTERNAL_ERROR = RpcError.internalError()
const METHOD_NOT_FOUND = RpcError.methodNotFound()
const INVALID_REQUEST_ERROR = RpcError.invalidRequest()
const { ErrorCode } = RpcError
const CONSTANT_TEXT: ReadonlyMap<unknown, string> = new Map(
  [PARSE_ERROR_ERROR, INVALID_REQUEST_ERROR, METHOD_NOT_FOUND, INTERNAL_ERROR].map((e) => [e, JSON.stringify(e)]),
)

const compile = <C>(method: AnyMethod, handler: Handler.AnyHandler<C>): Compiled<C> => ({
  method,
  handler,
  decodeParams: Params.decoder(method),
  encodeResult: method.result.encode === t.identity ? undefined : (a: unknown) => method.result.encode(a),
  error: method.error,
})

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
 * const server = Dispatch.make(pipe(Registry.empty, Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend))))
 *
 * server.dispatch('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}')
 * // '{"jsonrpc":"2.0","result":19,"id":1}'
 *
 * @category constructors
 * @since 0.1.0
 */
export function make<C>(registry: Registry<C>, options?: Options): Dispatcher<C>
export function make<C, B>(registry: Registry<C>, options: OptionsWithContext<C, B>): Dispatcher<B>
export function make<C, B>(registry: Registry<C>, options: Options & { readonly context?: (request: RpcRequest.RpcRequest, base: B) => C } = {}): Dispatcher<B> {
  const entries = new Map<string, Compiled<C>>()
  for (const [name, entry] of registry.entries) entries.set(name, compile(entry.method, entry.handler))
  if (registry.introspection) {
    for (const entry of Introspection.entriesFor(registry)) {
      if (entries.has(entry.method.name)) throw new TypeError(`method ${entry.method.name} is registered already`)
      // Introspection answers through the registry's middleware too, so that `Registry.use` with an
      // authentication step also guards the method list.
      const handler = registry.middleware.reduce((h: Handler.AnyHandler<C>, m) => m(h) as Handler.AnyHandler<C>, entry.handler)
      entries.set(entry.method.name, compile(entry.method, handler))
    }
  }
  const deserialize = options.deserialize ?? JSON.parse
  const validator = options.validateRequest
  const reportParams = options.reportParams ?? ParamReporter.report
  const contextOf = options.context
  const postProcess = options.postProcess
  const onDefectHook = options.onDefect
  const concurrency = options.batchConcurrency ?? 16
  if (!(concurrency >= 1)) throw new RangeError(`batchConcurrency must be at least 1, got ${concurrency}`)
  const maxBatchLength = options.maxBatchLength ?? 100
  if (!(maxBatchLength >= 1)) throw new RangeError(`maxBatchLength must be at least 1, got ${maxBatchLength}`)
  const maxDepth = options.maxDepth ?? 64
  if (!(maxDepth >= 1)) throw new RangeError(`maxDepth must be at least 1, got ${maxDepth}`)
  const timeoutError = options.timeoutError ?? RpcError.timeout()
  const timeoutMs = options.timeoutMs ?? 30_000
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be 0 or more, got ${timeoutMs}`)
  const batchTooLong = RpcError.make(ErrorCode.InvalidRequest, 'Invalid Request', `a batch holds at most ${maxBatchLength} requests`)
  const tooDeep = RpcError.invalidParams([`params: nested deeper than ${maxDepth} levels`])

  // --- deadlines of asynchronous calls ----------------------------------------------------------
  // Every call has the same timeout, so deadlines come in the order calls start: one queue and one
  // timer (see internal/Deadlines). A call past its time is answered Timeout, its signal aborts, and
  // whatever its handler answers later is dropped.

  const deadlines =
    timeoutMs > MAX_TIMER_MS
      ? undefined
      : Deadlines.make<Call<C>>(timeoutMs, (call) => {
          call.controller?.abort(new Error('the call timed out'))
          ;(call.settle as (item: Item) => void)(call.id === undefined ? undefined : RpcResponse.failure(timeoutError, call.id))
        })

  const withDeadline = (work: Promise<Item>, call: Call<C>): Promise<Item> => {
    if (deadlines === undefined) return work
    return new Promise<Item>((resolve) => {
      call.settle = resolve
      deadlines.add(call)
      work.then((item) => {
        if (!call.timed) return // timed out: this late answer is dropped
        deadlines.done(call)
        resolve(item)
      })
    })
  }

  // --- the pipeline, before the call: Either steps joined by chain ---------------------------------

  const invalidRequest = (u: unknown): Either<Rejection, never> => left({ id: RpcRequest.detectId(u), error: INVALID_REQUEST_ERROR })

  const validateRequest =
    validator === undefined
      ? (u: unknown): Either<Rejection, RpcRequest.RpcRequest> => (RpcRequest.isRpcRequest(u) ? right(u) : invalidRequest(u))
      : (u: unknown): Either<Rejection, RpcRequest.RpcRequest> => {
          const decoded = validator.decode(u)
          return decoded._tag === 'Right' ? decoded : invalidRequest(u)
        }

  const lookupMethod = (request: RpcRequest.RpcRequest): Either<Rejection, Found<C>> => {
    const id = hasOwn.call(request, 'id') ? (request as RpcRequest.Request).id : undefined
    const entry = entries.get(request.method)
    return entry === undefined ? left({ id, error: METHOD_NOT_FOUND }) : right({ request, id, entry })
  }

  const validateParams = (found: Found<C>): Either<Rejection, Call<C>> => {
    const params = found.request.params
    if (params !== undefined && !isFlat(params) && deeperThan(params, maxDepth)) return left({ id: found.id, error: tooDeep })
    const decoded = found.entry.decodeParams(params)
    return decoded._tag === 'Right'
      ? right(new Call(found.request, found.id, found.entry, decoded.right))
      : left({ id: found.id, error: RpcError.invalidParams(reportParams(decoded.left)) })
  }

  const lookupStep = chain(lookupMethod)
  const paramsStep = chain(validateParams)
  const prepare = (u: unknown): Either<Rejection, Call<C>> => pipe(u, validateRequest, lookupStep, paramsStep)

  // --- the call, and the response it gives -------------------------------------------------------

  const onDefect = (cause: unknown, request: RpcRequest.RpcRequest | undefined): void => {
    if (onDefectHook === undefined) return
    try {
      onDefectHook(cause, request)
    } catch {
      // A failing logger must not turn one bad call into a crashed server.
    }
  }

  const defect = (cause: unknown, call: Call<C>): Item => {
    onDefect(cause, call.request)
    return call.id === undefined ? undefined : RpcResponse.failure(INTERNAL_ERROR, call.id)
  }

  const succeed = (value: unknown, call: Call<C>): Item => {
    if (call.id === undefined) return undefined
    let result: unknown
    try {
      result = call.entry.encodeResult === undefined ? value : call.entry.encodeResult(value)
    } catch (e) {
      return defect(e, call)
    }
    if (result === undefined) result = null
    else if (typeof result === 'function' || typeof result === 'symbol') {
      return defect(new TypeError(`${call.request.method} answered a ${typeof result}, which JSON cannot carry`), call)
    }
    return RpcResponse.success(result, call.id)
  }

  const fail = (error: unknown, call: Call<C>): Item => {
    const codec = call.entry.error as t.Any | undefined
    let wire: unknown = error
    if (codec !== undefined && codec.is(error)) {
      try {
        wire = codec.encode(error)
      } catch (e) {
        return defect(e, call)
      }
    }
    if (!RpcError.isRpcError(wire)) return defect(new TypeError(`${call.request.method} answered Left with a value that is not an error object`), call)
    if (call.id === undefined) return undefined
    // Only the members the specification defines travel; anything else on the value stays here.
    return RpcResponse.failure(RpcError.make(wire.code, wire.message, wire.data), call.id)
  }

  const fromEither = (e: unknown, call: Call<C>): Item =>
    Handler.isEither(e)
      ? e._tag === 'Right'
        ? succeed(e.right, call)
        : fail(e.left, call)
      : defect(new TypeError(`${call.request.method}: a TaskEither resolved to a value that is not an Either`), call)

  const fromThrown = (e: unknown, call: Call<C>): Item => (RpcError.isException(e) ? fail(e.error, call) : defect(e, call))

  const settle = (out: unknown, call: Call<C>): Awaitable<Item> => {
    if (typeof out === 'function') {
      let started: unknown
      try {
        started = (out as () => unknown)()
      } catch (e) {
        return fromThrown(e, call)
      }
      return Handler.isThenable(started)
        ? withDeadline(
            Promise.resolve(started).then(
              (e) => fromEither(e, call),
              (e) => fromThrown(e, call),
            ),
            call,
          )
        : fromEither(started, call)
    }
    if (Handler.isThenable(out)) {
      return withDeadline(
        Promise.resolve(out).then(
          (a) => (Handler.isEither(a) ? fromEither(a, call) : succeed(a, call)),
          (e) => fromThrown(e, call),
        ),
        call,
      )
    }
    return Handler.isEither(out) ? fromEither(out, call) : succeed(out, call)
  }

  const invoke = (call: Call<C>, base: B): Awaitable<Item> => {
    let out: unknown
    try {
      const context = contextOf === undefined ? (base as unknown as C) : contextOf(call.request, base)
      out = call.entry.handler(call.params, context, call.request, call)
    } catch (e) {
      return fromThrown(e, call)
    }
    return settle(out, call)
  }

  // --- one message, or one element of a batch ----------------------------------------------------

  const runOne = (u: unknown, base: B, given?: AbortSignalLike): Awaitable<Item> => {
    let prepared: Either<Rejection, Call<C>>
    try {
      prepared = prepare(u)
    } catch (e) {
      // Only user code can throw here (a custom validator, a params codec, the params reporter).
      const request = RpcRequest.isRpcRequest(u) ? u : undefined
      onDefect(e, request)
      return request !== undefined && RpcRequest.isNotification(request) ? undefined : RpcResponse.failure(INTERNAL_ERROR, RpcRequest.detectId(u))
    }
    if (prepared._tag === 'Left') {
      const { id, error } = prepared.left
      return id === undefined ? undefined : RpcResponse.failure(error, id)
    }
    const call = prepared.right
    if (given !== undefined) call.given = given
    return invoke(call, base)
  }

  // Elements run in order; synchronous ones finish at once, asynchronous ones take one of
  // `concurrency` places. Each element is isolated: runOne never throws, and its Promise never rejects.
  const runBatch = (items: ReadonlyArray<unknown>, base: B, given: AbortSignalLike | undefined): Awaitable<Array<Item>> => {
    const n = items.length
    const out = new Array<Item>(n)
    let next = 0
    let inFlight = 0
    let done = 0
    let finish: ((items: Array<Item>) => void) | undefined
    const pump = (): void => {
      while (next < n && inFlight < concurrency) {
        const i = next++
        const r = runOne(items[i], base, given)
        if (isPromise(r)) {
          inFlight++
          ;(r as Promise<Item>).then((item) => {
            out[i] = item
            inFlight--
            if (++done === n) finish?.(out)
            else pump()
          })
        } else {
          out[i] = r
          done++
        }
      }
      // A completion may leave only synchronous elements, which the loop above just finished.
      if (done === n) finish?.(out)
    }
    pump()
    return done === n ? out : new Promise<Array<Item>>((resolve) => (finish = resolve))
  }

  // --- the entry points ----------------------------------------------------------------------------

  const post = (item: RpcResponse.RpcResponse): RpcResponse.RpcResponse => {
    if (postProcess === undefined) return item
    try {
      return postProcess(item)
    } catch (e) {
      onDefect(e, undefined)
      return RpcResponse.failure(INTERNAL_ERROR, item.id)
    }
  }

  // The envelope is the same for every response, so only the result (or error) and the id are
  // stringified and the rest is written around them: the same text JSON.stringify would give for
  // the response object, at about half the cost. A postProcess hook may return anything, so its
  // output goes through JSON.stringify whole.
  const serialize = (item: RpcResponse.RpcResponse): string => {
    const response = post(item)
    try {
      let text: string | undefined
      if (postProcess !== undefined) text = JSON.stringify(response)
      else if (hasOwn.call(response, 'result')) {
        const result = resultText((response as RpcResponse.Success).result)
        if (result !== undefined) text = '{"jsonrpc":"2.0","result":' + result + ',"id":' + idText(response.id) + '}'
      } else {
        const e = (response as RpcResponse.Failure).error
        // The spec's own errors are shared constants: their text is written once (CONSTANT_TEXT).
        const error = CONSTANT_TEXT.get(e) ?? JSON.stringify(e)
        if (error !== undefined) text = '{"jsonrpc":"2.0","error":' + error + ',"id":' + idText(response.id) + '}'
      }
      if (text !== undefined) return text
      throw new TypeError('the response serialized to nothing')
    } catch (e) {
      // BigInt, a cycle, a throwing toJSON: the call still gets its one answer.
      onDefect(e, undefined)
      return JSON.stringify(RpcResponse.failure(INTERNAL_ERROR, RpcResponse.isRpcResponse(response) ? response.id : item.id))
    }
  }

  const serializeOne = (item: Item): string | undefined => (item === undefined ? undefined : serialize(item))

  const serializeBatch = (items: ReadonlyArray<Item>): string | undefined => {
    let text = ''
    for (const item of items) if (item !== undefined) text += (text === '' ? '[' : ',') + serialize(item)
    return text === '' ? undefined : text + ']'
  }

  // The serializable level promises JSON values, so each response is checked the way `dispatch`
  // writes it, and one that JSON cannot carry (BigInt, a cycle) becomes Internal error.
  const serializable = (item: RpcResponse.RpcResponse): RpcResponse.RpcResponse => {
    const response = post(item)
    try {
      if (typeof JSON.stringify(response) === 'string') return response
      throw new TypeError('the response serialized to nothing')
    } catch (e) {
      onDefect(e, undefined)
      return RpcResponse.failure(INTERNAL_ERROR, item.id)
    }
  }

  const collect = (items: ReadonlyArray<Item>): ReadonlyArray<RpcResponse.RpcResponse> | undefined => {
    const out: Array<RpcResponse.RpcResponse> = []
    for (const item of items) if (item !== undefined) out.push(serializable(item))
    return out.length === 0 ? undefined : out
  }

  // Whether the message as a whole is refused before any of it runs.
  const refusal = (u: unknown): RpcError.RpcError | undefined => {
    if (Array.isArray(u)) {
      if (u.length === 0) return INVALID_REQUEST_ERROR
      if (u.length > maxBatchLength) return batchTooLong
    }
    return undefined
  }

  // How the answers are given: as text (`dispatch`) or as JSON values (`dispatchToSerializable`).
  interface Level<R> {
    /** A message refused whole (not JSON, an empty or too long batch), answered with id null. */
    readonly refused: (error: RpcError.RpcError) => R
    readonly one: (item: Item) => R | undefined
    readonly batch: (items: ReadonlyArray<Item>) => R | undefined
  }

  const asText: Level<string> = {
    refused: (error) => serialize(RpcResponse.failure(error, null)),
    one: serializeOne,
    batch: serializeBatch,
  }

  const asValues: Level<RpcResponse.RpcResponse | ReadonlyArray<RpcResponse.RpcResponse>> = {
    refused: (error) => serializable(RpcResponse.failure(error, null)),
    one: (item) => (item === undefined ? undefined : serializable(item)),
    batch: collect,
  }

  // One parsed message, whatever the level: refused whole, or run as a batch or a single call.
  const answer = <R>(u: unknown, base: B | undefined, level: Level<R>, given?: AbortSignalLike): Awaitable<R | undefined> => {
    const refused = refusal(u)
    if (refused !== undefined) return level.refused(refused)
    if (Array.isArray(u)) {
      const items = runBatch(u, base as B, given)
      return isPromise(items) ? items.then(level.batch) : level.batch(items)
    }
    const item = runOne(u, base as B, given)
    return isPromise(item) ? item.then(level.one) : level.one(item)
  }

  const fromText = <R>(input: string, base: B | undefined, level: Level<R>): Awaitable<R | undefined> => {
    let u: unknown
    try {
      u = deserialize(input)
    } catch {
      return level.refused(PARSE_ERROR_ERROR)
    }
    return answer(u, base, level)
  }

  const dispatch = (input: string, base?: B): Awaitable<string | undefined> => fromText(input, base, asText)

  const dispatchValue = (u: unknown, base?: B): Awaitable<string | undefined> => answer(u, base, asText)

  const dispatchCancellable = (u: unknown, signal: AbortSignalLike, base?: B): Awaitable<string | undefined> => answer(u, base, asText, signal)

  const dispatchBytes = (input: Uint8Array, base?: B): Awaitable<string | undefined> => {
    const text = decodeUtf8(input)
    return text === undefined ? asText.refused(PARSE_ERROR_ERROR) : fromText(text, base, asText)
  }

  const dispatchToSerializable = (input: string, base?: B): Awaitable<Reply<RpcResponse.RpcResponse>> => fromText(input, base, asValues)

  const toTagged = (reply: Reply<RpcResponse.RpcResponse>): Reply<Either<RpcResponse.Failure, RpcResponse.Success>> =>
    reply === undefined
      ? undefined
      : isBatch(reply)
        ? reply.map((r) => RpcResponse.toEither(r))
        : RpcResponse.toEither(reply)

  const dispatchToResponse = (input: string, base?: B): Awaitable<Reply<Either<RpcResponse.Failure, RpcResponse.Success>>> => {
    const reply = dispatchToSerializable(input, base)
    return isPromise(reply) ? reply.then(toTagged) : toTagged(reply)
  }

  return {
    dispatch,
    dispatchValue,
    dispatchCancellable,
    dispatchBytes,
    dispatchTask: (input, base?) => () => Promise.resolve(dispatch(input, base as B)),
    dispatchToResponse,
    dispatchToSerializable,
  } as Dispatcher<B>
}

const isBatch = <R>(reply: R | ReadonlyArray<R>): reply is ReadonlyArray<R> => Array.isArray(reply)
