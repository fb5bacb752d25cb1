/**
 * fp-jsonrpc in a Fastify app: the plugin registered under a prefix, beside the app's other routes,
 * with the request's header as the handlers' context.
 *
 *   npx tsx examples/fastify.ts              # http://127.0.0.1:8080/rpc
 *   PORT=0 npx tsx examples/fastify.ts       # a free port
 *
 * The plugin reads its route's body itself (Fastify's JSON parser is left to the app's other routes),
 * so the limits, the JSON content types and the JSON-RPC Parse error are those of every fp-jsonrpc
 * server.
 */
import Fastify from 'fastify'
import { plugin } from 'fp-jsonrpc/fastify'
import { dispatcher, requestInfo } from './http-methods.js'

const app = Fastify()
app.get('/health', () => 'ok')
await app.register(plugin(dispatcher, { context: (request) => requestInfo((name) => request.headers[name]?.toString()) }), { prefix: '/rpc' })

await app.listen({ host: '127.0.0.1', port: Number(process.env['PORT'] ?? 8080) })
const address = app.server.address()
if (address !== null && typeof address === 'object') console.log(`listening on http://${address.address}:${address.port}/rpc`)

// Graceful: Fastify's close stops accepting and lets calls in flight finish.
const stop = (signal: NodeJS.Signals): void => {
  console.log(`${signal}: answering calls in flight, then closing`)
  void app.close().then(() => console.log('closed'))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
