/**
 * The NATS client transport (fp-jsonrpc/nats `transport`) against real nats-servers on 127.0.0.1
 * and workers that are queue subscriptions over `Dispatch.make(...).dispatch`
 * (test/fixtures/natsResponder.ts): answers, typed errors, the call's signal and timeout, headers,
 * notifications, and retries of idempotent contracts.
 */
import { connect, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, Dispatch, Method, Registry } from '../src/index.js'
import * as Nats from '../src/nats/index.js'
import * as NatsServer from './fixtures/natsServer.js'
import { type Responder, responder } from './fixtures/natsResponder.js'

const Add = Method.make({ name: 'add', params: t.type({ a: t.number, b: t.number }), result: t.number, idempotent: true })
const Charge = Method.make({ name: 'charge', params: t.type({ cents: t.number }), result: t.number })
const Whoami = Method.make({ name: 'whoami', result: t.union([t.string, t.null]) })
const Slow = Method.make({ name: 'slow', params: t.type({ ms: t.number }), result: t.number, idempotent: true })
const Note = Method.make({ name: 'note', params: t.type({ line: t.string }) })
const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })

const notes: Array<string> = []
const workerDispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Add, ({ a, b }) => E.right(a + b)),
    Registry.add(Charge, ({ cents }) => E.right(cents)),
    Registry.add(Whoami, (_p, ctx: { readonly auth: string | null }) => E.right(ctx.auth)),
    Registry.add(Slow, ({ ms }) => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms))),
    Registry.add(Note, ({ line }) => {
      notes.push(line)
      return E.right(undefined)
    }),
    Registry.add(Echo, ({ text }) => E.right(text)),
  ),
  { context: (_request, headers: MsgHdrs | undefined) => ({ auth: headers?.has('authorization') === true ? headers.get('authorization') : null }) },
)

let server: NatsServer.NatsServer
let small: NatsServer.NatsServer
let nc: NatsConnection
let ncSmall: NatsConnection
const connections = NatsServer.connections()
const cleanups: Array<() => Promise<void>> = []
let subjectN = 0
const subject = () => `rpc.test.${++subjectN}`

