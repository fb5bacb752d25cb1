/**
 * A JSON-RPC server on its own stdin and stdout, framed with Content-Length headers as in the
 * Language Server Protocol: the kind of process an editor or a parent program starts
 * (examples/stream-stdio-client.ts starts this one). `greet` asks the parent for its name.
 *
 * stdout is the wire: this program logs with console.error only. It exits by itself when stdin
 * ends, once its answers in flight are written.
 *
 *   npx tsx examples/stream-stdio-client.ts
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Client, Dispatch, Peer, Registry, RpcError } from 'fp-jsonrpc'
import { Framing, serveStdio } from 'fp-jsonrpc/stream'
import { Greet, Name, Subtract } from './stream-contract.js'

interface Context {
  readonly parent: Client.Client<Peer.PeerError>
}

const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Greet, (_, { parent }: Context) =>
    pipe(
      parent,
      Client.call(Name),
      TE.bimap(
        () => RpcError.serverError(-32010, 'could not ask your name'),
        (name) => `Hello, ${name}!`,
      ),
    ),
  ),
)

const connection = serveStdio({
  framing: Framing.contentLength,
  dispatcher: Dispatch.make(registry, { onDefect: (cause) => console.error('defect:', cause) }),
  context: ({ client }) => ({ parent: client }),
  onFramingError: (error) => console.error(`stdin: ${Framing.format(error)}`),
})
console.error(`[server ${process.pid}] serving on stdio`)
void connection.closed.then(() => console.error(`[server ${process.pid}] stdin ended, exiting`))
