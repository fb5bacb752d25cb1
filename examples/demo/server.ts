/**
 * The demo service (`npm start`): JSON-RPC over HTTP (POST /rpc) and WebSocket (/ws) on one port on
 * localhost, and the API explorer for browsers on the root (GET /). PORT chooses the port (8080 by
 * default; 0 for any free one). Ctrl-C (SIGINT) or SIGTERM stops it gracefully: calls in flight are
 * answered first.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as T from 'fp-ts/lib/Task.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Client, Dispatch, Registry, RpcError } from 'fp-jsonrpc'
import { serve } from 'fp-jsonrpc/http'
import * as Ws from 'fp-jsonrpc/ws'
import type { WebSocket } from 'ws'
import { Log, Sleep, Subscribe, Subtract, Sum, Tick, Withdraw } from './contract.js'

/** What each call knows of its caller: the WebSocket connection, when it came over one. */
interface Context {
  readonly connection?: Ws.ServerConnection
}

const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Sum, (numbers) => E.right(numbers.reduce((a, b) => a + b, 0))),
  Registry.add(Sleep, ({ ms }) => {
    const slept = Math.max(0, Math.min(5000, ms))
    return pipe(TE.right({ slept }), T.delay(slept))
  }),
  Registry.add(Withdraw, ({ amount }) =>
    amount > 100 ? E.left({ code: 1001 as const, message: 'Insufficient funds', data: { balance: 100 } }) : E.right({ balance: 100 - amount }),
  ),
  Registry.add(Log, ({ line }) => console.log(`log: ${line}`)),
  Registry.add(Subscribe, ({ every, count }, context: Context) => {
    const connection = context.connection
    if (connection === undefined) return E.left(RpcError.serverError(-32000, 'subscribe needs a WebSocket connection'))
    const total = Math.max(0, Math.min(100, count))
    let n = 0
    const timer = setInterval(
      () => {
        n++
        void pipe(connection.client, Client.notify(Tick, { n }))()
        if (n >= total) clearInterval(timer)
      },
      Math.max(10, every),
    )
    void connection.closed.then(() => clearInterval(timer))
    return E.right('subscribed' as const)
  }),
  Registry.withIntrospection,
  // rpc.discover: the OpenRPC document of these contracts. It names no servers itself: the port is
  // chosen when the server starts, so each document names the URL its request came in at.
  Registry.withDiscovery({
    title: 'fp-jsonrpc demo',
    version: '0.2.0',
    description: 'The demo service of fp-jsonrpc: arithmetic, a typed application error, a notification and WebSocket ticks.',
  }),
)

const dispatcher = Dispatch.make(registry, { onDefect: (cause) => console.error('defect:', cause) })

const port = Number(process.env['PORT'] ?? 8080)
// The API explorer on the root: a browser at http://127.0.0.1:8080/ lists the methods and calls them.
const started = await serve({ dispatcher, host: '127.0.0.1', port, path: '/rpc', explorer: { path: '/' }, context: (): Context => ({}) })()
if (E.isLeft(started)) {
  console.error(`could not listen on port ${port}:`, started.left.cause)
  process.exit(1)
}
const http = started.right
const ws = Ws.attachToHttp(http.server, dispatcher, {
  path: '/ws',
  context: (_request, _socket: WebSocket, connection): Context => ({ connection }),
})

const base = `127.0.0.1:${http.address.port}`
console.log(`fp-jsonrpc demo listening
  HTTP:      http://${base}/rpc
  WebSocket: ws://${base}/ws
  Explorer:  http://${base}/ (in a browser)
methods: subtract, sum, sleep, withdraw, log (a notification), subscribe (WebSocket), system.listMethods, system.methodHelp, system.methodSignature, rpc.discover`)

let stopping = false
const stop = async (signal: string): Promise<void> => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: stopping; calls in flight are answered first`)
  await ws.close()
  await http.close()
  console.log('stopped')
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
