/**
 * Bad input, over every transport (issue #4, "Safe by default"): one table of hostile messages, each
 * sent as raw bytes in-process (Dispatch), over HTTP (`serve`, raw `fetch` POSTs), over WebSocket
 * (`attachToHttp`, a raw `ws` client, text and binary frames), over TCP in both framings (`listen`,
 * a raw `net` socket) and over a child's stdio (`serveStdio`, both framings). Each case checks the
 * exact answer (or the documented status, close code or silence), and is followed by a probe, a
 * valid `subtract` call that must answer 19: the server still serves.
 *
 * After the suite: `Object.prototype` holds no `polluted` key, no answer anywhere carries the text
 * of a thrown error, and the causes reached `onDefect` on the server side instead.
 */
import { Buffer } from 'node:buffer'
import { spawn, type ChildProcess } from 'node:child_process'
import * as net from 'node:net'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type Server as HttpServer } from '../../src/http/index.js'
import { Framing, listen, type Server as TcpServer } from '../../src/stream/index.js'
import * as Ws from '../../src/ws/index.js'
import { defects, dispatcher, probe, probeAnswer, SECRET } from './methods.js'
import { everything, openWebSocket, overStreams, type FramingName, type RawClient } from './wire.js'

// -------------------------------------------------------------------------------------
// the table
// -------------------------------------------------------------------------------------

type TransportName = 'dispatch' | 'http' | 'ws-text' | 'ws-binary' | 'tcp-ndjson' | 'tcp-content-length' | 'stdio-ndjson' | 'stdio-content-length'

/** What a transport must do with one input. */
type Expect =
  | { readonly _tag: 'Answer'; readonly text: string } // this exact answer (HTTP: 200, application/json)
  | { readonly _tag: 'Silence' } // no answer (HTTP: 204, no body)
  | { readonly _tag: 'Status'; readonly status: number } // HTTP only: this status, a short text/plain reason
  | { readonly _tag: 'Close'; readonly code: number } // WebSocket only: the server closes with this code
  | { readonly _tag: 'NotApplicable' } // the transport cannot carry this input (bytes to Dispatch, which takes text)

const answer = (text: string): Expect => ({ _tag: 'Answer', text })
const silence: Expect = { _tag: 'Silence' }
const status = (s: number): Expect => ({ _tag: 'Status', status: s })
const closes = (code: number): Expect => ({ _tag: 'Close', code })
const notApplicable: Expect = { _tag: 'NotApplicable' }

interface Case {
  readonly name: string
  readonly input: string | Buffer
  /** What every transport answers, unless `on` says otherwise. */
  readonly expect: Expect
  readonly on?: Partial<Record<TransportName | 'peers', Expect>>
}

const err = (code: number, message: string, id: string, data?: string): string =>
  `{"jsonrpc":"2.0","error":{"code":${code},"message":"${message}"${data === undefined ? '' : `,"data":${data}`}},"id":${id}}`
const PARSE = err(-32700, 'Parse error', 'null')
const INVALID = (id: string) => err(-32600, 'Invalid Request', id)
const PROTO_MEMBER = JSON.stringify(['params: a member named "__proto__" is not accepted'])
const NOT_FOUND = (id: string) => err(-32601, 'Method not found', id)
const INTERNAL = (id: string) => err(-32603, 'Internal error', id)
const req = (method: string, params: string | undefined, id: string): string =>
  `{"jsonrpc":"2.0","method":${JSON.stringify(method)}${params === undefined ? '' : `,"params":${params}`},"id":${id}}`
const sub = (id: number) => req('subtract', '[3,1]', String(id))
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)

const HUGE_METHOD = 'm'.repeat(1_000_000)
// A request of 2 MiB: over every transport's default message limit (1 MiB).
const OVERSIZED = req('subtract', `{"minuend":1,"subtrahend":1,"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`, '1')
// Valid JSON around bytes that are not UTF-8: a lone 0xff, an overlong '/', a UTF-16 surrogate half.
const NOT_UTF8 = Buffer.concat([
  Buffer.from('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":"'),
  Buffer.from([0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80]),
  Buffer.from('"}'),
])

