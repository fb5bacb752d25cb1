/**
 * The soak (issue #4, "Safe by default"): fp-jsonrpc serving mixed, partly hostile traffic for minutes,
 * then shutting down gracefully under load.
 *
 *   npm run soak                       # about 2 minutes
 *   SOAK_SECONDS=30 npm run soak
 *
 * Environment:
 *   SOAK_SECONDS        how long the traffic runs, in seconds (default 120)
 *   SOAK_MAX_MESSAGES   stop sooner once this many messages were sent (default 5 000 000)
 *   SOAK_HTTP_WORKERS   concurrent HTTP exchanges, on keep-alive connections (default 16)
 *   SOAK_WS_CONNECTIONS WebSocket connections (default 4)
 *   SOAK_WS_WORKERS     concurrent exchanges per WebSocket connection (default 16)
 *
 * Method. The server runs in a child process (this file, run with `--soak-server`), so its memory is
 * measured on its own: fp-jsonrpc over HTTP (`serve`) and WebSocket (`attachToHttp`, on the same
 * port), with synchronous, asynchronous, failing and throwing handlers and a notification. This
 * process drives it over loopback, until the time or the message bound is reached: HTTP workers `POST`
 * one message at a time each (fetch, keep-alive), and each WebSocket connection has its own workers
 * that send one message at a time each and match the answer by id. The messages are a mix of valid
 * calls, asynchronous calls, notifications, invalid requests, invalid params, unknown methods, handlers
 * that throw or fail, malformed JSON, non-object messages, and batches mixing all of them.
 *
 * Every answer is checked: each id sent in a request is answered once, with the expected result or
 * error code; an id that gets no answer within 10 s, or whose connection failed, is lost. Answers
 * with id null (to malformed JSON and non-objects) are counted against those expected.
 *
 * The server's RSS is sampled every second over IPC. "start" is the first sample after the warm-up
 * (a tenth of the run, at least 3 s); the memory is flat when the last sample is at most 1.5 times
 * that start.
 *
 * Graceful shutdown under load: after the traffic, every HTTP worker and every WebSocket connection
 * start slow calls (a handler that waits 300-600 ms); once the server runs all of them (its sleeping
 * handlers are counted, and asked for over IPC), the child gets SIGTERM. It closes the WebSocket server and then the HTTP server (the
 * library's `close`s), and exits. Every call sent before the signal must get its answer: any that do
 * not are dropped.
 *
 * The last line of output is one JSON object with all the figures. The exit code is 1 when a check
 * fails (lost > 0, dropped > 0, a wrong answer, the memory not flat).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { WebSocket } from 'ws'
import { Dispatch, Method, Registry, RpcError } from '../src/index.js'
import { serve } from '../src/http/index.js'
import * as Ws from '../src/ws/index.js'

// -------------------------------------------------------------------------------------
// the server (the child process)
// -------------------------------------------------------------------------------------

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const Sum = Method.make({ name: 'sum', params: t.array(t.number), result: t.number })
const Sleep = Method.make({ name: 'sleep', params: t.type({ ms: t.number }), result: t.number })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const Withdraw = Method.make({ name: 'withdraw', params: t.type({ amount: t.number }), result: t.number })
const Throws = Method.make({ name: 'throws' })

type ToParent =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'rss'; readonly rss: number; readonly heapUsed: number; readonly sleeping: number }
  | { readonly type: 'closed'; readonly ms: number }

const server = async (): Promise<void> => {
  // How many sleep calls are running: the parent waits for its slow calls to be all in flight here.
  let sleeping = 0
  const registry = pipe(
    Registry.empty,
    Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
    Registry.add(Sum, (xs) => E.right(xs.reduce((a, b) => a + b, 0))),
    Registry.add(Sleep, ({ ms }) => {
      sleeping++
      return new Promise<number>((resolve) =>
        setTimeout(
          () => {
            sleeping--
            resolve(ms)
          },
          Math.min(Math.max(ms, 0), 2_000),
        ),
      )
    }),
    Registry.add(Log, () => E.right(undefined)),
    Registry.add(Withdraw, ({ amount }) => (amount > 100 ? E.left(RpcError.make(1001, 'Insufficient funds', { balance: 100 })) : E.right(100 - amount))),
    Registry.add(Throws, () => {
      throw new Error('a secret the peer must never see')
    }),
  )
  const dispatcher = Dispatch.make(registry)
  const started = await serve({ dispatcher, keepAliveTimeoutMs: 30_000 })()
  if (E.isLeft(started)) throw new Error(`serve failed: ${String(started.left.cause)}`)
  const http = started.right
  const ws = Ws.attachToHttp(http.server, dispatcher, { path: '/ws' })
  const send = (m: ToParent): void => void process.send?.(m)
  process.on('message', (m: { readonly type?: string }) => {
    if (m.type === 'rss') {
      const { rss, heapUsed } = process.memoryUsage()
      send({ type: 'rss', rss, heapUsed, sleeping })
    }
  })
  process.once('SIGTERM', () => {
    const began = Date.now()
    void (async () => {
      await ws.close()
      await http.close()
      send({ type: 'closed', ms: Date.now() - began })
      process.disconnect?.()
    })()
  })
  send({ type: 'ready', url: http.url })
}

// -------------------------------------------------------------------------------------
// the traffic
// -------------------------------------------------------------------------------------

interface Expectation {
  /** The result, or the error code, each id must be answered with. */
  readonly byId: ReadonlyMap<string, { readonly result: unknown } | { readonly code: number }>
  /** How many answers with id null are due. */
  readonly nulls: number
  /** Whether any answer is due (a message of notifications only has none). */
  readonly answered: boolean
}

