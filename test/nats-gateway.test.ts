/**
 * The gateway (fp-jsonrpc/nats `dispatcher`): the package's HTTP `serve` and WebSocket server on
 * 127.0.0.1 fronting NATS workers on real nats-servers (one, one with a small max_payload, and a
 * cluster of three). The workers are queue subscriptions over `Dispatch.make(...).dispatch`
 * (test/fixtures/natsResponder.ts).
 */
import type { IncomingMessage } from 'node:http'
import { connect, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, Dispatch, Method, Registry } from '../src/index.js'
import { transport as fetchTransport } from '../src/fetch/index.js'
import { serve } from '../src/http/index.js'
import * as Nats from '../src/nats/index.js'
import * as Ws from '../src/ws/index.js'
import * as NatsServer from './fixtures/natsServer.js'
import { type Responder, responder } from './fixtures/natsResponder.js'

const Add = Method.make({ name: 'add', params: t.type({ a: t.number, b: t.number }), result: t.number, idempotent: true })
const Charge = Method.make({ name: 'charge', params: t.type({ cents: t.number }), result: t.number })
const Whoami = Method.make({ name: 'whoami', result: t.type({ auth: t.union([t.string, t.null]), trace: t.union([t.string, t.null]) }) })
const Note = Method.make({ name: 'note', params: t.type({ line: t.string }) })
const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
const contracts: ReadonlyArray<Method.AnyMethod> = [Add, Charge, Whoami, Note, Echo]
const idempotent = (name: string): boolean => contracts.some((m) => m.name === name && Method.isIdempotent(m))

const header = (h: MsgHdrs | undefined, name: string): string | null => (h?.has(name) === true ? h.get(name) : null)
const workerDispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Add, ({ a, b }) => E.right(a + b)),
    Registry.add(Charge, ({ cents }) => E.right(cents)),
    Registry.add(Whoami, (_p, ctx: { readonly headers: MsgHdrs | undefined }) =>
      E.right({ auth: header(ctx.headers, 'authorization'), trace: header(ctx.headers, 'traceparent') }),
    ),
    Registry.add(Note, () => E.right(undefined)),
    Registry.add(Echo, ({ text }) => E.right(text)),
  ),
  { context: (_request, headers: MsgHdrs | undefined) => ({ headers }) },
)

let server: NatsServer.NatsServer
let small: NatsServer.NatsServer
let nc: NatsConnection
let ncSmall: NatsConnection
const connections = NatsServer.connections()
const cleanups: Array<() => Promise<void> | void> = []
let subjectN = 0
const subject = () => `gw.test.${++subjectN}`

