// The NATS server (`fp-jsonrpc/nats`'s `serve`) against real nats-servers on 127.0.0.1, called as a
// peer calls it: raw NATS requests with the real client, the wire text checked as it arrives.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { connect, headers, type NatsConnection } from '@nats-io/transport-node'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry } from '../src/index.js'
import * as Nats from '../src/nats/index.js'
import * as NatsServer from './fixtures/natsServer.js'
import { makeDispatcher } from './fixtures/natsWorker.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const PARSE_ERROR = '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'

const call = (method: string, params: unknown, id: number | string): string => JSON.stringify({ jsonrpc: '2.0', method, params, id })

/** A raw NATS request: the reply's text ('' for an empty reply). */
const ask = async (nc: NatsConnection, subject: string, payload: string | Uint8Array, timeout = 5000): Promise<string> =>
  decoder.decode((await nc.request(subject, payload, { timeout })).data)

const served = async <B>(nc: NatsConnection, dispatcher: Dispatch.Dispatcher<B>, options: Nats.ServeOptions<B>): Promise<Nats.Server> => {
  const result = await Nats.serve(nc, dispatcher, options)()
  if (E.isLeft(result)) throw new Error(`serve failed: ${String(result.left.cause)}`)
  return result.right
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

let subjects = 0
const freshSubject = (): string => `rpc.test${++subjects}`

describe('serving a dispatcher on NATS', () => {
  let nats: NatsServer.NatsServer
  const connections = NatsServer.connections()
  const open = (url = nats.url): Promise<NatsConnection> => connections.open(url)
  beforeAll(async () => {
    nats = await NatsServer.start()
  })
  afterAll(async () => {
    await connections.closeAll()
    await nats.stop()
  })

  describe('one message, one answer', () => {
    it('answers a request with its response text', async () => {
      const worker = await open()
      const subject = freshSubject()
      const server = await served(worker, makeDispatcher('w1', 0), { subject })
      const caller = await open()
      expect(await ask(caller, subject, call('echo', { text: 'hi' }, 1))).toBe('{"jsonrpc":"2.0","result":"hi","id":1}')
      expect(await ask(caller, subject, call('nope', {}, 'a'))).toBe('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"a"}')
      expect(server.subject).toBe(subject)
      expect(server.queue).toBe('q')
      await server.stop()
      expect(worker.isClosed()).toBe(true)
    })

    it('answers a batch with the array of its responses', async () => {
      const worker = await open()
      const subject = freshSubject()
      const server = await served(worker, makeDispatcher('w1', 0), { subject, closeConnection: false })
      const caller = await open()
      const batch = `[${call('echo', { text: 'a' }, 1)},{"jsonrpc":"2.0","method":"echo","params":{"text":"n"}},${call('whoami', [], 2)}]`
      expect(JSON.parse(await ask(caller, subject, batch))).toEqual([
        { jsonrpc: '2.0', result: 'a', id: 1 },
        { jsonrpc: '2.0', result: 'w1', id: 2 },
      ])
      await server.stop()
      expect(worker.isClosed()).toBe(false)
    })

    it('answers 1000 requests sent at once, each with its own id', async () => {
      const worker = await open()
      const subject = freshSubject()
      const server = await served(worker, makeDispatcher('w1', 2), { subject, closeConnection: false })
      const caller = await open()
      const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => ask(caller, subject, call('wait', { n: i }, i), 20_000)))
      answers.forEach((a, i) => expect(a).toBe(`{"jsonrpc":"2.0","result":{"worker":"w1","n":${i}},"id":${i}}`))
      expect(server.stats().num_requests).toBe(1000)
      await server.stop()
    })
  })

  describe('the same string core as every transport', () => {
    it('answers bytes that are not UTF-8 with Parse error, as dispatchBytes does', async () => {
      const worker = await open()
      const subject = freshSubject()
      const dispatcher = makeDispatcher('w1', 0)
      const server = await served(worker, dispatcher, { subject, closeConnection: false })
      const caller = await open()
      const text = call('echo', { text: 'é' }, 1)
      const bytes = encoder.encode(text)
      // The é (0xC3 0xA9) cut in half: a lone lead byte.
      const broken = Uint8Array.from([...bytes.slice(0, bytes.indexOf(0xc3)), 0xc3, ...bytes.slice(bytes.indexOf(0xa9) + 1)])
      expect(await ask(caller, subject, broken)).toBe(PARSE_ERROR)
      expect(dispatcher.dispatchBytes(broken)).toBe(PARSE_ERROR)
      // Overlong encoding of '/', and a UTF-16 surrogate encoded as UTF-8: refused, never replaced.
      expect(await ask(caller, subject, Uint8Array.from([0x22, 0xc0, 0xaf, 0x22]))).toBe(PARSE_ERROR)
      expect(await ask(caller, subject, Uint8Array.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe(PARSE_ERROR)
      // A byte order mark is kept, so it is a Parse error, as on HTTP, streams and WebSocket.
      expect(await ask(caller, subject, Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes]))).toBe(PARSE_ERROR)
      expect(await ask(caller, subject, '')).toBe(PARSE_ERROR)
      expect(await ask(caller, subject, bytes)).toBe('{"jsonrpc":"2.0","result":"é","id":1}')
      await server.stop()
    })

    it('answers a message over maxMessageBytes with Invalid Request, id null, without dispatching it', async () => {
      const worker = await open()
      const subject = freshSubject()
      let calls = 0
      const Count = Method.make({ name: 'count', params: t.type({ text: t.string }), result: t.number })
      const dispatcher = Dispatch.make(
        pipe(
          Registry.empty,
          Registry.add(Count, () => E.right(++calls)),
        ),
      )
      const server = await served(worker, dispatcher, { subject, maxMessageBytes: 100, closeConnection: false })
      const caller = await open()
      const small = call('count', { text: 'x' }, 1)
      const large = call('count', { text: 'x'.repeat(100) }, 2)
      expect(await ask(caller, subject, small)).toBe('{"jsonrpc":"2.0","result":1,"id":1}')
      expect(await ask(caller, subject, large)).toBe(
        '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"a message holds at most 100 bytes"},"id":null}',
      )
      expect(calls).toBe(1)
      await server.stop()
    })

    it('refuses limits out of range with a RangeError, and a bad service with a TypeError', () => {
      const nc = {} as NatsConnection
      const dispatcher = makeDispatcher('w', 0)
      expect(() => Nats.serve(nc, dispatcher, { subject: 's', maxConcurrency: 0 })).toThrow(RangeError)
      expect(() => Nats.serve(nc, dispatcher, { subject: 's', maxConcurrency: NaN })).toThrow(RangeError)
      expect(() => Nats.serve(nc, dispatcher, { subject: 's', maxMessageBytes: -1 })).toThrow(RangeError)
      expect(() => Nats.serve(nc, dispatcher, { subject: 's', service: { name: 'a.b', version: '1.0.0' } })).toThrow(TypeError)
      expect(() => Nats.serve(nc, dispatcher, { subject: 's', service: { name: 'ab', version: '1.0' } })).toThrow(TypeError)
    })

    it('gives ServeError, not a throw, when the connection is closed', async () => {
      const nc = await open()
      await nc.close()
      const result = await Nats.serve(nc, makeDispatcher('w', 0), { subject: freshSubject() })()
      expect(E.isLeft(result) && result.left._tag).toBe('ServeError')
    })
  })

  describe('notifications', () => {
    const Note = Method.make({ name: 'note', params: t.type({ n: t.number }) })
    const noted: Array<number> = []
    const dispatcher = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Note, async ({ n }) => {
          await sleep(5)
          noted.push(n)
          return E.right(undefined)
        }),
      ),
    )

    it('dispatches a message without a reply subject, and answers nothing', async () => {
      const worker = await open()
      const subject = freshSubject()
      const server = await served(worker, dispatcher, { subject, closeConnection: false })
      const caller = await open()
      // Anything published on any subject the caller might see, to catch an answer sent anywhere.
      const seen: Array<string> = []
      const spy = caller.subscribe('>', { callback: (_e, m) => void seen.push(m.subject) })
      caller.publish(subject, '{"jsonrpc":"2.0","method":"note","params":{"n":1}}')
      // A request without a reply subject is dispatched too; its answer has nowhere to go.
      caller.publish(subject, '{"jsonrpc":"2.0","method":"note","params":{"n":2},"id":7}')
      await expect.poll(() => [...noted].sort(), { timeout: 2000 }).toEqual([1, 2])
      await caller.flush()
      await sleep(50)
      expect(seen).toEqual([subject, subject])
      spy.unsubscribe()
      expect(server.stats().num_requests).toBe(2)
      await server.stop()
    })

    it('answers a notification sent as a request with an empty reply, at once', async () => {
      const worker = await open()
      const subject = freshSubject()
      const server = await served(worker, dispatcher, { subject, closeConnection: false })
      const caller = await open()
      const started = Date.now()
      const reply = await caller.request(subject, '{"jsonrpc":"2.0","method":"note","params":{"n":3}}', { timeout: 5000 })
      expect(reply.data.length).toBe(0)
      expect(reply.headers).toBeUndefined()
      expect(Date.now() - started).toBeLessThan(1000)
      // A batch of notifications only: empty too.
      const batch = await caller.request(subject, '[{"jsonrpc":"2.0","method":"note","params":{"n":4}},{"jsonrpc":"2.0","method":"note","params":{"n":5}}]', {
        timeout: 5000,
      })
      expect(batch.data.length).toBe(0)
      expect(noted).toEqual(expect.arrayContaining([3, 4, 5]))
      await server.stop()
    })
  })

  describe('headers and subject into the context', () => {
    it('gives the context function the NATS message: a handler reads its token, trace id and subject', async () => {
      const worker = await open()
      const subject = freshSubject()
      interface Ctx {
        readonly token: string
        readonly trace: string
        readonly subject: string
      }
      const Who = Method.make({ name: 'who', result: t.type({ token: t.string, trace: t.string, subject: t.string }) })
      const dispatcher = Dispatch.make(
        pipe(
          Registry.empty,
          Registry.add(Who, (_p, ctx: Ctx) => E.right(ctx)),
        ),
      )
      const errors: Array<unknown> = []
      const server = await served(worker, dispatcher, {
        subject,
        closeConnection: false,
        onError: (e) => errors.push(e),
        context: (msg) => {
          if (msg.headers?.has('boom') === true) throw new Error('a secret path /etc/x')
          return { token: msg.headers?.get('authorization') ?? '', trace: msg.headers?.get('traceparent') ?? '', subject: msg.subject }
        },
      })
      const caller = await open()
      const h = headers()
      h.set('authorization', 'Bearer abc')
      h.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
      const reply = await caller.request(subject, call('who', [], 1), { timeout: 5000, headers: h })
      expect(decoder.decode(reply.data)).toBe(
        `{"jsonrpc":"2.0","result":{"token":"Bearer abc","trace":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","subject":"${subject}"},"id":1}`,
      )
      const bad = headers()
      bad.set('boom', '1')
      const refused = await caller.request(subject, call('who', [], 2), { timeout: 5000, headers: bad })
      expect(decoder.decode(refused.data)).toBe('{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":null}')
      expect(errors).toHaveLength(1)
      await server.stop()
    })
  })

  describe('bounded concurrency', () => {
    it('answers at most maxConcurrency messages at once; the rest wait in arrival order, none dropped', async () => {
      const worker = await open()
      const subject = freshSubject()
      let running = 0
      let most = 0
      const order: Array<number> = []
      const Step = Method.make({ name: 'step', params: t.type({ n: t.number }), result: t.number })
      const dispatcher = Dispatch.make(
        pipe(
          Registry.empty,
          Registry.add(Step, async ({ n }) => {
            order.push(n)
            running++
            most = Math.max(most, running)
            await sleep(10)
            running--
            return E.right(n)
          }),
        ),
      )
      const server = await served(worker, dispatcher, { subject, maxConcurrency: 3, closeConnection: false })
      const caller = await open()
      const pending = Array.from({ length: 30 }, (_, n) => ask(caller, subject, call('step', { n }, n)))
      await expect.poll(() => server.waiting(), { timeout: 2000 }).toBeGreaterThan(0)
      expect(server.active()).toBe(3)
      const answers = await Promise.all(pending)
      answers.forEach((a, n) => expect(a).toBe(`{"jsonrpc":"2.0","result":${n},"id":${n}}`))
      expect(most).toBe(3)
      // One connection keeps the order of its messages, and the queue keeps it too.
      expect(order).toEqual(Array.from({ length: 30 }, (_, n) => n))
      expect(server.active() + server.waiting()).toBe(0)
      await server.stop()
    })
  })

  describe('answers larger than the max payload', () => {
    let small: NatsServer.NatsServer
    beforeAll(async () => {
      small = await NatsServer.start({ maxPayload: 4096 })
    })
    afterAll(async () => {
      await small.stop()
    })

    it('becomes an error for the same id that fits; in a batch, only the responses that do not fit', async () => {
      const worker = await open(small.url)
      expect(worker.info?.max_payload).toBe(4096)
      const subject = freshSubject()
      const errors: Array<unknown> = []
      const server = await served(worker, makeDispatcher('w1', 0), { subject, closeConnection: false, onError: (e) => errors.push(e) })
      const caller = await open(small.url)
      const tooLarge = (id: string) =>
        `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error","data":"the response is larger than the 4096 bytes a NATS message may carry here"},"id":${id}}`
      // Multi-byte text, so bytes and not characters are counted: 'é' is 2 bytes of UTF-8.
      expect(await ask(caller, subject, call('repeat', { text: 'é', times: 2100 }, 'x'))).toBe(tooLarge('"x"'))
      const fits = 'é'.repeat(1900)
      expect(await ask(caller, subject, call('repeat', { text: 'é', times: 1900 }, 1))).toBe(`{"jsonrpc":"2.0","result":"${fits}","id":1}`)
      const batch = `[${call('repeat', { text: 'é', times: 1500 }, 1)},${call('echo', { text: 'short' }, 2)},${call('repeat', { text: 'é', times: 1500 }, 3)}]`
      const answer = await ask(caller, subject, batch)
      expect(encoder.encode(answer).length).toBeLessThanOrEqual(4096)
      const responses = JSON.parse(answer) as Array<{ id: number; result?: string; error?: { code: number } }>
      // Two answers of 3 000 bytes do not fit together: one is replaced, the other and the short one are kept.
      expect(responses.map((r) => r.id)).toEqual([1, 2, 3])
      expect(responses.filter((r) => r.error?.code === -32603)).toHaveLength(1)
      expect(responses[1]).toEqual({ jsonrpc: '2.0', result: 'short', id: 2 })
      expect(responses.filter((r) => r.result === 'é'.repeat(1500))).toHaveLength(1)
      expect(errors.length).toBe(2)
      expect(String(errors[0])).toMatch(/max payload \(4096 bytes\)/)
      await server.stop()
    })
  })

  describe('several workers in one queue group', () => {
    it('share the load of a burst; each message is answered once', async () => {
      const subject = freshSubject()
      const servers = await Promise.all(['w1', 'w2', 'w3'].map(async (label) => served(await open(), makeDispatcher(label, 5), { subject })))
      const caller = await open()
      const answers = await Promise.all(Array.from({ length: 600 }, (_, i) => ask(caller, subject, call('wait', { n: i }, i), 20_000)))
      const by = new Map<string, number>()
      answers.forEach((a, i) => {
        const r = JSON.parse(a) as { result: { worker: string; n: number }; id: number }
        expect(r.id).toBe(i)
        expect(r.result.n).toBe(i)
        by.set(r.result.worker, (by.get(r.result.worker) ?? 0) + 1)
      })
      expect([...by.keys()].sort()).toEqual(['w1', 'w2', 'w3'])
      // NATS picks a member at random for each message: each gets a fair share, not an exact third.
      for (const n of by.values()) expect(n).toBeGreaterThan(100)
      expect(servers.reduce((sum, s) => sum + s.stats().num_requests, 0)).toBe(600)
      await Promise.all(servers.map((s) => s.stop()))
    })

    it('without a queue group (queue: ""), every worker gets every message', async () => {
      const subject = freshSubject()
      const servers = await Promise.all(['w1', 'w2'].map(async (label) => served(await open(), makeDispatcher(label, 0), { subject, queue: '' })))
      const caller = await open()
      await ask(caller, subject, call('whoami', [], 1))
      await expect.poll(() => servers.map((s) => s.stats().num_requests)).toEqual([1, 1])
      await Promise.all(servers.map((s) => s.stop()))
    })
  })

  describe('graceful stop', () => {
    it('answers every call in flight (50 ms handlers, a burst) before the connection closes', async () => {
      const subject = freshSubject()
      const worker = await open()
      const server = await served(worker, makeDispatcher('w1', 50), { subject, maxConcurrency: 8 })
      const caller = await open()
      const pending = Array.from({ length: 200 }, (_, i) => ask(caller, subject, call('wait', { n: i }, i), 20_000).catch((e: unknown) => `lost: ${String(e)}`))
      // Every request has reached the worker (most of them wait in its queue) when the stop begins.
      await expect.poll(() => server.stats().num_requests + server.active() + server.waiting(), { timeout: 5000 }).toBe(200)
      expect(server.waiting()).toBeGreaterThan(0)
      const stopped = server.stop()
      expect(server.stop()).toBe(stopped)
      await stopped
      expect(worker.isClosed()).toBe(true)
      const answers = await Promise.all(pending)
      answers.forEach((a, i) => expect(a).toBe(`{"jsonrpc":"2.0","result":{"worker":"w1","n":${i}},"id":${i}}`))
      expect(server.stats().num_requests).toBe(200)
    })

    it('takes no new message once stopping: another worker of the group answers them, none is lost', async () => {
      const subject = freshSubject()
      const first = await served(await open(), makeDispatcher('first', 50), { subject })
      const second = await served(await open(), makeDispatcher('second', 50), { subject })
      const caller = await open()
      const ask1 = (i: number) => ask(caller, subject, call('wait', { n: i }, i), 20_000).catch((e: unknown) => `lost: ${String(e)}`)
      const before = Array.from({ length: 100 }, (_, i) => ask1(i))
      await sleep(20)
      const stopping = first.stop()
      const after = Array.from({ length: 100 }, (_, i) => ask1(100 + i))
      const answers = await Promise.all([...before, ...after])
      await stopping
      answers.forEach((a, i) => expect(a).toMatch(new RegExp(`^\\{"jsonrpc":"2.0","result":\\{"worker":"(first|second)","n":${i}\\},"id":${i}\\}$`)))
      // Once its unsubscription reached the server, the first worker got nothing more.
      const late = await Promise.all(Array.from({ length: 20 }, (_, i) => ask1(200 + i)))
      for (const a of late) expect(a).toContain('"worker":"second"')
      await second.stop()
    })

    it('keeps the connection when told to, and the caller goes on using it', async () => {
      const subject = freshSubject()
      const worker = await open()
      const server = await served(worker, makeDispatcher('w1', 20), { subject, closeConnection: false })
      const caller = await open()
      const pending = Array.from({ length: 20 }, (_, i) => ask(caller, subject, call('wait', { n: i }, i)))
      await sleep(5)
      expect(server.active() + server.waiting()).toBeGreaterThan(0)
      await server.stop()
      expect(server.active() + server.waiting()).toBe(0)
      expect(server.stats().num_requests).toBe(20)
      expect(worker.isClosed()).toBe(false)
      expect((await Promise.all(pending)).length).toBe(20)
      // The worker's connection is still usable for the caller's own work.
      worker.subscribe('still.here', { callback: (_e, m) => void m.respond('yes') })
      await worker.flush()
      expect(await ask(caller, 'still.here', '')).toBe('yes')
      await expect(caller.request(subject, call('whoami', [], 1), { timeout: 1000 })).rejects.toThrow(/no responders/i)
    })

    it('where nc.drain() alone loses the replies of asynchronous handlers', async () => {
      // The reason `stop` exists, shown on the NATS client alone: a drain processes the messages
      // received, but does not wait for the replies an asynchronous handler sends later.
      const subject = freshSubject()
      const worker = await open()
      worker.subscribe(subject, {
        queue: 'q',
        callback: (_e, m) => {
          setTimeout(() => {
            try {
              m.respond('late')
            } catch {
              // the connection is closed: the reply is lost
            }
          }, 50)
        },
      })
      await worker.flush()
      const caller = await open()
      const pending = Array.from({ length: 10 }, () => ask(caller, subject, '', 1000).catch(() => 'lost'))
      await sleep(10)
      await worker.drain()
      expect(await Promise.all(pending)).toEqual(Array.from({ length: 10 }, () => 'lost'))
    })
  })
})

