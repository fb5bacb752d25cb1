/**
 * Response objects: success and failure, their codecs, and a way to take them apart.
 *
 * The model is the wire shape, told apart by which member is present (`result` or `error`) rather
 * than by a `_tag`: a response is written to the peer as it is, with no conversion on the hot path.
 * {@link match} and {@link toEither} give the tagged view where code wants one.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import * as Id from './Id.js'
import * as RpcError from './RpcError.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A success response: the `result` of the request with the same `id`.
 *
 * @category model
 * @since 0.1.0
 */
export interface Success<A = unknown> {
  readonly jsonrpc: '2.0'
  readonly result: A
  readonly id: Id.Id
}

/**
 * A failure response: the `error` for the request with the same `id`, or `null` when the request
 * could not be read.
 *
 * @category model
 * @since 0.1.0
 */
export interface Failure<E = RpcError.RpcError> {
  readonly jsonrpc: '2.0'
  readonly error: E
  readonly id: Id.Id
}

/**
 * A success or a failure, told apart by which member it has (`result` or `error`).
 *
 * @category model
 * @since 0.1.0
 */
export type RpcResponse<A = unknown, E = RpcError.RpcError> = Success<A> | Failure<E>

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A success response: `result` for the request `id`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const success = <A>(result: A, id: Id.Id): Success<A> => ({ jsonrpc: '2.0', result, id })

/**
 * A failure response: `error` for the request `id` (`null` when the request could not be read).
 *
 * @category constructors
 * @since 0.1.0
 */
export const failure = <E = RpcError.RpcError>(error: E, id: Id.Id): Failure<E> => ({ jsonrpc: '2.0', error, id })

// -------------------------------------------------------------------------------------
// refinements
// -------------------------------------------------------------------------------------

/**
 * Whether the response has a `result` member.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isSuccess = <A, E>(r: RpcResponse<A, E>): r is Success<A> => Object.hasOwn(r, 'result')

/**
 * Whether the response has no `result` member, so an `error` one.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isFailure = <A, E>(r: RpcResponse<A, E>): r is Failure<E> => !Object.hasOwn(r, 'result')

/**
 * Checks that `u` is a well-formed response: `"jsonrpc": "2.0"`, a valid id, and exactly one of
 * `result` and `error`, the latter a well-formed error object. `Left` says which rule it breaks.
 *
 * @category refinements
 * @since 0.1.0
 */
export const validate = (u: unknown): E.Either<string, RpcResponse> => {
  const problem = problemOf(u)
  return problem === undefined ? E.right(u as RpcResponse) : E.left(problem)
}

// Which rule `u` breaks, or `undefined` for a well-formed response: the rules of `validate`, once,
// for it and for `isRpcResponse` (which allocates nothing, on the client's path of every answer).
const problemOf = (u: unknown): string | undefined => {
  if (typeof u !== 'object' || u === null || Array.isArray(u))
    return `expected a response object, got ${u === null ? 'null' : Array.isArray(u) ? 'an array' : typeof u}`
  const r = u as { jsonrpc?: unknown; id?: unknown; error?: unknown }
  if (r.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"'
  if (!Object.hasOwn(r, 'id')) return 'has no id'
  if (!Id.isId(r.id)) return 'the id must be a string, a safe-integer-range number or null'
  const hasResult = Object.hasOwn(r, 'result')
  const hasError = Object.hasOwn(r, 'error')
  if (hasResult && hasError) return 'has both result and error'
  if (!hasResult && !hasError) return 'has neither result nor error'
  if (hasError && !RpcError.isRpcError(r.error)) return 'the error must be an object with an integer code and a string message'
  return undefined
}

/**
 * Whether `u` is a well-formed response (see {@link validate}).
 *
 * @category refinements
 * @since 0.1.0
 */
export const isRpcResponse = (u: unknown): u is RpcResponse => problemOf(u) === undefined

// -------------------------------------------------------------------------------------
// destructors
// -------------------------------------------------------------------------------------

/**
 * Takes a response apart: `onSuccess` for a success, `onFailure` for a failure.
 *
 * @category destructors
 * @since 0.1.0
 */
export const match =
  <A, E, B, C = B>(onFailure: (f: Failure<E>) => B, onSuccess: (s: Success<A>) => C) =>
  (r: RpcResponse<A, E>): B | C =>
    isSuccess(r) ? onSuccess(r) : onFailure(r)

/**
 * The tagged view: `Right` for a success, `Left` for a failure.
 *
 * @category destructors
 * @since 0.1.0
 */
export const toEither = <A, E>(r: RpcResponse<A, E>): E.Either<Failure<E>, Success<A>> => (isSuccess(r) ? E.right(r) : E.left(r))

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * Codec of a response object (see {@link isRpcResponse}).
 *
 * @category codecs
 * @since 0.1.0
 */
export const codec: t.Type<RpcResponse, RpcResponse, unknown> = new t.Type<RpcResponse, RpcResponse, unknown>(
  'RpcResponse',
  isRpcResponse,
  (u, c) => {
    const checked = validate(u)
    return checked._tag === 'Right' ? t.success(checked.right) : t.failure(u, c, checked.left)
  },
  t.identity,
)

/**
 * Codec of a success response whose `result` is decoded with `result`.
 *
 * @category codecs
 * @since 0.1.0
 */
export const successCodec = <A, O>(result: t.Type<A, O, unknown>): t.Type<Success<A>, Success<O>, unknown> =>
  t.type({ jsonrpc: t.literal('2.0'), result, id: Id.codec }, `Success<${result.name}>`)

/**
 * Codec of a failure response whose `error` is decoded with `error` ({@link RpcError.codec} by
 * default).
 *
 * @category codecs
 * @since 0.1.0
 */
export const failureCodec = <E, O>(error: t.Type<E, O, unknown>): t.Type<Failure<E>, Failure<O>, unknown> =>
  t.type({ jsonrpc: t.literal('2.0'), error, id: Id.codec }, `Failure<${error.name}>`)

/**
 * Codec of a batch response: a non-empty array of responses.
 *
 * @category codecs
 * @since 0.1.0
 */
export const batchCodec: t.Type<ReadonlyArray<RpcResponse>, ReadonlyArray<RpcResponse>, unknown> = new t.Type<
  ReadonlyArray<RpcResponse>,
  ReadonlyArray<RpcResponse>,
  unknown
>(
  'RpcResponseBatch',
  (u): u is ReadonlyArray<RpcResponse> => Array.isArray(u) && u.length > 0 && u.every(isRpcResponse),
  (u, c) => (Array.isArray(u) && u.length > 0 && u.every(isRpcResponse) ? t.success(u) : t.failure(u, c, 'expected a non-empty array of response objects')),
  t.identity,
)
