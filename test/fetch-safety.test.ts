/**
 * fp-jsonrpc/fetch is safe by default (#4). The Fetch handler, in-process: the body limit (read
 * chunk by chunk), strict UTF-8, the Host allowlist, CORS only when configured, and the
 * authentication hook before any dispatch; the shared rules as pure functions. The client transport
 * against hostile servers on 127.0.0.1: an answer too large, a server that stalls.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, Dispatch, Method, Registry } from '../src/index.js'
import * as _ from '../src/fetch/index.js'
import * as Hosts from '../src/internal/http/hosts.js'
import * as HttpRules from '../src/internal/http/rules.js'
import { dispatcher, ECHO, ECHOED, echoCount, PARSE_ERROR, WhoAmI } from './fixtures/echo.js'

const Rules = _.Rules
// The rules' mechanics, internal since #9 (the public Rules keeps what a user configures or matches on).
const Internal = { ...HttpRules, ...Hosts }

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const URL_ = 'http://rpc.test/'

const post = (body: BodyInit | null, headers: Readonly<Record<string, string>> = {}, url = URL_): Request =>
  new Request(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, duplex: 'half' } as RequestInit)

const read = async (response: Response) => {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => (headers[name] = value))
  return { status: response.status, headers, body: await response.text() }
}

/** A body stream of `chunk` repeated forever (or `times` times), counting what was pulled. */
const endless = (chunk: Uint8Array, times = Infinity) => {
  let pulled = 0
  let cancelled = false
  const stream = new ReadableStream<Uint8Array>({
    pull: (controller) => {
      if (pulled >= times) return controller.close()
      pulled++
      controller.enqueue(chunk)
    },
    cancel: () => {
      cancelled = true
    },
  })
  return { stream, pulled: () => pulled, cancelled: () => cancelled }
}

// -------------------------------------------------------------------------------------
// the rules, as pure functions
// -------------------------------------------------------------------------------------

describe('Rules: Host', () => {
  it('isAllowedHost: an entry with a port matches that port only; without one, any port; case is ignored', () => {
    const allowed = Internal.isAllowedHost(['localhost:8080', '[::1]:8080', 'rpc.internal'])
    expect(['localhost:8080', 'LocalHost:8080', '[::1]:8080', 'rpc.internal', 'rpc.internal:1'].map(allowed)).toEqual([true, true, true, true, true])
    expect(['localhost', 'localhost:8081', '[::1]', 'evil.example:8080', 'localhost.evil:8080', '', null, undefined].map(allowed)).toEqual(Array(8).fill(false))
  })

  it('loopbackHosts: the three loopback names with the port, and bare names for port 80', () => {
    expect(Rules.loopbackHosts(8080)).toEqual(['localhost:8080', '127.0.0.1:8080', '[::1]:8080'])
    expect(Rules.loopbackHosts(80)).toEqual(['localhost:80', 'localhost', '127.0.0.1:80', '127.0.0.1', '[::1]:80', '[::1]'])
  })

  it('isLoopback', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'].every(Internal.isLoopback)).toBe(true)
    expect(['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com', '128.0.0.1'].some(Internal.isLoopback)).toBe(false)
  })

  it('refuse: Host first, then the path, the method, the content type, the declared length', () => {
    const refuse = Internal.refuse({ allowedHosts: ['localhost'], path: '/rpc', maxBodyBytes: 10 })
    const head = { method: 'POST', path: '/rpc', contentType: 'application/json', host: 'localhost:1', contentLength: '10' }
    expect(refuse(head)).toBeUndefined()
    expect(refuse({ ...head, host: 'evil', path: '/other', method: 'GET' })?.status).toBe(403)
    expect(refuse({ ...head, path: '/other', method: 'GET' })?.status).toBe(404)
    expect(refuse({ ...head, method: 'GET', contentType: 'text/plain' })?.status).toBe(405)
    expect(refuse({ ...head, contentType: 'text/plain', contentLength: '11' })?.status).toBe(415)
    expect(refuse({ ...head, contentLength: '11' })).toEqual(Internal.payloadTooLarge)
    expect(Internal.payloadTooLarge.headers['connection']).toBe('close')
  })

  it('a refusal becomes 401 with its challenge, or 403', () => {
    expect(Internal.fromRefusal(Rules.unauthenticated())).toMatchObject({ status: 401, body: 'Unauthorized', headers: { 'www-authenticate': 'Bearer' } })
    expect(Internal.fromRefusal(Rules.unauthenticated('Basic realm="x"')).headers['www-authenticate']).toBe('Basic realm="x"')
    expect(Internal.fromRefusal(Rules.refused)).toMatchObject({ status: 403, body: 'Forbidden' })
  })
})

