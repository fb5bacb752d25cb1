/**
 * The call, and the classifier of what a handler gives: a value, an `Either`, a Promise of either, a
 * `TaskEither`, a throw (of `RpcError.raise` or anything else). Each becomes the call's one answer: a
 * success, the handler's error, or Internal error for a defect (reported through `onDefect`, never
 * on the wire). Synchronous answers stay synchronous: only a handler that gave a Promise makes one.
 *
 * @internal
 */
import type { Either } from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import * as Handler from '../../Handler.js'
import type { Id } from '../../Id.js'
import type { Given } from '../../Dispatch.js'
import * as RpcError from '../../RpcError.js'
import type * as RpcRequest from '../../RpcRequest.js'
import * as RpcResponse from '../../RpcResponse.js'
import type { Call, Item } from './Call.js'
import { INTERNAL_ERROR } from './Errors.js'

/** A value now, or a Promise of it. */
type Awaitable<A> = A | Promise<A>

/** Where a defect is reported (the `onDefect` option, made safe). */
export type OnDefect = (cause: unknown, request: RpcRequest.RpcRequest | undefined) => void

/** What the call needs: the context maker, the defect report, and the deadline of an asynchronous call. */
export interface CallOptions<C, B> {
  readonly context: ((request: RpcRequest.RpcRequest, base: B) => C) | undefined
  readonly onDefect: OnDefect
  /** Bounds an asynchronous answer in time (see Timeout); the identity when there is no timeout. */
  readonly withDeadline: (work: Promise<Item>, call: Call<C>) => Promise<Item>
}

/** The answer to a defect: reported, then Internal error (nothing for a notification). */
export const defect = <C>(onDefect: OnDefect, cause: unknown, call: Call<C>): Item => {
  onDefect(cause, call.request)
  return call.id === undefined ? undefined : RpcResponse.failure(INTERNAL_ERROR, call.id)
}

/**
 * The handler's success: its value through the result codec's `encode`; `undefined` becomes `null`,
 * a function or a symbol (which JSON cannot carry) a defect.
 */
export const succeed = <C>(onDefect: OnDefect, value: unknown, call: Call<C>): Item =>
  call.id === undefined ? undefined : respond(onDefect, value, call, call.id)

// The success of a call with an id (kept apart from `succeed`, so that a notification's path stays
// small enough for V8 to inline whole).
const respond = <C>(onDefect: OnDefect, value: unknown, call: Call<C>, id: Id): Item => {
  let result: unknown
  try {
    result = call.entry.encodeResult === undefined ? value : call.entry.encodeResult(value)
  } catch (e) {
    return defect(onDefect, e, call)
  }
  if (result === undefined) result = null
  else if (typeof result === 'function' || typeof result === 'symbol') {
    return defect(onDefect, new TypeError(`${call.request.method} answered a ${typeof result}, which JSON cannot carry`), call)
  }
  return RpcResponse.success(result, id)
}

/**
 * The handler's error: through the method's error codec when it has one, and then it must be an
 * error object; only the members the specification defines travel.
 */
export const fail = <C>(onDefect: OnDefect, error: unknown, call: Call<C>): Item => {
  const codec = call.entry.error as t.Any | undefined
  let wire: unknown = error
  if (codec !== undefined && codec.is(error)) {
    try {
      wire = codec.encode(error)
    } catch (e) {
      return defect(onDefect, e, call)
    }
  }
  if (!RpcError.isRpcError(wire)) return defect(onDefect, new TypeError(`${call.request.method} answered Left with a value that is not an error object`), call)
  if (call.id === undefined) return undefined
  return RpcResponse.failure(RpcError.make(wire.code, wire.message, wire.data), call.id)
}

// What an `Either` answers.
const fromKnownEither = <C>(onDefect: OnDefect, e: Either<unknown, unknown>, call: Call<C>): Item =>
  e._tag === 'Right' ? succeed(onDefect, e.right, call) : fail(onDefect, e.left, call)

/** What an `Either` (or what should be one: a `TaskEither`'s answer) answers. */
export const fromEither = <C>(onDefect: OnDefect, e: unknown, call: Call<C>): Item =>
  Handler.isEither(e)
    ? fromKnownEither(onDefect, e, call)
    : defect(onDefect, new TypeError(`${call.request.method}: a TaskEither resolved to a value that is not an Either`), call)

/** What a throw (or a rejection) answers: the error of `RpcError.raise`, a defect otherwise. */
export const fromThrown = <C>(onDefect: OnDefect, e: unknown, call: Call<C>): Item =>
  RpcError.isException(e) ? fail(onDefect, e.error, call) : defect(onDefect, e, call)

/**
 * Classifies what a handler gave: a `TaskEither` is started, a Promise is awaited (within the
 * deadline), an `Either` is read, anything else is the result. The first two are functions of their
 * own, so that the synchronous path stays small enough for V8 to inline whole.
 */
export const classify = <C, B>(options: CallOptions<C, B>, out: unknown, call: Call<C>): Awaitable<Item> => {
  if (typeof out === 'function') return startTask(options, out as () => unknown, call)
  if (Handler.isThenable(out)) return awaitAnswer(options, out, call)
  return Handler.isEither(out) ? fromKnownEither(options.onDefect, out, call) : succeed(options.onDefect, out, call)
}

// A `TaskEither` (or any function): started, and its answer read as an `Either`.
const startTask = <C, B>(options: CallOptions<C, B>, task: () => unknown, call: Call<C>): Awaitable<Item> => {
  const { onDefect } = options
  let started: unknown
  try {
    started = task()
  } catch (e) {
    return fromThrown(onDefect, e, call)
  }
  return Handler.isThenable(started)
    ? options.withDeadline(
        Promise.resolve(started).then(
          (e) => fromEither(onDefect, e, call),
          (e) => fromThrown(onDefect, e, call),
        ),
        call,
      )
    : fromEither(onDefect, started, call)
}

// A Promise (or any thenable): awaited within the deadline; an `Either` it gives is read as one.
const awaitAnswer = <C, B>(options: CallOptions<C, B>, answer: PromiseLike<unknown>, call: Call<C>): Promise<Item> => {
  const { onDefect } = options
  return options.withDeadline(
    Promise.resolve(answer).then(
      (a) => (Handler.isEither(a) ? fromKnownEither(onDefect, a, call) : succeed(onDefect, a, call)),
      (e) => fromThrown(onDefect, e, call),
    ),
    call,
  )
}

/**
 * Makes the call step: keeps what the transport gave (its signal, its endpoint), if anything, runs the handler with the call's context and classifies its answer. A throw
 * of the context maker or of the handler is classified as a throw.
 */
export const invoker = <C, B>(options: CallOptions<C, B>): ((call: Call<C>, base: B, given: Given | undefined) => Awaitable<Item>) => {
  const { context, onDefect } = options
  return (call, base, given) => {
    if (given !== undefined) call.given = given
    let out: unknown
    try {
      // The base value is the context, or the context is made from it for each call.
      out = call.entry.handler(call.params, context === undefined ? (base as unknown as C) : context(call.request, base), call.request, call)
    } catch (e) {
      return fromThrown(onDefect, e, call)
    }
    return classify(options, out, call)
  }
}
