/**
 * A JSON-RPC server over WebSocket, sharing its port with plain HTTP: WebSocket upgrades on /rpc are
 * JSON-RPC, every other request gets a line of text. Each connection can subscribe to ticks, which
 * the server pushes as notifications until the client unsubscribes or goes; and the server calls
 * each new client back (`hello`) to learn its name.
 *
 *   npx tsx examples/ws-server.ts          # ws://127.0.0.1:8080/rpc
 *   PORT=0 npx tsx examples/ws-server.ts   # a free port
 *
 * Then run examples/ws-client.ts against it. Ctrl-C closes the connections (1001) and stops.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { Client, ClientError, Dispatch, Registry } from 'fp-jsonrpc'
import * as Ws from 'fp-jsonrpc/ws'
import { Hello, Subscribe, Subtract, Tick, Unsubscribe } from './ws-contract.js'

/** What each message of a connection is dispatched with: the connection and its subscriptions. */
interface Session {
  readonly connection: Ws.ServerConnection
  readonly subscriptions: Map<string, ReturnType<typeof setInterval>>
}

let nextSubscription = 1

const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Subscribe, ({ everyMs }, session: Session) => {
    if (everyMs < 10) return E.left({ code: 1 as const, message: 'Too fast', data: { minimumMs: 10 } })
    const subscription = `sub-${nextSubscription++}`
    let n = 0
    const timer = setInterval(() => {
      n++
      // A tick that cannot be sent (the connection is closing) is dropped: ticks are not queued.
      void pipe(session.connection.client, Client.notify(Tick, { subscription, n, at: new Date().toISOString() }))()
    }, everyMs)
    session.subscriptions.set(subscription, timer)
    return E.right(subscription)
  }),
  Registry.add(Unsubscribe, ({ subscription }, session: Session) => {
    const timer = session.subscriptions.get(subscription)
    clearInterval(timer)
    return E.right(session.subscriptions.delete(subscription))
  }),
)

const http = createServer((_request, response) => {
  response.setHeader('content-type', 'text/plain; charset=utf-8')
  response.end('JSON-RPC over WebSocket on /rpc\n')
})

const server = Ws.attachToHttp(http, Dispatch.make(registry, { onDefect: (cause) => console.error('defect:', cause) }), {
  path: '/rpc',
  context: (_request, _socket, connection): Session => {
    const session: Session = { connection, subscriptions: new Map() }
    // Subscriptions end with their connection.
    void connection.closed.then(() => session.subscriptions.forEach((timer) => clearInterval(timer)))
    return session
  },
  onConnection: (connection) => {
    const from = `${connection.request.socket.remoteAddress ?? '?'}:${connection.request.socket.remotePort ?? '?'}`
    void pipe(connection.client, Client.call(Hello, { connections: server.connections().length }))().then((name) =>
      console.log(`${from} connected: ${E.isRight(name) ? name.right : ClientError.format(name.left)}`),
    )
    void connection.closed.then(({ code }) => console.log(`${from} closed (${code})`))
  },
  onError: (error) => console.error('ws:', error),
})

http.listen(Number(process.env['PORT'] ?? 8080), '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo
  console.log(`listening on ws://127.0.0.1:${port}/rpc (and http://127.0.0.1:${port}/)`)
})

const stop = (signal: NodeJS.Signals): void => {
  console.log(`${signal}: closing`)
  // The WebSocket connections first: an HTTP server does not close while upgraded sockets are open.
  void server.close().then(() => http.close(() => console.log('closed')))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
