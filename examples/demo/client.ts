/**
 * A typed client of the demo service, over HTTP and over WebSocket:
 *
 *   npm start                                    # in one terminal
 *   npx tsx examples/demo/client.ts              # in another (or: ... client.ts http://127.0.0.1:PORT)
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { Client, ClientError, Dispatch, Registry } from 'fp-jsonrpc'
import { transport } from 'fp-jsonrpc/fetch'
import * as Ws from 'fp-jsonrpc/ws'
import { Log, Subscribe, Subtract, Sum, Tick, Withdraw } from './contract.js'

const base = process.argv[2] ?? 'http://127.0.0.1:8080'
const show = (label: string, answer: E.Either<ClientError.ClientError<unknown, unknown>, unknown>): void =>
  console.log(`${label}: ${E.isRight(answer) ? JSON.stringify(answer.right) : `error: ${ClientError.format(answer.left)}`}`)

// Over HTTP.
const http = Client.make(transport({ url: `${base}/rpc` }))
show('subtract', await pipe(http, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))())
show('sum', await pipe(http, Client.call(Sum, [1, 2, 3, 4]))())
const refused = await pipe(http, Client.call(Withdraw, { amount: 500 }))()
if (E.isLeft(refused) && refused.left._tag === 'ApplicationError') {
  console.log(`withdraw: refused, balance ${refused.left.error.data.balance}`) // typed: the contract's error
}
show('log', await pipe(http, Client.notify(Log, { line: 'hello from the demo client' }))())
show('batch', await pipe(http, Client.batch(Client.call(Subtract, { minuend: 1, subtrahend: 2 }), Client.call(Sum, [10, 20])))())

// Over WebSocket: subscribe, and serve the server's `tick` notifications with a registry of our own.
let ticks = 0
let allTicked: () => void = () => undefined
const done = new Promise<void>((resolve) => (allTicked = resolve))
const ticker = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Tick, ({ n }) => {
      console.log(`tick ${n}`)
      if (++ticks === 3) allTicked()
    }),
  ),
)
const connected = await Ws.connect(`${base.replace(/^http/, 'ws')}/ws`, { dispatcher: ticker })()
if (E.isLeft(connected)) {
  console.log(`WebSocket: could not connect: ${JSON.stringify(connected.left)}`)
  process.exitCode = 1
} else {
  const ws = connected.right
  show('subscribe', await pipe(ws.client, Client.call(Subscribe, { every: 50, count: 3 }))())
  await done
  await ws.close()
}