beforeAll(async () => {
  ;[server, small] = await Promise.all([NatsServer.start(), NatsServer.start({ maxPayload: 2048 })])
  ;[nc, ncSmall] = await Promise.all([connections.open(server.url), connections.open(small.url)])
})
afterAll(async () => {
  await connections.closeAll()
  await Promise.all([server.stop(), small.stop()])
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const worker = async (on: string, options: Parameters<typeof responder>[3] = {}, url: string = server.url): Promise<Responder> => {
  const w = await responder(url, on, workerDispatcher, options)
  cleanups.push(w.stop)
  return w
}

const transportError = (error: Nats.NatsError) => E.left({ _tag: 'TransportError', error })

describe('calls over NATS request-reply', () => {
  it('answers a call, a batch and a notification (the worker replies empty, read as no body)', async () => {
    const s = subject()
    await worker(s)
    const client = Client.make(Nats.transport({ connection: nc, subject: s }))
    expect(await pipe(client, Client.call(Add, { a: 1, b: 2 }))()).toEqual(E.right(3))
    expect(
      await pipe(client, Client.batch(Client.call(Add, { a: 2, b: 2 }), Client.call(Echo, { text: 'é ✓' }), Client.notify(Note, { line: 'b' })))(),
    ).toEqual(E.right([E.right(4), E.right('é ✓'), E.right(undefined)]))
    const before = notes.length
    expect(await pipe(client, Client.notify(Note, { line: 'hello' }))()).toEqual(E.right(undefined))
    expect(notes.slice(before)).toEqual(['hello'])
  })

  it('a burst: Promise.all of 1000 calls over one transport, shared by two workers, each answered with its own result', async () => {
    const s = subject()
    const [one, two] = [await worker(s), await worker(s)]
    const client = Client.make(Nats.transport({ connection: nc, subject: s, timeoutMs: 20_000 }))
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => pipe(client, Client.call(Echo, { text: `é ${i}` }))()))
    expect(answers).toEqual(Array.from({ length: 1000 }, (_, i) => E.right(`é ${i}`)))
    expect(one.received() + two.received()).toBe(1000)
  })

  it('hands the raw reply back: an empty payload is undefined, anything else its text', async () => {
    const s = subject()
    await worker(s)
    const t1 = Nats.transport({ connection: nc, subject: s })
    expect(await t1.send('{"jsonrpc":"2.0","method":"note","params":{"line":"x"}}', { ids: [] })()).toEqual(E.right(undefined))
    expect(await t1.send('{"jsonrpc":"2.0","method":"add","params":[1,1],"id":"a"}', { ids: ['a'] })()).toEqual(
      E.right('{"jsonrpc":"2.0","result":2,"id":"a"}'),
    )
    expect(await t1.send('nope', { ids: [] })()).toEqual(E.right('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'))
  })

  it('sends headers (fixed or read per message), which the worker context sees', async () => {
    const s = subject()
    await worker(s)
    expect(await pipe(Client.make(Nats.transport({ connection: nc, subject: s, headers: { authorization: 'Bearer a' } })), Client.call(Whoami))()).toEqual(
      E.right('Bearer a'),
    )
    let n = 0
    const client = Client.make(Nats.transport({ connection: nc, subject: s, headers: () => ({ authorization: `Bearer ${++n}` }) }))
    expect(await pipe(client, Client.call(Whoami))()).toEqual(E.right('Bearer 1'))
    expect(await pipe(client, Client.call(Whoami))()).toEqual(E.right('Bearer 2'))
    expect(await pipe(Client.make(Nats.transport({ connection: nc, subject: s })), Client.call(Whoami))()).toEqual(E.right(null))
  })

  it("with notifications: 'publish', a notification is sent without waiting, and the worker still runs it", async () => {
    const s = subject()
    const w = await worker(s)
    const client = Client.make(Nats.transport({ connection: nc, subject: s, notifications: 'publish' }))
    expect(await pipe(client, Client.notify(Note, { line: 'published' }))()).toEqual(E.right(undefined))
    await nc.flush()
    for (let i = 0; i < 50 && w.received() === 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(notes).toContain('published')
    // With nobody listening, publishing cannot tell: the notification is gone, and that is all.
    const nobody = Client.make(Nats.transport({ connection: nc, subject: subject(), notifications: 'publish' }))
    expect(await pipe(nobody, Client.notify(Note, { line: 'lost' }))()).toEqual(E.right(undefined))
  })
})

describe('typed errors', () => {
  it('NoResponders when nothing serves the subject, at once (not after the timeout)', async () => {
    const s = subject()
    const client = Client.make(Nats.transport({ connection: nc, subject: s, timeoutMs: 10_000 }))
    const started = Date.now()
    expect(await pipe(client, Client.call(Add, { a: 1, b: 2 }))()).toEqual(transportError({ _tag: 'NoResponders', subject: s }))
    // A notification sent as a request learns it too.
    expect(await pipe(client, Client.notify(Note, { line: 'x' }))()).toEqual(transportError({ _tag: 'NoResponders', subject: s }))
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it("Timeout after the transport's timeoutMs, or the call's own", async () => {
    const s = subject()
    await worker(s)
    const client = Client.make(Nats.transport({ connection: nc, subject: s, timeoutMs: 100 }))
    expect(await pipe(client, Client.call(Slow, { ms: 400 }))()).toEqual(transportError({ _tag: 'Timeout', ms: 100 }))
    expect(await pipe(client, Client.call(Slow, { ms: 400 }, { timeoutMs: 50 }))()).toEqual(transportError({ _tag: 'Timeout', ms: 50 }))
    expect(await pipe(client, Client.call(Slow, { ms: 20 }, { timeoutMs: 2000 }))()).toEqual(E.right(20))
    expect(await pipe(client, Client.call(Slow, { ms: 20 }, { timeoutMs: 0 }))()).toEqual(transportError({ _tag: 'Timeout', ms: 0 }))
  })

  it("TooLarge for a message over the server's max_payload, and nothing is sent", async () => {
    const s = subject()
    const w = await worker(s, {}, small.url)
    const client = Client.make(Nats.transport({ connection: ncSmall, subject: s }))
    expect(ncSmall.info?.max_payload).toBe(2048)
    const answer = await pipe(client, Client.call(Echo, { text: 'x'.repeat(3000) }))()
    expect(answer).toMatchObject(transportError({ _tag: 'TooLarge', limit: 2048 } as Nats.NatsError))
    const size = (answer as E.Left<{ readonly error: { readonly size: number } }>).left.error.size
    expect(size).toBeGreaterThan(3000)
    // Headers count: a message that fits alone is too large with them.
    const fits = 'y'.repeat(1900)
    expect(await pipe(client, Client.call(Echo, { text: fits }))()).toEqual(E.right(fits))
    const withHeaders = Client.make(Nats.transport({ connection: ncSmall, subject: s, headers: { authorization: 'z'.repeat(200) } }))
    expect(await pipe(withHeaders, Client.call(Echo, { text: fits }))()).toMatchObject(transportError({ _tag: 'TooLarge', limit: 2048 } as Nats.NatsError))
    expect(w.received()).toBe(1)
  })

  it('Aborted when the signal aborts, before or during the call', async () => {
    const s = subject()
    await worker(s)
    const client = Client.make(Nats.transport({ connection: nc, subject: s }))
    expect(await pipe(client, Client.call(Add, { a: 1, b: 1 }, { signal: AbortSignal.abort('early') }))()).toEqual(
      transportError({ _tag: 'Aborted', reason: 'early' }),
    )
    const controller = new AbortController()
    setTimeout(() => controller.abort('late'), 30)
    const started = Date.now()
    expect(await pipe(client, Client.call(Slow, { ms: 1000 }, { signal: controller.signal }))()).toEqual(transportError({ _tag: 'Aborted', reason: 'late' }))
    expect(Date.now() - started).toBeLessThan(500)
  })

  it('Closed once the connection is closed (or draining)', async () => {
    const own = await connect({ servers: server.url })
    const client = Client.make(Nats.transport({ connection: own, subject: subject() }))
    await own.close()
    expect(await pipe(client, Client.call(Add, { a: 1, b: 1 }))()).toEqual(transportError({ _tag: 'Closed' }))
  })

  it("leaves the application's Error.stackTraceLimit as it was, whatever the request does", async () => {
    const before = Error.stackTraceLimit
    const s = subject()
    await worker(s)
    const client = Client.make(Nats.transport({ connection: nc, subject: s }))
    expect(await pipe(client, Client.call(Add, { a: 1, b: 2 }))()).toEqual(E.right(3))
    expect(await pipe(Client.make(Nats.transport({ connection: nc, subject: subject() })), Client.call(Add, { a: 1, b: 2 }))()).toMatchObject(
      transportError({ _tag: 'NoResponders' } as Nats.NatsError),
    )
    expect(Error.stackTraceLimit).toBe(before)
    // A connection whose request throws: RequestFailed with what it threw, and the limit put back.
    const refusal = new TypeError('no such subject')
    let limitInRequest: number | undefined
    const throwing = {
      ...nc,
      isClosed: () => false,
      isDraining: () => false,
      info: nc.info,
      request: () => {
        limitInRequest = Error.stackTraceLimit
        throw refusal
      },
    } as unknown as Nats.Connection
    expect(await pipe(Client.make(Nats.transport({ connection: throwing, subject: 'x' })), Client.call(Add, { a: 1, b: 2 }))()).toEqual(
      transportError({ _tag: 'RequestFailed', cause: refusal }),
    )
    // Errors the NATS client makes inside `request` are made with no stack; the application's limit is back after it.
    expect(limitInRequest).toBe(0)
    expect(Error.stackTraceLimit).toBe(before)
  })

  it('refuses a timeout that makes no sense, and formats every error on one line', () => {
    expect(() => Nats.transport({ connection: nc, subject: 'x', timeoutMs: -1 })).toThrow(RangeError)
    expect(Nats.formatError({ _tag: 'NoResponders', subject: 'a.b' })).toBe('no responders on "a.b"')
    expect(Nats.formatError({ _tag: 'Timeout', ms: 5 })).toBe('no answer within 5 ms')
    expect(Nats.formatError({ _tag: 'TooLarge', size: 9, limit: 8 })).toBe("message of 9 bytes is larger than the server's max_payload of 8 bytes")
    expect(Nats.formatError({ _tag: 'Closed' })).toBe('the NATS connection is closed')
    expect(Nats.formatError({ _tag: 'Aborted', reason: new Error('stop') })).toBe('aborted: stop')
    expect(Nats.formatError({ _tag: 'RequestFailed', cause: 'x' })).toBe('request failed: x')
    expect([Nats.isRetryable({ _tag: 'NoResponders', subject: 'a' }), Nats.isRetryable({ _tag: 'Timeout', ms: 1 })]).toEqual([true, true])
    expect([
      Nats.isRetryable({ _tag: 'TooLarge', size: 2, limit: 1 }),
      Nats.isRetryable({ _tag: 'Closed' }),
      Nats.isRetryable({ _tag: 'Aborted', reason: 1 }),
    ]).toEqual([false, false, false])
  })
})

describe('retries of idempotent contracts (retry option)', () => {
  it('no responder at first, then a worker joins: an idempotent call succeeds; one that is not fails at once', async () => {
    const s = subject()
    const client = Client.make(Nats.transport({ connection: nc, subject: s, retry: { maxAttempts: 20, baseDelayMs: 20, maxDelayMs: 100 } }))
    setTimeout(() => void worker(s), 150)
    const started = Date.now()
    expect(await pipe(client, Client.call(Add, { a: 20, b: 22 }))()).toEqual(E.right(42))
    expect(Date.now() - started).toBeGreaterThanOrEqual(100)

    // Charge is not idempotent: one try, and NoResponders is its answer before the worker comes.
    const t2 = subject()
    const charge = Client.make(Nats.transport({ connection: nc, subject: t2, retry: { maxAttempts: 20, baseDelayMs: 20, maxDelayMs: 100 } }))
    let late: Responder | undefined
    const joins = setTimeout(() => void worker(t2).then((w) => (late = w)), 150)
    const at = Date.now()
    expect(await pipe(charge, Client.call(Charge, { cents: 5 }))()).toEqual(transportError({ _tag: 'NoResponders', subject: t2 }))
    expect(Date.now() - at).toBeLessThan(150)
    await new Promise((r) => setTimeout(r, 300))
    clearTimeout(joins)
    expect(late?.received()).toBe(0)
  })

  it('a worker that dies mid-call: Timeout without retry; with retry, the idempotent call succeeds on the other worker', async () => {
    const s = subject()
    // The dying worker is the only one until it has taken the call; then a healthy one joins.
    await worker(s, {
      onMessage: () => {
        void worker(s)
        return 'die'
      },
    })
    const plain = Client.make(Nats.transport({ connection: nc, subject: s, timeoutMs: 300 }))
    expect(await pipe(plain, Client.call(Add, { a: 1, b: 1 }))()).toEqual(transportError({ _tag: 'Timeout', ms: 300 }))

    const s2 = subject()
    let deaths = 0
    await worker(s2, {
      onMessage: () => {
        deaths++
        void worker(s2)
        return 'die'
      },
    })
    const retrying = Client.make(Nats.transport({ connection: nc, subject: s2, retry: { attemptTimeoutMs: 300, baseDelayMs: 10 } }))
    expect(await pipe(retrying, Client.call(Add, { a: 2, b: 3 }, { timeoutMs: 5000 }))()).toEqual(E.right(5))
    expect(deaths).toBe(1)
  })

  it("a message that is not all idempotent is sent once, even with retry on, with the call's whole timeout: the Timeout is its answer", async () => {
    const s = subject()
    let calls = 0
    await worker(s, {
      onMessage: () => {
        calls++
        void worker(s, { onMessage: () => void calls++ })
        return 'die'
      },
    })
    const client = Client.make(Nats.transport({ connection: nc, subject: s, retry: { attemptTimeoutMs: 200, baseDelayMs: 1 } }))
    expect(await pipe(client, Client.batch(Client.call(Add, { a: 1, b: 1 }), Client.call(Charge, { cents: 1 }), { timeoutMs: 500 }))()).toEqual(
      transportError({ _tag: 'Timeout', ms: 500 }),
    )
    expect(calls).toBe(1)
  })
})