const cases: ReadonlyArray<Case> = [
  // not JSON
  { name: 'malformed JSON', input: '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]', expect: answer(PARSE) },
  { name: 'truncated JSON', input: '{"jsonrpc":"2.0","method":"subtract","params":[42,23', expect: answer(PARSE) },
  // Newline-delimited JSON skips blank lines (they are not messages); other framings carry it.
  { name: 'an empty message', input: ' ', expect: answer(PARSE), on: { 'tcp-ndjson': silence, 'stdio-ndjson': silence } },
  { name: 'a NUL byte and garbage', input: '\u0000\u0001{]', expect: answer(PARSE) },
  {
    name: 'a lone surrogate escaped in a string (valid JSON)',
    input: req('subtract', '[42,23]', '"\\ud800"'),
    expect: answer('{"jsonrpc":"2.0","result":19,"id":"\\ud800"}'),
  },
  // not a request object
  { name: 'a string at the top level', input: '"subtract"', expect: answer(INVALID('null')) },
  { name: 'a number at the top level', input: '1', expect: answer(INVALID('null')) },
  { name: 'null at the top level', input: 'null', expect: answer(INVALID('null')) },
  { name: 'true at the top level', input: 'true', expect: answer(INVALID('null')) },
  // wrong member types
  { name: 'jsonrpc a number', input: '{"jsonrpc":2,"method":"subtract","params":[42,23],"id":1}', expect: answer(INVALID('1')) },
  { name: 'jsonrpc "1.0"', input: '{"jsonrpc":"1.0","method":"subtract","params":[42,23],"id":1}', expect: answer(INVALID('1')) },
  { name: 'method a number', input: '{"jsonrpc":"2.0","method":1,"params":[42,23],"id":1}', expect: answer(INVALID('1')) },
  { name: 'method missing', input: '{"jsonrpc":"2.0","params":[42,23],"id":1}', expect: answer(INVALID('1')) },
  { name: 'params a string', input: req('subtract', '"42"', '1'), expect: answer(INVALID('1')) },
  { name: '"params": null', input: req('subtract', 'null', '1'), expect: answer(INVALID('1')) },
  {
    name: 'params of the wrong types',
    input: req('subtract', '[42,"23"]', '1'),
    expect: answer(err(-32602, 'Invalid params', '1', '["params.1: expected number, got \\"23\\""]')),
  },
  {
    name: 'a response sent to the server',
    input: '{"jsonrpc":"2.0","result":19,"id":1}',
    expect: answer(INVALID('1')),
    // A two-way connection reads it as an answer to a call of its own; none is pending, so it is dropped.
    on: { peers: silence },
  },
  // invalid ids
  { name: 'id 1e400 (Infinity once parsed)', input: req('subtract', '[42,23]', '1e400'), expect: answer(INVALID('null')) },
  { name: 'id 2^53 + 2 (beyond the safe integers)', input: req('subtract', '[42,23]', '9007199254740994'), expect: answer(INVALID('null')) },
  { name: 'id an object', input: req('subtract', '[42,23]', '{"a":1}'), expect: answer(INVALID('null')) },
  { name: 'id an array', input: req('subtract', '[42,23]', '[1]'), expect: answer(INVALID('null')) },
  { name: 'id true', input: req('subtract', '[42,23]', 'true'), expect: answer(INVALID('null')) },
  // size
  { name: 'a 1 MB method name: not found, and not echoed', input: req(HUGE_METHOD, '[]', '1'), expect: answer(NOT_FOUND('1')) },
  {
    name: 'a 2 MiB message (over the default limit)',
    input: OVERSIZED,
    expect: answer('{"jsonrpc":"2.0","result":0,"id":1}'), // Dispatch itself has no size limit: the transports do
    on: { http: status(413), 'ws-text': closes(1009), 'ws-binary': closes(1009), peers: silence },
  },
  // prototype pollution
  { name: 'whole message {"__proto__":{"polluted":1}}', input: '{"__proto__":{"polluted":1}}', expect: answer(INVALID('null')) },
  {
    name: 'whole message {"constructor":{"prototype":{"polluted":1}}}',
    input: '{"constructor":{"prototype":{"polluted":1}}}',
    expect: answer(INVALID('null')),
  },
  {
    name: 'a request with "__proto__" beside its members',
    input: '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1,"__proto__":{"polluted":1,"id":2}}',
    expect: answer('{"jsonrpc":"2.0","result":19,"id":1}'),
  },
  {
    name: 'params {"__proto__":{"polluted":1}}',
    input: req('subtract', '{"__proto__":{"polluted":1}}', '1'),
    expect: answer(err(-32602, 'Invalid params', '1', PROTO_MEMBER)),
  },
  {
    name: 'params {"constructor":{"prototype":{"polluted":1}}}',
    input: req('subtract', '{"constructor":{"prototype":{"polluted":1}}}', '1'),
    expect: answer(err(-32602, 'Invalid params', '1', '["params.minuend: expected number, got nothing","params.subtrahend: expected number, got nothing"]')),
  },
  {
    // Refused whatever else the params hold: a codec that copies the object would make the member its
    // prototype (src/internal/dispatch/Limits.ts, PROTO_MEMBER).
    name: 'valid params with "__proto__" beside them',
    input: req('subtract', '{"minuend":42,"subtrahend":23,"__proto__":{"polluted":1,"minuend":0}}', '1'),
    expect: answer(err(-32602, 'Invalid params', '1', PROTO_MEMBER)),
  },
  {
    name: 'params with "__proto__" three levels down',
    input: req('subtract', '{"minuend":42,"subtrahend":23,"tags":[{"a":{"__proto__":{"polluted":1}}}]}', '1'),
    expect: answer(err(-32602, 'Invalid params', '1', PROTO_MEMBER)),
  },
  { name: 'method "__proto__"', input: req('__proto__', '[]', '1'), expect: answer(NOT_FOUND('1')) },
  { name: 'method "constructor"', input: req('constructor', '[]', '1'), expect: answer(NOT_FOUND('1')) },
  { name: 'method "toString"', input: req('toString', '[]', '1'), expect: answer(NOT_FOUND('1')) },
  { name: 'method "hasOwnProperty"', input: req('hasOwnProperty', '[]', '1'), expect: answer(NOT_FOUND('1')) },
  // batches
  { name: 'an empty batch', input: '[]', expect: answer(INVALID('null')) },
  { name: 'a batch of invalids', input: '[1,"x",null,{},[]]', expect: answer(`[${[1, 2, 3, 4, 5].map(() => INVALID('null')).join(',')}]`) },
  {
    name: 'a batch of invalid JSON',
    input: '[{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"},{"jsonrpc":"2.0","method"]',
    expect: answer(PARSE),
  },
  {
    name: 'a batch mixing valid, invalid and notifications',
    input: `[${sub(1)},1,{"jsonrpc":"2.0","method":"notifyThrows"},${req('nope', undefined, '2')},${req('subtract', 'null', '3')}]`,
    expect: answer(`[{"jsonrpc":"2.0","result":2,"id":1},${INVALID('null')},${NOT_FOUND('2')},${INVALID('3')}]`),
  },
  {
    name: 'a batch of 101 requests (over 100)',
    input: `[${Array.from({ length: 101 }, (_, i) => sub(i)).join(',')}]`,
    expect: answer(err(-32600, 'Invalid Request', 'null', '"a batch holds at most 100 requests"')),
  },
  { name: 'a batch of batches', input: `[[${sub(1)}],[]]`, expect: answer(`[${INVALID('null')},${INVALID('null')}]`) },
  // depth
  {
    name: 'params 65 levels deep (over 64)',
    input: req('subtract', nested(65), '1'),
    expect: answer(err(-32602, 'Invalid params', '1', '["params: nested deeper than 64 levels"]')),
  },
  {
    name: 'params 100 000 levels deep',
    input: req('subtract', nested(100_000), '1'),
    expect: answer(err(-32602, 'Invalid params', '1', '["params: nested deeper than 64 levels"]')),
  },
  // bytes
  {
    name: 'bytes that are not UTF-8',
    input: NOT_UTF8,
    expect: answer(PARSE),
    // Dispatch takes text; a WebSocket text frame must be UTF-8 (1007); a binary one is read as UTF-8;
    // a stream frame is whole but not UTF-8: reported to onFramingError and answered Parse error.
    on: { dispatch: notApplicable, 'ws-text': closes(1007), 'ws-binary': answer(PARSE) },
  },
  // handlers that misbehave
  { name: 'a notification whose handler throws', input: '{"jsonrpc":"2.0","method":"notifyThrows"}', expect: silence },
  { name: 'a notification of an unknown method', input: '{"jsonrpc":"2.0","method":"nope","params":[1]}', expect: silence },
  { name: 'a handler that throws with a secret message', input: req('secret', undefined, '1'), expect: answer(INTERNAL('1')) },
  { name: 'a BigInt result', input: req('bigint', undefined, '1'), expect: answer(INTERNAL('1')) },
  { name: 'a circular result', input: req('circular', undefined, '1'), expect: answer(INTERNAL('1')) },
  {
    name: 'a batch of the three, beside a good call',
    input: `[${req('secret', undefined, '1')},${req('bigint', undefined, '2')},${req('circular', undefined, '3')},${sub(4)}]`,
    expect: answer(`[${INTERNAL('1')},${INTERNAL('2')},${INTERNAL('3')},{"jsonrpc":"2.0","result":2,"id":4}]`),
  },
]

