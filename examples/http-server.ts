/**
 * A JSON-RPC server over HTTP with `serve`, stopped gracefully on Ctrl-C or SIGTERM: calls in flight
 * are answered first.
 *
 *   npx tsx examples/http-server.ts          # http://127.0.0.1:8080/rpc
 *   PORT=0 npx tsx examples/http-server.ts   # a free port
 *
 * Then run examples/http-client.ts against it.
 */
import * as E from 'fp-ts/lib/Either.js'
import { serve } from 'fp-jsonrpc/http'
import { dispatcher, requestInfo } from './http-methods.js'

const started = await serve({
  dispatcher,
  host: '127.0.0.1',
  port: Number(process.env['PORT'] ?? 8080),
  path: '/rpc',
  context: (req) => requestInfo((name) => req.headers[name]?.toString()),
  onError: (cause) => console.error('http:', cause),
})()
if (E.isLeft(started)) {
  console.error('could not listen:', started.left.cause)
  process.exit(1)
}
const server = started.right
console.log(`listening on ${server.url}`)

const stop = (signal: NodeJS.Signals): void => {
  console.log(`${signal}: answering calls in flight, then closing`)
  void server.close().then(() => console.log('closed'))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
