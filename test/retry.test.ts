/**
 * Retries of idempotent messages (Retry), the idempotent mark on contracts (Method) and what the
 * client tells the transport of it (Expected.idempotent): properties with fast-check, and a real
 * HTTP server on 127.0.0.1 that drops its first connections.
 */
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as fc from 'fast-check'
import * as t from 'io-ts'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Client, Dispatch, Method, Registry, Retry } from '../src/index.js'
import type { Transport } from '../src/index.js'
import { type HttpError, transport as fetchTransport } from '../src/fetch/index.js'

const Get = Method.make({ name: 'get', params: t.type({ key: t.string }), result: t.string, idempotent: true })
const Put = Method.make({ name: 'put', params: t.type({ key: t.string }), result: t.string })
const Touch = Method.make({ name: 'touch', params: t.type({ key: t.string }), idempotent: true })
const Log = Method.make({ name: 'log', params: t.type({ key: t.string }) })

type Failure = { readonly _tag: 'Transient' } | { readonly _tag: 'Fatal' }
const transient: Failure = { _tag: 'Transient' }
const fatal: Failure = { _tag: 'Fatal' }

/** A transport that answers from a script, one outcome per send, and records what it was given. */
const scripted = (outcomes: ReadonlyArray<Either<Failure, string | undefined>>) => {
  const sent: Array<{ readonly body: string; readonly expected: Transport.Expected; readonly at: number }> = []
  const inner: Transport.Transport<Failure> = {
    send: (body, expected) => async () => {
      sent.push({ body, expected, at: Date.now() })
      return outcomes[Math.min(sent.length - 1, outcomes.length - 1)]
    },
  }
  return { inner, sent }
}

const retrying = (options: Partial<Retry.Options<Failure>> = {}) =>
  Retry.transport<Failure>({ retryable: (e) => e._tag === 'Transient', baseDelayMs: 1, maxDelayMs: 4, ...options })

const idem: Transport.Expected = { ids: [1], idempotent: true }

describe('Method: the idempotent mark', () => {
  it('is kept on the contract and read by isIdempotent; absent means not idempotent', () => {
    expect(Get.idempotent).toBe(true)
    expect(Method.isIdempotent(Get)).toBe(true)
    expect('idempotent' in Put).toBe(false)
    expect(Method.isIdempotent(Put)).toBe(false)
    expect(Method.isIdempotent(Method.make({ name: 'x', idempotent: false }))).toBe(false)
  })
})

describe('Client: Expected.idempotent', () => {
  const recording = () => {
    const seen: Array<Transport.Expected> = []
    const client = Client.make<never>({
      send: (_body, expected) => async () => {
        seen.push(expected)
        return E.right(undefined)
      },
    })
    return { client, seen }
  }

  it('is true for a call or notification of an idempotent contract, false otherwise', async () => {
    const { client, seen } = recording()
    await pipe(client, Client.call(Get, { key: 'a' }))()
    await pipe(client, Client.call(Put, { key: 'a' }))()
    await pipe(client, Client.notify(Touch, { key: 'a' }))()
    await pipe(client, Client.notify(Log, { key: 'a' }))()
    expect(seen.map((e) => e.idempotent === true)).toEqual([true, false, true, false])
    expect('idempotent' in seen[1]).toBe(false)
    expect(Client.call(Get, { key: 'a' }).idempotent).toBe(true)
    expect(Client.notify(Log, { key: 'a' }).idempotent).toBe(false)
  })

  it('is true for a batch only when every entry is idempotent, and keeps the signal and timeout', async () => {
    const { client, seen } = recording()
    const signal = new AbortController().signal
    await pipe(client, Client.batch(Client.call(Get, { key: 'a' }), Client.notify(Touch, { key: 'b' }), { signal, timeoutMs: 5 }))()
    await pipe(client, Client.batch(Client.call(Get, { key: 'a' }), Client.call(Put, { key: 'b' })))()
    await pipe(client, Client.batch(Client.call(Get, { key: 'a' }), Client.notify(Log, { key: 'b' })))()
    expect(seen.map((e) => e.idempotent === true)).toEqual([true, false, false])
    expect(seen[0]).toMatchObject({ ids: [1], signal, timeoutMs: 5 })
  })
})