const isPeer = (t: TransportName): boolean => t !== 'dispatch' && t !== 'http'
const expected = (c: Case, t: TransportName): Expect => c.on?.[t] ?? (isPeer(t) ? c.on?.peers : undefined) ?? c.expect

// -------------------------------------------------------------------------------------
// the transports
// -------------------------------------------------------------------------------------

const text = (input: string | Buffer): string => (typeof input === 'string' ? input : input.toString('utf8'))
let probes = 0
const nextProbe = (): string => `probe-${++probes}`

/** The answer's text, for a check that it is not in an error message: no 1 MB strings in reports. */
const short = (s: string): string => (s.length > 300 ? `${s.slice(0, 300)}... (${s.length} chars)` : s)

// -- in-process --------------------------------------------------------------------------

const viaDispatch = async (c: Case, want: Expect): Promise<void> => {
  const out = await dispatcher.dispatch(text(c.input))
  if (out !== undefined) everything.push(out)
  if (want._tag === 'Answer') expect(short(String(out))).toBe(short(want.text))
  else expect(out).toBeUndefined()
  const id = nextProbe()
  expect(await dispatcher.dispatch(probe(id))).toBe(probeAnswer(id))
}

// -- HTTP ----------------------------------------------------------------------------------

let http: HttpServer
let ws: Ws.Server

