/**
 * A JSON-RPC server over TCP, newline-delimited JSON, on 127.0.0.1. Every connection may also be
 * called back: `greet` asks the caller for its name on the same connection.
 *
 *   npx tsx examples/stream-tcp-server.ts [port]        (a free port by default; it prints it)
 *   npx tsx examples/stream-tcp-client.ts <port>        (in another terminal)
 *
 * Ctrl-C closes it gracefully: answers in flight are written before the connections close.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Client, ClientError, Dispatch, Peer, Registry, RpcError } from 'fp-jsonrpc'
import { Framing, listen } from 'fp-jsonrpc/stream'
import { Greet, Log, Name, Subtract } from './stream-contract.js'

interface Context {
  /** Calls back the side that called. */
  readonly caller: Client.Client<Peer.PeerError>
  readonly remote: string
}

const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Greet, (_, { caller, remote }: Context) =>
    pipe(
      caller,
      Client.notify(Log, { line: `greeting ${remote}` }),
      TE.chainW(() => pipe(caller, Client.call(Name))),
      TE.bimap(
        (e) => RpcError.serverError(-32010, `could not ask your name: ${ClientError.format(e)}`),
        (name) => `Hello, ${name}!`,
      ),
    ),
  ),
)

const dispatcher = Dispatch.make(registry, { onDefect: (cause) => console.error('defect:', cause) })

const started = await listen({
  port: Number(process.argv[2] ?? 0),
  framing: Framing.ndjson,
  dispatcher,
  context: ({ client, socket }) => ({ caller: client, remote: `${socket.remoteAddress}:${socket.remotePort}` }),
  onFramingError: (error, _connection, socket) => console.error(`${socket.remoteAddress}: ${Framing.format(error)}`),
})()
if (E.isLeft(started)) {
  console.error('cannot listen:', started.left.cause)
  process.exit(1)
}
const server = started.right
console.log(`listening on ${server.address.address}:${server.address.port}`)

process.once('SIGINT', () => {
  console.log(`closing ${server.connections().length} connection(s)`)
  void server.close().then(() => console.log('closed'))
})
