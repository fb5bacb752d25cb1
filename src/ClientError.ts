/**
 * Everything that can go wrong with a call, as seen by the client: one tagged union, so a caller
 * tells the cases apart with `_tag` (or {@link match}) and never with `instanceof` or message text.
 *
 * Two type parameters: `E`, the application errors the contract declares (decoded with its `error`
 * codec), and `TErr`, the transport's own error. The cases fall in three groups:
 *
 * - the message did not get through: {@link TransportError}, {@link EncodeError};
 * - an answer came but does not answer the call: {@link InvalidResponse}, {@link MissingResponse},
 *   {@link DuplicateResponse};
 * - the call was answered: with an error ({@link ApplicationError} when the contract declares it,
 *   {@link RpcError} otherwise) or with a result the contract's codec rejects ({@link ResultDecodeError}).
 *
 * Turning an error into text is a separate step ({@link format}), as io-ts keeps its reporters apart.
 *
 * @since 0.1.0
 */
import type { Id } from './Id.js'
import type { RpcError as ErrorObject } from './RpcError.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The transport failed; `error` is what it gave, unchanged.
 *
 * @category model
 * @since 0.1.0
 */
export interface TransportError<TErr = unknown> {
  readonly _tag: 'TransportError'
  readonly error: TErr
}

/**
 * The request could not be written (a params codec that throws, a value `JSON.stringify` refuses
 * such as a `BigInt`); nothing was sent for this call.
 *
 * @category model
 * @since 0.1.0
 */
export interface EncodeError {
  readonly _tag: 'EncodeError'
  readonly method: string
  readonly cause: unknown
}

/**
 * The answer is not a JSON-RPC 2.0 response: not JSON, not an object, a wrong `jsonrpc`, both or
 * neither of `result` and `error`, a malformed error object or id. `body` is the offending text, cut
 * to {@link maxBodyLength} characters.
 *
 * @category model
 * @since 0.1.0
 */
export interface InvalidResponse {
  readonly _tag: 'InvalidResponse'
  readonly reason: string
  readonly body: string
}

/**
 * No response carries the call's id. `unmatched` holds what the peer sent that answered no call
 * (responses with other ids or id `null`, unreadable elements), which usually tells why.
 *
 * @category model
 * @since 0.1.0
 */
export interface MissingResponse {
  readonly _tag: 'MissingResponse'
  readonly id: Id
  readonly unmatched: ReadonlyArray<unknown>
}

/**
 * More than one response carries the call's id, so none of them can be trusted to be its answer.
 *
 * @category model
 * @since 0.1.0
 */
export interface DuplicateResponse {
  readonly _tag: 'DuplicateResponse'
  readonly id: Id
  readonly responses: ReadonlyArray<unknown>
}

/**
 * The server answered with an error object the contract does not declare: a standard error
 * (`-32601 Method not found`, `-32602 Invalid params`, ...) or one the contract's `error` codec
 * does not decode.
 *
 * @category model
 * @since 0.1.0
 */
export interface RpcError {
  readonly _tag: 'RpcError'
  readonly error: ErrorObject
}

/**
 * The server answered with an error the contract declares, decoded with its `error` codec.
 *
 * @category model
 * @since 0.1.0
 */
export interface ApplicationError<E> {
  readonly _tag: 'ApplicationError'
  readonly error: E
}

/**
 * The server answered with a result the contract's `result` codec rejects. `issues` are readable
 * lines such as `result.total: expected number, got "3"`.
 *
 * @category model
 * @since 0.1.0
 */
export interface ResultDecodeError {
  readonly _tag: 'ResultDecodeError'
  readonly result: unknown
  readonly issues: ReadonlyArray<string>
}

/**
 * Why a call has no result: one tagged union of every case above, `E` being the contract's
 * application error and `TErr` the transport's.
 *
 * @category model
 * @since 0.1.0
 */
export type ClientError<E = never, TErr = unknown> =
  TransportError<TErr> | EncodeError | InvalidResponse | MissingResponse | DuplicateResponse | RpcError | ApplicationError<E> | ResultDecodeError

/**
 * How many characters of an offending body {@link InvalidResponse} keeps.
 *
 * @category constants
 * @since 0.1.0
 */
export const maxBodyLength = 200

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The transport could not deliver the message or bring the answer back; `error` is the transport's
 * own.
 *
 * @category constructors
 * @since 0.1.0
 */
export const transportError = <TErr>(error: TErr): TransportError<TErr> => ({ _tag: 'TransportError', error })

/**
 * The request to `method` could not be written (a params codec that threw, a value `JSON.stringify`
 * refuses); see {@link EncodeError}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const encodeError = (method: string, cause: unknown): EncodeError => ({ _tag: 'EncodeError', method, cause })

/**
 * Keeps at most {@link maxBodyLength} characters of `body` (ending in `...` when cut), so a huge
 * or hostile answer is never held whole in an error value.
 *
 * @category constructors
 * @since 0.1.0
 */
export const invalidResponse = (reason: string, body: string): InvalidResponse => ({
  _tag: 'InvalidResponse',
  reason,
  body: body.length > maxBodyLength ? `${body.slice(0, maxBodyLength - 3)}...` : body,
})

