/**
 * Batching: the wrapper that sends the calls of one tick (or one window) as one batch. Against a real
 * HTTP server on 127.0.0.1 (`serve`) that counts the POSTs it gets, against a raw node:http server
 * that answers what a test scripts, and, for the routing property, over a dispatcher in memory.
 */
import { createServer, type Server as NodeServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as fc from 'fast-check'
import * as t from 'io-ts'
import { afterAll, describe, expect, it } from 'vitest'
import { Batching, Client, Dispatch, InMemory, Method, Registry, RpcError, type Transport } from '../src/index.js'
import { transport as fetchTransport } from '../src/fetch/index.js'
import { serve, type Server } from '../src/http/index.js'
import * as Ws from '../src/ws/index.js'

const Negative = RpcError.typed(7, t.type({ n: t.number }), 'Negative')
const Square = Method.make({ name: 'square', params: t.type({ n: t.number }), result: t.number, error: Negative })
const Slow = Method.make({ name: 'slow', params: t.type({ ms: t.number }), result: t.number })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })

const logged: Array<string> = []
let handled = 0
const registry = pipe(
  Registry.empty,
  Registry.add(Square, ({ n }) => {
    handled++
    return n < 0 ? E.left({ code: 7 as const, message: 'negative', data: { n } }) : E.right(n * n)
  }),
  Registry.add(Slow, ({ ms }) => TE.rightTask(() => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)))),
  Registry.add(Log, ({ line }) => {
    logged.push(line)
  }),
)

interface Counted {
  readonly server: Server
  /** The POSTs the server received, in order. */
  readonly posts: () => number
}

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  await Promise.all(closers.map((close) => close()))
})

const start = async (options: { readonly maxBatchLength?: number } = {}): Promise<Counted> => {
  const started = await serve({ dispatcher: Dispatch.make(registry, options) })()
  if (E.isLeft(started)) throw new Error('serve failed')
  const server = started.right
  closers.push(() => server.close())
  let posts = 0
  server.server.on('request', (req: { method?: string }) => {
    if (req.method === 'POST') posts++
  })
  return { server, posts: () => posts }
}

/** The fetch transport to `url`, recording each body it sends. */
const recording = (url: string) => {
  const bodies: Array<string> = []
  const inner = fetchTransport({
    url,
    fetch: (input, init) => {
      bodies.push(typeof init.body === 'string' ? init.body : '')
      return fetch(input, init)
    },
  })
  return { inner, bodies, elements: () => bodies.map((b) => (b.startsWith('[') ? (JSON.parse(b) as Array<unknown>).length : 1)) }
}

const range = (n: number): ReadonlyArray<number> => [...Array(n).keys()]

