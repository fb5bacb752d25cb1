/**
 * The JSON-RPC 2.0 error object: its model, the standard codes, constructors, codecs, and the one
 * throwable that imperative handler code may use to answer with a chosen error.
 *
 * The model is the wire shape itself (`{ code, message, data? }`), so an error travels to the peer
 * without conversion. Nothing here ever carries the text of an unknown exception: the dispatcher
 * turns those into {@link internalError} and hands the real cause to a hook.
 *
 * @since 0.1.0
 */
import * as t from 'io-ts'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A JSON-RPC error object. `code` is an integer, `message` a short description, `data` optional.
 *
 * @category model
 * @since 0.1.0
 */
export interface RpcError<D = unknown> {
  readonly code: number
  readonly message: string
  readonly data?: D
}

/**
 * The codes the specification defines. `-32099..-32000` is reserved for implementation-defined
 * server errors; codes outside `-32768..-32000` are free for applications.
 *
 * @category model
 * @since 0.1.0
 */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ServerErrorMin: -32099,
  ServerErrorMax: -32000,
  /**
   * This library's own server errors, in the implementation-defined range. Chosen clear of the codes
   * the Language Server Protocol and vscode-jsonrpc give meanings in that range (`-32001`
   * UnknownErrorCode, `-32002` ServerNotInitialized, `-32099..-32096`), so an LSP client reads them
   * as plain server errors. Each can be replaced: see `Dispatch.Options.timeoutError` and
   * `Peer.Options.busyError`.
   */
  Timeout: -32003,
  ServerBusy: -32004,
  /**
   * A request the caller gave up with `$/cancelRequest` (see `Peer`). The Language Server Protocol's
   * `RequestCancelled`, which vscode-jsonrpc and LSP clients read as a cancellation.
   */
  RequestCancelled: -32800,
} as const

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Makes an error object; `data` is left out when `undefined`, so the wire has no `"data"` member.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <D = never>(code: number, message: string, data?: D): RpcError<D> => (data === undefined ? { code, message } : { code, message, data })

/**
 * `-32700 Parse error`: the message is not JSON.
 *
 * @category constructors
 * @since 0.1.0
 */
export const parseError = (): RpcError<never> => ({ code: ErrorCode.ParseError, message: 'Parse error' })

/**
 * `-32600 Invalid Request`: the JSON is not a request object.
 *
 * @category constructors
 * @since 0.1.0
 */
export const invalidRequest = (): RpcError<never> => ({ code: ErrorCode.InvalidRequest, message: 'Invalid Request' })

/**
 * `-32601 Method not found`: no method of that name.
 *
 * @category constructors
 * @since 0.1.0
 */
export const methodNotFound = (): RpcError<never> => ({ code: ErrorCode.MethodNotFound, message: 'Method not found' })

/**
 * `-32602 Invalid params`, with what failed as `data` when given.
 *
 * @category constructors
 * @since 0.1.0
 */
export const invalidParams = <D = never>(data?: D): RpcError<D> => make(ErrorCode.InvalidParams, 'Invalid params', data)

/**
 * `-32603 Internal error`. Deliberately takes no cause: what went wrong stays on the server.
 *
 * @category constructors
 * @since 0.1.0
 */
export const internalError = (): RpcError<never> => ({ code: ErrorCode.InternalError, message: 'Internal error' })

/**
 * `-32003 Request timed out`: the handler did not answer within the dispatcher's `timeoutMs`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const timeout = (): RpcError<never> => ({ code: ErrorCode.Timeout, message: 'Request timed out' })

/**
 * `-32004 Server busy`: the connection has as many calls running and queued as it takes (only with
 * `Peer`'s `overload: 'refuse'`; by default a busy connection stops reading instead).
 *
 * @category constructors
 * @since 0.1.0
 */
export const serverBusy = (): RpcError<never> => ({ code: ErrorCode.ServerBusy, message: 'Server busy' })

/**
 * `-32800 Request cancelled`: the caller cancelled the request with `$/cancelRequest` (see `Peer`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const requestCancelled = (): RpcError<never> => ({ code: ErrorCode.RequestCancelled, message: 'Request cancelled' })

/**
 * An implementation-defined server error. Throws a `RangeError` when `code` is outside
 * `-32099..-32000` (a programming mistake, caught where the error is first built).
 *
 * @category constructors
 * @since 0.1.0
 */
