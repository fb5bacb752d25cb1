/**
 * Middleware: a function from a handler to a handler, so it composes with `pipe` and `flow`, per
 * method (`pipe(handler, Middleware.logging(log))`) or for a whole registry (`Registry.use`).
 *
 * A middleware may change the context type: {@link authenticate} takes handlers that need an
 * authenticated context and gives handlers that take the raw one, refining it before the handler
 * runs or answering with an error instead.
 *
 * @since 0.1.0
 */
import type { Either } from 'fp-ts/lib/Either.js'
import * as Handler from './Handler.js'
import type { Id } from './Id.js'
import type * as RpcError from './RpcError.js'
import type { RpcRequest } from './RpcRequest.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Turns handlers that take context `COut` into handlers that take context `CIn`.
 *
 * @category model
 * @since 0.1.0
 */
export type Middleware<CIn, COut> = <P, A, E>(handler: Handler.Handler<P, A, E, COut>) => Handler.Handler<P, A, E, CIn>

/**
 * A middleware that leaves the context as it is, whatever its type.
 *
 * @category model
 * @since 0.1.0
 */
export type Transparent = <P, A, E, C>(handler: Handler.Handler<P, A, E, C>) => Handler.Handler<P, A, E, C>

/**
 * What {@link logging} and {@link timing} report of one call.
 *
 * @category model
 * @since 0.1.0
 */
export interface CallRecord {
  readonly method: string
  /** `undefined` for a notification. */
  readonly id: Id | undefined
  /** False when the handler answered `Left`, threw or rejected. */
  readonly ok: boolean
  readonly durationMs: number
}

const idOf = (request: RpcRequest): Id | undefined => ('id' in request ? request.id : undefined)

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Refines the context before the handler runs: `check` gives the context the handler needs, or an
 * error that is answered instead (the handler then never runs).
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { Middleware, RpcError } from 'fp-jsonrpc'
 *
 * const requireUser = Middleware.authenticate((ctx: { token?: string }) =>
 *   ctx.token === 'secret' ? E.right({ user: 'ada' }) : E.left(RpcError.make(-32001, 'Unauthorized')),
 * )
 *
 * @category constructors
 * @since 0.1.0
 */
export const authenticate =
  <CIn, COut>(check: (context: CIn, request: RpcRequest) => Either<RpcError.RpcError, COut>): Middleware<CIn, COut> =>
  (handler) =>
  (params, context, request, control) => {
    const refined = check(context, request)
    return refined._tag === 'Left' ? refined : handler(params, refined.right, request, control)
  }

/**
 * Reports the duration of every call to `report` (for metrics); the context passes through.
 *
 * @category constructors
 * @since 0.1.0
 */
export const timing =
  (report: (method: string, durationMs: number) => void, now: () => number = () => performance.now()): Transparent =>
  (handler) =>
  (params, context, request, control) => {
    const start = now()
    return Handler.onSettled(
      () => handler(params, context, request, control),
      () => report(request.method, now() - start),
    )
  }

/**
 * Logs each call when it starts and when it settles, through `log` (for example `console.info`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const logging =
  (log: (line: string, record: CallRecord | undefined) => void, now: () => number = () => performance.now()): Transparent =>
  (handler) =>
  (params, context, request, control) => {
    const id = idOf(request)
    const tag = id === undefined ? 'notification' : `id ${JSON.stringify(id)}`
    log(`-> ${request.method} (${tag})`, undefined)
    const start = now()
    return Handler.onSettled(
      () => handler(params, context, request, control),
      (ok) => {
        const durationMs = now() - start
        log(`<- ${request.method} (${tag}) ${ok ? 'ok' : 'error'} in ${durationMs.toFixed(2)} ms`, {
          method: request.method,
          id,
          ok,
          durationMs,
        })
      },
    )
  }
