/**
 * The client side of tracing: a wrapper around any client transport that runs each exchange's calls
 * in spans of kind `CLIENT`, named after the method, with the attributes of the JSON-RPC semantic
 * conventions (see `Conventions`), and that sends the trace context with the message, so that the
 * server's span (see `middleware`) joins the caller's trace as the child of the client's.
 *
 * The trace context is written by `@opentelemetry/api`'s `propagation`, with whatever propagator
 * the application registered (W3C `traceparent`/`tracestate` with the SDK's defaults), into the
 * message's `Expected.headers`: the fetch transport (`fp-jsonrpc/fetch`) sends them as HTTP
 * headers, the NATS transport as message headers; other transports ignore them (the spans are made
 * all the same). With no propagator registered, no header is added.
 *
 * A span's parent is the span active when the exchange starts. It ends when the answer is in: status
 * unset for a result; for an error response, status `ERROR` with `rpc.jsonrpc.error_code` and
 * `rpc.jsonrpc.error_message`; for a failure of the transport, status `ERROR` with `error.type` the
 * transport error's `_tag` (`NetworkError`, `Timeout`, ...; `_OTHER` for an error without one), never
 * its text. A call the answer does not answer (no response with its id) is an error too.
 *
 * A batch is one exchange with one set of headers, so its calls share one parent on the server: its
 * elements' `CLIENT` spans are the children of one `INTERNAL` span, `jsonrpc.batch`, whose context is
 * the one sent. Where it goes among the other wrappers: outside `Retry.transport` (one span for all
 * the attempts of a call) and inside `Batching.make` (which sends the batches it makes through this
 * wrapper: `pipe(transport({ url }), Otel.transport(), Batching.make())`).
 *
 * @since 0.2.0
 */
