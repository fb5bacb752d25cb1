/**
 * fp-jsonrpc in a Hono app: the Fetch API handler on one route, served here by @hono/node-server.
 * The same `rpc` handler runs unchanged on Bun (`Bun.serve({ fetch: rpc })`), Deno
 * (`Deno.serve(rpc)`) and workers (`export default { fetch: rpc }`), since it only takes a `Request`.
 *
 *   npx tsx examples/hono.ts                 # http://127.0.0.1:8080/rpc
 *   PORT=0 npx tsx examples/hono.ts          # a free port
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { handler } from 'fp-jsonrpc/fetch'
import { dispatcher, requestInfo } from './http-methods.js'

const rpc = handler(dispatcher, { context: (request) => requestInfo((name) => request.headers.get(name)) })

const app = new Hono()
app.get('/health', (c) => c.text('ok'))
app.post('/rpc', (c) => rpc(c.req.raw))

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env['PORT'] ?? 8080) }, (info) => {
  console.log(`listening on http://${info.address}:${info.port}/rpc`)
})

const stop = (signal: NodeJS.Signals): void => {
  console.log(`${signal}: answering calls in flight, then closing`)
  server.close(() => console.log('closed'))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
