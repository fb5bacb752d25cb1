/**
 * Retries of idempotent calls only. A server on a free port of 127.0.0.1 answers its first two POSTs
 * with `503 Service Unavailable` (a proxy whose upstream is restarting, say), then serves as usual.
 * The client retries a failed message only when every call in it is of a contract marked
 * `idempotent`, with exponential backoff and jitter, at most `maxAttempts` times in all, within the
 * call's `timeoutMs`; a call of any other contract is sent once, and its failure is the answer.
 *
 *   npx tsx examples/http-retry.ts
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { Client, ClientError, Dispatch, Method, Registry, Retry } from 'fp-jsonrpc'
import { transport, type HttpError } from 'fp-jsonrpc/fetch'
import { listener } from 'fp-jsonrpc/http'

// Reading a balance twice changes nothing: idempotent. Withdrawing twice would withdraw twice: not.
const Balance = Method.make({ name: 'balance', params: t.type({ account: t.string }), result: t.number, idempotent: true })
const Withdraw = Method.make({ name: 'withdraw', params: t.type({ account: t.string, amount: t.number }), result: t.number })

let balance = 100
const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Balance, () => E.right(balance)),
    Registry.add(Withdraw, ({ amount }) => E.right((balance -= amount))),
  ),
)

// The first `unavailable` POSTs get 503, before the JSON-RPC listener sees them.
let unavailable = 0
const rpc = listener(dispatcher, {})
const server = createServer((req, res) => {
  if (unavailable > 0) {
    unavailable--
    res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable')
    return
  }
  rpc(req, res)
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`

// Retry what another attempt may fix: the network, and a 502/503/504 from the way in.
const retrying = Retry.transport<HttpError>({
  retryable: (e) => e._tag === 'NetworkError' || (e._tag === 'BadStatus' && [502, 503, 504].includes(e.status)),
  maxAttempts: 4,
  baseDelayMs: 20,
  onRetry: (attempt, e, delayMs) =>
    console.log(`  attempt ${attempt} after ${e._tag} ${e._tag === 'BadStatus' ? e.status : ''}, waiting ${Math.round(delayMs)} ms`),
})
const client = Client.make(retrying(transport({ url })))
const show = (answer: E.Either<ClientError.ClientError<unknown, unknown>, unknown>): string =>
  E.isRight(answer) ? JSON.stringify(answer.right) : ClientError.format(answer.left)

unavailable = 2
console.log('balance (idempotent), the server down for two POSTs:')
console.log(`  ${show(await pipe(client, Client.call(Balance, { account: 'ada' }, { timeoutMs: 5000 }))())}`) // 100, on the third attempt

unavailable = 1
console.log('withdraw (not idempotent), the server down for one POST:')
console.log(`  ${show(await pipe(client, Client.call(Withdraw, { account: 'ada', amount: 30 }))())}`) // the 503: sent once, never again
console.log(`  balance: ${show(await pipe(client, Client.call(Balance, { account: 'ada' }))())}`) // still 100: nothing was withdrawn twice

await new Promise<void>((resolve) => server.close(() => resolve()))