const post = async (body: string | Buffer): Promise<{ status: number; contentType: string | null; body: string }> => {
  const res = await fetch(http.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  })
  const answerText = await res.text()
  everything.push(answerText)
  return { status: res.status, contentType: res.headers.get('content-type'), body: answerText }
}

const viaHttp = async (c: Case, want: Expect): Promise<void> => {
  const got = await post(c.input)
  switch (want._tag) {
    case 'Answer':
      expect({ status: got.status, contentType: got.contentType, body: short(got.body) }).toEqual({
        status: 200,
        contentType: 'application/json',
        body: short(want.text),
      })
      break
    case 'Silence':
      expect({ status: got.status, body: got.body }).toEqual({ status: 204, body: '' })
      break
    case 'Status':
      expect(got.status).toBe(want.status)
      expect(got.contentType).toBe('text/plain; charset=utf-8')
      expect(got.body.length).toBeLessThan(100)
      break
    default:
      throw new Error(`no HTTP expectation ${want._tag}`)
  }
  const id = nextProbe()
  expect(await post(probe(id))).toEqual({ status: 200, contentType: 'application/json', body: probeAnswer(id) })
}

// -- two-way connections (WebSocket, TCP, stdio) ----------------------------------------------

/**
 * Sends the case and then the probe on one connection, and reads what comes back: the probe's
 * answer, and the case's answer (or, for silence, nothing before the probe's answer and nothing for
 * a short while after). A case that must close the connection is checked by its close code, and the
 * probe then goes over a fresh connection.
 */
