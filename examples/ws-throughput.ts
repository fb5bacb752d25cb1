/**
 * Throughput of the WebSocket transport: calls per second over one connection with 100 calls in
 * flight, against the same handler reached without a network. Not a test: it prints numbers.
 *
 *   npx tsx examples/ws-throughput.ts [calls]    # 50 000 calls per row by default
 *
 * Rows, each timed after a warm-up round, on 127.0.0.1:
 * - dispatch: `dispatcher.dispatch(text)`, the request text prepared, no client;
 * - in-memory client: `Client.call` over `InMemory.fromDispatcher` (encode, decode, match; no socket);
 * - WebSocket client: `Client.call` over one `Ws.connect` connection to a `Ws.attach` server;
 * - bare ws echo: a text frame there and back on one `ws` socket, no JSON-RPC at all (the floor).
 */
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { WebSocket, WebSocketServer } from 'ws'
import { Client, Dispatch, InMemory, Method, Registry } from 'fp-jsonrpc'
import * as Ws from 'fp-jsonrpc/ws'

const calls = Number(process.argv[2] ?? 50_000)
const inFlight = 100

const Add = Method.make({ name: 'add', params: t.type({ a: t.number, b: t.number }), result: t.number })
const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Add, ({ a, b }) => E.right(a + b)),
  ),
)

/** Runs `one(i)` for i in [0, n) with `inFlight` of them at a time; gives calls per second. */
const measure = async (n: number, one: (i: number) => Promise<boolean>): Promise<number> => {
  let next = 0
  let failed = 0
  const started = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) if (!(await one(next++))) failed++
    }),
  )
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (failed > 0) throw new Error(`${failed} of ${n} calls failed`)
  return n / seconds
}

const row = async (label: string, one: (i: number) => Promise<boolean>): Promise<number> => {
  await measure(Math.max(1_000, Math.floor(calls / 5)), one)
  const perSecond = await measure(calls, one)
  console.log(`${label.padEnd(34)} ${Math.round(perSecond).toLocaleString('en').padStart(10)} calls/s  ${(1e6 / perSecond).toFixed(2).padStart(7)} us/call`)
  return perSecond
}

const requests = Array.from({ length: 1_000 }, (_v, i) => JSON.stringify({ jsonrpc: '2.0', method: 'add', params: { a: i, b: 1 }, id: i }))

// The servers, on 127.0.0.1 with a free port each.
const listen = (): Promise<WebSocketServer> =>
  new Promise((resolve) => {
    const wss: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => resolve(wss))
  })
const rpcWss = await listen()
const server = Ws.attach(rpcWss, dispatcher)
const echoWss = await listen()
echoWss.on('connection', (socket) =>
  socket.on('message', (data) =>
    socket.send(
      Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8'),
    ),
  ),
)
const urlOf = (wss: WebSocketServer): string => `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`

console.log(`${calls.toLocaleString('en')} calls per row, ${inFlight} in flight, node ${process.version}`)

const direct = await row('dispatch (no client, no socket)', async (i) => (await dispatcher.dispatch(requests[i % 1_000])) !== undefined)

const inMemory = Client.make(InMemory.fromDispatcher(dispatcher))
await row('in-memory client', async (i) => E.isRight(await pipe(inMemory, Client.call(Add, { a: i, b: 1 }))()))

const opened = await Ws.connect(urlOf(rpcWss))()
if (E.isLeft(opened)) throw new Error(`cannot connect: ${JSON.stringify(opened.left)}`)
const overWs = await row('WebSocket client, one connection', async (i) => {
  const answer = await pipe(opened.right.client, Client.call(Add, { a: i, b: 1 }))()
  return E.isRight(answer) && answer.right === i + 1
})

// The floor: frames matched to waiters in order, as an echo keeps it.
const echo = new WebSocket(urlOf(echoWss))
await new Promise((resolve) => echo.once('open', resolve))
const waiting: Array<() => void> = []
echo.on('message', () => waiting.shift()?.())
await row('bare ws echo (no JSON-RPC)', (i) => {
  const answered = new Promise<boolean>((resolve) => waiting.push(() => resolve(true)))
  echo.send(requests[i % 1_000])
  return answered
})

console.log(`WebSocket client / dispatch: ${(overWs / direct).toFixed(3)}`)

echo.terminate()
await opened.right.close()
await server.close()
rpcWss.close()
echoWss.close()