describe('a cluster of three nats-servers', () => {
  let cluster: NatsServer.NatsCluster
  const connections = NatsServer.connections()
  beforeAll(async () => {
    cluster = await NatsServer.startCluster(3)
  })
  afterAll(async () => {
    await connections.closeAll()
    await cluster.stop()
  })

  it('carries calls from callers on one member to a worker on another', async () => {
    const [a, b, c] = cluster.servers
    const [worker, callerA, callerB] = await Promise.all([c.url, a.url, b.url].map((url) => connections.open(url)))
    const subject = freshSubject()
    const server = await served(worker, makeDispatcher('on-c', 2), { subject })
    // The queue subscription reaches the other members' route tables a moment after c has it.
    await expect.poll(() => ask(callerA, subject, call('whoami', [], 0), 500).catch(() => 'none'), { timeout: 5000 }).toContain('on-c')
    await expect.poll(() => ask(callerB, subject, call('whoami', [], 0), 500).catch(() => 'none'), { timeout: 5000 }).toContain('on-c')
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => ask(i % 2 === 0 ? callerA : callerB, subject, call('wait', { n: i }, i), 20_000)))
    answers.forEach((x, i) => expect(x).toBe(`{"jsonrpc":"2.0","result":{"worker":"on-c","n":${i}},"id":${i}}`))
    await server.stop()
  })
})

