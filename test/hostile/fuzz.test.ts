/**
 * Fuzzing beyond test/properties.test.ts (dispatch is total) and test/stream-framing.test.ts (any
 * bytes through a decoder): exactly one response per request id for random batches that mix valid
 * calls, invalid elements and notifications over random synchronous and asynchronous handlers (some
 * past the handler timeout); and arbitrary bodies, frames and bytes sent to real servers over HTTP,
 * WebSocket and TCP, which answer each with a valid response, a documented status, or nothing, never
 * crash, and keep serving.
 */
import { Buffer } from 'node:buffer'
import * as net from 'node:net'
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry, RpcError, RpcResponse } from '../../src/index.js'
import { serve, type Server as HttpServer } from '../../src/http/index.js'
import { Framing, listen, type Server as TcpServer } from '../../src/stream/index.js'
import * as Ws from '../../src/ws/index.js'
import { dispatcher, probe, probeAnswer } from './methods.js'
import { frame, openWebSocket, overStreams, type FramingName, type RawClient } from './wire.js'

const isValidAnswer = (text: string): boolean => {
  let u: unknown
  try {
    u = JSON.parse(text)
  } catch {
    return false
  }
  return Array.isArray(u) ? u.length > 0 && RpcResponse.batchCodec.is(u) : RpcResponse.isRpcResponse(u)
}

// -------------------------------------------------------------------------------------
// exactly one response per request id
// -------------------------------------------------------------------------------------

type Mode = 'sync' | 'async' | 'task' | 'throw' | 'reject' | 'left' | 'asyncLeft' | 'never'
const Work = Method.make({ name: 'work', params: t.type({ mode: t.string, ms: t.number }), result: t.number })
const handle = ({ mode, ms }: { readonly mode: string; readonly ms: number }): unknown => {
  const after = <A>(f: () => A): Promise<A> => new Promise((resolve) => setTimeout(() => resolve(f()), ms))
  switch (mode as Mode) {
    case 'sync':
      return E.right(ms)
    case 'async':
      return after(() => ms)
    case 'task':
      return TE.fromTask(() => after(() => ms))
    case 'throw':
      throw new Error('boom')
    case 'reject':
      return new Promise((_, reject) => setTimeout(() => reject(new Error('boom')), ms))
    case 'left':
      return E.left(RpcError.make(7, 'no'))
    case 'asyncLeft':
      return after(() => E.left(RpcError.make(7, 'no')))
    case 'never':
      // Answered only by the dispatcher's timeout.
      return new Promise(() => undefined)
  }
}
// Every shape a handler may answer in, so typed as the widest of them for the registry.
const work = pipe(
  Registry.empty,
  Registry.add(Work, (p) => handle(p) as E.Either<RpcError.RpcError, number>),
)

type Element =
  | { readonly _tag: 'Call'; readonly value: unknown } // answered once, with its id
  | { readonly _tag: 'Notification'; readonly value: unknown } // never answered
  | { readonly _tag: 'Garbage'; readonly value: unknown } // answered once, with id null

const modes: ReadonlyArray<Mode> = ['sync', 'async', 'task', 'throw', 'reject', 'left', 'asyncLeft', 'never']
const params = fc.record({ mode: fc.constantFrom(...modes), ms: fc.integer({ min: 0, max: 8 }) })

const element = (id: string | number): fc.Arbitrary<Element> =>
  fc.oneof(
    { weight: 4, arbitrary: params.map((p): Element => ({ _tag: 'Call', value: { jsonrpc: '2.0', method: 'work', params: p, id } })) },
    params.map((p): Element => ({ _tag: 'Notification', value: { jsonrpc: '2.0', method: 'work', params: p } })),
    // Invalid, but with a valid id: Invalid Request (or Method not found, Invalid params) with that id.
    fc
      .constantFrom(
        { jsonrpc: '1.0', method: 'work', params: { mode: 'sync', ms: 0 } },
        { jsonrpc: '2.0', method: 5 },
        { jsonrpc: '2.0', method: 'work', params: null },
        { jsonrpc: '2.0', method: 'nope' },
        { jsonrpc: '2.0', method: 'work', params: { mode: 1 } },
        { jsonrpc: '2.0', method: 'toString' },
      )
      .map((v): Element => ({ _tag: 'Call', value: { ...v, id } })),
    // No readable id: answered with id null.
    fc
      .oneof(
        fc.integer(),
        fc.string({ maxLength: 5 }),
        fc.constant(null),
        fc.boolean(),
        fc.array(fc.integer(), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'method', 'params'), fc.integer()),
        fc.constant({ jsonrpc: '2.0', method: 'work', id: { x: 1 } }),
      )
      .map((value): Element => ({ _tag: 'Garbage', value })),
  )