describe('Batching over HTTP: one request carries the calls of one tick', () => {
  it('Promise.all of 10 calls is one POST of 10 elements, each call answered with its own result', async () => {
    const { server, posts } = await start()
    const { inner, bodies, elements } = recording(server.url)
    const client = Client.make(pipe(inner, Batching.make()))
    const before = handled
    const answers = await Promise.all(range(10).map((n) => pipe(client, Client.call(Square, { n }))()))
    expect(answers).toEqual(range(10).map((n) => E.right(n * n)))
    expect(posts()).toBe(1)
    expect(elements()).toEqual([10])
    expect(handled - before).toBe(10)
    expect(JSON.parse(bodies[0])).toEqual(range(10).map((n) => ({ jsonrpc: '2.0', method: 'square', params: { n }, id: n + 1 })))
  })

  it('a burst larger than maxBatchLength is split: 1000 calls with a maximum of 100 are 10 POSTs of 100', async () => {
    const { server, posts } = await start()
    const { inner, elements } = recording(server.url)
    const client = Client.make(pipe(inner, Batching.make({ maxBatchLength: 100 })))
    const answers = await Promise.all(range(1000).map((n) => pipe(client, Client.call(Square, { n }))()))
    expect(answers).toEqual(range(1000).map((n) => E.right(n * n)))
    expect(posts()).toBe(10)
    expect(elements()).toEqual(range(10).map(() => 100))
  })

  it('the default maximum is the dispatcher default, 100: 250 calls are batches of 100, 100 and 50', async () => {
    const { server, posts } = await start()
    const { inner, elements } = recording(server.url)
    const client = Client.make(pipe(inner, Batching.make()))
    const answers = await Promise.all(range(250).map((n) => pipe(client, Client.call(Square, { n }))()))
    expect(answers.every(E.isRight)).toBe(true)
    expect(posts()).toBe(3)
    expect(elements()).toEqual([100, 100, 50])
  })

  it('mixes calls and notifications: the notifications go in the batch and get Right', async () => {
    const { server, posts } = await start()
    const { inner, bodies } = recording(server.url)
    const client = Client.make(pipe(inner, Batching.make()))
    const tag = `mixed-${Date.now()}`
    const [a, b, c, d, e] = await Promise.all([
      pipe(client, Client.call(Square, { n: 2 }))(),
      pipe(client, Client.notify(Log, { line: `${tag}-1` }))(),
      pipe(client, Client.call(Square, { n: 3 }))(),
      pipe(client, Client.notify(Log, { line: `${tag}-2` }))(),
      pipe(client, Client.call(Square, { n: 4 }))(),
    ])
    expect([a, b, c, d, e]).toEqual([E.right(4), E.right(undefined), E.right(9), E.right(undefined), E.right(16)])
    expect(posts()).toBe(1)
    expect((JSON.parse(bodies[0]) as Array<{ id?: unknown }>).map((m) => m.id)).toEqual([1, undefined, 2, undefined, 3])
    expect(logged.filter((l) => l.startsWith(tag))).toEqual([`${tag}-1`, `${tag}-2`])
  })

  it('notifications only: one POST, answered 204, every notification Right', async () => {
    const { server, posts } = await start()
    const client = Client.make(pipe(fetchTransport({ url: server.url }), Batching.make()))
    const tag = `only-${Date.now()}`
    const sent = await Promise.all(range(3).map((i) => pipe(client, Client.notify(Log, { line: `${tag}-${i}` }))()))
    expect(sent).toEqual([E.right(undefined), E.right(undefined), E.right(undefined)])
    expect(posts()).toBe(1)
    expect(logged.filter((l) => l.startsWith(tag)).sort()).toEqual([`${tag}-0`, `${tag}-1`, `${tag}-2`])
  })

  it('an error for one call, success for the others: the error is that call typed ApplicationError', async () => {
    const { server, posts } = await start()
    const client = Client.make(pipe(fetchTransport({ url: server.url }), Batching.make()))
    const answers = await Promise.all([1, -2, 3].map((n) => pipe(client, Client.call(Square, { n }))()))
    expect(answers).toEqual([E.right(1), E.left({ _tag: 'ApplicationError', error: { code: 7, message: 'negative', data: { n: -2 } } }), E.right(9)])
    expect(posts()).toBe(1)
  })

  it('the server down: every call of the batch gets the transport failure', async () => {
    const { server } = await start()
    const url = server.url
    await server.close()
    const client = Client.make(pipe(fetchTransport({ url }), Batching.make()))
    const answers = await Promise.all(range(3).map((n) => pipe(client, Client.call(Square, { n }))()))
    for (const answer of answers) expect(answer).toMatchObject(E.left({ _tag: 'TransportError', error: { _tag: 'NetworkError' } }))
  })

  it('a server that refuses the whole batch (its maxBatchLength is lower): every call gets that one error', async () => {
    const { server, posts } = await start({ maxBatchLength: 2 })
    const client = Client.make(pipe(fetchTransport({ url: server.url }), Batching.make({ maxBatchLength: 3 })))
    const answers = await Promise.all(range(3).map((n) => pipe(client, Client.call(Square, { n }))()))
    expect(posts()).toBe(1)
    for (const answer of answers)
      expect(answer).toEqual(E.left({ _tag: 'RpcError', error: { code: -32600, message: 'Invalid Request', data: 'a batch holds at most 2 requests' } }))
    // Set to the server's limit, the same calls pass.
    const fitting = Client.make(pipe(fetchTransport({ url: server.url }), Batching.make({ maxBatchLength: 2 })))
    expect(await Promise.all(range(3).map((n) => pipe(fitting, Client.call(Square, { n }))()))).toEqual([E.right(0), E.right(1), E.right(4)])
  })

  it('a lone call goes as it is, not wrapped in an array', async () => {
    const { server } = await start()
    const { inner, bodies } = recording(server.url)
    const client = Client.make(pipe(inner, Batching.make()))
    expect(await pipe(client, Client.call(Square, { n: 5 }))()).toEqual(E.right(25))
    expect(bodies).toEqual(['{"jsonrpc":"2.0","method":"square","params":{"n":5},"id":1}'])
  })

  it('Client.batch goes as it is, alone, at once', async () => {
    const { server, posts } = await start()
    const { inner, bodies } = recording(server.url)
    const client = Client.make(pipe(inner, Batching.make({ windowMs: 10_000 })))
    const batch = await pipe(client, Client.batch(Client.call(Square, { n: 2 }), Client.call(Square, { n: 3 })))()
    expect(batch).toEqual(E.right([E.right(4), E.right(9)]))
    expect(posts()).toBe(1)
    expect(bodies.length).toBe(1)
  })

  it('two clients sharing one wrapper, each counting its ids from 1: one POST, each call its own answer', async () => {
    const { server, posts } = await start()
    const { inner, bodies } = recording(server.url)
    const shared = pipe(inner, Batching.make())
    const [one, two] = [Client.make(shared), Client.make(shared)]
    const answers = await Promise.all(range(6).map((n) => pipe(n % 2 === 0 ? one : two, Client.call(Square, { n }))()))
    expect(answers).toEqual(range(6).map((n) => E.right(n * n)))
    expect(posts()).toBe(1)
    const ids = (JSON.parse(bodies[0]) as Array<{ id: unknown }>).map((m) => m.id)
    expect(new Set(ids).size).toBe(6)
    expect(ids).toEqual([1, 'b1', 2, 'b2', 3, 'b3'])
  })

  it('a window gathers calls started over time; without one, calls of different ticks go apart', async () => {
    const { server, posts } = await start()
    const windowed = Client.make(pipe(fetchTransport({ url: server.url }), Batching.make({ windowMs: 100 })))
    const later = (ms: number, n: number) => new Promise((resolve) => setTimeout(() => resolve(pipe(windowed, Client.call(Square, { n }))()), ms))
    expect(await Promise.all([later(0, 1), later(10, 2), later(20, 3)])).toEqual([E.right(1), E.right(4), E.right(9)])
    expect(posts()).toBe(1)
    const ticked = Client.make(pipe(fetchTransport({ url: server.url }), Batching.make()))
    const soon = (ms: number, n: number) => new Promise((resolve) => setTimeout(() => resolve(pipe(ticked, Client.call(Square, { n }))()), ms))
    expect(await Promise.all([soon(0, 1), soon(30, 2)])).toEqual([E.right(1), E.right(4)])
    expect(posts()).toBe(3)
  })

  it('calls started after awaits within the same tick (microtasks) still share the batch', async () => {
    const { server, posts } = await start()
    const client = Client.make(pipe(fetchTransport({ url: server.url }), Batching.make()))
    const chained = async (n: number) => {
      await Promise.resolve()
      await Promise.resolve()
      return pipe(client, Client.call(Square, { n }))()
    }
    expect(await Promise.all([pipe(client, Client.call(Square, { n: 1 }))(), chained(2), chained(3)])).toEqual([E.right(1), E.right(4), E.right(9)])
    expect(posts()).toBe(1)
  })
})

