/**
 * fp-jsonrpc/stream: JSON-RPC 2.0 over byte streams, both ways on one connection. Over TCP
 * (`listen`, `connect`), over a process's stdio (`serveStdio`) or a child's (`spawn`), or over any
 * pair of Node streams (`attach`), framed as newline-delimited JSON or with `Content-Length`
 * headers (`Framing`).
 *
 * Each side of a connection is a `Peer` (from `fp-jsonrpc`): its `client` calls the other side,
 * and its dispatcher answers the other side's calls. See docs/transports-stream.md.
 *
 * Limits, on by default: messages of at most 1 MiB and `Content-Length` header blocks of at most
 * 8 KiB (`maxMessageBytes`, `maxHeaderBytes`; never buffered beyond), and TCP server connections
 * closed after 5 minutes idle (`idleTimeoutMs`). See docs/security.md.
 *
 * @since 0.1.0
 */
export * as Framing from './Framing.js'
export { attach } from './Connection.js'
export type { AttachOptions, Connection, Link } from './Connection.js'
export { connect, listen } from './Tcp.js'
export type { ConnectError, ConnectOptions, ListenError, ListenOptions, Server, TcpLink } from './Tcp.js'
export { serveStdio, spawn } from './Stdio.js'
export type { ChildConnection, Exit, ServeStdioOptions, SpawnError, SpawnOptions } from './Stdio.js'
