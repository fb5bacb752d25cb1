/**
 * Tracing with OpenTelemetry: a server whose calls are traced (the middleware) and a client whose
 * calls are traced and carry the W3C trace context in their HTTP headers (the wrapper), so that each
 * call is one trace: the client's span, and the server's as its child. The program registers the
 * SDK as an application would (a tracer provider, the AsyncLocalStorage context manager, the W3C
 * propagator), starts the server on a free port of 127.0.0.1, makes a call, a failing call and a
 * notification, prints the spans as a tree, and stops.
 *
 *   npx tsx examples/otel.ts
 */
import { context, propagation, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { Client, Dispatch, Method, Registry, RpcError } from 'fp-jsonrpc'
import { transport } from 'fp-jsonrpc/fetch'
import { serve } from 'fp-jsonrpc/http'
import * as Otel from 'fp-jsonrpc/otel'

// The application's SDK set-up (an OTLP exporter in production; here, spans kept in memory).
const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
trace.setGlobalTracerProvider(provider)
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())

const DivisionByZero = RpcError.typed(1, t.type({ dividend: t.number }), 'DivisionByZero')
const Divide = Method.make({ name: 'divide', params: t.type({ dividend: t.number, divisor: t.number }), result: t.number, error: DivisionByZero })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })

// The server: the middleware on the registry, and the request headers handed to it.
const registry = pipe(
  Registry.empty,
  Registry.add(Divide, ({ dividend, divisor }) =>
    divisor === 0 ? E.left({ code: 1 as const, message: 'division by zero', data: { dividend } }) : E.right(dividend / divisor),
  ),
  Registry.add(Log, () => undefined),
  Registry.use(Otel.middleware()),
)
const started = await serve({ dispatcher: Dispatch.make(registry), requestHeaders: true })()
if (E.isLeft(started)) throw new Error('could not listen')
const server = started.right

// The client: the fetch transport, wrapped.
const client = Client.make(pipe(transport({ url: server.url }), Otel.transport()))

await trace.getTracer('example').startActiveSpan('checkout', async (span) => {
  await pipe(client, Client.call(Divide, { dividend: 9, divisor: 3 }))()
  await pipe(client, Client.call(Divide, { dividend: 1, divisor: 0 }))()
  await pipe(client, Client.notify(Log, { line: 'done' }))()
  span.end()
})
await server.close()

// The spans, as a tree: each server span under the client span it answered.
const all = exporter.getFinishedSpans()
const kinds: Record<number, string> = { [SpanKind.INTERNAL]: 'internal', [SpanKind.SERVER]: 'server', [SpanKind.CLIENT]: 'client' }
const print = (span: ReadableSpan, depth: number): void => {
  const code = span.attributes['rpc.jsonrpc.error_code']
  console.log(`${'  '.repeat(depth)}${span.name} (${kinds[span.kind] ?? span.kind})${code === undefined ? '' : ` error ${String(code)}`}`)
  for (const child of all.filter((s) => s.parentSpanContext?.spanId === span.spanContext().spanId)) print(child, depth + 1)
}
for (const root of all.filter((s) => s.parentSpanContext === undefined)) print(root, 0)
console.log(`one trace: ${new Set(all.map((s) => s.spanContext().traceId)).size === 1}`)
await provider.shutdown()
