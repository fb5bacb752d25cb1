/**
 * JSON-RPC 2.0 over NATS request-reply, with the NATS client `@nats-io/transport-node` 3.x (an
 * optional peer dependency: only this entry point loads it). `import * as Nats from 'fp-jsonrpc/nats'`.
 *
 * - Server: {@link serve} a dispatcher on a subject, in a queue group (`q` by default): any number of
 *   workers, on any number of machines, share the messages sent to it. {@link Server.stop} stops
 *   gracefully, every message received answered before the connection closes.
 * - Service discovery: with a `service` option, a worker answers the NATS micro-service protocol
 *   (`$SRV.PING`, `$SRV.INFO`, `$SRV.STATS`), so NATS tooling lists it and reads its statistics.
 * - Client: {@link transport}, a `Transport` that sends each message as a NATS request on a subject,
 *   with typed errors ({@link NatsError}) and opt-in retries of idempotent contracts.
 * - Gateway: {@link dispatcher}, a `Dispatcher` that forwards each message to the workers, so the
 *   HTTP `serve` and the WebSocket server front a pool of NATS workers.
 *
 * One NATS message is one JSON-RPC message (a request, a notification or a batch), its payload the
 * UTF-8 text; the answer is the reply (empty when there is nothing to answer). Limits, on by default:
 * messages of at most 1 MiB (`maxMessageBytes`), 64 messages answered at once per worker
 * (`maxConcurrency`; more wait in order), answers cut down to the connection's max payload.
 * Delivery is at most once, as core NATS is.
 *
 * See docs/transports-nats.md and docs/scaling.md.
 *
 * @since 0.2.0
 */
export { defaults, serve } from './server.js'
export type { ContextOption, NatsHeaders, NatsMessage, NatsSubscription, ServeError, ServeOptions, Server } from './server.js'
export { API_PREFIX, controlSubject, DEFAULT_ENDPOINT, ResponseType } from './micro.js'
export type { EndpointInfo, EndpointStats, Identity, InfoResponse, PingResponse, ServiceConfig, StatsResponse, Verb } from './micro.js'
export { defaultTimeoutMs, formatError, isRetryable, transport } from './transport.js'
export type { Connection, NatsError, TransportOptions } from './transport.js'
export { defaultGatewayTimeoutMs, dispatcher, failureOf, GatewayErrorCode, headersFrom } from './gateway.js'
export type { GatewayOptions } from './gateway.js'
