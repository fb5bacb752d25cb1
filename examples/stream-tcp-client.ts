/**
 * A JSON-RPC client over TCP for examples/stream-tcp-server.ts: typed calls, a batch, and the
 * server calling back on the same connection (`greet` asks this side for its `name`).
 *
 *   npx tsx examples/stream-tcp-client.ts <port>
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Client, ClientError, Dispatch, Registry } from 'fp-jsonrpc'
import { Framing, connect } from 'fp-jsonrpc/stream'
import { Greet, Log, Name, Subtract } from './stream-contract.js'

const port = Number(process.argv[2])
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: npx tsx examples/stream-tcp-client.ts <port>')
  process.exit(2)
}

// What this side answers when the server calls it.
const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Name, () => E.right('Ada')),
    Registry.add(Log, ({ line }) => {
      console.log(`server says: ${line}`)
      return E.right(undefined)
    }),
  ),
)

const program = pipe(
  connect({ port, framing: Framing.ndjson, dispatcher }),
  TE.mapLeft((e) => `cannot connect: ${String(e.cause)}`),
  TE.chain((connection) =>
    pipe(
      TE.Do,
      TE.apS('difference', pipe(connection.client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))),
      TE.apSW('greeting', pipe(connection.client, Client.call(Greet))),
      TE.apSW(
        'batch',
        pipe(connection.client, Client.batch(Client.call(Subtract, { minuend: 1, subtrahend: 2 }), Client.call(Subtract, { minuend: 5, subtrahend: 3 }))),
      ),
      TE.mapLeft(ClientError.format),
      TE.chainFirstTaskK(() => () => connection.close()),
    ),
  ),
)

const out = await program()
if (E.isLeft(out)) {
  console.error(out.left)
  process.exit(1)
}
const { difference, greeting, batch } = out.right
console.log('subtract(42, 23) =', difference) // 19
console.log('greet() =', greeting) // Hello, Ada!
console.log('batch =', batch.map(E.getOrElseW(ClientError.format))) // [ -1, 2 ]