beforeAll(async () => {
  ;[server, small] = await Promise.all([NatsServer.start(), NatsServer.start({ maxPayload: 4096 })])
  ;[nc, ncSmall] = await Promise.all([connections.open(server.url), connections.open(small.url)])
})
afterAll(async () => {
  await connections.closeAll()
  await Promise.all([server.stop(), small.stop()])
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const worker = async (on: string, options: Parameters<typeof responder>[3] = {}, url: string | ReadonlyArray<string> = server.url): Promise<Responder> => {
  const w = await responder(url, on, workerDispatcher, options)
  cleanups.push(w.stop)
  return w
}

interface Edge {
  readonly url: string
  readonly wsUrl: string
}

/** The gateway behind `serve` (HTTP, on /) and the WebSocket server (on /ws) of one port. */
const edge = async (options: Nats.GatewayOptions<IncomingMessage>, limits: { readonly maxBodyBytes?: number } = {}): Promise<Edge> => {
  const gateway = Nats.dispatcher<IncomingMessage>(options)
  const started = await serve({ dispatcher: gateway, context: (req) => req, ...limits })()
  if (E.isLeft(started)) throw new Error('could not listen')
  const http = started.right
  const ws = Ws.attachToHttp(http.server, gateway, {
    path: '/ws',
    context: (req) => req,
    ...(limits.maxBodyBytes === undefined ? {} : { maxPayload: limits.maxBodyBytes }),
  })
  cleanups.push(async () => {
    await ws.close()
    await http.close()
  })
  return { url: http.url, wsUrl: http.url.replace(/^http/, 'ws') + 'ws' }
}

const wsClient = async (url: string, headers?: Record<string, string>): Promise<Ws.ClientConnection> => {
  const connection = await Ws.connect(url, headers === undefined ? {} : { headers })()
  if (E.isLeft(connection)) throw new Error(`could not connect: ${JSON.stringify(connection.left)}`)
  cleanups.push(() => connection.right.close())
  return connection.right
}

const post = async (url: string, body: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  return { status: res.status, body: await res.text() }
}

const rpcError = (code: number, message: string) => E.left({ _tag: 'RpcError', error: { code, message } })

describe('forwarding over HTTP and WebSocket', () => {
  it('answers calls, batches and notifications as the worker does', async () => {
    const s = subject()
    await worker(s)
    const { url, wsUrl } = await edge({ connection: nc, subject: s })
    const overHttp = Client.make(fetchTransport({ url }))
    const overWs = (await wsClient(wsUrl)).client
    for (const client of [overHttp, overWs] as ReadonlyArray<Client.Client>) {
      expect(await pipe(client, Client.call(Add, { a: 1, b: 2 }))()).toEqual(E.right(3))
      expect(
        await pipe(client, Client.batch(Client.call(Add, { a: 2, b: 2 }), Client.call(Echo, { text: 'é' }), Client.notify(Note, { line: 'n' })))(),
      ).toEqual(E.right([E.right(4), E.right('é'), E.right(undefined)]))
      expect(await pipe(client, Client.notify(Note, { line: 'x' }))()).toEqual(E.right(undefined))
    }
    // The worker's answers go through as they are: a notification is 204, a parse error is the worker's.
    expect(await post(url, '{"jsonrpc":"2.0","method":"note","params":{"line":"x"}}')).toEqual({ status: 204, body: '' })
    expect(await post(url, '{"jsonrpc":"2.0","method":"nope","id":7}')).toEqual({
      status: 200,
      body: '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":7}',
    })
    expect(await post(url, '{oops')).toEqual({ status: 200, body: '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}' })
  })

  it('forwards the headers it is told to, from the HTTP request or the WebSocket upgrade', async () => {
    const s = subject()
    await worker(s)
    const { url, wsUrl } = await edge({ connection: nc, subject: s, headers: Nats.headersFrom(['authorization', 'traceparent']) })
    const trace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const overHttp = Client.make(fetchTransport({ url, headers: { authorization: 'Bearer h', traceparent: trace, cookie: 'secret' } }))
    expect(await pipe(overHttp, Client.call(Whoami))()).toEqual(E.right({ auth: 'Bearer h', trace }))
    const overWs = (await wsClient(wsUrl, { authorization: 'Bearer w' })).client
    expect(await pipe(overWs, Client.call(Whoami))()).toEqual(E.right({ auth: 'Bearer w', trace: null }))
  })

  it('a burst of 1000 calls over HTTP and 1000 over WebSocket, shared by two workers, each answered', async () => {
    const s = subject()
    const [w1, w2] = await Promise.all([worker(s), worker(s)])
    const { url, wsUrl } = await edge({ connection: nc, subject: s })
    const overHttp = Client.make(fetchTransport({ url }))
    const overWs = (await wsClient(wsUrl)).client
    for (const client of [overHttp, overWs] as ReadonlyArray<Client.Client>) {
      const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => pipe(client, Client.call(Add, { a: i, b: 1 }))()))
      expect(answers).toEqual(Array.from({ length: 1000 }, (_, i) => E.right(i + 1)))
    }
    expect(w1.received() + w2.received()).toBe(2000)
    expect(w1.received()).toBeGreaterThan(200)
    expect(w2.received()).toBeGreaterThan(200)
  }, 30_000)
})

