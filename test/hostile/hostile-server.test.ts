/**
 * Our client against hostile servers (issue #4): raw node:http, `ws` and `net` servers written here
 * that answer with unknown ids, both or neither of result and error, malformed error objects, HTML,
 * oversized bodies, one error for a whole batch, nothing at all, or a closed connection. Each becomes
 * a typed error on the right calls (or is ignored, when the right answer also comes), nothing hangs
 * (short timeouts), and no pending call is left behind.
 */
import { Buffer } from 'node:buffer'
import { createServer, type IncomingMessage, type Server as NodeHttpServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as net from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { WebSocketServer, type WebSocket as RawSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, ClientError } from '../../src/index.js'
import { defaultMaxResponseBytes, transport, type HttpError } from '../../src/fetch/index.js'
import { connect as connectTcp, Framing } from '../../src/stream/index.js'
import * as Ws from '../../src/ws/index.js'
import { Subtract } from './methods.js'

const TIMEOUT_MS = 300

type Result = Either<ClientError.ClientError<never, unknown>, number>

const call = Client.call(Subtract, { minuend: 42, subtrahend: 23 })
const two = Client.batch(Client.call(Subtract, { minuend: 42, subtrahend: 23 }), Client.call(Subtract, { minuend: 1, subtrahend: 1 }))

const ok = (id: unknown, result: unknown = 19): string => JSON.stringify({ jsonrpc: '2.0', result, id })
const tagOf = (r: Either<ClientError.ClientError<never, unknown>, unknown>): string =>
  E.isRight(r) ? 'Right' : r.left._tag === 'TransportError' ? `TransportError/${(r.left.error as { _tag: string })._tag}` : r.left._tag

/** The requests in a message the client sent, with their ids. */
const idsIn = (text: string): Array<unknown> => {
  const u = JSON.parse(text) as unknown
  return (Array.isArray(u) ? u : [u]).filter((r: { id?: unknown }) => r.id !== undefined).map((r: { id?: unknown }) => r.id)
}

// -------------------------------------------------------------------------------------
// two-way transports: WebSocket and TCP against the same hostile behaviours
// -------------------------------------------------------------------------------------

/** What a hostile two-way server does with one message from the client. */
interface Wire {
  readonly send: (text: string | Buffer) => void
  readonly close: () => void // a graceful close (a close frame; a FIN)
  readonly drop: () => void // cut off at once
}
type Behave = (text: string, wire: Wire) => void

let behave: Behave = () => undefined

let wss: WebSocketServer
let wsUrl: string
let tcpServer: net.Server
let tcpPort: number

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
  wss.on('connection', (socket: RawSocket) => {
    socket.on('error', () => undefined)
    socket.on('message', (data) => {
      const wire: Wire = { send: (t) => socket.send(t, { binary: false }), close: () => socket.close(1000), drop: () => socket.terminate() }
      behave((data as Buffer).toString('utf8'), wire)
    })
  })
  tcpServer = net.createServer((socket) => {
    socket.on('error', () => undefined)
    let held = ''
    socket.on('data', (chunk) => {
      held += chunk.toString('utf8')
      let lf: number
      while ((lf = held.indexOf('\n')) !== -1) {
        const line = held.slice(0, lf)
        held = held.slice(lf + 1)
        const wire: Wire = {
          send: (t) => void socket.write(Buffer.concat([Buffer.from(t), Buffer.from('\n')])),
          close: () => void socket.end(),
          drop: () => void socket.destroy(),
        }
        behave(line, wire)
      }
    })
  })
  await new Promise<void>((resolve) => tcpServer.listen(0, '127.0.0.1', () => resolve()))
  tcpPort = (tcpServer.address() as AddressInfo).port
})

afterAll(async () => {
  await new Promise<void>((resolve) => wss.close(() => resolve()))
  for (const client of wss.clients) client.terminate()
  await new Promise<void>((resolve) => tcpServer.close(() => resolve()))
})

interface Conn {
  readonly client: Client.Client<unknown>
  readonly pending: () => number
  readonly close: () => Promise<void>
}

