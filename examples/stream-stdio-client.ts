/**
 * Starts examples/stream-stdio-server.ts as a child process and talks JSON-RPC to it over the
 * child's stdin and stdout: typed calls, and the child calling back this side (`greet` asks for
 * `name`). The child's stderr is passed through. Closing the connection ends the child's stdin,
 * and the child exits by itself.
 *
 *   npx tsx examples/stream-stdio-client.ts
 */
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Client, ClientError, Dispatch, Registry } from 'fp-jsonrpc'
import { Framing, spawn } from 'fp-jsonrpc/stream'
import { Greet, Name, Subtract } from './stream-contract.js'

const server = fileURLToPath(new URL('./stream-stdio-server.ts', import.meta.url))

// Run the child with this process's Node flags: under tsx, they carry its TypeScript loader.
const started = await spawn(process.execPath, [...process.execArgv, server], {
  framing: Framing.contentLength,
  dispatcher: Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Name, () => E.right('Grace')),
    ),
  ),
})()
if (E.isLeft(started)) {
  console.error('cannot start the server:', started.left.cause)
  process.exit(1)
}
const child = started.right

const out = await pipe(
  TE.Do,
  TE.apS('difference', pipe(child.client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))),
  TE.apS('greeting', pipe(child.client, Client.call(Greet))),
  TE.mapLeft(ClientError.format),
)()
await child.close()
console.log(out) // { _tag: 'Right', right: { difference: 19, greeting: 'Hello, Grace!' } }
console.log('the server exited with', await child.exited) // { code: 0, signal: null }