// -------------------------------------------------------------------------------------
// the handler
// -------------------------------------------------------------------------------------

describe('handler: a body above maxBodyBytes is 413', () => {
  it('1 MiB by default: exactly 1 MiB is read, one byte more is 413 with Connection: close', async () => {
    const rpc = _.handler(dispatcher)
    const exact = ECHO + ' '.repeat(Rules.defaultMaxBodyBytes - ECHO.length)
    expect(await read(await rpc(post(exact)))).toMatchObject({ status: 200, body: ECHOED })
    expect(await read(await rpc(post(exact + ' ')))).toMatchObject({ status: 413, body: 'Payload Too Large', headers: { connection: 'close' } })
  })

  it('a Content-Length above the limit is 413 before any of the body is read', async () => {
    const body = endless(new Uint8Array(1000))
    const answer = await _.handler(dispatcher, { maxBodyBytes: 100 })(post(body.stream, { 'content-length': '5000000' }))
    expect(answer.status).toBe(413)
    expect(body.pulled()).toBeLessThanOrEqual(1) // a stream may pull its first chunk on its own
  })

  it('a body with no length is read chunk by chunk up to the limit, then cancelled', async () => {
    const before = echoCount()
    const body = endless(new TextEncoder().encode('['.repeat(1000)))
    const answer = await _.handler(dispatcher, { maxBodyBytes: 10_000 })(post(body.stream))
    expect(await read(answer)).toMatchObject({ status: 413, body: 'Payload Too Large' })
    expect(body.pulled()).toBeLessThan(20)
    expect(body.cancelled()).toBe(true)
    expect(echoCount()).toBe(before)
  })

  it('a streamed body within the limit is served; Infinity lifts the limit; a negative one throws a RangeError', async () => {
    const bytes = new TextEncoder().encode(ECHO)
    const one = endless(bytes, 1)
    expect(await read(await _.handler(dispatcher, { maxBodyBytes: bytes.length })(post(one.stream)))).toMatchObject({ status: 200, body: ECHOED })
    const spaced = `${' '.repeat(3_000_000)}${ECHO}`
    expect(await read(await _.handler(dispatcher, { maxBodyBytes: Infinity })(post(spaced)))).toMatchObject({ status: 200, body: ECHOED })
    expect(() => _.handler(dispatcher, { maxBodyBytes: -1 })).toThrow(RangeError)
  })
})

describe('handler: a body that is not UTF-8 is the Parse error', () => {
  it('strict decoding: invalid bytes are never dispatched as replacement characters', async () => {
    const rpc = _.handler(dispatcher)
    const before = echoCount()
    const encode = (s: string) => new TextEncoder().encode(s)
    const open = encode('{"jsonrpc":"2.0","method":"echo","params":{"text":"')
    const close = encode('"},"id":1}')
    for (const bad of [[0xfc], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xc0, 0xaf]]) {
      expect(await read(await rpc(post(Uint8Array.from([...open, ...bad, ...close]))))).toMatchObject({ status: 200, body: PARSE_ERROR })
    }
    expect(echoCount()).toBe(before)
    expect((await read(await rpc(post(Uint8Array.from([...open, ...encode('ü€𝄞'), ...close]))))).body).toBe('{"jsonrpc":"2.0","result":"ü€𝄞","id":1}')
  })
})

describe('handler: Host allowlist, when given', () => {
  it('off by default; with allowedHosts only those hosts are served (from Host, or the URL)', async () => {
    expect((await _.handler(dispatcher)(post(ECHO, {}, 'http://evil.example/'))).status).toBe(200)
    const rpc = _.handler(dispatcher, { allowedHosts: ['localhost:8787'] })
    expect((await rpc(post(ECHO, {}, 'http://localhost:8787/'))).status).toBe(200)
    expect(await read(await rpc(post(ECHO, {}, 'http://evil.example:8787/')))).toMatchObject({ status: 403, body: 'Forbidden' })
    expect((await rpc(post(ECHO, {}, 'http://localhost:8788/'))).status).toBe(403)
  })
})

