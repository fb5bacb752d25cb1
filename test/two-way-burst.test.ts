/**
 * Issue #8, evidence: a peer that writes a burst gets every answer, over every two-way transport.
 *
 * Written as another project's client uses us: one write of the whole burst (one `stdin.write`, one
 * `socket.write`; over WebSocket, every frame sent back to back without waiting), by a raw writer
 * (`child_process`, `net`, `ws`) that reads the answers with a framing parser of its own. The server
 * is ours, with every option at its default: a child process served by `serveStdio`, `listen`, and
 * `Ws.attachToHttp` on a real HTTP server, all on 127.0.0.1.
 *
 * The burst: `block` first (its handler blocks the event loop for 300 ms, so what follows piles up
 * unread), then 1000 pipelined requests (`echo`, synchronous, and every third `later`, which awaits
 * a timer), each followed by 3 `bump` notifications, then `count`. Every request must be answered
 * exactly once with its result (no Server busy, no error of any kind), and `count` must see all 3000
 * bumps: a peer that sends faster than we work must be slowed down (we stop reading), never answered
 * "busy" nor have its notifications dropped.
 *
 * Then 100,000 messages in one write over stdio: all answered, while the child's memory stays
 * bounded, which is what stopping reading buys.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { Framing } from '../src/stream/index.js'
import * as Ws from '../src/ws/index.js'
import * as Methods from './fixtures/two-way-methods.js'
import {
  encode,
  inbox,
  perfect,
  rawSocket,
  readFrom,
  startChild,
  tally,
  tcpServer,
  within,
  type Cleanups,
  type Message,
  type Wire,
} from './fixtures/two-way-wire.js'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const REQUESTS = 1000
const BUMPS_PER_REQUEST = 3

/** The burst's messages, in order, and the result each request id must be answered with (`count` aside). */
const burst = () => {
  const texts: Array<string> = ['{"jsonrpc":"2.0","method":"block","id":"block"}']
  const expected = new Map<string | number, unknown>([['block', 'unblocked']])
  for (let n = 1; n <= REQUESTS; n++) {
    texts.push(`{"jsonrpc":"2.0","method":"${n % 3 === 0 ? 'later' : 'echo'}","params":{"n":${n}},"id":${n}}`)
    expected.set(n, n)
    for (let b = 0; b < BUMPS_PER_REQUEST; b++) texts.push('{"jsonrpc":"2.0","method":"bump"}')
  }
  texts.push('{"jsonrpc":"2.0","method":"count","id":"count"}')
  return { texts, expected }
}

/** Waits (at most 20 s) for every request and `count` to be answered, then says what came. */
const outcome = async (box: ReturnType<typeof inbox>, expected: ReadonlyMap<string | number, unknown>) => {
  const ids = new Set<unknown>([...expected.keys(), 'count'])
  const answered = new Set<unknown>()
  let read = 0
  await box.until(() => {
    for (; read < box.messages.length; read++) {
      const m = box.messages[read]
      if (m !== null && typeof m === 'object' && !('method' in m) && ids.has(m.id)) answered.add(m.id)
    }
    return answered.size === ids.size
  }, 20_000)
  const count = box.messages.find((m: Message) => m?.id === 'count')
  return {
    requests: tally(box.messages, expected),
    count: count === undefined ? 'no answer' : 'result' in count ? count.result : count.error,
  }
}

const everyAnswerRight = { requests: perfect(REQUESTS + 1), count: REQUESTS * BUMPS_PER_REQUEST }

describe('a burst in one write: every request answered once, every notification run', () => {
  it('stdio: a child served by serveStdio, its stdin written once', async () => {
    const child = startChild('ndjson')
    cleanups.push(() => child.stop())
    const { texts, expected } = burst()
    child.process.stdin.write(texts.map((text) => encode('ndjson', text)).join(''))
    expect(await outcome(child.inbox, expected)).toEqual(everyAnswerRight)
  }, 60_000)

  it.each<[string, Framing.Framing, Wire]>([
    ['newline-delimited JSON', Framing.ndjson, 'ndjson'],
    ['Content-Length', Framing.contentLength, 'content-length'],
  ])(
    'TCP, %s: a raw net socket written once',
    async (_name, framing, wire) => {
      const { server, methods } = await tcpServer(cleanups, framing)
      const socket = await rawSocket(cleanups, server.address.port)
      const box = readFrom(socket, wire)
      const { texts, expected } = burst()
      socket.write(texts.map((text) => encode(wire, text)).join(''))
      // `bumpsRun`: how many notifications the server's handler ran, seen from inside the server.
      expect({ ...(await outcome(box, expected)), bumpsRun: methods.bumps() }).toEqual({ ...everyAnswerRight, bumpsRun: REQUESTS * BUMPS_PER_REQUEST })
    },
    60_000,
  )

  it('WebSocket: Ws.attachToHttp on a real HTTP server, a raw ws client sending every frame back to back', async () => {
    const methods = Methods.make()
    const httpServer = http.createServer()
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          httpServer.close(() => resolve())
          httpServer.closeAllConnections()
        }),
    )
    const wsServer = Ws.attachToHttp(httpServer, methods.dispatcher, {
      path: '/rpc',
      context: (_request, _socket, connection) => ({ client: connection.client }),
    })
    cleanups.push(() => wsServer.close())
    const socket = new WebSocket(`ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/rpc`)
    socket.on('error', () => undefined)
    cleanups.push(() => socket.terminate())
    const box = inbox()
    socket.on('message', (data) =>
      box.add([
        JSON.parse(
          Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8'),
        ),
      ]),
    )
    socket.once('close', box.end)
    expect(await within(new Promise((resolve) => socket.once('open', resolve)), 5_000)).not.toBe('timed out')
    const { texts, expected } = burst()
    for (const text of texts) socket.send(text)
    // `bumpsRun`: how many notifications the server's handler ran, seen from inside the server.
    expect({ ...(await outcome(box, expected)), bumpsRun: methods.bumps() }).toEqual({ ...everyAnswerRight, bumpsRun: REQUESTS * BUMPS_PER_REQUEST })
  }, 60_000)
})