describe("Batching: each call's signal and timeout", () => {
  it('a call aborted before the batch goes leaves it: it is not sent, the others are answered', async () => {
    const { server, posts } = await start()
    const { inner, bodies } = recording(server.url)
    const client = Client.make(pipe(inner, Batching.make()))
    const controller = new AbortController()
    const calls = [1, 2, 3].map((n) => pipe(client, Client.call(Square, { n }, n === 2 ? { signal: controller.signal } : {}))())
    controller.abort('no longer needed')
    expect(await Promise.all(calls)).toEqual([
      E.right(1),
      E.left({ _tag: 'TransportError', error: { _tag: 'Aborted', reason: 'no longer needed' } }),
      E.right(9),
    ])
    expect(posts()).toBe(1)
    expect((JSON.parse(bodies[0]) as Array<{ id: unknown }>).map((m) => m.id)).toEqual([1, 3])
  })

  it('a call aborted while the batch is in flight fails at once; the others are answered', async () => {
    const { server } = await start()
    const client = Client.make(pipe(fetchTransport({ url: server.url }), Batching.make()))
    const controller = new AbortController()
    const t0 = Date.now()
    const aborted = pipe(client, Client.call(Slow, { ms: 300 }, { signal: controller.signal }))().then((a) => ({ a, ms: Date.now() - t0 }))
    const other = pipe(client, Client.call(Slow, { ms: 200 }))()
    setTimeout(() => controller.abort('gone'), 30)
    const first = await aborted
    expect(first.a).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Aborted', reason: 'gone' } }))
    expect(first.ms).toBeLessThan(150)
    expect(await other).toEqual(E.right(200))
  })

  it("a call's timeout applies to it alone", async () => {
    const { server } = await start()
    const client = Client.make(pipe(fetchTransport({ url: server.url }), Batching.make()))
    const [short, long] = await Promise.all([
      pipe(client, Client.call(Slow, { ms: 200 }, { timeoutMs: 30 }))(),
      pipe(client, Client.call(Slow, { ms: 100 }, { timeoutMs: 5_000 }))(),
    ])
    expect(short).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 30 } }))
    expect(long).toEqual(E.right(100))
  })

  it('an already aborted signal fails at once, with nothing sent', async () => {
    const sent: Array<string> = []
    const client = Client.make(pipe(inMemory(sent), Batching.make()))
    const answer = await pipe(client, Client.call(Square, { n: 1 }, { signal: AbortSignal.abort('before') }))()
    expect(answer).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Aborted', reason: 'before' } }))
    expect(sent).toEqual([])
  })

  it('once every call of a batch in flight has left, the inner exchange is aborted', async () => {
    let innerSignal: Transport.AbortSignalLike | undefined
    const never: Transport.Transport<never> = {
      send: (_body, expected) => () => {
        innerSignal = expected.signal
        return new Promise(() => undefined)
      },
    }
    const client = Client.make(pipe(never, Batching.make()))
    const a = new AbortController()
    const calls = [pipe(client, Client.call(Square, { n: 1 }, { signal: a.signal }))(), pipe(client, Client.call(Square, { n: 2 }, { timeoutMs: 20 }))()]
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(innerSignal?.aborted).toBe(false)
    a.abort('x')
    expect(innerSignal?.aborted).toBe(false)
    const answers = await Promise.all(calls)
    expect(answers[1]).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 20 } }))
    expect(innerSignal?.aborted).toBe(true)
  })

  it('the inner exchange is told the longest time left, and idempotent only when every message is', async () => {
    const seen: Array<Transport.Expected> = []
    const inner: Transport.Transport<never> = {
      send: (_body, expected) => async () => {
        seen.push(expected)
        return E.right(undefined)
      },
    }
    const Get = Method.make({ name: 'get', params: t.type({ n: t.number }), result: t.number, idempotent: true })
    const client = Client.make(pipe(inner, Batching.make()))
    await Promise.all([pipe(client, Client.call(Get, { n: 1 }, { timeoutMs: 1000 }))(), pipe(client, Client.call(Get, { n: 2 }, { timeoutMs: 3000 }))()])
    await Promise.all([pipe(client, Client.call(Get, { n: 1 }))(), pipe(client, Client.call(Square, { n: 2 }, { timeoutMs: 3000 }))()])
    expect(seen[0].ids).toEqual([1, 2])
    expect(seen[0].idempotent).toBe(true)
    expect(seen[0].timeoutMs).toBeGreaterThan(2900)
    expect(seen[0].timeoutMs).toBeLessThanOrEqual(3000)
    expect(seen[1].idempotent).toBeUndefined()
    expect(seen[1].timeoutMs).toBeUndefined()
  })
})