/**
 * No response carried the call's `id`; `unmatched` holds what the peer sent that answered no call.
 *
 * @category constructors
 * @since 0.1.0
 */
export const missingResponse = (id: Id, unmatched: ReadonlyArray<unknown> = []): MissingResponse => ({
  _tag: 'MissingResponse',
  id,
  unmatched,
})

/**
 * Several responses carried the call's `id`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const duplicateResponse = (id: Id, responses: ReadonlyArray<unknown>): DuplicateResponse => ({
  _tag: 'DuplicateResponse',
  id,
  responses,
})

/**
 * The server answered with an error object the contract's `error` codec does not decode.
 *
 * @category constructors
 * @since 0.1.0
 */
export const rpcError = (error: ErrorObject): RpcError => ({ _tag: 'RpcError', error })

/**
 * The server answered with an error the contract's `error` codec decodes, as `error`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const applicationError = <E>(error: E): ApplicationError<E> => ({ _tag: 'ApplicationError', error })

/**
 * The server answered with a result the contract's `result` codec rejects; `issues` says why.
 *
 * @category constructors
 * @since 0.1.0
 */
export const resultDecodeError = (result: unknown, issues: ReadonlyArray<string>): ResultDecodeError => ({
  _tag: 'ResultDecodeError',
  result,
  issues,
})

// -------------------------------------------------------------------------------------
// destructors
// -------------------------------------------------------------------------------------

/**
 * One function per case, all required, so that a new case is a compile error where errors are
 * handled.
 *
 * @category destructors
 * @since 0.1.0
 */
export interface Cases<E, TErr, B> {
  readonly TransportError: (e: TransportError<TErr>) => B
  readonly EncodeError: (e: EncodeError) => B
  readonly InvalidResponse: (e: InvalidResponse) => B
  readonly MissingResponse: (e: MissingResponse) => B
  readonly DuplicateResponse: (e: DuplicateResponse) => B
  readonly RpcError: (e: RpcError) => B
  readonly ApplicationError: (e: ApplicationError<E>) => B
  readonly ResultDecodeError: (e: ResultDecodeError) => B
}

/**
 * Folds a client error by its case.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { ClientError } from 'fp-jsonrpc'
 *
 * const retryable = ClientError.match({
 *   TransportError: () => true,
 *   EncodeError: () => false,
 *   InvalidResponse: () => false,
 *   MissingResponse: () => true,
 *   DuplicateResponse: () => false,
 *   RpcError: (e) => e.error.code === -32603,
 *   ApplicationError: () => false,
 *   ResultDecodeError: () => false,
 * })
 * pipe(ClientError.transportError('ECONNRESET'), retryable) // true
 *
 * @category destructors
 * @since 0.1.0
 */
export const match =
  <E, TErr, B>(cases: Cases<E, TErr, B>) =>
  (e: ClientError<E, TErr>): B => {
    switch (e._tag) {
      case 'TransportError':
        return cases.TransportError(e)
      case 'EncodeError':
        return cases.EncodeError(e)
      case 'InvalidResponse':
        return cases.InvalidResponse(e)
      case 'MissingResponse':
        return cases.MissingResponse(e)
      case 'DuplicateResponse':
        return cases.DuplicateResponse(e)
      case 'RpcError':
        return cases.RpcError(e)
      case 'ApplicationError':
        return cases.ApplicationError(e)
      case 'ResultDecodeError':
        return cases.ResultDecodeError(e)
    }
  }

// -------------------------------------------------------------------------------------
// reporters
// -------------------------------------------------------------------------------------

const show = (u: unknown): string => {
  if (u instanceof Error) return u.message
  if (typeof u === 'string') return u
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return String(u)
  }
}

const showErrorObject = (u: unknown): string => {
  if (typeof u === 'object' && u !== null && 'code' in u && 'message' in u) {
    return `${String((u as { code: unknown }).code)} ${String((u as { message: unknown }).message)}`
  }
  return show(u)
}

/**
 * One line of text for logs and messages, such as `error -32601 Method not found` or
 * `invalid response (has both result and error): {"jsonrpc":"2.0",...}`.
 *
 * @category utils
 * @since 0.1.0
 */
export const format: (e: ClientError<unknown, unknown>) => string = match<unknown, unknown, string>({
  TransportError: (e) => `transport error: ${show(e.error)}`,
  EncodeError: (e) => `could not write the request to ${e.method}: ${show(e.cause)}`,
  InvalidResponse: (e) => `invalid response (${e.reason}): ${e.body}`,
  MissingResponse: (e) => `no response for id ${JSON.stringify(e.id)}`,
  DuplicateResponse: (e) => `${e.responses.length} responses for id ${JSON.stringify(e.id)}`,
  RpcError: (e) => `error ${e.error.code} ${e.error.message}`,
  ApplicationError: (e) => `application error ${showErrorObject(e.error)}`,
  ResultDecodeError: (e) => `the result does not match the contract: ${e.issues.join('; ')}`,
})