const peers: Record<'WebSocket' | 'TCP', () => Promise<Conn>> = {
  WebSocket: async () => {
    const out = await Ws.connect(wsUrl, { timeoutMs: TIMEOUT_MS })()
    if (E.isLeft(out)) throw new Error('connect failed')
    const c = out.right
    return { client: c.client, pending: c.pending, close: () => c.close() }
  },
  TCP: async () => {
    const out = await connectTcp({ port: tcpPort, framing: Framing.ndjson, timeoutMs: TIMEOUT_MS })()
    if (E.isLeft(out)) throw new Error('connect failed')
    const c = out.right
    return { client: c.client, pending: c.peer.pending, close: () => c.close() }
  },
}

interface PeerCase {
  readonly name: string
  readonly behave: Behave
  /** What the call gets, by transport when they differ. */
  readonly expect: string | Readonly<Record<'WebSocket' | 'TCP', string>>
  readonly check?: (r: Result) => void
}

const peerCases: ReadonlyArray<PeerCase> = [
  {
    name: 'answers for unknown ids first, then the right one: they are ignored, the call gets its answer',
    behave: (text, wire) => {
      const [id] = idsIn(text)
      wire.send(ok('not-mine', 0))
      wire.send(ok(987654, 0))
      wire.send(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'x' }, id: 555 }))
      wire.send(JSON.stringify([JSON.parse(ok(1e9, 0)), JSON.parse(ok('x', 0))]))
      wire.send(ok(id))
    },
    expect: 'Right',
    check: (r) => expect(r).toEqual(E.right(19)),
  },
  {
    // A success never carries id null (the specification keeps null for errors to messages whose id
    // could not be read), so it answers no call: it must be ignored like any other unknown id. (Found
    // by this suite: the peer took any all-null-id message as the one pending call's answer; fixed in
    // 5c90c3b.)
    name: 'a success with id null before the right answer: ignored, the call gets its answer',
    behave: (text, wire) => {
      wire.send(ok(null, 0))
      wire.send(ok(idsIn(text)[0]))
    },
    expect: 'Right',
    check: (r) => expect(r).toEqual(E.right(19)),
  },
  {
    name: 'the answer carries the id as a string instead of a number: no match, the call times out',
    behave: (text, wire) => wire.send(ok(String(idsIn(text)[0]))),
    expect: 'TransportError/Timeout',
  },
  {
    name: 'only answers for unknown ids: the call times out cleanly',
    behave: (_text, wire) => wire.send(ok(424242)),
    expect: 'TransportError/Timeout',
    check: (r) => expect(r).toEqual(E.left(ClientError.transportError({ _tag: 'Timeout', ms: TIMEOUT_MS }))),
  },
  {
    name: 'the same answer twice: the first settles the call, the second is ignored',
    behave: (text, wire) => {
      const [id] = idsIn(text)
      wire.send(ok(id))
      wire.send(ok(id, 0))
    },
    expect: 'Right',
    check: (r) => expect(r).toEqual(E.right(19)),
  },
  {
    name: 'an answer with both result and error: InvalidResponse',
    behave: (text, wire) => wire.send(JSON.stringify({ jsonrpc: '2.0', result: 19, error: { code: 1, message: 'x' }, id: idsIn(text)[0] })),
    expect: 'InvalidResponse',
    check: (r) => expect(E.isLeft(r) && r.left._tag === 'InvalidResponse' && r.left.reason).toBe('has both result and error'),
  },
  {
    // The id of a pending call, no method: a malformed answer to that call, as over HTTP (#8).
    name: 'an answer with neither result nor error: InvalidResponse',
    behave: (text, wire) => wire.send(JSON.stringify({ jsonrpc: '2.0', id: idsIn(text)[0] })),
    expect: 'InvalidResponse',
  },
  {
    name: 'a malformed error object: InvalidResponse',
    behave: (text, wire) => wire.send(JSON.stringify({ jsonrpc: '2.0', error: { code: 'x', message: 1 }, id: idsIn(text)[0] })),
    expect: 'InvalidResponse',
  },
  {
    name: 'a wrong jsonrpc version: InvalidResponse',
    behave: (text, wire) => wire.send(JSON.stringify({ jsonrpc: '1.0', result: 19, id: idsIn(text)[0] })),
    expect: 'InvalidResponse',
  },
  {
    name: 'a result the contract refuses: ResultDecodeError',
    behave: (text, wire) => wire.send(ok(idsIn(text)[0], '19')),
    expect: 'ResultDecodeError',
  },
  {
    // Not JSON: the peer answers it Parse error (to the server) and the call times out.
    name: 'an HTML page instead of an answer: the call times out',
    behave: (_text, wire) => wire.send('<html><body><h1>502 Bad Gateway</h1></body></html>'),
    expect: 'TransportError/Timeout',
  },
  {
    name: 'one error object with id null for the call (the server could not read it): RpcError',
    behave: (_text, wire) => wire.send(JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null })),
    expect: 'RpcError',
    check: (r) => expect(r).toEqual(E.left(ClientError.rpcError({ code: -32700, message: 'Parse error' }))),
  },
  {
    name: 'a server that accepts and never answers: the call times out',
    behave: () => undefined,
    expect: 'TransportError/Timeout',
    check: (r) => expect(r).toEqual(E.left(ClientError.transportError({ _tag: 'Timeout', ms: TIMEOUT_MS }))),
  },
  {
    name: 'a server that closes gracefully mid-call: Closed',
    behave: (_text, wire) => wire.close(),
    expect: 'TransportError/Closed',
  },
  {
    name: 'a server that drops the connection mid-call: Closed',
    behave: (_text, wire) => wire.drop(),
    expect: 'TransportError/Closed',
  },
  {
    // WebSocket: over the client's maxPayload (1 MiB) the socket closes with 1009, failing the call.
    // TCP: over maxMessageBytes (1 MiB) the line is dropped as it comes; the call times out.
    name: 'an oversized answer (2 MiB)',
    behave: (text, wire) => wire.send(ok(idsIn(text)[0], 'x'.repeat(2 * 1024 * 1024))),
    expect: { WebSocket: 'TransportError/Closed', TCP: 'TransportError/Timeout' },
  },
]