/** A raw node:http server answering every POST with `answer(body)`. */
const scripted = async (answer: (body: string) => string): Promise<string> => {
  const server: NodeServer = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(answer(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

type Request = { readonly id: string | number; readonly params: { readonly n: number } }

describe('Batching: answers that do not answer every call', () => {
  it('a response missing for one call is its MissingResponse; the others are answered', async () => {
    const url = await scripted((body) =>
      JSON.stringify((JSON.parse(body) as Array<Request>).filter((r) => r.params.n !== 2).map((r) => ({ jsonrpc: '2.0', result: r.params.n * 10, id: r.id }))),
    )
    const client = Client.make(pipe(fetchTransport({ url }), Batching.make()))
    const answers = await Promise.all([1, 2, 3].map((n) => pipe(client, Client.call(Square, { n }))()))
    expect(answers).toEqual([E.right(10), E.left({ _tag: 'MissingResponse', id: 2, unmatched: [] }), E.right(30)])
  })

  it('what answers no call is shown to the calls left without an answer', async () => {
    const stray = { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null }
    const url = await scripted((body) =>
      JSON.stringify([
        ...(JSON.parse(body) as Array<Request>).filter((r) => r.params.n !== 2).map((r) => ({ jsonrpc: '2.0', result: r.params.n, id: r.id })),
        stray,
      ]),
    )
    const client = Client.make(pipe(fetchTransport({ url }), Batching.make()))
    const answers = await Promise.all([1, 2].map((n) => pipe(client, Client.call(Square, { n }))()))
    expect(answers).toEqual([E.right(1), E.left({ _tag: 'MissingResponse', id: 2, unmatched: [stray] })])
  })

  it('two responses for one call are its DuplicateResponse', async () => {
    const url = await scripted((body) =>
      JSON.stringify(
        (JSON.parse(body) as Array<Request>).flatMap((r) =>
          r.params.n === 1
            ? [
                { jsonrpc: '2.0', result: 1, id: r.id },
                { jsonrpc: '2.0', result: 2, id: r.id },
              ]
            : [{ jsonrpc: '2.0', result: 0, id: r.id }],
        ),
      ),
    )
    const client = Client.make(pipe(fetchTransport({ url }), Batching.make()))
    const answers = await Promise.all([1, 2].map((n) => pipe(client, Client.call(Square, { n }))()))
    expect(answers[0]).toMatchObject(E.left({ _tag: 'DuplicateResponse', id: 1 }))
    expect(answers[1]).toEqual(E.right(0))
  })

  it('an empty answer leaves every call MissingResponse, never a hang; a body that is not JSON is every call InvalidResponse', async () => {
    const empty = await scripted(() => '[]')
    const c1 = Client.make(pipe(fetchTransport({ url: empty }), Batching.make()))
    expect(await Promise.all([1, 2].map((n) => pipe(c1, Client.call(Square, { n }))()))).toEqual([
      E.left({ _tag: 'MissingResponse', id: 1, unmatched: [] }),
      E.left({ _tag: 'MissingResponse', id: 2, unmatched: [] }),
    ])
    const garbage = await scripted(() => 'not json')
    const c2 = Client.make(pipe(fetchTransport({ url: garbage }), Batching.make()))
    const answers = await Promise.all([pipe(c2, Client.call(Square, { n: 1 }))(), pipe(c2, Client.notify(Log, { line: 'x' }))()])
    for (const answer of answers) expect(answer).toMatchObject(E.left({ _tag: 'InvalidResponse', reason: 'the body is not JSON' }))
  })
})

describe('Batching: ids and inner failures', () => {
  it('a call sent under a fresh id whose only neighbour left is answered under its own id', async () => {
    const sent: Array<string> = []
    const shared = pipe(inMemory(sent), Batching.make())
    const [one, two] = [Client.make(shared), Client.make(shared)]
    const controller = new AbortController()
    const first = pipe(one, Client.call(Square, { n: 2 }, { signal: controller.signal }))()
    const second = pipe(two, Client.call(Square, { n: 3 }))()
    controller.abort('x')
    expect(await first).toMatchObject(E.left({ _tag: 'TransportError', error: { _tag: 'Aborted' } }))
    expect(await second).toEqual(E.right(9))
    expect(sent).toEqual(['{"jsonrpc":"2.0","method":"square","params":{"n":3},"id":"b1"}'])
  })

  it('an inner transport that breaks its law and rejects rejects every caller, none hangs', async () => {
    const rejecting: Transport.Transport<never> = { send: () => () => Promise.reject(new Error('broken')) }
    const client = Client.make(pipe(rejecting, Batching.make()))
    const calls = [1, 2].map((n) => pipe(client, Client.call(Square, { n }))())
    for (const call of calls) await expect(call).rejects.toThrow('broken')
  })
})

describe('Batching over a WebSocket (a peer that reads answers by id)', () => {
  it('two clients sharing the wrapper: one message, each call answered under its own id', async () => {
    const { server } = await start()
    const ws = Ws.attachToHttp(server.server, Dispatch.make(registry), { path: '/ws' })
    closers.unshift(() => ws.close())
    const connected = await Ws.connect(server.url.replace('http://', 'ws://') + 'ws')()
    if (E.isLeft(connected)) throw new Error('could not connect')
    const connection = connected.right
    closers.unshift(() => connection.close())
    const bodies: Array<string> = []
    const inner: Transport.Transport<unknown> = {
      send: (body, expected) => {
        bodies.push(body)
        return connection.transport.send(body, expected)
      },
    }
    const shared = pipe(inner, Batching.make())
    const [one, two] = [Client.make(shared), Client.make(shared)]
    const answers = await Promise.all(range(6).map((n) => pipe(n % 2 === 0 ? one : two, Client.call(Square, { n: n - 1 }))()))
    expect(answers).toEqual(
      range(6).map((n) => (n === 0 ? E.left({ _tag: 'ApplicationError', error: { code: 7, message: 'negative', data: { n: -1 } } }) : E.right((n - 1) ** 2))),
    )
    expect(bodies.length).toBe(1)
  })
})

describe('Batching.make: options', () => {
  it('throws a RangeError for a bad windowMs or maxBatchLength', () => {
    expect(() => Batching.make({ windowMs: -1 })).toThrow(RangeError)
    expect(() => Batching.make({ windowMs: NaN })).toThrow(RangeError)
    expect(() => Batching.make({ maxBatchLength: 0 })).toThrow(RangeError)
    expect(() => Batching.make({ maxBatchLength: 1.5 })).toThrow(RangeError)
    expect(() => Batching.make({ maxBatchLength: 1, windowMs: 0 })).not.toThrow()
  })
})

/** The in-memory transport over the test registry, recording each message. */
const inMemory = (sent: Array<string>): Transport.Transport<unknown> => {
  const inner = InMemory.fromDispatcher(Dispatch.make(registry, { maxBatchLength: 5 }))
  return {
    send: (body, expected) => {
      sent.push(body)
      return inner.send(body, expected)
    },
  }
}

describe('Batching: every call gets the answer to its own params (property)', () => {
  it('whatever the clients, interleaving, windows and maximum', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          windowMs: fc.constantFrom(0, 0, 3),
          max: fc.integer({ min: 1, max: 5 }),
          clients: fc.integer({ min: 1, max: 3 }),
          calls: fc.array(fc.record({ client: fc.nat(2), n: fc.integer({ min: -5, max: 50 }), delay: fc.constantFrom(0, 0, 0, 1, 4), notify: fc.boolean() }), {
            maxLength: 25,
          }),
        }),
        async ({ windowMs, max, clients, calls }) => {
          const sent: Array<string> = []
          const shared = pipe(inMemory(sent), Batching.make({ windowMs, maxBatchLength: max }))
          const made = range(clients).map(() => Client.make(shared))
          const answers = await Promise.all(
            calls.map(async ({ client, n, delay, notify }) => {
              if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
              const c = made[client % clients]
              return notify ? pipe(c, Client.notify(Log, { line: String(n) }))() : pipe(c, Client.call(Square, { n }))()
            }),
          )
          answers.forEach((answer, i) => {
            const { n, notify } = calls[i]
            if (notify) expect(answer).toEqual(E.right(undefined))
            else if (n < 0) expect(answer).toEqual(E.left({ _tag: 'ApplicationError', error: { code: 7, message: 'negative', data: { n } } }))
            else expect(answer).toEqual(E.right(n * n))
          })
          const sizes = sent.map((b) => (b.startsWith('[') ? (JSON.parse(b) as Array<unknown>).length : 1))
          expect(sizes.every((s) => s <= max)).toBe(true)
          expect(sizes.reduce((a, b) => a + b, 0)).toBe(calls.length)
          for (const b of sent) {
            const ids = (b.startsWith('[') ? (JSON.parse(b) as Array<{ id?: unknown }>) : [JSON.parse(b) as { id?: unknown }]).flatMap((m) =>
              m.id === undefined ? [] : [m.id],
            )
            expect(new Set(ids).size).toBe(ids.length)
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})