export const serverError = <D = never>(code: number, message: string, data?: D): RpcError<D> => {
  if (!Number.isInteger(code) || code < ErrorCode.ServerErrorMin || code > ErrorCode.ServerErrorMax) {
    throw new RangeError(`server error codes are -32099..-32000, got ${code}`)
  }
  return make(code, message, data)
}

// -------------------------------------------------------------------------------------
// refinements
// -------------------------------------------------------------------------------------

/**
 * Whether `u` has the shape of an error object: an integer `code` and a string `message`.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isRpcError = (u: unknown): u is RpcError =>
  typeof u === 'object' && u !== null && Number.isInteger((u as { code?: unknown }).code) && typeof (u as { message?: unknown }).message === 'string'

/**
 * Whether `code` is one the specification reserves (`-32768..-32000`).
 *
 * @category refinements
 * @since 0.1.0
 */
export const isReserved = (code: number): boolean => code >= -32768 && code <= -32000

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * Codec of the error object. Decoding keeps only `code`, `message` and `data`.
 *
 * @category codecs
 * @since 0.1.0
 */
export const codec: t.Type<RpcError, RpcError, unknown> = new t.Type<RpcError, RpcError, unknown>(
  'RpcError',
  isRpcError,
  (u, c) => (isRpcError(u) ? t.success(make(u.code, u.message, u.data)) : t.failure(u, c, 'expected a JSON-RPC error object')),
  t.identity,
)

/**
 * An application error with a fixed code and typed `data`, as a contract's `error` codec declares
 * it. Handlers return it in a `Left`; clients decode it back with the same codec.
 *
 * @example
 * import * as t from 'io-ts'
 * import { RpcError } from 'fp-jsonrpc'
 *
 * const InsufficientFunds = RpcError.typed(1001, t.type({ balance: t.number }))
 * // InsufficientFunds.is({ code: 1001, message: 'Insufficient funds', data: { balance: 3 } }) === true
 *
 * @category codecs
 * @since 0.1.0
 */
export const typed = <C extends number, D, O>(
  code: C,
  data: t.Type<D, O, unknown>,
  name = `RpcError<${code}>`,
): t.TypeC<{ code: t.LiteralC<C>; message: t.StringC; data: t.Type<D, O, unknown> }> => t.type({ code: t.literal(code), message: t.string, data }, name)

// -------------------------------------------------------------------------------------
// throwing, for imperative code
// -------------------------------------------------------------------------------------

const brand: unique symbol = Symbol.for('fp-jsonrpc/RpcErrorException') as never

/**
 * What {@link raise} throws. A class because `throw` is the boundary: an `Error` gives the server's
 * logs a stack trace. The dispatcher answers with `error` as it is; any other thrown value becomes
 * `Internal error`.
 *
 * @category interop
 * @since 0.1.0
 */
export class RpcErrorException extends Error {
  readonly [brand] = true
  constructor(readonly error: RpcError) {
    super(error.message)
    this.name = 'RpcErrorException'
  }
}

/**
 * Whether `u` was thrown by {@link raise} (also across two copies of this package).
 *
 * @category refinements
 * @since 0.1.0
 */
export const isException = (u: unknown): u is RpcErrorException =>
  u instanceof RpcErrorException || (typeof u === 'object' && u !== null && (u as { [brand]?: unknown })[brand] === true)

/**
 * Throws `error` so that the dispatcher answers with it, as jsonrpcserver's `JsonRpcError` does.
 * Prefer returning `Left(error)`; this is for code that cannot.
 *
 * @example
 * import { RpcError } from 'fp-jsonrpc'
 *
 * const divide = ({ a, b }: { a: number; b: number }) =>
 *   b === 0 ? RpcError.raise(RpcError.make(1, 'Division by zero')) : a / b
 *
 * @category interop
 * @since 0.1.0
 */
export const raise = (error: RpcError): never => {
  throw new RpcErrorException(error)
}