describe('when forwarding fails', () => {
  it('no worker: each request gets -32010 with its id, notifications nothing, at once', async () => {
    const s = subject()
    const seen: Array<Nats.NatsError> = []
    const { url, wsUrl } = await edge({ connection: nc, subject: s, timeoutMs: 10_000, onError: (e) => seen.push(e) })
    const started = Date.now()
    const batch =
      '[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},{"jsonrpc":"2.0","method":"note","params":["n"]},{"jsonrpc":"2.0","method":"add","params":[1,2],"id":"b"},5]'
    expect(await post(url, batch)).toEqual({
      status: 200,
      body:
        '[{"jsonrpc":"2.0","error":{"code":-32010,"message":"No worker available"},"id":1},' +
        '{"jsonrpc":"2.0","error":{"code":-32010,"message":"No worker available"},"id":"b"},' +
        '{"jsonrpc":"2.0","error":{"code":-32010,"message":"No worker available"},"id":null}]',
    })
    expect(await post(url, '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":3}')).toEqual({
      status: 200,
      body: '{"jsonrpc":"2.0","error":{"code":-32010,"message":"No worker available"},"id":3}',
    })
    expect(await post(url, '{"jsonrpc":"2.0","method":"note","params":["n"]}')).toEqual({ status: 204, body: '' })
    expect(await post(url, '[{"jsonrpc":"2.0","method":"note","params":["n"]}]')).toEqual({ status: 204, body: '' })
    expect(await post(url, '{not json')).toEqual({ status: 200, body: '{"jsonrpc":"2.0","error":{"code":-32010,"message":"No worker available"},"id":null}' })
    expect(await post(url, '[]')).toEqual({ status: 200, body: '{"jsonrpc":"2.0","error":{"code":-32010,"message":"No worker available"},"id":null}' })
    const overWs = (await wsClient(wsUrl)).client
    expect(await pipe(overWs, Client.call(Add, { a: 1, b: 1 }))()).toEqual(rpcError(-32010, 'No worker available'))
    expect(await pipe(overWs, Client.notify(Note, { line: 'n' }))()).toEqual(E.right(undefined))
    expect(Date.now() - started).toBeLessThan(3000)
    // The WebSocket notification is done once written; the gateway forwards it after.
    for (let i = 0; i < 100 && seen.length < 8; i++) await new Promise((r) => setTimeout(r, 10))
    expect(seen).toHaveLength(8)
    expect(seen.every((e) => e._tag === 'NoResponders')).toBe(true)
  })

  it('a worker that dies mid-call: -32011 with its id; with retry and an idempotent contract, the call succeeds on the other worker', async () => {
    const s = subject()
    const dying = { onMessage: () => (void worker(s), 'die' as const) }
    await worker(s, dying)
    const plain = await edge({ connection: nc, subject: s, timeoutMs: 300 })
    expect(await post(plain.url, '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":"x"}')).toEqual({
      status: 200,
      body: '{"jsonrpc":"2.0","error":{"code":-32011,"message":"Worker timed out"},"id":"x"}',
    })

    const s2 = subject()
    let deaths = 0
    await worker(s2, { onMessage: () => (deaths++, void worker(s2), 'die' as const) })
    const retrying = await edge({ connection: nc, subject: s2, timeoutMs: 5000, retry: { attemptTimeoutMs: 300, baseDelayMs: 10 }, idempotent })
    expect(await pipe(Client.make(fetchTransport({ url: retrying.url })), Client.call(Add, { a: 2, b: 3 }))()).toEqual(E.right(5))
    expect(deaths).toBe(1)

    // Not idempotent: never sent twice, so the timeout is its answer.
    const s3 = subject()
    let calls = 0
    await worker(s3, { onMessage: () => (calls++, void worker(s3, { onMessage: () => void calls++ }), 'die' as const) })
    const third = await edge({ connection: nc, subject: s3, timeoutMs: 400, retry: { attemptTimeoutMs: 100 }, idempotent })
    expect(await pipe(Client.make(fetchTransport({ url: third.url })), Client.call(Charge, { cents: 1 }))()).toEqual(rpcError(-32011, 'Worker timed out'))
    expect(calls).toBe(1)
  })

  it("a message over the NATS max_payload: -32012 with its id, and the edge's own body limit answers 413 first", async () => {
    const s = subject()
    const w = await worker(s, {}, small.url)
    const { url } = await edge({ connection: ncSmall, subject: s })
    const big = JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: { text: 'x'.repeat(5000) }, id: 9 })
    expect(await post(url, big)).toEqual({ status: 200, body: '{"jsonrpc":"2.0","error":{"code":-32012,"message":"Message too large"},"id":9}' })
    expect(w.received()).toBe(0)
    const limited = await edge({ connection: ncSmall, subject: s }, { maxBodyBytes: 4000 })
    expect((await post(limited.url, big)).status).toBe(413)
    const fits = JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: { text: 'y'.repeat(3000) }, id: 10 })
    expect(await post(limited.url, fits)).toEqual({ status: 200, body: JSON.stringify({ jsonrpc: '2.0', result: 'y'.repeat(3000), id: 10 }) })
  })

  it('a closed connection: -32013, and nothing of the NATS client text is sent', async () => {
    const own = await connect({ servers: server.url })
    const { url } = await edge({ connection: own, subject: subject(), headers: () => ({ x: 'y' }) })
    await own.close()
    expect(await post(url, '[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}]')).toEqual({
      status: 200,
      body: '[{"jsonrpc":"2.0","error":{"code":-32013,"message":"Gateway unavailable"},"id":1}]',
    })
  })

  it('a headers function that throws: -32013, its exception to onError only', async () => {
    const s = subject()
    await worker(s)
    const seen: Array<Nats.NatsError> = []
    const { url } = await edge({
      connection: nc,
      subject: s,
      onError: (e) => seen.push(e),
      headers: () => {
        throw new Error('/secret/path')
      },
    })
    const answer = await post(url, '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}')
    expect(answer).toEqual({ status: 200, body: '{"jsonrpc":"2.0","error":{"code":-32013,"message":"Gateway unavailable"},"id":1}' })
    expect(seen).toMatchObject([{ _tag: 'RequestFailed' }])
  })
})

