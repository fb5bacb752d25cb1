/**
 * The steps of the pipeline before the call, as `Either`s joined by {@link chain}:
 *
 * ```
 * validate the request -> look up the method -> validate params
 *   (Invalid Request)     (Method not found)    (Invalid params)
 * ```
 *
 * Each step is made once, when the dispatcher is made, from what it needs; then it is a plain
 * function of the value before it.
 *
 * @internal
 */
import type { Either } from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import type { Id } from '../../Id.js'
import type * as Params from '../../Params.js'
import * as RpcError from '../../RpcError.js'
import * as RpcRequest from '../../RpcRequest.js'
import * as RpcResponse from '../../RpcResponse.js'
import { hasOwn } from '../object.js'
import { Call, type Compiled, type Rejection } from './Call.js'
import { type Limits, paramsRefusal } from './Limits.js'
import { INTERNAL_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND } from './Errors.js'

/** `Either.right`, without fp-ts's module indirection. */
export const right = <A>(a: A): Either<never, A> => ({ _tag: 'Right', right: a })

/** `Either.left`, without fp-ts's module indirection. */
export const left = <E>(e: E): Either<E, never> => ({ _tag: 'Left', left: e })

/**
 * `Either.chain`, curried once when the pipeline is built and then called with no overhead: the same
 * function as fp-ts's on the same values, without the `dual()` dispatch that costs fp-ts's 0.2-0.8 us
 * on every call (measured in bench/), which is more than the rest of a request.
 */
export const chain =
  <E, A, B>(f: (a: A) => Either<E, B>) =>
  (ma: Either<E, A>): Either<E, B> =>
    ma._tag === 'Left' ? ma : f(ma.right)

/**
 * `flow` of three steps: `flow(ab, bc, cd)(a)` is `cd(bc(ab(a)))`, as fp-ts's `flow` gives it. The
 * dispatcher states its pipeline with this rather than fp-ts's `pipe`, whose one function with a
 * 20-way switch is 280 bytes of bytecode: V8 inlines at most 920 bytes into one optimized function,
 * and a third of that went to the switch, which left the steps themselves out (each step's result
 * then had to be allocated).
 */
export const flow =
  <A, B, C, D>(ab: (a: A) => B, bc: (b: B) => C, cd: (c: C) => D) =>
  (a: A): D =>
    cd(bc(ab(a)))

// A step's refusal: the error, and the id to answer it with. A function of its own, so that the steps
// that refuse stay small enough for V8 to inline into their caller.
const rejection = (id: Id | undefined, error: RpcError.RpcError): Either<Rejection, never> => left({ id, error })

// Most invalid requests have no valid id, so their rejection is always this one value.
const INVALID_REQUEST_NULL_ID: Either<Rejection, never> = left({ id: null, error: INVALID_REQUEST })

const invalidRequest = (u: unknown): Either<Rejection, never> => {
  const id = RpcRequest.detectId(u)
  return id === null ? INVALID_REQUEST_NULL_ID : left({ id, error: INVALID_REQUEST })
}

/**
 * Checks the envelope: {@link RpcRequest.isRpcRequest}, or `validator` when one is given. A message
 * that fails is answered Invalid Request, with its id when it has a valid one.
 */
export const validateRequest = (
  validator: t.Decoder<unknown, RpcRequest.RpcRequest> | undefined,
): ((u: unknown) => Either<Rejection, RpcRequest.RpcRequest>) =>
  validator === undefined
    ? (u) => (RpcRequest.isRpcRequest(u) ? right(u) : invalidRequest(u))
    : (u) => {
        const decoded = validator.decode(u)
        return decoded._tag === 'Right' ? decoded : invalidRequest(u)
      }

/**
 * Finds the method by its own name in `methods`; Method not found otherwise. What it finds is the
 * call, made here (its params still undecoded), which is its own `Right` (see {@link Call}): one
 * object on its way through, not two.
 */
export const lookupMethod =
  <C>(methods: ReadonlyMap<string, Compiled<C>>) =>
  (request: RpcRequest.RpcRequest): Either<Rejection, Call<C>> => {
    const id = 'id' in request && hasOwn(request, 'id') ? request.id : undefined
    const entry = methods.get(request.method)
    return entry === undefined ? rejection(id, METHOD_NOT_FOUND) : new Call(request, id, entry, undefined)
  }

/**
 * Decodes the params with the method's decoder, after refusing params deeper than the limit or
 * holding a member named `__proto__` (so the codec never meets them: see `Limits.paramsRefusal`).
 * Either failure answers Invalid params; `report` renders the codec's issues.
 */
export const validateParams =
  (limits: Limits, report: (issues: ReadonlyArray<Params.ParamIssue>) => unknown) =>
  <C>(call: Call<C>): Either<Rejection, Call<C>> => {
    const params = call.request.params
    const refused = paramsRefusal(params, limits)
    if (refused !== undefined) return rejection(call.id, refused)
    const decoded = call.entry.decodeParams(params)
    if (decoded._tag === 'Left') return invalidParams(call, report, decoded.left)
    call.params = decoded.right
    return call
  }

// The codec's issues, rendered by `report`, as Invalid params.
const invalidParams = <C>(
  call: Call<C>,
  report: (issues: ReadonlyArray<Params.ParamIssue>) => unknown,
  issues: ReadonlyArray<Params.ParamIssue>,
): Either<Rejection, never> => rejection(call.id, RpcError.invalidParams(report(issues)))

/**
 * The steps before the call, made total: only user code can throw there (a custom validator, a
 * params codec, the params reporter), and what it throws is reported and answered Internal error
 * (nothing for a notification).
 */
export const guarded =
  <A>(
    prepare: (u: unknown) => Either<Rejection, A>,
    onDefect: (cause: unknown, request: RpcRequest.RpcRequest | undefined) => void,
  ): ((u: unknown) => Either<Rejection, A>) =>
  (u) => {
    try {
      return prepare(u)
    } catch (e) {
      return defect(e, u, onDefect)
    }
  }

// What a throw before the call answers: reported, then Internal error (nothing for a notification).
const defect = (e: unknown, u: unknown, onDefect: (cause: unknown, request: RpcRequest.RpcRequest | undefined) => void): Either<Rejection, never> => {
  const request = RpcRequest.isRpcRequest(u) ? u : undefined
  onDefect(e, request)
  return left({ id: request !== undefined && RpcRequest.isNotification(request) ? undefined : RpcRequest.detectId(u), error: INTERNAL_ERROR })
}

/** The answer to a rejection: its error, or nothing for a notification. */
export const reject = (rejection: Rejection): RpcResponse.RpcResponse | undefined =>
  rejection.id === undefined ? undefined : RpcResponse.failure(rejection.error, rejection.id)
