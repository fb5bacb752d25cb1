/**
 * Calls per second over one TCP connection on 127.0.0.1 with 100 calls in flight, in both
 * framings, against the same handler called directly through `dispatcher.dispatch` (and through a
 * typed client over the in-memory transport, to tell the client's own cost from the transport's).
 *
 *   npx tsx examples/stream-throughput.ts                 # 2 s per case
 *   DURATION_MS=5000 npx tsx examples/stream-throughput.ts
 *
 * Each case is warmed up for a quarter of its duration first. One process runs both ends of the
 * connection, so the TCP figures include the server's work and the client's.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { Client, Dispatch, InMemory, Registry } from 'fp-jsonrpc'
import { Framing, connect, listen } from 'fp-jsonrpc/stream'
import { Subtract } from './stream-contract.js'

const DURATION_MS = Number(process.env['DURATION_MS'] ?? 2000)
const IN_FLIGHT = 100

const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  ),
)

/** Runs `once` for `ms`, `inFlight` at a time; gives the calls per second. */
const measure = async (ms: number, inFlight: number, once: () => Promise<void>): Promise<number> => {
  let count = 0
  const until = performance.now() + ms
  const started = performance.now()
  const worker = async (): Promise<void> => {
    while (performance.now() < until) {
      await once()
      count++
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return count / ((performance.now() - started) / 1000)
}

/** Runs a synchronous `once` in a tight loop for `ms`; gives the calls per second. */
const measureSync = (ms: number, once: () => void): number => {
  let count = 0
  const started = performance.now()
  const until = started + ms
  while (performance.now() < until) {
    for (let i = 0; i < 1000; i++) once()
    count += 1000
  }
  return count / ((performance.now() - started) / 1000)
}

const expectRight = (e: E.Either<unknown, number>): void => {
  if (E.isLeft(e) || e.right !== 19) throw new Error(`unexpected answer: ${JSON.stringify(e)}`)
}

const rows: Array<{ readonly case: string; readonly 'calls/s': number }> = []
const row = (name: string, perSecond: number): void => {
  rows.push({ case: name, 'calls/s': Math.round(perSecond) })
  console.error(`${name}: ${Math.round(perSecond)} calls/s`)
}

// 1. The floor: the dispatcher alone, text in and text out, no client, no transport.
const request = '{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23},"id":1}'
if (dispatcher.dispatch(request) !== '{"jsonrpc":"2.0","result":19,"id":1}') throw new Error('unexpected dispatch answer')
measureSync(DURATION_MS / 4, () => void dispatcher.dispatch(request))
row(
  'dispatcher.dispatch (direct, synchronous)',
  measureSync(DURATION_MS, () => void dispatcher.dispatch(request)),
)

// 2. A typed client over the in-memory transport: the client's cost, no bytes.
const inMemory = Client.make(InMemory.fromDispatcher(dispatcher))
const callInMemory = async (): Promise<void> => expectRight(await pipe(inMemory, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))())
await measure(DURATION_MS / 4, IN_FLIGHT, callInMemory)
row(`Client over InMemory, ${IN_FLIGHT} in flight`, await measure(DURATION_MS, IN_FLIGHT, callInMemory))

// 3. A typed client over one TCP connection, in each framing.
for (const framing of [Framing.ndjson, Framing.contentLength]) {
  const server = await listen({ framing, dispatcher })()
  if (E.isLeft(server)) throw server.left.cause
  const connection = await connect({ port: server.right.address.port, framing })()
  if (E.isLeft(connection)) throw connection.left.cause
  const client = connection.right.client
  const call = async (): Promise<void> => expectRight(await pipe(client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))())
  await measure(DURATION_MS / 4, IN_FLIGHT, call)
  row(`Client over TCP (${framing.name}), ${IN_FLIGHT} in flight`, await measure(DURATION_MS, IN_FLIGHT, call))
  await connection.right.close()
  await server.right.close()
}

const floor = rows[0]?.['calls/s'] ?? 1
console.table(rows.map((r) => ({ ...r, 'vs direct': `${((r['calls/s'] / floor) * 100).toFixed(1)} %` })))
