/**
 * A client that batches by itself: the calls made in the same tick go as one HTTP request, each
 * still answered with its own typed result. The program starts the HTTP examples' server
 * (http-methods.ts) on a free port of 127.0.0.1, counts the POSTs it receives, and stops it.
 *
 *   npx tsx examples/http-batching.ts
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { Batching, Client, ClientError } from 'fp-jsonrpc'
import { transport } from 'fp-jsonrpc/fetch'
import { serve } from 'fp-jsonrpc/http'
import { Divide, Log, Subtract } from './http-contract.js'
import { dispatcher, requestInfo } from './http-methods.js'

const started = await serve({ dispatcher, path: '/rpc', context: (req) => requestInfo((name) => req.headers[name]?.toString()) })()
if (E.isLeft(started)) throw new Error('could not listen')
const server = started.right
let posts = 0
server.server.on('request', () => posts++)

// The server's batch limit is the dispatcher's default, 100: the wrapper's maxBatchLength matches it.
const client = Client.make(pipe(transport({ url: server.url }), Batching.make({ maxBatchLength: 100 })))

// Three calls and a notification, started together: one POST carrying four elements.
const [difference, quotient, byZero, logged] = await Promise.all([
  pipe(client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))(),
  pipe(client, Client.call(Divide, { dividend: 9, divisor: 3 }))(),
  pipe(client, Client.call(Divide, { dividend: 1, divisor: 0 }))(),
  pipe(client, Client.notify(Log, { line: 'batched' }))(),
])
const show = (answer: E.Either<ClientError.ClientError<unknown, unknown>, unknown>): string =>
  E.isRight(answer) ? (answer.right === undefined ? 'ok' : JSON.stringify(answer.right)) : ClientError.format(answer.left)
console.log(`subtract: ${show(difference)}, divide: ${show(quotient)}, divide by zero: ${show(byZero)}, log: ${show(logged)}`)
console.log(`POSTs: ${posts}`) // 1

// A burst of 250 calls: batches of 100, 100 and 50.
const burst = await Promise.all(Array.from({ length: 250 }, (_, n) => pipe(client, Client.call(Subtract, { minuend: n, subtrahend: 1 }))()))
console.log(`250 calls, ${burst.filter(E.isRight).length} answered, POSTs: ${posts}`) // 4

await server.close()