interface Message {
  readonly text: string
  readonly expect: Expectation
}

let nextId = 0
const freshId = (prefix: string): string => `${prefix}${(++nextId).toString(36)}`

const int = (n: number): number => Math.floor(Math.random() * n)

type Element = {
  readonly value: string
  readonly id?: string
  readonly want?: { readonly result: unknown } | { readonly code: number }
  readonly nullAnswer?: boolean
}

// One element of a message: a request, a notification, or something the server must refuse.
const element = (prefix: string, allowSlow: boolean): Element => {
  const id = freshId(prefix)
  const q = (method: string, params: unknown): string => JSON.stringify({ jsonrpc: '2.0', method, params, id })
  switch (int(allowSlow ? 12 : 11)) {
    case 0:
    case 1: {
      const a = int(1000)
      const b = int(1000)
      return { value: q('subtract', [a, b]), id, want: { result: a - b } }
    }
    case 2: {
      const xs = Array.from({ length: int(5) }, () => int(100))
      return { value: q('sum', xs), id, want: { result: xs.reduce((x, y) => x + y, 0) } }
    }
    case 3:
      return { value: JSON.stringify({ jsonrpc: '2.0', method: 'log', params: { line: 'soak' } }) }
    case 4:
      return { value: JSON.stringify({ jsonrpc: '2.0', method: 7, id }), id, want: { code: -32600 } }
    case 5:
      return { value: q('subtract', { minuend: 'x' }), id, want: { code: -32602 } }
    case 6:
      return { value: q('nope', []), id, want: { code: -32601 } }
    case 7:
      return { value: q('throws', []), id, want: { code: -32603 } }
    case 8: {
      const amount = int(200)
      return { value: q('withdraw', { amount }), id, want: amount > 100 ? { code: 1001 } : { result: 100 - amount } }
    }
    case 9:
      return { value: JSON.stringify({ jsonrpc: '2.0', method: 'subtract', params: null, id }), id, want: { code: -32600 } }
    case 10:
      return { value: String(int(10)), nullAnswer: true } // not an object: Invalid Request, id null
    default: {
      const ms = 1 + int(20)
      return { value: q('sleep', { ms }), id, want: { result: ms } }
    }
  }
}

const single = (el: Element): Message => ({
  text: el.value,
  expect: {
    byId: el.id !== undefined && el.want !== undefined ? new Map([[el.id, el.want]]) : new Map(),
    nulls: el.nullAnswer === true ? 1 : 0,
    answered: el.want !== undefined || el.nullAnswer === true,
  },
})