describe('Retry.delayOf: exponential backoff with full jitter', () => {
  const policy = fc.record({
    maxAttempts: fc.integer({ min: 1, max: 10 }),
    baseDelayMs: fc.integer({ min: 0, max: 10_000 }),
    maxDelayMs: fc.integer({ min: 0, max: 100_000 }),
  })

  it('lies in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))] for any random source', () => {
    fc.assert(
      fc.property(policy, fc.integer({ min: 1, max: 60 }), fc.double({ noNaN: false }), (p, n, r) => {
        const d = Retry.delayOf(p, n, () => r)
        const cap = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (n - 1))
        return d >= 0 && d <= cap && d <= p.maxDelayMs
      }),
    )
  })

  it('is the cap times the random number, and the cap doubles until maxDelayMs', () => {
    const p = { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 60 }
    expect([1, 2, 3, 4, 5].map((n) => Retry.delayOf(p, n, () => 0.5))).toEqual([5, 10, 20, 30, 30])
    expect(Retry.delayOf(p, 3, () => 0)).toBe(0)
  })
})

describe('Retry.transport', () => {
  const outcome = fc.constantFrom<Either<Failure, string | undefined>>(E.left(transient), E.left(fatal), E.right('{"jsonrpc":"2.0","result":1,"id":1}'))

  it('never sends a message that is not all idempotent twice, whatever the failures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(outcome, { minLength: 1, maxLength: 6 }), fc.constantFrom(undefined, false), async (outcomes, idempotent) => {
        const { inner, sent } = scripted(outcomes)
        const answer = await retrying({ maxAttempts: 5 })(inner).send('m', idempotent === undefined ? { ids: [1] } : { ids: [1], idempotent })()
        return sent.length === 1 && JSON.stringify(answer) === JSON.stringify(outcomes[0])
      }),
    )
  })

  it('sends an idempotent message until an answer, a failure not retryable, or maxAttempts; the same text each time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(outcome, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 5 }), async (outcomes, maxAttempts) => {
        const { inner, sent } = scripted(outcomes)
        const answer = await retrying({ maxAttempts, baseDelayMs: 0, maxDelayMs: 0 })(inner).send('{"same":1}', idem)()
        // The model: the script is read as the transport reads it, and stops as the module says.
        let expected = 0
        let last: Either<Failure, string | undefined>
        for (;;) {
          last = outcomes[Math.min(expected, outcomes.length - 1)]
          expected++
          if (E.isRight(last) || expected >= maxAttempts || last.left._tag !== 'Transient') break
        }
        return sent.length === expected && sent.every((s) => s.body === '{"same":1}') && JSON.stringify(answer) === JSON.stringify(last)
      }),
    )
  })

  it('hands a JSON-RPC error back as it came: an answer, not a failure', async () => {
    const error = '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}'
    const { inner, sent } = scripted([E.right(error)])
    expect(await retrying()(inner).send('m', idem)()).toEqual(E.right(error))
    expect(sent).toHaveLength(1)
  })

  it('waits between attempts within the backoff bounds, and tells onRetry', async () => {
    const { inner, sent } = scripted([E.left(transient), E.left(transient), E.right('ok')])
    const told: Array<[number, number]> = []
    const answer = await retrying({ baseDelayMs: 40, maxDelayMs: 1000, random: () => 0.99, onRetry: (n, _e, ms) => told.push([n, ms]) })(inner).send(
      'm',
      idem,
    )()
    expect(answer).toEqual(E.right('ok'))
    expect(told).toEqual([
      [2, 40 * 0.99],
      [3, 80 * 0.99],
    ])
    expect(sent[1].at - sent[0].at).toBeGreaterThanOrEqual(38)
    expect(sent[2].at - sent[1].at).toBeGreaterThanOrEqual(78)
  })

  it("keeps to the caller's overall timeout: each attempt gets what is left, and no wait passes the deadline", async () => {
    const { inner, sent } = scripted([E.left(transient)])
    const started = Date.now()
    const answer = await retrying({ maxAttempts: 100, baseDelayMs: 30, maxDelayMs: 30, random: () => 1 })(inner).send('m', { ...idem, timeoutMs: 200 })()
    const took = Date.now() - started
    expect(answer).toEqual(E.left(transient))
    expect(took).toBeLessThan(260)
    expect(sent.length).toBeGreaterThan(2)
    expect(sent.length).toBeLessThan(9)
    expect(sent[0].expected.timeoutMs).toBe(200)
    for (const s of sent.slice(1)) expect(s.expected.timeoutMs).toBeLessThanOrEqual(200 - (s.at - started) + 5)
  })

  it("gives the first attempt the caller's whole timeout, however the clock ticks", async () => {
    // A clock that moves a millisecond at every read: the first attempt must still get all 200 ms.
    let clock = 1_000_000
    const now = vi.spyOn(Date, 'now').mockImplementation(() => clock++)
    try {
      const { inner, sent } = scripted([E.right('ok')])
      await retrying({ maxAttempts: 3 })(inner).send('m', { ...idem, timeoutMs: 200 })()
      expect(sent[0].expected.timeoutMs).toBe(200)
    } finally {
      now.mockRestore()
    }
  })

  it('gives each attempt at most attemptTimeoutMs, within the overall timeout', async () => {
    const { inner, sent } = scripted([E.left(transient)])
    await retrying({ maxAttempts: 3, attemptTimeoutMs: 50 })(inner).send('m', { ...idem, timeoutMs: 1000 })()
    expect(sent.map((s) => s.expected.timeoutMs)).toEqual([50, 50, 50])
    const alone = scripted([E.left(transient)])
    await retrying({ maxAttempts: 2, attemptTimeoutMs: 70 })(alone.inner).send('m', idem)()
    expect(alone.sent.map((s) => s.expected.timeoutMs)).toEqual([70, 70])
    const tight = scripted([E.left(transient)])
    await retrying({ maxAttempts: 1, attemptTimeoutMs: 500 })(tight.inner).send('m', { ...idem, timeoutMs: 20 })()
    expect(tight.sent[0].expected.timeoutMs).toBeLessThanOrEqual(20)
  })

  it("stops waiting when the caller's signal aborts, and hands each attempt the signal", async () => {
    const { inner, sent } = scripted([E.left(transient)])
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const started = Date.now()
    const answer = await retrying({ maxAttempts: 10, baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 1 })(inner).send('m', {
      ...idem,
      signal: controller.signal,
    })()
    expect(Date.now() - started).toBeLessThan(1000)
    expect(answer).toEqual(E.left(transient))
    expect(sent).toHaveLength(1)
    expect(sent[0].expected.signal).toBe(controller.signal)
  })

  it('reads a retryable that throws as not retryable, and wraps sendParsed too', async () => {
    const { inner, sent } = scripted([E.left(transient)])
    const throwing = Retry.transport<Failure>({
      retryable: () => {
        throw new Error('boom')
      },
    })(inner)
    expect(await throwing.send('m', idem)()).toEqual(E.left(transient))
    expect(sent).toHaveLength(1)

    let parsedSends = 0
    const withParsed: Transport.Transport<Failure> = {
      send: () => async () => E.left(fatal),
      sendParsed: () => async () => (++parsedSends < 3 ? E.left(transient) : E.right({ text: '1', value: 1 })),
    }
    const wrapped = retrying()(withParsed)
    expect(await wrapped.sendParsed?.('m', idem)()).toEqual(E.right({ text: '1', value: 1 }))
    expect(parsedSends).toBe(3)
  })

  it('refuses a policy that makes no sense', () => {
    expect(() => Retry.transport({ retryable: () => true, maxAttempts: 0 })).toThrow(RangeError)
    expect(() => Retry.transport({ retryable: () => true, maxAttempts: 1.5 })).toThrow(RangeError)
    expect(() => Retry.transport({ retryable: () => true, baseDelayMs: -1 })).toThrow(RangeError)
    expect(() => Retry.transport({ retryable: () => true, maxDelayMs: Number.NaN })).toThrow(RangeError)
  })
})

