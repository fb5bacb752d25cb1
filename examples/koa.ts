/**
 * fp-jsonrpc in a Koa app: the middleware on one path, beside the app's other middleware, with the
 * request's header as the handlers' context.
 *
 *   npx tsx examples/koa.ts                  # http://127.0.0.1:8080/rpc
 *   PORT=0 npx tsx examples/koa.ts           # a free port
 *
 * The middleware reads the body itself, so no body parser is needed; with koa-bodyparser in front
 * it dispatches what that parsed (but the parser answers malformed JSON with its own 400, where the
 * middleware answers the JSON-RPC Parse error). A request for another path goes on to the next
 * middleware.
 */
import Koa from 'koa'
import type { AddressInfo } from 'node:net'
import { middleware } from 'fp-jsonrpc/koa'
import { dispatcher, requestInfo } from './http-methods.js'

const app = new Koa()
app.use(middleware(dispatcher, { path: '/rpc', context: (ctx) => requestInfo((name) => ctx.get(name) || undefined) }))
app.use((ctx) => {
  if (ctx.path === '/health') ctx.body = 'ok'
})

const server = app.listen(Number(process.env['PORT'] ?? 8080), '127.0.0.1', () => {
  const { address, port } = server.address() as AddressInfo
  console.log(`listening on http://${address}:${port}/rpc`)
})

// Graceful: stop accepting, close idle keep-alive connections, let calls in flight finish.
const stop = (signal: NodeJS.Signals): void => {
  console.log(`${signal}: answering calls in flight, then closing`)
  server.close(() => console.log('closed'))
  server.closeIdleConnections()
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
