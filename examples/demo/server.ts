/**
 * The demo service (`npm start`): JSON-RPC 2.0, and 1.0 as well, over HTTP (POST /rpc) and WebSocket
 * (/ws) on one port on localhost, and the API explorer for browsers on the root (GET /). PORT chooses the port (8080 by
 * default; 0 for any free one). Ctrl-C (SIGINT) or SIGTERM stops it gracefully: calls in flight are
 * answered first.
 */
import * as E from 'fp-ts/lib/Either.js'
import { Dispatch } from 'fp-jsonrpc'
import { serve } from 'fp-jsonrpc/http'
import * as Ws from 'fp-jsonrpc/ws'
import type { WebSocket } from 'ws'
import { type Context, registry } from './methods.js'

// JSON-RPC 1.0 as well as 2.0: a 1.0 peer (jsonrpclib's ServerProxy(url, version=1.0), jayson's
// version 1 client, a curl line without "jsonrpc") is answered in 1.0's shape.
const dispatcher = Dispatch.make(registry, { version1: true, onDefect: (cause) => console.error('defect:', cause) })

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