describe.each(['WebSocket', 'TCP'] as const)('our %s client against a hostile server', (transportName) => {
  for (const c of peerCases) {
    it(c.name, async () => {
      behave = c.behave
      const conn = await peers[transportName]()
      try {
        const started = Date.now()
        const r = (await pipe(conn.client, call)()) as Result
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2_000)
        const want = typeof c.expect === 'string' ? c.expect : c.expect[transportName]
        expect(tagOf(r), JSON.stringify(r).slice(0, 300)).toBe(want)
        c.check?.(r)
        expect(conn.pending(), 'no pending call is left behind').toBe(0)
      } finally {
        await conn.close()
      }
    })
  }

  it('a single error object answering a whole batch fails every call of it with that error', async () => {
    behave = (_text, wire) => wire.send(JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null }))
    const conn = await peers[transportName]()
    try {
      const r = await pipe(conn.client, two)()
      const error = E.left(ClientError.rpcError({ code: -32600, message: 'Invalid Request' }))
      expect(r).toEqual(E.right([error, error]))
      expect(conn.pending()).toBe(0)
    } finally {
      await conn.close()
    }
  })

  it('a batch answered with one known and one unknown id: the known call is answered, the other missing', async () => {
    behave = (text, wire) => {
      const [a] = idsIn(text)
      wire.send(JSON.stringify([JSON.parse(ok(a)), JSON.parse(ok('stranger', 0))]))
    }
    const conn = await peers[transportName]()
    try {
      const r = await pipe(conn.client, two)()
      expect(E.isRight(r)).toBe(true)
      if (E.isRight(r)) {
        expect(r.right[0]).toEqual(E.right(19))
        expect(tagOf(r.right[1] as Result)).toBe('MissingResponse')
      }
      expect(conn.pending()).toBe(0)
    } finally {
      await conn.close()
    }
  })

  it('many calls in flight when the server drops the connection: each fails with Closed, none hangs', async () => {
    behave = (_text, wire) => {
      // The tenth message drops the connection; the nine before it are never answered.
      if (++seen === 10) wire.drop()
    }
    let seen = 0
    const conn = await peers[transportName]()
    try {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => pipe(conn.client, Client.call(Subtract, { minuend: 1, subtrahend: 1 }, { timeoutMs: 5_000 }))()),
      )
      expect(results.map((r) => tagOf(r as Result))).toEqual(Array.from({ length: 10 }, () => 'TransportError/Closed'))
      expect(conn.pending()).toBe(0)
    } finally {
      await conn.close()
    }
  })
})