describe('100,000 messages in one write', () => {
  // The figures seen (peak RSS of the child over its RSS before the burst, process.resourceUsage's
  // maxRSS): 30-40 MB with the default `overload: 'pause'`, the 6.6 MB of input waiting in the pipe
  // and in this process rather than in the child. The bound leaves clear headroom (about 4x) for a
  // slower or busier machine and for the garbage collector's moods, and still catches a server that
  // holds what it reads without bound or leaks per message. It cannot tell, at this size, a server
  // that reads everything at once and queues it (measured: 56 MB, with `overload: 'refuse'` and an
  // unbounded `maxQueued`): the next test shows that the child stops reading, directly.
  const MAX_GROWTH_MB = 150
  const MESSAGES = 100_000

  it("stdio: all answered, and the child's memory stays bounded", async () => {
    const child = startChild('ndjson')
    cleanups.push(() => child.stop())
    const rss = async (id: string): Promise<{ rss: number; maxRss: number }> => {
      child.process.stdin.write(encode('ndjson', `{"jsonrpc":"2.0","method":"rss","id":"${id}"}`))
      expect(await child.inbox.until(() => child.inbox.messages.some((m: Message) => m?.id === id), 15_000)).toBe(true)
      return child.inbox.messages.find((m: Message) => m?.id === id).result
    }
    const before = await rss('before')
    const texts: Array<string> = []
    const expected = new Map<string | number, unknown>()
    // Small requests: `echo` (synchronous), and every tenth `later` (asynchronous).
    for (let n = 1; n <= MESSAGES; n++) {
      texts.push(encode('ndjson', `{"jsonrpc":"2.0","method":"${n % 10 === 0 ? 'later' : 'echo'}","params":[${n}],"id":${n}}`))
      expected.set(n, n)
    }
    const started = Date.now()
    child.process.stdin.write(texts.join(''))
    let answered = 0
    let read = 0
    await child.inbox.until(() => {
      for (; read < child.inbox.messages.length; read++) if (expected.has(child.inbox.messages[read]?.id)) answered++
      return answered >= MESSAGES
    }, 25_000)
    const seconds = (Date.now() - started) / 1000
    const after = await rss('after')
    const growthMb = (after.maxRss - before.rss) / 2 ** 20
    console.log(
      `100,000 messages over stdio: ${answered} answers in ${seconds.toFixed(1)} s; child RSS before ${(before.rss / 2 ** 20).toFixed(0)} MB, ` +
        `peak ${(after.maxRss / 2 ** 20).toFixed(0)} MB (growth ${growthMb.toFixed(0)} MB), now ${(after.rss / 2 ** 20).toFixed(0)} MB`,
    )
    expect(tally(child.inbox.messages, expected)).toEqual(perfect(MESSAGES))
    expect(growthMb).toBeLessThan(MAX_GROWTH_MB)
  }, 60_000)

  it('stdio: the child stops reading while every place is taken: one 1.3 MB write is not taken before the first answer', async () => {
    const child = startChild('ndjson')
    cleanups.push(() => child.stop())
    // The child is up and serving (tsx's start-up is not what is measured).
    child.process.stdin.write(encode('ndjson', '{"jsonrpc":"2.0","method":"echo","params":{"n":0},"id":0}'))
    expect(await child.inbox.until(() => child.inbox.messages.some((m: Message) => m?.id === 0), 15_000)).toBe(true)
    // 20,000 requests, each working 300 ms: with 64 places (the default), the child can work on 64
    // and hold what its last read brought; the rest of the write must wait in this process until
    // places free up. A server that read on regardless takes the whole write at once (in well
    // under 100 ms), long before the first of them is answered, 300 ms later.
    const texts: Array<string> = []
    for (let n = 1; n <= 20_000; n++) texts.push(encode('ndjson', `{"jsonrpc":"2.0","method":"wait","params":{"ms":300},"id":${n}}`))
    let taken = false
    child.process.stdin.write(texts.join(''), () => (taken = true))
    const isAnswer = (m: Message): boolean => typeof m?.id === 'number' && m.id > 0 && !('method' in m)
    const isResult = (m: Message): boolean => isAnswer(m) && 'result' in m
    expect(await child.inbox.until(() => child.inbox.messages.some(isResult), 5_000)).toBe(true)
    const answers = child.inbox.messages.filter(isAnswer)
    expect({ first: answers.find(isResult), errorsSoFar: answers.filter((m: Message) => 'error' in m).length, writeTakenByTheChild: taken }).toEqual({
      first: { jsonrpc: '2.0', result: 'finished', id: expect.any(Number) },
      errorsSoFar: 0,
      writeTakenByTheChild: false,
    })
  }, 30_000)
})