const batch = fc
  .uniqueArray(fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.integer()), { minLength: 1, maxLength: 40 })
  .chain((ids) => fc.tuple(...ids.map(element)))

describe('exactly one response per request id, whatever the batch holds', () => {
  it('random batches of valid calls, invalid elements and notifications, over random sync and async handlers', async () => {
    await fc.assert(
      fc.asyncProperty(batch, fc.integer({ min: 1, max: 16 }), fc.constantFrom(5, 30, Infinity), async (elements, batchConcurrency, timeoutMs) => {
        const d = Dispatch.make(work, { batchConcurrency, timeoutMs })
        // Without a timeout a handler that never answers would hang the batch: those become 'async'.
        const values = elements.map((e) =>
          timeoutMs === Infinity && e._tag !== 'Garbage' && (e.value as { params?: { mode?: unknown } }).params?.mode === 'never'
            ? { ...(e.value as object), params: { mode: 'async', ms: 1 } }
            : e.value,
        )
        const out = await d.dispatch(JSON.stringify(values))
        const callIds = elements.filter((e) => e._tag === 'Call').map((e) => (e.value as { id: unknown }).id)
        const garbage = elements.filter((e) => e._tag === 'Garbage').length
        if (callIds.length + garbage === 0) {
          expect(out).toBeUndefined()
          return
        }
        expect(typeof out).toBe('string')
        expect(isValidAnswer(out as string), out).toBe(true)
        const responses = JSON.parse(out as string) as ReadonlyArray<RpcResponse.RpcResponse>
        // In the order of the requests, each id once, and one id-null answer per unreadable element.
        expect(responses.filter((r) => r.id !== null).map((r) => r.id)).toEqual(callIds)
        expect(responses.filter((r) => r.id === null)).toHaveLength(garbage)
        // A handler that never answers is answered by the timeout, never by silence.
        if (timeoutMs === Infinity) return
        for (const r of responses)
          if (RpcResponse.isFailure(r) && r.error.code === -32003) expect(r.error).toEqual({ code: -32003, message: 'Request timed out' })
      }),
      { numRuns: 150 },
    )
  }, 20_000)
})

// -------------------------------------------------------------------------------------
// real servers, arbitrary input
// -------------------------------------------------------------------------------------

let http: HttpServer
let ws: Ws.Server
const tcp: Record<FramingName, TcpServer | undefined> = { ndjson: undefined, 'content-length': undefined }

beforeAll(async () => {
  const started = await serve({ dispatcher })()
  if (E.isLeft(started)) throw new Error('serve failed')
  http = started.right
  ws = Ws.attachToHttp(http.server, dispatcher, { path: '/ws' })
  for (const framing of [Framing.ndjson, Framing.contentLength]) {
    const out = await listen({ framing, dispatcher })()
    if (E.isLeft(out)) throw new Error('listen failed')
    tcp[framing.name as FramingName] = out.right
  }
})

afterAll(async () => {
  await ws.close()
  await http.close()
  await Promise.all(Object.values(tcp).flatMap((s) => (s === undefined ? [] : [s.close()])))
})

const requestLike = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue({ maxDepth: 1 })),
    method: fc.oneof(
      fc.constantFrom('subtract', 'secret', 'bigint', 'circular', 'notifyThrows', 'sleep', '__proto__', 'toString'),
      fc.string({ maxLength: 8 }),
    ),
    params: fc.oneof(
      fc.tuple(fc.integer(), fc.integer()),
      fc.record({ minuend: fc.integer(), subtrahend: fc.jsonValue({ maxDepth: 1 }) }),
      fc.record({ ms: fc.integer({ min: 0, max: 5 }) }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    id: fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
  },
  { requiredKeys: [] },
)

const body: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json(),
  requestLike.map((r) => JSON.stringify(r)),
  fc.array(fc.oneof(requestLike, fc.jsonValue({ maxDepth: 1 })), { maxLength: 8 }).map((a) => JSON.stringify(a)),
  // Notifications, which nothing answers (204 over HTTP).
  fc.constantFrom('notifyThrows', 'nope', 'subtract', 'secret').map((method) => JSON.stringify({ jsonrpc: '2.0', method })),
)