/** A message of the mix: mostly single requests, some malformed JSON, some batches. */
const message = (prefix: string): Message => {
  const r = int(20)
  if (r === 0)
    return { text: `{"jsonrpc":"2.0","method":"subtract","params":[1,2],"id":"${freshId(prefix)}"`, expect: { byId: new Map(), nulls: 1, answered: true } }
  if (r <= 3) {
    const els = Array.from({ length: 2 + int(9) }, () => element(prefix, true))
    const byId = new Map<string, { result: unknown } | { code: number }>()
    let nulls = 0
    for (const el of els) {
      if (el.id !== undefined && el.want !== undefined) byId.set(el.id, el.want)
      if (el.nullAnswer === true) nulls++
    }
    return { text: `[${els.map((e) => e.value).join(',')}]`, expect: { byId, nulls, answered: byId.size + nulls > 0 } }
  }
  return single(element(prefix, true))
}

// -------------------------------------------------------------------------------------
// the tally
// -------------------------------------------------------------------------------------

const tally = {
  sent: 0, // messages
  requests: 0, // ids sent in requests
  answered: 0, // ids answered, right or wrong
  lost: 0, // ids never answered
  lostHttp: 0,
  lostWs: 0,
  wrong: 0, // ids answered with another result or code than expected, or more than once
  nullsExpected: 0,
  nullsReceived: 0,
  notifications: 0,
  errorsByCode: {} as Record<string, number>,
  httpStatus: {} as Record<string, number>,
  transportErrors: 0,
}

const countCode = (code: number): void => {
  tally.errorsByCode[String(code)] = (tally.errorsByCode[String(code)] ?? 0) + 1
}

// The key an answer's id is looked up by: the id itself when a string, as sent; otherwise its JSON.
const idKey = (id: unknown): string => (typeof id === 'string' ? id : (JSON.stringify(id) ?? typeof id))

// Judges the answer (parsed) to one message against what it expected; for WebSocket answers come one
// by one, so the judging is split: `judgeOne` per response object.
const judgeOne = (
  r: { readonly id?: unknown; readonly result?: unknown; readonly error?: { readonly code?: unknown } },
  byId: ReadonlyMap<string, unknown>,
  seen: Set<string>,
): void => {
  if (r.error !== undefined) countCode(Number(r.error.code))
  if (r.id === null) {
    tally.nullsReceived++
    return
  }
  const id = idKey(r.id)
  const want = byId.get(id) as { result: unknown } | { code: number } | undefined
  if (want === undefined || seen.has(id)) {
    tally.wrong++
    return
  }
  seen.add(id)
  tally.answered++
  const right = 'result' in want ? r.error === undefined && r.result === want.result : r.error !== undefined && r.error.code === want.code
  if (!right) tally.wrong++
}

const account = (m: Message): void => {
  tally.sent++
  tally.requests += m.expect.byId.size
  tally.nullsExpected += m.expect.nulls
  if (!m.expect.answered) tally.notifications++
}

// -------------------------------------------------------------------------------------
// HTTP and WebSocket drivers
// -------------------------------------------------------------------------------------

const ANSWER_TIMEOUT_MS = 10_000

const httpExchange = async (url: string, m: Message): Promise<void> => {
  account(m)
  let status: number
  let body: string
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: m.text,
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    })
    status = res.status
    body = await res.text()
  } catch {
    tally.transportErrors++
    tally.lost += m.expect.byId.size
    tally.lostHttp += m.expect.byId.size
    return
  }
  tally.httpStatus[String(status)] = (tally.httpStatus[String(status)] ?? 0) + 1
  if (!m.expect.answered) {
    if (status !== 204 || body !== '') tally.wrong++
    return
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    tally.wrong++
    tally.lost += m.expect.byId.size
    tally.lostHttp += m.expect.byId.size
    return
  }
  const seen = new Set<string>()
  for (const r of Array.isArray(parsed) ? parsed : [parsed]) judgeOne(r as never, m.expect.byId, seen)
  tally.lost += m.expect.byId.size - seen.size
  tally.lostHttp += m.expect.byId.size - seen.size
}