import { context, type Context, propagation, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import * as RpcError from '../RpcError.js'
import type { Expected, Parsed, Transport } from '../Transport.js'
import * as Version1 from '../internal/version1.js'
import { Attribute, errorAttributes, requestAttributes, tracerName } from './conventions.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link transport} takes. Every member is optional.
 *
 * @category model
 * @since 0.2.0
 */
export interface TransportOptions {
  /** The tracer the spans are started with: `trace.getTracer('fp-jsonrpc')` of the global provider by default. */
  readonly tracer?: Tracer
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Wraps a client transport so that its calls are traced and carry the trace context (see the module's
 * description). The transport's errors and answers pass through unchanged.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { Client } from 'fp-jsonrpc'
 * import { transport } from 'fp-jsonrpc/fetch'
 * import * as Otel from 'fp-jsonrpc/otel'
 *
 * const client = Client.make(pipe(transport({ url: 'http://127.0.0.1:8080/' }), Otel.transport()))
 *
 * @category constructors
 * @since 0.2.0
 */
export const transport =
  (options: TransportOptions = {}) =>
  <TErr>(inner: Transport<TErr>): Transport<TErr> => {
    const tracer = options.tracer ?? trace.getTracer(tracerName)
    const send =
      (body: string, expected: Expected): TaskEither<TErr, string | undefined> =>
      () =>
        traced(tracer, body, expected, (exp) => inner.send(body, exp)(), textOf)
    const sendParsed = inner.sendParsed
    if (sendParsed === undefined) return { send }
    return {
      send,
      sendParsed:
        (body: string, expected: Expected): TaskEither<TErr, Parsed | undefined> =>
        () =>
          traced(tracer, body, expected, (exp) => sendParsed(body, exp)(), valueOf),
    }
  }

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

type Answer<TErr, A> = { readonly _tag: 'Left'; readonly left: TErr } | { readonly _tag: 'Right'; readonly right: A }

/** One message of the exchange: a span and the id its answer comes under (none for a notification). */
interface Traced {
  readonly span: Span
  readonly id: string | number | null | undefined
}

// The answer as JSON, for finding the error responses: what `send` gave, parsed (only under this
// wrapper); what `sendParsed` gave, as it is.
const textOf = (answer: string | undefined): unknown => {
  if (answer === undefined) return undefined
  try {
    return JSON.parse(answer) as unknown
  } catch {
    return NOT_JSON
  }
}
const valueOf = (answer: Parsed | undefined): unknown => answer?.value
const NOT_JSON = Symbol('not JSON')

const isObject = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u)

const traced = async <TErr, A>(
  tracer: Tracer,
  body: string,
  expected: Expected,
  run: (expected: Expected) => Promise<Answer<TErr, A>>,
  answerOf: (a: A) => unknown,
): Promise<Answer<TErr, A>> => {
  let message: unknown
  try {
    message = JSON.parse(body) as unknown
  } catch {
    // Not JSON: not a message of `Client`'s; sent as it is, untraced.
    return run(expected)
  }
  const active = context.active()
  const elements: ReadonlyArray<unknown> = Array.isArray(message) ? message : [message]
  const isBatch = elements === message
  const batch = isBatch ? tracer.startSpan('jsonrpc.batch', { kind: SpanKind.INTERNAL, attributes: { [Attribute.System]: 'jsonrpc' } }, active) : undefined
  const parent = batch === undefined ? active : trace.setSpan(active, batch)
  const spans: Array<Traced> = []
  for (const element of elements) {
    if (!isObject(element) || typeof element.method !== 'string') continue
    // A JSON-RPC 1.0 notification carries `"id": null`: no answer is due, and it has no request id.
    const id = !('id' in element) || (Version1.isMessage(element) && element.id === null) ? undefined : (element.id as string | number | null)
    const described = id === undefined ? { method: element.method, jsonrpc: element.jsonrpc } : (element as { readonly method: string })
    const span = tracer.startSpan(element.method, { kind: SpanKind.CLIENT, attributes: requestAttributes(described) }, parent)
    spans.push({ span, id })
  }
  // The context sent: the batch's span, or the one call's.
  const first = spans[0]
  const sent: Context = batch !== undefined ? parent : first === undefined ? active : trace.setSpan(active, first.span)
  const headers: Record<string, string> = {}
  propagation.inject(sent, headers)
  const withHeaders: Expected = Object.keys(headers).length === 0 ? expected : { ...expected, headers: { ...expected.headers, ...headers } }
  let answer: Answer<TErr, A>
  try {
    answer = await context.with(sent, () => run(withHeaders))
  } catch (e) {
    // A transport that rejects breaks its law; its spans still end.
    endAll(spans, batch, (span) => failed(span, '_OTHER'))
    throw e
  }
  if (answer._tag === 'Left') {
    const tag = isObject(answer.left) && typeof answer.left._tag === 'string' ? answer.left._tag : '_OTHER'
    endAll(spans, batch, (span) => failed(span, tag))
    return answer
  }
  const responses = responsesOf(answerOf(answer.right))
  for (const { span, id } of spans) {
    if (id === undefined) span.end()
    else if (responses === undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the answer is not JSON' })
      span.end()
    } else answered(span, responses.get(id))
  }
  batch?.end()
  return answer
}

// The responses of an answer by id; `undefined` for an answer that is not JSON-RPC.
const responsesOf = (value: unknown): Map<unknown, Readonly<Record<string, unknown>>> | undefined => {
  if (value === NOT_JSON) return undefined
  const byId = new Map<unknown, Readonly<Record<string, unknown>>>()
  const all: ReadonlyArray<unknown> = Array.isArray(value) ? value : value === undefined ? [] : [value]
  for (const response of all) if (isObject(response) && 'id' in response) byId.set(response.id, response)
  return byId
}

const answered = (span: Span, response: Readonly<Record<string, unknown>> | undefined): void => {
  if (response === undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'no response to this call' })
  } else if ('error' in response && response.error !== null && response.error !== undefined) {
    const error = response.error
    if (RpcError.isRpcError(error)) {
      span.setAttributes(errorAttributes(error))
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
    } else span.setStatus({ code: SpanStatusCode.ERROR })
  }
  span.end()
}

const failed = (span: Span, tag: string): void => {
  span.setAttribute(Attribute.ErrorType, tag)
  span.setStatus({ code: SpanStatusCode.ERROR, message: tag })
}

const endAll = (spans: ReadonlyArray<Traced>, batch: Span | undefined, fail: (span: Span) => void): void => {
  for (const { span } of spans) {
    fail(span)
    span.end()
  }
  if (batch !== undefined) {
    fail(batch)
    batch.end()
  }
}
