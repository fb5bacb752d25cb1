/**
 * The dispatcher's model of one call on its way through the pipeline: a compiled method, a
 * rejection before the call, and the call itself (made once its method is found; it is also the
 * handler's `control`).
 *
 * @internal
 */
import type { Right } from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import type * as Handler from '../../Handler.js'
import type { Given } from '../../Dispatch.js'
import type { Id } from '../../Id.js'
import type { AnyMethod } from '../../Method.js'
import * as Params from '../../Params.js'
import type * as RpcError from '../../RpcError.js'
import type * as RpcRequest from '../../RpcRequest.js'
import type * as RpcResponse from '../../RpcResponse.js'

/** What one message or batch element is answered with: a response, or nothing (a notification). */
export type Item = RpcResponse.RpcResponse | undefined

/**
 * A step that failed before the call: the error to answer, and the id to answer it with (`undefined`
 * for a notification, which is answered with nothing).
 */
export interface Rejection {
  readonly id: Id | undefined
  readonly error: RpcError.RpcError
}

/** A method as the dispatcher runs it: its codecs prepared once, when the dispatcher is made. */
export interface Compiled<C> {
  readonly method: AnyMethod
  readonly handler: Handler.AnyHandler<C>
  readonly decodeParams: Params.Decoder
  readonly encodeResult: ((a: unknown) => unknown) | undefined
  readonly error: AnyMethod['error']
}

/** Prepares a method: its params decoder, and its result encoder unless that is the identity. */
export const compile = <C>(method: AnyMethod, handler: Handler.AnyHandler<C>): Compiled<C> => ({
  method,
  handler,
  decodeParams: Params.decoder(method),
  encodeResult: method.result.encode === t.identity ? undefined : (a: unknown): unknown => method.result.encode(a),
  error: method.error,
})

/**
 * A call on its way to its handler, and the handler's `control`: the signal is made on first read,
 * since an AbortController costs microseconds and most handlers never look at it.
 *
 * A call is also the `Right` that holds it (`right` is the call itself), so that the steps after
 * the method is found pass it on as their `Either` without wrapping it again: two objects fewer on
 * every call, measured at 6-7% of a notification's cost in bench/ (the dispatcher's steps are too
 * many to inline, so V8 cannot elide those wrappers itself).
 */
export class Call<C> implements Handler.Control, Right<Call<C>> {
  // Declared, and assigned in the constructor: a parameter property or a field with an initializer
  // compiles (target ES2022) to a class-field definition, which costs more per call than a plain
  // assignment.
  declare readonly request: RpcRequest.RpcRequest
  declare readonly id: Id | undefined
  declare readonly entry: Compiled<C>
  /** The decoded params: set by the params step, once (see Steps.validateParams). */
  declare params: unknown
  declare controller: AbortController | undefined
  /**
   * What the transport gave with the message (see `Dispatch.Given`): its signal, which the handler's
   * follows, and where the message was received.
   */
  declare given: Given | undefined
  declare readonly _tag: 'Right'
  declare readonly right: Call<C>
  constructor(request: RpcRequest.RpcRequest, id: Id | undefined, entry: Compiled<C>, params: unknown) {
    this.request = request
    this.id = id
    this.entry = entry
    this.params = params
    this.controller = undefined
    this.given = undefined
    this._tag = 'Right'
    this.right = this
  }
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController()
      this.controller = controller
      const given = this.given?.signal
      if (given !== undefined) {
        if (given.aborted) controller.abort(given.reason)
        else given.addEventListener('abort', () => controller.abort(given.reason), { once: true })
      }
    }
    return this.controller.signal
  }
  get endpoint(): Handler.Endpoint | undefined {
    return this.given?.endpoint
  }
  get headers(): Handler.RequestHeaders | undefined {
    return this.given?.headers
  }
}
