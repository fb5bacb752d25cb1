/**
 * Tracing with OpenTelemetry: {@link middleware} for a server (a span of kind `SERVER` per call) and
 * {@link transport} for a client (a span of kind `CLIENT` per call, and the trace context sent with
 * the message), following OpenTelemetry's semantic conventions for JSON-RPC (v1.37.0; see
 * {@link Conventions}), so that a call and its answer are one trace across processes.
 *
 * `@opentelemetry/api` is an optional peer dependency, loaded by this entry point only: the
 * application brings the SDK (a tracer provider, an exporter, a propagator), and without one every
 * span is the API's no-op. `import * as Otel from 'fp-jsonrpc/otel'`.
 *
 * See docs/observability.md.
 *
 * @since 0.2.0
 */
export * as Conventions from './conventions.js'
export { middleware } from './middleware.js'
export type { MiddlewareOptions } from './middleware.js'
export { transport } from './transport.js'
export type { TransportOptions } from './transport.js'