describe('the worker process (test/fixtures/natsWorker.ts)', () => {
  let nats: NatsServer.NatsServer
  const children: Array<ChildProcess> = []
  beforeAll(async () => {
    nats = await NatsServer.start()
  })
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    await nats.stop()
  })

  const startWorker = async (args: ReadonlyArray<string>): Promise<{ child: ChildProcess; ready: Record<string, unknown>; lines: Array<string> }> => {
    const script = fileURLToPath(new URL('./fixtures/natsWorker.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script, nats.url, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let stderr = ''
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
    const lines: Array<string> = []
    const rl = createInterface({ input: child.stdout })
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the worker was not ready in 20 s: ${stderr}`)), 20_000)
      rl.on('line', (line) => {
        lines.push(line)
        if (line.startsWith('ready ')) {
          clearTimeout(timer)
          resolve(JSON.parse(line.slice(6)))
        }
      })
      child.once('exit', (code) => reject(new Error(`the worker exited with ${code}: ${stderr}`)))
    })
    return { child, ready, lines }
  }

  it('on SIGTERM, answers every call in flight, then exits 0: zero lost', async () => {
    const subject = freshSubject()
    const { child, ready, lines } = await startWorker([`--subject=${subject}`, '--delay=50', '--concurrency=16', '--label=proc'])
    expect(ready).toEqual({ label: 'proc', subject, queue: 'q', id: null })
    const caller = await connect({ servers: nats.url })
    const pending = Array.from({ length: 300 }, (_, i) => ask(caller, subject, call('wait', { n: i }, i), 20_000).catch((e: unknown) => `lost: ${String(e)}`))
    // 300 calls of 50 ms, 16 at a time: about a second of work. The stop comes well before the end.
    await sleep(150)
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    const answers = await Promise.all(pending)
    const lost = answers.filter((a) => a.startsWith('lost'))
    expect(lost).toEqual([])
    answers.forEach((a, i) => expect(a).toBe(`{"jsonrpc":"2.0","result":{"worker":"proc","n":${i}},"id":${i}}`))
    expect(await exited).toBe(0)
    expect(lines.at(-1)).toBe('stopped {"answered":300}')
    await caller.close()
  })
})