describe('handler: CORS, off unless configured', () => {
  const app = 'https://app.example'
  const preflight = (origin: string | undefined, url = URL_) =>
    new Request(url, { method: 'OPTIONS', headers: origin === undefined ? {} : { origin, 'access-control-request-method': 'POST' } })

  it('without cors: OPTIONS is 405 and no answer carries a CORS header', async () => {
    const rpc = _.handler(dispatcher)
    const answers = [await read(await rpc(preflight(app))), await read(await rpc(post(ECHO, { origin: app })))]
    expect(answers.map((a) => a.status)).toEqual([405, 200])
    for (const a of answers) expect(Object.keys(a.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
  })

  it('with cors: a preflight from an allowed origin is 204; others are 403; answers to allowed origins carry Allow-Origin', async () => {
    const rpc = _.handler(dispatcher, { cors: { origins: [app] }, path: '/' })
    expect(await read(await rpc(preflight(app)))).toMatchObject({
      status: 204,
      body: '',
      headers: {
        'access-control-allow-origin': app,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-max-age': '600',
        vary: 'Origin',
      },
    })
    const other = await read(await rpc(preflight('https://evil.example')))
    expect(other.status).toBe(403)
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
    expect((await rpc(preflight(undefined))).status).toBe(405)
    expect((await rpc(preflight(app, 'http://rpc.test/other'))).status).toBe(404)
    expect((await read(await rpc(post(ECHO, { origin: app })))).headers).toMatchObject({ 'access-control-allow-origin': app, vary: 'Origin' })
    expect((await read(await rpc(post(ECHO, { origin: 'https://evil.example' })))).headers['access-control-allow-origin']).toBeUndefined()
    // Configured origins are compared as browsers serialize them.
    const loose = _.handler(dispatcher, { cors: { origins: ['HTTPS://App.Example:443'] } })
    expect((await read(await loose(post(ECHO, { origin: app })))).headers['access-control-allow-origin']).toBe(app)
    // A refusal to an allowed origin is readable by it too.
    expect((await read(await rpc(post(ECHO, { origin: app, 'content-type': 'text/plain' })))).headers).toMatchObject({ 'access-control-allow-origin': app })
  })
})

describe('handler: authenticate, before any dispatch', () => {
  interface Caller {
    readonly user: string
    readonly region: string
  }
  let calls = 0
  const withCaller = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(WhoAmI, (_p: {}, { user, region }: Caller) => {
        calls++
        return E.right(`${user}@${region}`)
      }),
    ),
  )
  interface Env {
    readonly REGION: string
  }
  const rpc = _.handler(withCaller, {
    authenticate: async (request, env: Env) => {
      const token = request.headers.get('authorization')
      if (token === 'Bearer boom') throw new Error('secret /srv/keys.ts:9')
      return token === 'Bearer t-ada' ? E.right({ user: 'ada', region: env.REGION }) : E.left(Rules.unauthenticated())
    },
  })
  const WHOAMI = '{"jsonrpc":"2.0","method":"whoami","id":1}'

  it("the principal is the base value, made with the runtime's arguments", async () => {
    expect(await read(await rpc(post(WHOAMI, { authorization: 'Bearer t-ada' }), { REGION: 'eu' }))).toMatchObject({
      status: 200,
      body: '{"jsonrpc":"2.0","result":"ada@eu","id":1}',
    })
  })

  it('an unauthenticated caller gets 401, its body unread, whatever it asks for', async () => {
    const before = calls
    for (const body of [WHOAMI, '{"jsonrpc":"2.0","method":"rpc.discover","id":1}', '{"jsonrpc":"2.0","method":"nope","id":1}', '{']) {
      expect(await read(await rpc(post(body, { authorization: 'Bearer nope' }), { REGION: 'eu' }))).toMatchObject({
        status: 401,
        body: 'Unauthorized',
        headers: { 'www-authenticate': 'Bearer' },
      })
    }
    const body = endless(new Uint8Array(10))
    expect((await rpc(post(body.stream), { REGION: 'eu' })).status).toBe(401)
    expect(body.pulled()).toBeLessThanOrEqual(1)
    expect(calls).toBe(before)
  })

  it('a hook that throws answers 500 with a fixed text; the cause goes to onError only', async () => {
    const errors: Array<unknown> = []
    const guarded = _.handler(withCaller, {
      authenticate: (request) => {
        if (request.headers.get('authorization') === null) throw new Error('secret /srv/keys.ts:9')
        return E.right({ user: 'x', region: 'y' })
      },
      onError: (e) => errors.push(e),
    })
    expect(await read(await guarded(post(WHOAMI)))).toMatchObject({ status: 500, body: 'Internal Server Error' })
    expect(errors).toEqual([new Error('secret /srv/keys.ts:9')])
    expect(await read(await rpc(post(WHOAMI, { authorization: 'Bearer boom' }), { REGION: 'eu' }))).toMatchObject({
      status: 500,
      body: 'Internal Server Error',
    })
  })

  it('context and authenticate together are refused', () => {
    // @ts-expect-error give one or the other: the principal is the base value
    expect(() => _.handler(withCaller, { context: () => ({ user: 'a', region: 'b' }), authenticate: () => E.right({ user: 'a', region: 'b' }) })).toThrow(
      TypeError,
    )
  })
})

