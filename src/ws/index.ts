/**
 * JSON-RPC 2.0 over WebSocket, with the `ws` package (an optional peer dependency: only this entry
 * point loads it). `import * as Ws from 'fp-jsonrpc/ws'`.
 *
 * - Server: {@link attach} to a `ws` WebSocketServer, or {@link attachToHttp} on a path of a node
 *   HTTP server. Each connection is a two-way peer (see `Peer`): the client calls the dispatcher, and
 *   the server calls the client through `connection.client`.
 * - Client: {@link connect} gives a connection with a typed `client`, and serves the server's calls
 *   with a dispatcher of its own.
 *
 * Framing, both ways: one message per frame. Messages are sent as text frames; a binary frame is read
 * as UTF-8 text, and one that is not UTF-8 is answered Parse error. A text frame that is not UTF-8 is
 * a protocol error: the connection is closed with 1007.
 *
 * Limits, on by default: messages of at most 1 MiB (`maxPayload`, 1009 beyond), a server heartbeat
 * every 30 s (`heartbeatMs`) that cuts off a client that stopped answering, and upgrades from browser
 * pages of other origins refused (`allowedOrigins`). See docs/security.md.
 *
 * See docs/transports-ws.md.
 *
 * @since 0.1.0
 */
export { attach, attachToHttp, verifyOrigin } from './server.js'
export type { ContextOption, HttpOptions, OptionsArg, Server, ServerConnection, ServerOptions } from './server.js'
export { connect } from './client.js'
export type { ClientConnection, ClientContextOption, ConnectError, ConnectOptions, Reconnect } from './client.js'
export { CloseCode } from './socket.js'
export type { CloseInfo } from './socket.js'
