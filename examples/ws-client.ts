/**
 * A typed JSON-RPC client over WebSocket, against examples/ws-server.ts: a call, a typed application
 * error, a batch, then a subscription whose ticks the server pushes as notifications, served here by
 * the client's own dispatcher. The server also calls this client (`hello`) as it connects.
 *
 *   npx tsx examples/ws-client.ts [url]    # ws://127.0.0.1:8080/rpc by default
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { Client, ClientError, Dispatch, Registry } from 'fp-jsonrpc'
import * as Ws from 'fp-jsonrpc/ws'
import { Hello, Subscribe, Subtract, Tick, Unsubscribe } from './ws-contract.js'

const url = process.argv[2] ?? 'ws://127.0.0.1:8080/rpc'
const wanted = 3

// The methods the server may call on this client.
let ticked: (n: number) => void = () => undefined
const enough = new Promise<void>((resolve) => {
  ticked = (n) => {
    if (n >= wanted) resolve()
  }
})
const mine = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Hello, ({ connections }) => {
      console.log(`server says hello (${connections} connected)`)
      return E.right('ws-client example')
    }),
    Registry.add(Tick, ({ subscription, n, at }) => {
      console.log(`tick ${n} of ${subscription} at ${at}`)
      ticked(n)
    }),
  ),
)

const opened = await Ws.connect(url, { dispatcher: mine, timeoutMs: 5_000, reconnect: { retries: 3, delayMs: 500 } })()
if (E.isLeft(opened)) {
  const e = opened.left
  console.error(`cannot connect to ${url}: ${e._tag === 'UpgradeRefused' ? `HTTP ${e.status}` : String(e.cause)}`)
  process.exit(1)
}
const connection = opened.right
const client = connection.client

const show = <A>(label: string, answer: E.Either<ClientError.ClientError<unknown, unknown>, A>): void =>
  console.log(`${label} -> ${E.isRight(answer) ? JSON.stringify(answer.right) : ClientError.format(answer.left)}`)

show('subtract 42 - 23', await pipe(client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))())

// A declared application error comes back typed: its data is { minimumMs: number }.
const tooFast = await pipe(client, Client.call(Subscribe, { everyMs: 1 }))()
if (E.isLeft(tooFast) && tooFast.left._tag === 'ApplicationError') {
  console.log(`subscribe every 1 ms -> ${tooFast.left.error.message} (at least ${tooFast.left.error.data.minimumMs} ms)`)
}

// One frame for both calls; each gets its own answer.
const batch = await pipe(client, Client.batch(Client.call(Subtract, { minuend: 5, subtrahend: 3 }), Client.call(Unsubscribe, { subscription: 'none' })))()
if (E.isRight(batch)) {
  show('batch: subtract 5 - 3', batch.right[0])
  show('batch: unsubscribe none', batch.right[1])
}

const subscribed = await pipe(client, Client.call(Subscribe, { everyMs: 200 }))()
show('subscribe every 200 ms', subscribed)
if (E.isRight(subscribed)) {
  await enough
  show('unsubscribe', await pipe(client, Client.call(Unsubscribe, { subscription: subscribed.right }))())
}

await connection.close()
console.log(`closed (${(await connection.closed).code})`)
