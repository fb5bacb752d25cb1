/**
 * JSON-RPC 2.0 over NATS, with the NATS client `@nats-io/transport-node` (an optional peer
 * dependency: only this entry point loads it). `import * as Nats from 'fp-jsonrpc/nats'`.
 *
 * - Server: {@link serve} a dispatcher on a subject, in a queue group (`q` by default): any number of
 *   workers, on any number of machines, share the messages sent to it. {@link Server.stop} stops
 *   gracefully, every message received answered before the connection closes.
 * - Service discovery: with a `service` option, a worker answers the NATS micro-service protocol
 *   (`$SRV.PING`, `$SRV.INFO`, `$SRV.STATS`), so NATS tooling lists it and reads its statistics.
 *
 * One NATS message is one JSON-RPC message (a request, a notification or a batch), its payload the
 * UTF-8 text; the answer is the reply (empty when there is nothing to answer). Limits, on by default:
 * messages of at most 1 MiB (`maxMessageBytes`), 64 messages answered at once per worker
 * (`maxConcurrency`; more wait in order), answers cut down to the connection's max payload.
 *
 * See docs/transports-nats.md.
 *
 * @since 0.2.0
 */
export { defaults, serve } from './server.js'
export type { ContextOption, NatsConnection, NatsHeaders, NatsMessage, NatsSubscription, ServeError, ServeOptions, Server } from './server.js'
export { API_PREFIX, controlSubject, DEFAULT_ENDPOINT, ResponseType } from './micro.js'
export type { EndpointInfo, EndpointStats, Identity, InfoResponse, PingResponse, ServiceConfig, StatsResponse, Verb } from './micro.js'
