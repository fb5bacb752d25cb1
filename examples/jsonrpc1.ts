/**
 * JSON-RPC 1.0, opt-in, both ends: a server that takes 1.0 as well as 2.0 (`version1: true`), and a
 * client that speaks 1.0 (`version: '1.0'`), as peers such as jsonrpclib's `ServerProxy(url,
 * version=1.0)`, jayson's `version: 1` and Bitcoin Core do. The program serves the HTTP examples'
 * contracts on a free port of 127.0.0.1, calls them in 1.0 and in 2.0, sends a 1.0 notification by
 * hand to show the HTTP answer a 1.0 peer gets (200, empty body), and stops.
 *
 *   npx tsx examples/jsonrpc1.ts
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { Client, ClientError, Dispatch, Registry } from 'fp-jsonrpc'
import { transport } from 'fp-jsonrpc/fetch'
import { serve } from 'fp-jsonrpc/http'
import { Divide, Log, Subtract } from './http-contract.js'

const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Divide, ({ dividend, divisor }) =>
    divisor === 0 ? E.left({ code: 1 as const, message: 'Division by zero', data: { dividend } }) : E.right(dividend / divisor),
  ),
  Registry.add(Log, ({ line }) => {
    console.log(`log: ${line}`)
    return E.right(undefined)
  }),
)

// 2.0 messages are answered exactly as without the option; 1.0 ones in 1.0's shape.
const dispatcher = Dispatch.make(registry, { version1: true })
const started = await serve({ dispatcher, path: '/rpc' })()
if (E.isLeft(started)) throw new Error('could not listen')
const server = started.right

const show = (answer: E.Either<ClientError.ClientError<unknown, unknown>, unknown>): string =>
  E.isRight(answer) ? (answer.right === undefined ? 'ok' : JSON.stringify(answer.right)) : ClientError.format(answer.left)

// A client that speaks 1.0: no "jsonrpc" member, params always, notifications with "id": null.
const v1 = Client.make(transport({ url: server.url }), { version: '1.0' })
console.log(`1.0 subtract: ${show(await pipe(v1, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))())}`)
console.log(`1.0 divide by zero: ${show(await pipe(v1, Client.call(Divide, { dividend: 1, divisor: 0 }))())}`)
console.log(`1.0 log: ${show(await pipe(v1, Client.notify(Log, { line: 'from a 1.0 client' }))())}`)

// The same server answers 2.0 clients as ever.
const v2 = Client.make(transport({ url: server.url }))
console.log(`2.0 subtract: ${show(await pipe(v2, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))())}`)

// On the wire: a 1.0 call is answered with both members, a 1.0 notification 200 with an empty body.
const post = async (body: string): Promise<string> => {
  const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return `${res.status} ${JSON.stringify(await res.text())}`
}
console.log(`wire 1.0 call: ${await post('{"method":"subtract","params":[42,23],"id":1}')}`)
console.log(`wire 1.0 notification: ${await post('{"method":"log","params":["by hand"],"id":null}')}`)
console.log(`wire 2.0 notification: ${await post('{"jsonrpc":"2.0","method":"log","params":["by hand, 2.0"]}')}`)

await server.close()