describe('a cluster of three nats-servers', () => {
  it('the gateway on one member, workers on the two others: calls reach both workers', async () => {
    const cluster = await NatsServer.startCluster(3)
    cleanups.push(() => cluster.stop())
    const s = subject()
    const [w1, w2] = await Promise.all([worker(s, {}, cluster.servers[1].url), worker(s, {}, cluster.servers[2].url)])
    const gatewayConnection = await connect({ servers: cluster.servers[0].url })
    cleanups.push(() => gatewayConnection.close())
    const { url } = await edge({ connection: gatewayConnection, subject: s })
    const client = Client.make(fetchTransport({ url }))
    // Interest crosses the routes a moment after the workers subscribe.
    for (let i = 0; i < 100; i++) {
      const first = await pipe(client, Client.call(Add, { a: 0, b: 0 }))()
      if (E.isRight(first)) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => pipe(client, Client.call(Add, { a: i, b: i }))()))
    expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => E.right(2 * i)))
    expect(w1.received()).toBeGreaterThan(0)
    expect(w2.received()).toBeGreaterThan(0)
  }, 30_000)
})

describe('the other entry points and helpers', () => {
  it('dispatchToResponse, dispatchToSerializable, dispatchBytes and dispatchTask forward too', async () => {
    const s = subject()
    await worker(s)
    const gateway = Nats.dispatcher({ connection: nc, subject: s })
    const one = '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}'
    expect(await gateway.dispatchToSerializable(one)).toEqual({ jsonrpc: '2.0', result: 3, id: 1 })
    expect(await gateway.dispatchToResponse(`[${one}]`)).toEqual([E.right({ jsonrpc: '2.0', result: 3, id: 1 })])
    expect(await gateway.dispatchBytes(new TextEncoder().encode(one))).toBe('{"jsonrpc":"2.0","result":3,"id":1}')
    expect(await gateway.dispatchBytes(new Uint8Array([0xff, 0xfe]))).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
    expect(await gateway.dispatchTask(one)()).toBe('{"jsonrpc":"2.0","result":3,"id":1}')
    expect(await gateway.dispatchValue({ jsonrpc: '2.0', method: 'add', params: [2, 2], id: 'v' })).toBe('{"jsonrpc":"2.0","result":4,"id":"v"}')
  })

  it('dispatchCancellable stops waiting once its signal aborts, and answers nothing', async () => {
    const s = subject()
    await worker(s, { onMessage: () => 'ignore' })
    const gateway = Nats.dispatcher({ connection: nc, subject: s })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 30)
    const started = Date.now()
    expect(await gateway.dispatchCancellable({ jsonrpc: '2.0', method: 'add', params: [1, 1], id: 1 }, controller.signal)).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(1000)
    // The same through dispatchWith and dispatchValueWith (Dispatch.Given), which the edges call.
    const again = new AbortController()
    setTimeout(() => again.abort(), 30)
    const both = await Promise.all([
      gateway.dispatchWith('{"jsonrpc":"2.0","method":"add","params":[1,1],"id":2}', { signal: again.signal, endpoint: { url: 'http://x/' } }),
      gateway.dispatchValueWith({ jsonrpc: '2.0', method: 'add', params: [1, 1], id: 3 }, { signal: again.signal }),
    ])
    expect(both).toEqual([undefined, undefined])
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('dispatchWith and dispatchValueWith forward as dispatch does', async () => {
    const s = subject()
    await worker(s)
    const gateway = Nats.dispatcher({ connection: nc, subject: s })
    expect(await gateway.dispatchWith('{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}', {})).toBe('{"jsonrpc":"2.0","result":3,"id":1}')
    expect(await gateway.dispatchValueWith({ jsonrpc: '2.0', method: 'add', params: [2, 2], id: 2 }, {})).toBe('{"jsonrpc":"2.0","result":4,"id":2}')
  })

  it('failureOf, headersFrom, and a timeout that makes no sense', () => {
    expect(Nats.failureOf({ _tag: 'NoResponders', subject: 's' })).toEqual({ code: -32010, message: 'No worker available' })
    expect(Nats.failureOf({ _tag: 'Timeout', ms: 1 })).toEqual({ code: -32011, message: 'Worker timed out' })
    expect(Nats.failureOf({ _tag: 'TooLarge', size: 2, limit: 1 })).toEqual({ code: -32012, message: 'Message too large' })
    expect(Nats.failureOf({ _tag: 'Closed' })).toEqual({ code: -32013, message: 'Gateway unavailable' })
    expect(Nats.failureOf({ _tag: 'Aborted', reason: 1 })).toBeUndefined()
    expect(Nats.headersFrom(['Authorization', 'x-trace'])({ headers: { authorization: 'a', 'x-trace': ['1', '2'], cookie: 'c' } })).toEqual({
      Authorization: 'a',
      'x-trace': '1, 2',
    })
    expect(() => Nats.dispatcher({ connection: nc, subject: 's', timeoutMs: Number.NaN })).toThrow(RangeError)
  })
})