interface WsConn {
  /** Sends a message; resolves once every id in it is answered, or lost. */
  readonly exchange: (m: Message) => Promise<void>
  readonly inFlight: () => number
  readonly close: () => Promise<void>
}

const openWs = (url: string): Promise<WsConn> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    // Per id: the message's expectations, its seen set, and the resolver of the message.
    const waiting = new Map<string, { readonly byId: ReadonlyMap<string, unknown>; readonly seen: Set<string>; readonly done: () => void }>()
    const failAll = (): void => {
      for (const [id, w] of waiting) {
        if (!w.seen.has(id)) {
          tally.lost++
          tally.lostWs++
        }
        w.done()
      }
      waiting.clear()
    }
    socket.on('message', (data) => {
      let parsed: unknown
      try {
        parsed = JSON.parse(
          Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8'),
        )
      } catch {
        tally.wrong++
        return
      }
      for (const r of (Array.isArray(parsed) ? parsed : [parsed]) as Array<{ id?: unknown }>) {
        const w = r.id === null || r.id === undefined ? undefined : waiting.get(idKey(r.id))
        if (w === undefined) {
          judgeOne(r, new Map(), new Set())
          continue
        }
        judgeOne(r, w.byId, w.seen)
        waiting.delete(String(r.id))
        if ([...w.byId.keys()].every((id) => w.seen.has(id))) w.done()
      }
    })
    socket.on('error', (e) => {
      if (socket.readyState === WebSocket.CONNECTING) reject(e)
    })
    socket.on('close', () => failAll())
    socket.once('open', () =>
      resolve({
        exchange: (m) => {
          account(m)
          if (socket.readyState !== WebSocket.OPEN) {
            tally.transportErrors++
            tally.lost += m.expect.byId.size
            tally.lostWs += m.expect.byId.size
            return Promise.resolve()
          }
          socket.send(m.text)
          if (m.expect.byId.size === 0) return Promise.resolve()
          return new Promise<void>((done) => {
            const seen = new Set<string>()
            let finished = false
            const timer = setTimeout(() => {
              for (const id of m.expect.byId.keys()) {
                if (!seen.has(id)) {
                  tally.lost++
                  tally.lostWs++
                }
                waiting.delete(id)
              }
              finish()
            }, ANSWER_TIMEOUT_MS)
            const finish = (): void => {
              if (finished) return
              finished = true
              clearTimeout(timer)
              done()
            }
            for (const id of m.expect.byId.keys()) waiting.set(id, { byId: m.expect.byId, seen, done: finish })
          })
        },
        inFlight: () => waiting.size,
        close: () =>
          new Promise<void>((done) => {
            if (socket.readyState === WebSocket.CLOSED) return done()
            socket.once('close', () => done())
            socket.close()
          }),
      }),
    )
  })

// -------------------------------------------------------------------------------------
// the run
// -------------------------------------------------------------------------------------

