/**
 * fp-jsonrpc in an express 5 app: the node:http listener mounted on one route, beside the app's
 * other routes, with the request's header as the handlers' context.
 *
 *   npx tsx examples/express.ts              # http://127.0.0.1:8080/rpc
 *   PORT=0 npx tsx examples/express.ts       # a free port
 *
 * The listener reads the body itself, so no body parser is needed. With `express.json()` in front it
 * dispatches what that parsed, but then express answers malformed JSON with its own 400 page (with
 * a stack trace unless NODE_ENV=production) before the listener runs; without it, a malformed body
 * gets the JSON-RPC Parse error.
 */
import express from 'express'
import type { AddressInfo } from 'node:net'
import { listener } from 'fp-jsonrpc/http'
import { dispatcher, requestInfo } from './http-methods.js'

const app = express()
app.get('/health', (_req, res) => {
  res.send('ok')
})
app.post('/rpc', listener(dispatcher, { context: (req: express.Request) => requestInfo((name) => req.get(name)) }))

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