describe('the HTTP server, arbitrary bodies, content types and methods', () => {
  it('answers each: a valid JSON-RPC answer (200), 204 for notifications, or a documented 4xx; never a 5xx', async () => {
    const statuses = new Map<number, number>()
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom(
          'application/json',
          'application/json',
          'application/json; charset=utf-8',
          'application/vnd.x+json',
          'text/plain',
          'application/json; charset=latin1',
          undefined,
        ),
        fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET', 'DELETE', 'PATCH'),
        async (payload, contentType, method) => {
          const res = await fetch(http.url, {
            method,
            headers: contentType === undefined ? {} : { 'content-type': contentType },
            ...(method === 'GET' ? {} : { body: typeof payload === 'string' ? payload : new Uint8Array(payload) }),
          })
          const text = await res.text()
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
          expect(res.status).toBeLessThan(500)
          if (res.status === 200) {
            expect(res.headers.get('content-type')).toBe('application/json')
            expect(isValidAnswer(text), text).toBe(true)
          } else if (res.status === 204) expect(text).toBe('')
          else {
            expect([405, 415]).toContain(res.status)
            expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
          }
          expect(text).not.toContain('boom')
        },
      ),
      { numRuns: 300 },
    )
    // The run exercised every kind of answer.
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 204, 405, 415]))
    const res = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: probe('after') })
    expect(await res.text()).toBe(probeAnswer('after'))
  }, 30_000)
})

describe('the WebSocket server, arbitrary text and binary frames', () => {
  it('answers each with a valid answer or nothing, keeps the connection open, and serves after', async () => {
    const conn = await openWebSocket(http.url.replace(/^http/, 'ws').replace(/\/$/, '/ws'))
    let n = 0
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (payload, binary) => {
        const from = conn.inbox.messages.length
        const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload)
        // A text frame must be UTF-8 (ws would close with 1007, checked in bad-input.test.ts): the
        // fuzz sends bytes as binary frames and strings either way.
        conn.send(bytes, typeof payload === 'string' ? binary : true)
        const id = `fuzz-${++n}`
        conn.send(probe(id))
        await conn.until((inbox) => inbox.closed !== undefined || inbox.messages.includes(probeAnswer(id)), 5_000, 'the probe answer')
        expect(conn.inbox.closed).toBeUndefined()
        // Anything async (sleep) may still come: wait for it briefly, then check every answer.
        await new Promise((resolve) => setTimeout(resolve, 10))
        for (const m of conn.inbox.messages.slice(from)) expect(isValidAnswer(m.replace(/^binary:/, '')), m).toBe(true)
      }),
      { numRuns: 200 },
    )
    await conn.close()
  }, 30_000)
})

const tcpConnect = (framing: FramingName): Promise<{ client: RawClient; socket: net.Socket }> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: (tcp[framing] as TcpServer).address.port })
    socket.once('error', reject)
    socket.setNoDelay(true)
    socket.once('connect', () =>
      resolve({
        socket,
        client: overStreams(framing, socket, socket, async () => void socket.destroy()),
      }),
    )
  })

describe('the TCP server, arbitrary bytes', () => {
  it('newline-delimited JSON: any bytes then a newline; each line answered validly or not at all, and the probe is answered on the same connection', async () => {
    const { client, socket } = await tcpConnect('ndjson')
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          body.map((b) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b)),
        ),
        async (bytes) => {
          const from = client.inbox.messages.length
          socket.write(Buffer.concat([Buffer.from(bytes), Buffer.from('\n')]))
          const id = `fuzz-${++n}`
          socket.write(frame('ndjson', probe(id)))
          await client.until((inbox) => inbox.closed !== undefined || inbox.messages.includes(probeAnswer(id)), 5_000, 'the probe answer')
          await new Promise((resolve) => setTimeout(resolve, 10))
          for (const m of client.inbox.messages.slice(from)) expect(isValidAnswer(m), m).toBe(true)
        },
      ),
      { numRuns: 200 },
    )
    socket.destroy()
  }, 30_000)

  it('Content-Length: any bytes on a fresh connection never stop the server, and whatever it answers is valid', async () => {
    const pieces = fc
      .array(
        fc.constantFrom(
          'Content-Length: ',
          'content-length:',
          '2',
          '13',
          '99999999999999999',
          '-1',
          'x',
          ':',
          ' ',
          '\r\n',
          '\n',
          '\r\n\r\n',
          '{}',
          '[1]',
          '"',
          'é',
          '\u0000',
        ),
        { maxLength: 30 },
      )
      .map((xs) => Buffer.from(xs.join(''), 'utf8'))
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), pieces), async (bytes) => {
        const { client, socket } = await tcpConnect('content-length')
        socket.write(Buffer.from(bytes))
        await new Promise((resolve) => setTimeout(resolve, 5))
        for (const m of client.inbox.messages) expect(isValidAnswer(m), m).toBe(true)
        socket.destroy()
      }),
      { numRuns: 150 },
    )
    const { client, socket } = await tcpConnect('content-length')
    socket.write(frame('content-length', probe('after')))
    await client.until((inbox) => inbox.messages.includes(probeAnswer('after')), 5_000, 'the probe answer')
    socket.destroy()
  }, 30_000)
})