const envNumber = (name: string, byDefault: number): number => {
  const v = process.env[name]
  const n = v === undefined || v === '' ? byDefault : Number(v)
  if (!(n > 0)) throw new RangeError(`${name} must be a positive number, got ${String(v)}`)
  return n
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10

const main = async (): Promise<void> => {
  const seconds = envNumber('SOAK_SECONDS', 120)
  const maxMessages = envNumber('SOAK_MAX_MESSAGES', 5_000_000)
  const httpWorkers = envNumber('SOAK_HTTP_WORKERS', 16)
  const wsConnections = envNumber('SOAK_WS_CONNECTIONS', 4)
  const wsWorkers = envNumber('SOAK_WS_WORKERS', 16)

  const root = fileURLToPath(new URL('..', import.meta.url))
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--soak-server'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  // A watchdog: whatever happens, the run ends.
  const watchdog = setTimeout(
    () => {
      console.error('soak: watchdog fired, the run took far too long')
      child.kill('SIGKILL')
      process.exit(2)
    },
    (seconds + 90) * 1000,
  )
  watchdog.unref()

  const fromChild = (type: ToParent['type']): Promise<ToParent> =>
    new Promise((resolve) => {
      const on = (m: ToParent): void => {
        if (m.type !== type) return
        child.off('message', on)
        resolve(m)
      }
      child.on('message', on)
    })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  const ready = (await fromChild('ready')) as Extract<ToParent, { type: 'ready' }>
  const url = ready.url
  const wsUrl = `${url.replace(/^http/, 'ws').replace(/\/$/, '')}/ws`
  console.log(
    `soak: server pid ${child.pid} at ${url} and ${wsUrl}; ${seconds} s, ${httpWorkers} HTTP workers, ${wsConnections} WebSocket connections x ${wsWorkers} workers`,
  )

  const rssSamples: Array<{ readonly at: number; readonly rss: number; readonly heapUsed: number }> = []
  const began = Date.now()
  const ask = async (): Promise<Extract<ToParent, { type: 'rss' }>> => {
    const got = fromChild('rss')
    child.send({ type: 'rss' })
    return (await got) as Extract<ToParent, { type: 'rss' }>
  }
  const sample = async (): Promise<void> => {
    const m = await ask()
    rssSamples.push({ at: (Date.now() - began) / 1000, rss: m.rss, heapUsed: m.heapUsed })
  }
  await sample()
  const sampler = setInterval(() => void sample(), 1_000)

  const sockets = await Promise.all(Array.from({ length: wsConnections }, () => openWs(wsUrl)))
  const deadline = began + seconds * 1000
  const going = (): boolean => Date.now() < deadline && tally.sent < maxMessages
  const progress = setInterval(() => {
    const last = rssSamples[rssSamples.length - 1]
    console.log(
      `soak: ${Math.round((Date.now() - began) / 1000)} s, ${tally.sent} messages, ${tally.answered} ids answered, ${tally.lost} lost, server RSS ${last === undefined ? '?' : mib(last.rss)} MiB`,
    )
  }, 10_000)

  await Promise.all([
    ...Array.from({ length: httpWorkers }, async (_, w) => {
      while (going()) await httpExchange(url, message(`h${w}-`))
    }),
    ...sockets.flatMap((s, c) =>
      Array.from({ length: wsWorkers }, async (_, w) => {
        while (going()) await s.exchange(message(`w${c}.${w}-`))
      }),
    ),
  ])
  clearInterval(progress)
  const trafficSeconds = (Date.now() - began) / 1000
  await sample()
  clearInterval(sampler)
  const traffic = { ...tally, errorsByCode: { ...tally.errorsByCode }, httpStatus: { ...tally.httpStatus } }

  // --- graceful shutdown under load ------------------------------------------------------------

  const slow = (prefix: string): Message => {
    const id = freshId(prefix)
    const ms = 300 + int(300)
    return {
      text: JSON.stringify({ jsonrpc: '2.0', method: 'sleep', params: { ms }, id }),
      expect: { byId: new Map([[id, { result: ms }]]), nulls: 0, answered: true },
    }
  }
  const lostBefore = tally.lost
  const lostHttpBefore = tally.lostHttp
  const lostWsBefore = tally.lostWs
  const requestsBefore = tally.requests
  const answeredBefore = tally.answered
  const calls: Array<Promise<void>> = []
  const perWsConnection = 48 // below Peer's maxInFlight (64): none waits in a queue, none is refused busy
  for (let i = 0; i < httpWorkers * 2; i++) calls.push(httpExchange(url, slow('sh-')))
  for (const s of sockets) for (let i = 0; i < perWsConnection; i++) calls.push(s.exchange(slow('sw-')))
  const inFlightHttp = httpWorkers * 2
  const inFlightWs = sockets.length * perWsConnection
  // SIGTERM once the server runs every one of them (it counts its sleeping handlers), or after 3 s.
  let inServer = 0
  for (const until = Date.now() + 3_000; Date.now() < until;) {
    inServer = (await ask()).sleeping
    if (inServer >= inFlightHttp + inFlightWs) break
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const unansweredAtSignal = tally.requests - requestsBefore - (tally.answered - answeredBefore)
  const signalled = Date.now()
  const closed = fromChild('closed')
  child.kill('SIGTERM')
  await Promise.all(calls)
  const settledMs = Date.now() - signalled
  const closeMs = (
    (await Promise.race([closed, new Promise<ToParent>((resolve) => setTimeout(() => resolve({ type: 'closed', ms: -1 }), 35_000))])) as Extract<
      ToParent,
      { type: 'closed' }
    >
  ).ms
  const exitCode = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('did not exit'), 5_000))])
  if (exitCode === 'did not exit') child.kill('SIGKILL')
  await Promise.all(sockets.map((s) => s.close()))
  const dropped = tally.lost - lostBefore
  const shutdown = {
    inFlightAtSignal: unansweredAtSignal,
    runningInServerAtSignal: inServer,
    sentHttp: inFlightHttp,
    sentWs: inFlightWs,
    answered: tally.answered - answeredBefore,
    dropped,
    droppedHttp: tally.lostHttp - lostHttpBefore,
    droppedWs: tally.lostWs - lostWsBefore,
    settledMs,
    serverCloseMs: closeMs,
    serverExitCode: exitCode,
  }

  // --- the figures -----------------------------------------------------------------------------

  const warm = Math.max(3, seconds / 10)
  const start = rssSamples.find((s) => s.at >= warm) ?? rssSamples[0]
  const end = rssSamples[rssSamples.length - 1]
  const rssStart = start?.rss ?? 0
  const rssEnd = end?.rss ?? 0
  const rssMax = Math.max(...rssSamples.map((s) => s.rss))
  const ratio = rssStart === 0 ? Infinity : Math.round((rssEnd / rssStart) * 100) / 100
  const flat = ratio <= 1.5
  const checks = {
    noLost: traffic.lost === 0,
    noWrong: traffic.wrong === 0 && tally.wrong === traffic.wrong,
    nullAnswers: traffic.nullsReceived === traffic.nullsExpected,
    memoryFlat: flat,
    noDropped: dropped === 0,
    inFlightAtShutdown: unansweredAtSignal > 0,
  }
  const figures = {
    seconds: Math.round(trafficSeconds),
    sent: traffic.sent,
    messagesPerSecond: Math.round(traffic.sent / trafficSeconds),
    requests: traffic.requests,
    answered: traffic.answered,
    lost: traffic.lost,
    wrong: traffic.wrong,
    notifications: traffic.notifications,
    nullIdAnswers: { expected: traffic.nullsExpected, received: traffic.nullsReceived },
    errorsByCode: traffic.errorsByCode,
    httpStatus: traffic.httpStatus,
    transportErrors: traffic.transportErrors,
    rssMiB: {
      baseline: mib(rssSamples[0]?.rss ?? 0),
      start: mib(rssStart),
      startAt: start?.at,
      end: mib(rssEnd),
      max: mib(rssMax),
      endOverStart: ratio,
      samples: rssSamples.length,
    },
    shutdown,
    checks,
    ok: Object.values(checks).every(Boolean),
  }
  console.log(
    `soak: ${figures.sent} messages in ${figures.seconds} s (${figures.messagesPerSecond}/s), ${figures.requests} ids sent, ${figures.answered} answered, ${figures.lost} lost, ${figures.wrong} wrong; ` +
      `server RSS ${figures.rssMiB.start} MiB after warm-up -> ${figures.rssMiB.end} MiB at the end (max ${figures.rssMiB.max}); ` +
      `shutdown under load: ${shutdown.inFlightAtSignal} calls in flight at SIGTERM, ${shutdown.dropped} dropped`,
  )
  console.log(JSON.stringify(figures))
  process.exitCode = figures.ok ? 0 : 1
}

if (process.argv[2] === '--soak-server') void server()
else
  main().catch((e: unknown) => {
    console.error(e)
    process.exit(2)
  })