// -------------------------------------------------------------------------------------
// HTTP: the fetch transport against a raw node:http server
// -------------------------------------------------------------------------------------

type HttpBehave = (body: string, req: IncomingMessage, res: ServerResponse) => void

let httpBehave: HttpBehave = (_body, _req, res) => res.end()
let httpServer: NodeHttpServer
let httpUrl: string

beforeAll(async () => {
  httpServer = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => httpBehave(Buffer.concat(chunks).toString('utf8'), req, res))
    res.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve()))
  httpUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/`
})

afterAll(async () => {
  httpServer.closeAllConnections()
  await new Promise<void>((resolve) => httpServer.close(() => resolve()))
})

const json = (res: ServerResponse, text: string, status = 200): void => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(text)
}

interface HttpCase {
  readonly name: string
  readonly behave: HttpBehave
  readonly expect: string
  readonly maxResponseBytes?: number
  readonly timeoutMs?: number
  readonly check?: (r: Result) => void
}

const ELEVEN_MIB = ok(1, 'x'.repeat(11 * 1024 * 1024))

const httpError = (r: Result): HttpError | undefined => (E.isLeft(r) && r.left._tag === 'TransportError' ? (r.left.error as HttpError) : undefined)

const httpCases: ReadonlyArray<HttpCase> = [
  { name: 'an answer for an unknown id only: MissingResponse', behave: (_b, _q, res) => json(res, ok(424242)), expect: 'MissingResponse' },
  {
    name: 'answers for unknown ids beside the right one: the call gets its answer',
    behave: (body, _q, res) => json(res, `[${ok('stranger', 0)},${ok(idsIn(body)[0])},${ok(null, 0)}]`),
    expect: 'Right',
  },
  {
    name: 'the same id answered twice: DuplicateResponse',
    behave: (body, _q, res) => json(res, `[${ok(idsIn(body)[0])},${ok(idsIn(body)[0], 0)}]`),
    expect: 'DuplicateResponse',
  },
  {
    name: 'both result and error: InvalidResponse',
    behave: (body, _q, res) => json(res, JSON.stringify({ jsonrpc: '2.0', result: 19, error: { code: 1, message: 'x' }, id: idsIn(body)[0] })),
    expect: 'InvalidResponse',
  },
  {
    name: 'neither result nor error: InvalidResponse',
    behave: (body, _q, res) => json(res, JSON.stringify({ jsonrpc: '2.0', id: idsIn(body)[0] })),
    expect: 'InvalidResponse',
  },
  {
    name: 'a malformed error object: InvalidResponse',
    behave: (body, _q, res) => json(res, JSON.stringify({ jsonrpc: '2.0', error: { code: 'x' }, id: idsIn(body)[0] })),
    expect: 'InvalidResponse',
  },
  {
    name: 'an HTML page with a JSON content type: InvalidResponse, its body cut to 200 characters',
    behave: (_b, _q, res) => json(res, `<html>${'x'.repeat(10_000)}</html>`),
    expect: 'InvalidResponse',
    check: (r) => expect(E.isLeft(r) && r.left._tag === 'InvalidResponse' && r.left.body.length).toBe(200),
  },
  {
    name: 'a 200 HTML page: NotJson, its body cut to 200 characters',
    behave: (_b, _q, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(`<html>${'x'.repeat(100_000)}</html>`)
    },
    expect: 'TransportError/NotJson',
    check: (r) => expect((httpError(r) as { body: string }).body.length).toBe(200),
  },
  {
    name: 'a 502 HTML page: BadStatus',
    behave: (_b, _q, res) => {
      res.writeHead(502, { 'content-type': 'text/html' })
      res.end('<html><h1>Bad Gateway</h1></html>')
    },
    expect: 'TransportError/BadStatus',
    check: (r) => expect(httpError(r)).toEqual({ _tag: 'BadStatus', status: 502, body: '<html><h1>Bad Gateway</h1></html>' }),
  },
  { name: 'an empty 200 answer to a call: MissingResponse', behave: (_b, _q, res) => json(res, ''), expect: 'MissingResponse' },
  { name: 'a 204 answer to a call: MissingResponse', behave: (_b, _q, res) => res.writeHead(204).end(), expect: 'MissingResponse' },
  {
    name: 'an oversized answer (11 MiB, over the default 10 MiB, with Content-Length): TooLarge',
    timeoutMs: 10_000,
    behave: (_b, _q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ELEVEN_MIB.length })
      res.end(ELEVEN_MIB)
    },
    expect: 'TransportError/TooLarge',
    check: (r) => expect(httpError(r)).toEqual({ _tag: 'TooLarge', limit: defaultMaxResponseBytes }),
  },
  {
    name: 'an oversized answer sent chunked, without Content-Length (maxResponseBytes 64 KiB): TooLarge',
    maxResponseBytes: 64 * 1024,
    behave: (body, _q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const text = ok(idsIn(body)[0], 'x'.repeat(1024 * 1024))
      for (let at = 0; at < text.length; at += 16 * 1024) res.write(text.slice(at, at + 16 * 1024))
      res.end()
    },
    expect: 'TransportError/TooLarge',
    check: (r) => expect(httpError(r)).toEqual({ _tag: 'TooLarge', limit: 64 * 1024 }),
  },
  {
    name: 'one error object with id null for the call: RpcError',
    behave: (_b, _q, res) => json(res, JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null })),
    expect: 'RpcError',
  },
  { name: 'a server that accepts and never answers: Timeout', behave: () => undefined, expect: 'TransportError/Timeout' },
  {
    name: 'a server that sends its headers and stalls: Timeout',
    behave: (_b, _q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"jsonrpc":"2.0",')
    },
    expect: 'TransportError/Timeout',
  },
  { name: 'a server that closes the connection mid-call: NetworkError', behave: (_b, req) => req.socket.destroy(), expect: 'TransportError/NetworkError' },
]

describe('our fetch transport against a hostile HTTP server', () => {
  for (const c of httpCases) {
    it(c.name, async () => {
      httpBehave = c.behave
      const timeoutMs = c.timeoutMs ?? TIMEOUT_MS
      const client = Client.make(transport({ url: httpUrl, timeoutMs, ...(c.maxResponseBytes === undefined ? {} : { maxResponseBytes: c.maxResponseBytes }) }))
      const started = Date.now()
      const r = (await pipe(client, call)()) as Result
      expect(Date.now() - started).toBeLessThan(timeoutMs + 2_000)
      expect(tagOf(r), JSON.stringify(r).slice(0, 300)).toBe(c.expect)
      c.check?.(r)
    })
  }

  it('a single error object answering a whole batch fails every call of it with that error', async () => {
    httpBehave = (_b, _q, res) => json(res, JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null }))
    const r = await pipe(Client.make(transport({ url: httpUrl, timeoutMs: TIMEOUT_MS })), two)()
    const error = E.left(ClientError.rpcError({ code: -32600, message: 'Invalid Request' }))
    expect(r).toEqual(E.right([error, error]))
  })

  it('a batch answered for one call only: the other gets MissingResponse', async () => {
    httpBehave = (body, _q, res) => json(res, `[${ok(idsIn(body)[1], 0)}]`)
    const r = await pipe(Client.make(transport({ url: httpUrl, timeoutMs: TIMEOUT_MS })), two)()
    expect(E.isRight(r) && r.right.map((x) => tagOf(x as Result))).toEqual(['MissingResponse', 'Right'])
  })
})
