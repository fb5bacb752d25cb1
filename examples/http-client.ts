/**
 * A typed JSON-RPC client over HTTP (the fetch transport), calling the contracts of
 * http-contract.ts on a server started by http-server.ts, express.ts or hono.ts.
 *
 *   npx tsx examples/http-client.ts [url]    # http://127.0.0.1:8080/rpc by default
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { Client, ClientError } from 'fp-jsonrpc'
import { formatError, transport, type HttpError } from 'fp-jsonrpc/fetch'
import { Divide, Log, Sleep, Subtract, WhoAmI } from './http-contract.js'

const url = process.argv[2] ?? 'http://127.0.0.1:8080/rpc'
const client = Client.make(transport({ url, headers: { 'x-user': 'ada' }, timeoutMs: 5000 }))

const explain = (e: ClientError.ClientError<unknown, HttpError>): string => (e._tag === 'TransportError' ? formatError(e.error) : ClientError.format(e))

const show = <A>(label: string, answer: E.Either<ClientError.ClientError<unknown, HttpError>, A>): void =>
  console.log(`${label} -> ${E.isRight(answer) ? (answer.right === undefined ? 'ok' : JSON.stringify(answer.right)) : explain(answer.left)}`)

show('subtract 42 - 23', await pipe(client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))())
show('whoami', await pipe(client, Client.call(WhoAmI))())

// A declared application error comes back typed: its data is { dividend: number }.
const divided = await pipe(client, Client.call(Divide, { dividend: 1, divisor: 0 }))()
if (E.isLeft(divided) && divided.left._tag === 'ApplicationError') {
  console.log(`divide 1 / 0 -> ${divided.left.error.message} (dividend ${divided.left.error.data.dividend})`)
}

show('log', await pipe(client, Client.notify(Log, { line: 'hello from the client' }))())

// One HTTP request for three entries; each gets its own answer.
const batch = await pipe(
  client,
  Client.batch(
    Client.call(Subtract, { minuend: 5, subtrahend: 3 }),
    Client.call(Divide, { dividend: 9, divisor: 3 }),
    Client.notify(Log, { line: 'in a batch' }),
  ),
)()
if (E.isRight(batch)) {
  const [difference, quotient, logged] = batch.right
  show('batch: subtract 5 - 3', difference)
  show('batch: divide 9 / 3', quotient)
  show('batch: log', logged)
} else show('batch', batch)

// Per call: a timeout shorter than the transport's, and a signal the caller controls.
show('sleep 300 ms, 50 ms allowed', await pipe(client, Client.call(Sleep, { ms: 300 }, { timeoutMs: 50 }))())
const controller = new AbortController()
setTimeout(() => controller.abort(new Error('the user went away')), 20)
show('sleep 300 ms, aborted', await pipe(client, Client.call(Sleep, { ms: 300 }, { signal: controller.signal }))())