// -------------------------------------------------------------------------------------
// the transport against hostile servers
// -------------------------------------------------------------------------------------

describe('transport: hostile servers', () => {
  let origin = ''
  let close: () => Promise<void> = async () => undefined
  let written = 0

  const routes: Record<string, (res: ServerResponse) => void> = {
    // A whole answer of 2000 bytes, with its length.
    '/big': (res) => {
      const body = `{"jsonrpc":"2.0","result":"${'x'.repeat(2000 - 36)}","id":1}`
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    },
    // JSON that never ends, chunked.
    '/endless': (res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"jsonrpc":"2.0","result":"')
      const more = (): void => {
        if (res.destroyed) return
        written++
        if (res.write('x'.repeat(16_384))) setImmediate(more)
        else res.once('drain', more)
      }
      more()
    },
    // The headers, then nothing.
    '/stall': (res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.flushHeaders()
    },
    // An HTML start, then nothing.
    '/stall-html': (res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.write('<html>')
    },
    '/html': (res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(`<html><body>${'y'.repeat(50_000)}</body></html>`)
    },
  }

  beforeAll(async () => {
    const server = createServer((req, res) => {
      req.resume()
      const route = routes[req.url ?? '']
      if (route === undefined) {
        res.writeHead(404)
        res.end()
      } else route(res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    close = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  })
  afterAll(() => close())

  const send = (path: string, options: Omit<_.TransportOptions, 'url'> = {}) =>
    _.transport({ url: `${origin}${path}`, ...options }).send('{"jsonrpc":"2.0","method":"m","id":1}', { ids: [1] })()

  it('the default limit is 10 MiB', async () => {
    expect(_.defaultMaxResponseBytes).toBe(10_485_760)
    expect(E.isRight(await send('/big'))).toBe(true)
  })

  it('an answer whose Content-Length is above maxResponseBytes is TooLarge', async () => {
    expect(await send('/big', { maxResponseBytes: 1999 })).toEqual(E.left({ _tag: 'TooLarge', limit: 1999 }))
    expect(E.isRight(await send('/big', { maxResponseBytes: 2000 }))).toBe(true)
  })

  it('an answer that never ends stops at the limit with TooLarge, long before the timeout', async () => {
    const started = Date.now()
    expect(await send('/endless', { maxResponseBytes: 100_000, timeoutMs: 5000 })).toEqual(E.left({ _tag: 'TooLarge', limit: 100_000 }))
    expect(Date.now() - started).toBeLessThan(2000)
    // Reading stopped: the server was not drained of megabytes.
    expect(written * 16_384).toBeLessThan(10_000_000)
  })

  it('through the client, TooLarge is a TransportError, and formatError says it', async () => {
    const client = Client.make(_.transport({ url: `${origin}/big`, maxResponseBytes: 1000 }))
    const answer = await pipe(client, Client.call(Method.make({ name: 'm', result: t.unknown })))()
    expect(answer).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'TooLarge', limit: 1000 } }))
    expect(_.formatError({ _tag: 'TooLarge', limit: 1000 })).toBe('answer larger than 1000 bytes')
  })

  it('a server that sends its headers and then stalls: the timeout fires', async () => {
    const started = Date.now()
    expect(await send('/stall', { timeoutMs: 150 })).toEqual(E.left({ _tag: 'Timeout', ms: 150 }))
    expect(await send('/stall-html', { timeoutMs: 150 })).toEqual(E.left({ _tag: 'Timeout', ms: 150 }))
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('an HTML body is still NotJson, with only its start read', async () => {
    const answer = await send('/html')
    expect(answer).toMatchObject({ _tag: 'Left', left: { _tag: 'NotJson', status: 200, contentType: 'text/html' } })
    expect(E.isLeft(answer) && answer.left._tag === 'NotJson' && answer.left.body.length).toBe(200)
  })

  it('maxResponseBytes must be 0 or more', () => {
    expect(() => _.transport({ url: origin, maxResponseBytes: -1 })).toThrow(RangeError)
    expect(() => _.transport({ url: origin, maxResponseBytes: Number.NaN })).toThrow(RangeError)
  })
})