describe('Retry over a real HTTP server that drops its first connections', () => {
  const servers: Array<Server> = []
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections()
      await new Promise<void>((resolve) => s.close(() => resolve()))
    }
  })

  const Counter = Method.make({ name: 'read', result: t.number, idempotent: true })
  const Charge = Method.make({ name: 'charge', result: t.number })

  /** Drops (destroys the socket of) the first `drops` requests, then serves a dispatcher counting the calls it ran. */
  const dropping = async (drops: number) => {
    let seen = 0
    let ran = 0
    const dispatcher = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Counter, () => E.right(++ran)),
        Registry.add(Charge, () => E.right(++ran)),
      ),
    )
    const server = createServer((req, res) => {
      seen++
      if (seen <= drops) {
        req.socket.destroy()
        return
      }
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        void Promise.resolve(dispatcher.dispatch(body)).then((out) => {
          res.writeHead(out === undefined ? 204 : 200, { 'content-type': 'application/json' })
          res.end(out)
        })
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    return { url, seen: () => seen, ran: () => ran }
  }

  const retryNetwork = Retry.transport<HttpError>({ retryable: (e) => e._tag === 'NetworkError', baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 })

  it('an idempotent call succeeds after two dropped connections, run once by the server', async () => {
    const server = await dropping(2)
    const client = Client.make(retryNetwork(fetchTransport({ url: server.url })))
    expect(await pipe(client, Client.call(Counter))()).toEqual(E.right(1))
    expect(server.seen()).toBe(3)
    expect(server.ran()).toBe(1)
  })

  it('a call that is not idempotent is sent once: the dropped connection is its answer', async () => {
    const server = await dropping(1)
    const client = Client.make(retryNetwork(fetchTransport({ url: server.url })))
    const answer = await pipe(client, Client.call(Charge))()
    expect(answer).toMatchObject(E.left({ _tag: 'TransportError', error: { _tag: 'NetworkError' } }))
    expect(server.seen()).toBe(1)
    expect(server.ran()).toBe(0)
  })

  it('gives up after maxAttempts with the last failure', async () => {
    const server = await dropping(10)
    const client = Client.make(retryNetwork(fetchTransport({ url: server.url })))
    expect(await pipe(client, Client.call(Counter))()).toMatchObject(E.left({ _tag: 'TransportError', error: { _tag: 'NetworkError' } }))
    expect(server.seen()).toBe(4)
  })
})

describe('examples/http-retry.ts, run as a user runs it', () => {
  it('the idempotent call is answered on its third attempt; the other is sent once, and nothing is withdrawn twice', async () => {
    const root = join(import.meta.dirname, '..')
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join('examples', 'http-retry.ts')], {
      cwd: root,
      timeout: 30_000,
    })
    const lines = stdout.trim().split('\n')
    expect(lines.map((l) => l.replace(/waiting \d+ ms/, 'waiting N ms'))).toEqual([
      'balance (idempotent), the server down for two POSTs:',
      '  attempt 2 after BadStatus 503, waiting N ms',
      '  attempt 3 after BadStatus 503, waiting N ms',
      '  100',
      'withdraw (not idempotent), the server down for one POST:',
      '  transport error: {"_tag":"BadStatus","status":503,"body":"Service Unavailable"}',
      '  balance: 100',
    ])
  })
})