const viaPeer = async (client: () => Promise<RawClient>, c: Case, want: Expect, binary: boolean): Promise<void> => {
  const conn = await client()
  const from = conn.inbox.messages.length
  conn.send(c.input, binary)
  const id = nextProbe()
  const tag = (m: string) => (binary ? m.replace(/^binary:/, '') : m)
  const others = () =>
    conn.inbox.messages
      .slice(from)
      .map(tag)
      .filter((m) => m !== probeAnswer(id))
  if (want._tag === 'Close') {
    await conn.until((inbox) => inbox.closed !== undefined, 5_000, `close ${want.code}`)
    expect(conn.inbox.closed).toBe(want.code)
    expect(others()).toEqual([])
    const fresh = await client()
    fresh.send(probe(id), binary)
    await fresh.until((inbox) => inbox.messages.map(tag).includes(probeAnswer(id)), 5_000, 'the probe answer')
    return
  }
  conn.send(probe(id), binary)
  await conn.until((inbox) => inbox.closed !== undefined || inbox.messages.slice(from).map(tag).includes(probeAnswer(id)), 10_000, 'the probe answer')
  expect(conn.inbox.closed, 'the connection stays open').toBeUndefined()
  if (want._tag === 'Answer') {
    await conn.until(() => others().length >= 1, 5_000, 'the answer')
    expect(others().map(short)).toEqual([short(want.text)])
  } else {
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(others().map(short)).toEqual([])
  }
}

// One connection per transport, kept across cases (opened again after a case that closes it).
const reusable = (open: () => Promise<RawClient>) => {
  let current: RawClient | undefined
  const all: Array<RawClient> = []
  return {
    get: async (): Promise<RawClient> => {
      if (current === undefined || current.inbox.closed !== undefined) {
        current = await open()
        all.push(current)
      }
      return current
    },
    closeAll: () => Promise.all(all.map((c) => c.close())),
  }
}

const tcpClient = (framing: FramingName, port: number) => (): Promise<RawClient> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.setNoDelay(true)
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(
        overStreams(
          framing,
          socket,
          socket,
          () =>
            new Promise<void>((done) => {
              if (socket.destroyed) return done()
              socket.once('close', () => done())
              socket.end()
            }),
        ),
      )
    })
  })

const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url))
const stdioServer = fileURLToPath(new URL('./stdio-server.ts', import.meta.url))
const children: Array<ChildProcess> = []

const stdioClient = (framing: FramingName) => (): Promise<RawClient> => {
  const child = spawn(process.execPath, [tsx, stdioServer, framing], { stdio: ['pipe', 'pipe', 'inherit'] })
  children.push(child)
  return Promise.resolve(
    overStreams(
      framing,
      child.stdout,
      child.stdin,
      () =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done()
          child.once('exit', () => done())
          child.stdin.end()
        }),
    ),
  )
}

// -------------------------------------------------------------------------------------
// the suite
// -------------------------------------------------------------------------------------

const tcp: Array<TcpServer> = []
const ports: Record<FramingName, number> = { ndjson: 0, 'content-length': 0 }
const pollutedBefore = Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')

