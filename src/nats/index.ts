/**
 * JSON-RPC 2.0 over NATS request-reply, with the NATS client `@nats-io/transport-node` 3.x (an
 * optional peer dependency: only this entry point loads it). `import * as Nats from 'fp-jsonrpc/nats'`.
 *
 * - Client: {@link transport}, a `Transport` that sends each message as a NATS request on a subject,
 *   with typed errors ({@link NatsError}) and opt-in retries of idempotent contracts.
 * - Gateway: {@link dispatcher}, a `Dispatcher` that forwards each message to the workers, so the
 *   HTTP `serve` and the WebSocket server front a pool of NATS workers.
 *
 * Delivery is at most once, as core NATS is. See docs/transports-nats.md.
 *
 * @since 0.2.0
 */
export { defaultTimeoutMs, formatError, isRetryable, transport } from './transport.js'
export type { Connection, NatsError, TransportOptions } from './transport.js'
export { defaultGatewayTimeoutMs, dispatcher, failureOf, GatewayErrorCode, headersFrom } from './gateway.js'
export type { GatewayOptions } from './gateway.js'
