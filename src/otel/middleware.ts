/**
 * The server side of tracing: a middleware that runs each call in a span of kind `SERVER`, named
 * after the method, with the attributes of the JSON-RPC semantic conventions (see `Conventions`).
 *
 * The span's parent is the span active when the call starts (the server span of an HTTP
 * instrumentation, say); when none is, the caller's trace context, read from the headers the
 * transport gives (`control.headers`: the HTTP adapters' and the NATS server's `requestHeaders: true`)
 * through `@opentelemetry/api`'s `propagation`, with whatever propagator the application registered
 * (W3C `traceparent`/`tracestate` with the SDK's defaults). The handler runs in the span's context,
 * so the spans it starts are the call's children.
 *
 * The span ends when the handler answers: status unset for a success; for an error answer, status
 * `ERROR` with `rpc.jsonrpc.error_code` and `rpc.jsonrpc.error_message`. A handler that throws (or
 * rejects) with anything but `RpcError.raise`'s error is answered `-32603 Internal error`, and so is
 * its span: the exception's text is never recorded. A call given up by the dispatcher (its timeout)
 * ends its span with status `ERROR` then.
 *
 * What the dispatcher answers before a handler runs (Parse error, Invalid Request, Method not
 * found, Invalid params) has no span: the middleware wraps handlers. A batch is answered element by
 * element, and each element that reaches a handler has its own span; all of them share the parent.
 *
 * @since 0.2.0
 */
import { context, type Context, propagation, SpanKind, SpanStatusCode, trace, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api'
import * as Handler from '../Handler.js'
import type { Transparent } from '../Middleware.js'
import * as RpcError from '../RpcError.js'
import { errorAttributes, requestAttributes, tracerName } from './conventions.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link middleware} takes. Every member is optional.
 *
 * @category model
 * @since 0.2.0
 */
export interface MiddlewareOptions {
  /** The tracer the spans are started with: `trace.getTracer('fp-jsonrpc')` of the global provider by default. */
  readonly tracer?: Tracer
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A middleware that traces every call of the registry it is used on (`Registry.use`), one `SERVER`
 * span per call and per notification; the context passes through.
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Dispatch, Method, Registry } from 'fp-jsonrpc'
 * import * as Otel from 'fp-jsonrpc/otel'
 *
 * const Sum = Method.make({ name: 'sum', params: t.tuple([t.number, t.number]), result: t.number })
 * const dispatcher = Dispatch.make(pipe(Registry.empty, Registry.add(Sum, ([a, b]) => E.right(a + b)), Registry.use(Otel.middleware())))
 * // Over HTTP, with the caller's trace context: listener(dispatcher, { requestHeaders: true })
 *
 * @category constructors
 * @since 0.2.0
 */
export const middleware = (options: MiddlewareOptions = {}): Transparent => {
  const tracer = options.tracer ?? trace.getTracer(tracerName)
  return (handler) => (params, ctx, request, control) => {
    const active = context.active()
    const parent = parentOf(active, control)
    const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER, attributes: requestAttributes(request) }, parent)
    const spanContext = trace.setSpan(parent, span)
    let out: Handler.Result<unknown, unknown>
    try {
      out = context.with(spanContext, () => handler(params, ctx, request, control))
    } catch (e) {
      endThrown(span, e)
      throw e
    }
    if (typeof out === 'function') {
      const task = out as () => Promise<unknown>
      const end = ending(span, control)
      // A TaskEither's answer is an Either: anything else the dispatcher answers Internal error.
      return () =>
        context.with(spanContext, () =>
          Promise.resolve()
            .then(task)
            .then(
              (e) => (end(Handler.isEither(e) ? e : INTERNAL_EITHER, false), e),
              (e: unknown) => {
                end(e, true)
                throw e
              },
            ),
        ) as never
    }
    if (Handler.isThenable(out)) {
      const end = ending(span, control)
      return Promise.resolve(out).then(
        (a) => (end(a, false), a),
        (e: unknown) => {
          end(e, true)
          throw e
        },
      ) as never
    }
    if (Handler.isEither(out)) endEither(span, out)
    else span.end()
    return out as never
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

// Header names are in lower case in `control.headers`; a propagator may ask in any case.
const getter: TextMapGetter<Handler.RequestHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()] as string | Array<string> | undefined,
}

// The active span if there is one (an HTTP instrumentation's), else the caller's context from the
// headers, else the active context as it is. The headers are read only in the second case.
const parentOf = (active: Context, control: Handler.Control): Context => {
  if (trace.getSpan(active) !== undefined) return active
  const headers = control.headers
  return headers === undefined ? active : propagation.extract(active, headers, getter)
}

const INTERNAL = RpcError.internalError()
const INTERNAL_EITHER = { _tag: 'Left', left: INTERNAL } as const

const endError = (span: Span, error: RpcError.RpcError | undefined): void => {
  if (error !== undefined) span.setAttributes(errorAttributes(error))
  span.setStatus(error === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message: error.message })
  span.end()
}

// A `Left` answers its error; a value that is no error object (a declared error the contract's codec
// encodes) is an error whose code the middleware cannot know.
const endEither = (span: Span, e: { readonly _tag: 'Left' | 'Right'; readonly left?: unknown }): void => {
  if (e._tag === 'Right') return span.end()
  endError(span, RpcError.isRpcError(e.left) ? e.left : undefined)
}

// RpcError.raise's error is answered as it is; anything else is Internal error, its text unrecorded.
const endThrown = (span: Span, thrown: unknown): void => endError(span, RpcError.isException(thrown) ? thrown.error : INTERNAL)

// For an asynchronous answer: ends the span once, when the handler answers (with a value, an
// Either, or a throw) or when the call is given up (its timeout), whichever comes first.
const ending = (span: Span, control: Handler.Control): ((answer: unknown, threw: boolean) => void) => {
  let ended = false
  const signal = control.signal
  const onAbort = (): void => {
    if (ended) return
    ended = true
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the call was given up before its handler answered' })
    span.end()
  }
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return (answer, threw) => {
    if (ended) return
    ended = true
    signal.removeEventListener('abort', onAbort)
    if (threw) endThrown(span, answer)
    else if (Handler.isEither(answer)) endEither(span, answer)
    else span.end()
  }
}