beforeAll(async () => {
  const started = await serve({ dispatcher })()
  if (E.isLeft(started)) throw new Error('serve failed')
  http = started.right
  ws = Ws.attachToHttp(http.server, dispatcher, { path: '/ws' })
  for (const framing of [Framing.ndjson, Framing.contentLength]) {
    const out = await listen({ framing, dispatcher })()
    if (E.isLeft(out)) throw new Error('listen failed')
    tcp.push(out.right)
    ports[framing.name as FramingName] = out.right.address.port
  }
})

const clients = {
  'ws-text': reusable(() => openWebSocket(http.url.replace(/^http/, 'ws').replace(/\/$/, '/ws'))),
  'ws-binary': reusable(() => openWebSocket(http.url.replace(/^http/, 'ws').replace(/\/$/, '/ws'))),
  'tcp-ndjson': reusable(() => tcpClient('ndjson', ports.ndjson)()),
  'tcp-content-length': reusable(() => tcpClient('content-length', ports['content-length'])()),
  'stdio-ndjson': reusable(stdioClient('ndjson')),
  'stdio-content-length': reusable(stdioClient('content-length')),
}

afterAll(async () => {
  await Promise.all(Object.values(clients).map((c) => c.closeAll()))
  for (const child of children) if (child.exitCode === null) child.kill()
  await ws.close()
  await http.close()
  await Promise.all(tcp.map((s) => s.close()))
})

const transports: ReadonlyArray<TransportName> = [
  'dispatch',
  'http',
  'ws-text',
  'ws-binary',
  'tcp-ndjson',
  'tcp-content-length',
  'stdio-ndjson',
  'stdio-content-length',
]

const run = (t: TransportName, c: Case, want: Expect): Promise<void> => {
  switch (t) {
    case 'dispatch':
      return viaDispatch(c, want)
    case 'http':
      return viaHttp(c, want)
    case 'ws-text':
    case 'ws-binary':
      return viaPeer(clients[t].get, c, want, t === 'ws-binary')
    default:
      return viaPeer(clients[t].get, c, want, false)
  }
}

describe.each(transports)('bad input over %s: the exact answer, then the probe answers 19', (t) => {
  for (const c of cases) {
    const want = expected(c, t)
    if (want._tag === 'NotApplicable') continue
    const what =
      want._tag === 'Answer'
        ? 'answers'
        : want._tag === 'Silence'
          ? 'answers nothing'
          : want._tag === 'Status'
            ? `answers ${want.status}`
            : `closes with ${want.code}`
    it(`${c.name}: ${what}`, () => run(t, c, want), 20_000)
  }
})

describe('after the whole table, on every transport', () => {
  it('Object.prototype has no polluted key, and a fresh object has no polluted member', () => {
    expect(pollutedBefore).toBe(false)
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.keys(Object.prototype)).toEqual([])
  })

  it('no answer anywhere carried the text of a thrown error, a path or a stack', () => {
    expect(everything.length).toBeGreaterThan(cases.length * transports.length)
    const leaks = everything.filter(
      (m) =>
        m.includes('SECRET') ||
        m.includes('/etc/shadow') ||
        m.includes('handler.ts') ||
        /\bat [\w.<>]+ \(/.test(m) ||
        m.includes(' circular ') ||
        m.includes('BigInt'),
    )
    expect(leaks.map(short)).toEqual([])
    // The huge method name was never echoed back.
    expect(everything.filter((m) => m.includes('m'.repeat(1000))).map(short)).toEqual([])
  })

  it('the causes reached onDefect on the server instead', () => {
    expect(defects.some((d) => d instanceof Error && d.message === SECRET)).toBe(true)
    expect(defects.some((d) => d instanceof TypeError && /BigInt/i.test(d.message))).toBe(true)
    expect(defects.some((d) => d instanceof TypeError && /circular/i.test(d.message))).toBe(true)
  })
})
