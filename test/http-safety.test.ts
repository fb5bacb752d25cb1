/**
 * The node:http adapter (fp-jsonrpc/http) is safe by default (#4): a body limit, strict UTF-8, the
 * timeouts against slow clients, the Host allowlist on loopback, CORS only when configured, and the
 * authentication hook that runs before anything is dispatched. Every check runs a real server on
 * 127.0.0.1 and talks to it over loopback, with `fetch`, `http.request` or a raw socket.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { createServer, request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { Dispatch, Registry } from '../src/index.js'
import { Rules } from '../src/fetch/index.js'
import * as _ from '../src/http/index.js'
import { listening } from './fixtures/listening.js'
import { dispatcher, ECHO, ECHOED, echoCount, PARSE_ERROR, WhoAmI } from './fixtures/echo.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

/** Starts `listener` on 127.0.0.1, a free port. */
const listen = async (listener: RequestListener): Promise<{ readonly port: number; readonly stop: () => Promise<void> }> => {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

interface Answer {
  readonly status: number
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

/** One request with `http.request`, which lets a test set any header, `Host` and `Origin` included. */
const send = (
  port: number,
  options: { readonly method?: string; readonly path?: string; readonly headers?: Readonly<Record<string, string>>; readonly body?: string | Uint8Array },
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        headers: { 'content-type': 'application/json', ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })

/**
 * A raw connection: writes `head` (and whatever `then` writes), and resolves with all it received
 * once the server closes the connection, or with `closed: false` after `waitMs`.
 */
const raw = (
  port: number,
  head: string,
  then: (write: (text: string | Uint8Array) => void) => void = () => undefined,
  waitMs = 2000,
): Promise<{ readonly received: string; readonly closed: boolean; readonly ms: number }> =>
  new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let received = ''
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ received, closed: false, ms: Date.now() - started })
    }, waitMs)
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ received, closed: true, ms: Date.now() - started })
    })
    socket.on('connect', () => {
      socket.write(head)
      then((text) => {
        if (!socket.destroyed) socket.write(text)
      })
    })
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// -------------------------------------------------------------------------------------
// the body limit
// -------------------------------------------------------------------------------------

describe('a body above maxBodyBytes is 413 and the server keeps serving', () => {
  it('the default is 1 MiB: a body of 1 MiB is read, one byte more is 413 with Connection: close', async () => {
    const { port, stop } = await listen(_.listener(dispatcher))
    try {
      // A valid message padded with spaces to exactly 1 MiB.
      const exact = ECHO + ' '.repeat(Rules.defaultMaxBodyBytes - ECHO.length)
      expect(await send(port, { body: exact })).toMatchObject({ status: 200, body: ECHOED })
      const over = await send(port, { body: exact + ' ' })
      expect(over).toMatchObject({ status: 413, body: 'Payload Too Large' })
      expect(over.headers.connection).toBe('close')
      expect(await send(port, { body: ECHO })).toMatchObject({ status: 200, body: ECHOED })
    } finally {
      await stop()
    }
  })

  it('a Content-Length above the limit is answered at once, before any of the body is sent', async () => {
    const { port, stop } = await listen(_.listener(dispatcher, { maxBodyBytes: 100 }))
    try {
      const before = echoCount()
      const answer = await raw(port, 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n')
      expect(answer.closed).toBe(true)
      expect(answer.received).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/)
      expect(answer.received).toMatch(/\r\nconnection: close\r\n/i)
      expect(answer.received.endsWith('\r\n\r\nPayload Too Large')).toBe(true)
      expect(echoCount()).toBe(before)
      expect(await send(port, { body: ECHO })).toMatchObject({ status: 200, body: ECHOED })
    } finally {
      await stop()
    }
  })

  it('a chunked body is read up to the limit only: 413 comes before the body ends, and the connection is closed', async () => {
    const { port, stop } = await listen(_.listener(dispatcher, { maxBodyBytes: 1000 }))
    try {
      const chunk = '{"jsonrpc":"2.0","method":"echo","params":{"text":"' + 'x'.repeat(1500)
      // The body never ends (no last chunk): only a server that stops at the limit can answer.
      const answer = await raw(port, 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', (write) =>
        write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`),
      )
      expect(answer.closed).toBe(true)
      expect(answer.received).toMatch(/^HTTP\/1\.1 413 /)
      expect(answer.received).toMatch(/\r\nconnection: close\r\n/i)
      expect(await send(port, { body: ECHO })).toMatchObject({ status: 200, body: ECHOED })
    } finally {
      await stop()
    }
  })

  it('a chunked body within the limit is served', async () => {
    const { port, stop } = await listen(_.listener(dispatcher, { maxBodyBytes: 1000 }))
    try {
      const answer = await raw(
        port,
        'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
        (write) => write(`${ECHO.length.toString(16)}\r\n${ECHO}\r\n0\r\n\r\n`),
      )
      expect(answer.received).toMatch(/^HTTP\/1\.1 200 /)
      expect(answer.received.endsWith(ECHOED)).toBe(true)
    } finally {
      await stop()
    }
  })

  it('serve takes the option too; Infinity lifts the limit; a negative limit throws a RangeError', async () => {
    const small = await listening(_.serve({ dispatcher, maxBodyBytes: 10 }))
    const unlimited = await listening(_.serve({ dispatcher, maxBodyBytes: Infinity }))
    try {
      expect((await send(small.address.port, { body: ECHO })).status).toBe(413)
      expect(await send(unlimited.address.port, { body: ECHO + ' '.repeat(2_000_000) })).toMatchObject({ status: 200, body: ECHOED })
    } finally {
      await small.close()
      await unlimited.close()
    }
    expect(() => _.listener(dispatcher, { maxBodyBytes: -1 })).toThrow(RangeError)
    expect(() => _.serve({ dispatcher, maxBodyBytes: Number.NaN })).toThrow(RangeError)
  })
})

// -------------------------------------------------------------------------------------
// UTF-8
// -------------------------------------------------------------------------------------

describe('a body that is not UTF-8 is the Parse error', () => {
  it('invalid bytes answer the Parse error, never a mangled echo; valid UTF-8 is served', async () => {
    const { port, stop } = await listen(_.listener(dispatcher))
    try {
      const before = echoCount()
      const message = '{"jsonrpc":"2.0","method":"echo","params":{"text":"ü"},"id":1}'
      const utf8 = Buffer.from(message, 'utf8')
      // "ü" in Latin-1 (0xFC) is not UTF-8; a lenient decoder would dispatch U+FFFD instead.
      const latin1 = Buffer.from(message, 'latin1')
      expect(await send(port, { body: latin1 })).toMatchObject({ status: 200, body: PARSE_ERROR })
      // A lone surrogate half encoded (CESU-style) and a truncated sequence are not UTF-8 either.
      for (const bad of [
        [0xed, 0xa0, 0x80],
        [0xe2, 0x82],
      ]) {
        const body = Uint8Array.from([
          ...new TextEncoder().encode('{"jsonrpc":"2.0","method":"echo","params":{"text":"'),
          ...bad,
          ...new TextEncoder().encode('"},"id":1}'),
        ])
        expect(await send(port, { body })).toMatchObject({ status: 200, body: PARSE_ERROR })
      }
      expect(echoCount()).toBe(before)
      expect(await send(port, { body: utf8 })).toMatchObject({ status: 200, body: '{"jsonrpc":"2.0","result":"ü","id":1}' })
    } finally {
      await stop()
    }
  })
})

// -------------------------------------------------------------------------------------
// timeouts
// -------------------------------------------------------------------------------------

describe('serve: timeouts against slow clients', () => {
  it('the defaults are set on the node:http server', async () => {
    const server = await listening(_.serve({ dispatcher }))
    try {
      expect(_.defaultTimeouts).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 })
      expect(server.server.headersTimeout).toBe(10_000)
      expect(server.server.requestTimeout).toBe(30_000)
      expect(server.server.keepAliveTimeout).toBe(5_000)
    } finally {
      await server.close()
    }
  })

  it('a slow-loris client (headers a byte at a time) is dropped after headersTimeoutMs, and others are served meanwhile', async () => {
    const server = await listening(_.serve({ dispatcher, headersTimeoutMs: 300, requestTimeoutMs: 1000 }))
    try {
      let stop = false
      const loris = raw(
        server.address.port,
        'P',
        (write) => {
          const rest = `OST / HTTP/1.1\r\nHost: 127.0.0.1:${server.address.port}\r\nContent-Type: application/json\r\n${'X-Pad: a\r\n'.repeat(100)}`
          let i = 0
          const drip = (): void => {
            if (stop || i >= rest.length) return
            write(rest[i++])
            setTimeout(drip, 20)
          }
          drip()
        },
        3000,
      )
      await sleep(50)
      // Served while the slow client is still dripping.
      expect(await send(server.address.port, { body: ECHO, headers: { host: `127.0.0.1:${server.address.port}` } })).toMatchObject({
        status: 200,
        body: ECHOED,
      })
      const dropped = await loris
      stop = true
      expect(dropped.closed).toBe(true)
      expect(dropped.ms).toBeLessThan(1500)
      expect(dropped.received).toMatch(/^HTTP\/1\.1 408 /)
      expect(await send(server.address.port, { body: ECHO, headers: { host: `127.0.0.1:${server.address.port}` } })).toMatchObject({ status: 200 })
    } finally {
      await server.close()
    }
  })

  it('a body sent too slowly is dropped after requestTimeoutMs', async () => {
    const server = await listening(_.serve({ dispatcher, headersTimeoutMs: 200, requestTimeoutMs: 400 }))
    try {
      let stop = false
      const slow = raw(
        server.address.port,
        `POST / HTTP/1.1\r\nHost: 127.0.0.1:${server.address.port}\r\nContent-Type: application/json\r\nContent-Length: ${ECHO.length}\r\n\r\n`,
        (write) => {
          let i = 0
          const drip = (): void => {
            if (stop || i >= ECHO.length) return
            write(ECHO[i++])
            setTimeout(drip, 40)
          }
          drip()
        },
        3000,
      )
      const dropped = await slow
      stop = true
      expect(dropped.closed).toBe(true)
      expect(dropped.ms).toBeLessThan(1500)
      expect(dropped.received).not.toContain(ECHOED)
    } finally {
      await server.close()
    }
  })

  it('the timeouts are options; Infinity turns one off; nonsense throws a RangeError', async () => {
    const server = await listening(_.serve({ dispatcher, headersTimeoutMs: 1234, requestTimeoutMs: Infinity, keepAliveTimeoutMs: 100 }))
    try {
      expect(server.server.headersTimeout).toBe(1234)
      expect(server.server.requestTimeout).toBe(0)
      expect(server.server.keepAliveTimeout).toBe(100)
    } finally {
      await server.close()
    }
    // A headers timeout longer than the default request timeout moves the request timeout with it.
    const long = await listening(_.serve({ dispatcher, headersTimeoutMs: 60_000 }))
    try {
      expect(long.server.requestTimeout).toBe(60_000)
    } finally {
      await long.close()
    }
    // No headers timeout leaves the request timeout at its default.
    const noHeaders = await listening(_.serve({ dispatcher, headersTimeoutMs: Infinity }))
    try {
      expect([noHeaders.server.headersTimeout, noHeaders.server.requestTimeout]).toEqual([0, 30_000])
    } finally {
      await noHeaders.close()
    }
    expect(() => _.serve({ dispatcher, headersTimeoutMs: 0 })).toThrow(RangeError)
    expect(() => _.serve({ dispatcher, keepAliveTimeoutMs: -5 })).toThrow(RangeError)
    expect(() => _.serve({ dispatcher, headersTimeoutMs: 2000, requestTimeoutMs: 1000 })).toThrow(RangeError)
  })
})

// -------------------------------------------------------------------------------------
// Host
// -------------------------------------------------------------------------------------

describe('serve on loopback: only Host localhost, 127.0.0.1 or [::1] with its port (DNS rebinding)', () => {
  it('the loopback names with the port are served; any other Host is 403 and nothing is dispatched', async () => {
    const server = await listening(_.serve({ dispatcher }))
    const port = server.address.port
    try {
      expect(await (await fetch(server.url, { method: 'POST', body: ECHO, headers: { 'content-type': 'application/json' } })).text()).toBe(ECHOED)
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
        expect(await send(port, { body: ECHO, headers: { host } })).toMatchObject({ status: 200, body: ECHOED })
      }
      const before = echoCount()
      for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, 'localhost', `localhost.evil.example:${port}`]) {
        expect(await send(port, { body: ECHO, headers: { host } })).toMatchObject({ status: 403, body: 'Forbidden' })
      }
      expect(echoCount()).toBe(before)
      // An HTTP/1.0 request may leave Host out: not served either.
      const noHost = await raw(port, `POST / HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${ECHO.length}\r\n\r\n${ECHO}`)
      expect(noHost.received).toMatch(/^HTTP\/1\.1 403 /)
    } finally {
      await server.close()
    }
  })

  it('allowedHosts replaces the list (an entry without a port allows any port); false turns the check off', async () => {
    const listed = await listening(_.serve({ dispatcher, allowedHosts: ['rpc.internal', 'api.internal:8443'] }))
    const off = await listening(_.serve({ dispatcher, allowedHosts: false }))
    try {
      const port = listed.address.port
      expect((await send(port, { body: ECHO, headers: { host: 'rpc.internal:1' } })).status).toBe(200)
      expect((await send(port, { body: ECHO, headers: { host: 'api.internal:8443' } })).status).toBe(200)
      expect((await send(port, { body: ECHO, headers: { host: 'api.internal:8080' } })).status).toBe(403)
      expect((await send(port, { body: ECHO, headers: { host: `127.0.0.1:${port}` } })).status).toBe(403)
      expect((await send(off.address.port, { body: ECHO, headers: { host: 'evil.example' } })).status).toBe(200)
    } finally {
      await listed.close()
      await off.close()
    }
  })

  it('the listener checks Host only when given allowedHosts', async () => {
    const open = await listen(_.listener(dispatcher))
    const guarded = await listen(_.listener(dispatcher, { allowedHosts: ['localhost'] }))
    try {
      expect((await send(open.port, { body: ECHO, headers: { host: 'evil.example' } })).status).toBe(200)
      expect((await send(guarded.port, { body: ECHO, headers: { host: 'evil.example' } })).status).toBe(403)
      expect((await send(guarded.port, { body: ECHO, headers: { host: `localhost:${guarded.port}` } })).status).toBe(200)
    } finally {
      await open.stop()
      await guarded.stop()
    }
  })
})

// -------------------------------------------------------------------------------------
// CORS
// -------------------------------------------------------------------------------------

describe('CORS: off unless origins are configured', () => {
  const app = 'http://app.example'

  it('without cors: no CORS header on any answer, and a preflight is 405', async () => {
    const { port, stop } = await listen(_.listener(dispatcher))
    try {
      const preflight = await send(port, { method: 'OPTIONS', headers: { origin: app, 'access-control-request-method': 'POST' } })
      expect(preflight.status).toBe(405)
      const answer = await send(port, { body: ECHO, headers: { origin: app } })
      expect(answer).toMatchObject({ status: 200, body: ECHOED })
      for (const a of [preflight, answer]) expect(Object.keys(a.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
    } finally {
      await stop()
    }
  })

  it('with cors: a preflight from an allowed origin is 204 with the CORS headers; another origin is 403 without them', async () => {
    const { port, stop } = await listen(_.listener(dispatcher, { cors: { origins: [app] } }))
    try {
      const preflight = await send(port, {
        method: 'OPTIONS',
        headers: { origin: app, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      })
      expect(preflight.status).toBe(204)
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': app,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-max-age': '600',
        vary: 'Origin',
      })
      const other = await send(port, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } })
      expect(other.status).toBe(403)
      expect(other.headers['access-control-allow-origin']).toBeUndefined()
      // OPTIONS that is no preflight (no Origin) is still 405.
      expect((await send(port, { method: 'OPTIONS' })).status).toBe(405)
    } finally {
      await stop()
    }
  })

  it('with cors: an answer to an allowed origin carries Access-Control-Allow-Origin; to another origin it does not', async () => {
    const { port, stop } = await listen(_.listener(dispatcher, { cors: { origins: [app], allowHeaders: ['content-type', 'x-token'], maxAgeSeconds: 60 } }))
    try {
      const allowed = await send(port, { body: ECHO, headers: { origin: app } })
      expect(allowed).toMatchObject({ status: 200, body: ECHOED, headers: { 'access-control-allow-origin': app, vary: 'Origin' } })
      const other = await send(port, { body: ECHO, headers: { origin: 'http://evil.example' } })
      expect(other.headers['access-control-allow-origin']).toBeUndefined()
      expect((await send(port, { method: 'OPTIONS', headers: { origin: app } })).headers).toMatchObject({
        'access-control-allow-headers': 'content-type, x-token',
        'access-control-max-age': '60',
      })
    } finally {
      await stop()
    }
  })

  it("'*' allows any origin; serve takes cors too", async () => {
    const server = await listening(_.serve({ dispatcher, cors: { origins: ['*'] } }))
    try {
      const answer = await send(server.address.port, { body: ECHO, headers: { origin: 'http://anywhere.example', host: `127.0.0.1:${server.address.port}` } })
      expect(answer.headers['access-control-allow-origin']).toBe('*')
    } finally {
      await server.close()
    }
  })
})

// -------------------------------------------------------------------------------------
// authentication
// -------------------------------------------------------------------------------------

describe('authenticate: runs before the body is read and before any method is looked up', () => {
  interface User {
    readonly user: string
  }
  let whoami = 0
  const withUser = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(WhoAmI, (_p: {}, { user }: User) => {
        whoami++
        return E.right(user)
      }),
    ),
  )
  const tokens: Readonly<Record<string, string>> = { 'Bearer t-ada': 'ada', 'Bearer t-grace': 'grace' }
  const authenticate = (req: IncomingMessage): E.Either<Rules.Refusal, User> => {
    const user = tokens[req.headers.authorization ?? '']
    if (user === 'grace') return E.left(Rules.refused)
    return user === undefined ? E.left(Rules.unauthenticated('Bearer realm="rpc"')) : E.right({ user })
  }
  const WHOAMI = '{"jsonrpc":"2.0","method":"whoami","id":1}'

  it('the principal is the base value: it reaches the handler', async () => {
    const { port, stop } = await listen(_.listener(withUser, { authenticate }))
    try {
      expect(await send(port, { body: WHOAMI, headers: { authorization: 'Bearer t-ada' } })).toMatchObject({
        status: 200,
        body: '{"jsonrpc":"2.0","result":"ada","id":1}',
      })
    } finally {
      await stop()
    }
  })

  it('an unauthenticated caller gets 401 with WWW-Authenticate and learns nothing: not whether a method exists, not rpc.discover', async () => {
    const { port, stop } = await listen(_.listener(withUser, { authenticate }))
    try {
      const before = whoami
      const answers = await Promise.all(
        [WHOAMI, '{"jsonrpc":"2.0","method":"nope","id":1}', '{"jsonrpc":"2.0","method":"rpc.discover","id":1}', '{not json', ''].map((body) =>
          send(port, { body, headers: { authorization: 'Bearer wrong' } }),
        ),
      )
      for (const answer of answers) {
        expect(answer).toMatchObject({ status: 401, body: 'Unauthorized', headers: { 'www-authenticate': 'Bearer realm="rpc"' } })
      }
      expect(await send(port, { body: WHOAMI })).toMatchObject({ status: 401 })
      expect(whoami).toBe(before)
    } finally {
      await stop()
    }
  })

  it('a Forbidden refusal is 403; the body is not read before the decision, and its connection is closed', async () => {
    const { port, stop } = await listen(_.listener(withUser, { authenticate }))
    try {
      expect(await send(port, { body: WHOAMI, headers: { authorization: 'Bearer t-grace' } })).toMatchObject({ status: 403, body: 'Forbidden' })
      // The body is announced but never sent: the answer comes anyway.
      const answer = await raw(port, 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n')
      expect(answer.received).toMatch(/^HTTP\/1\.1 401 /)
      expect(answer.received).toMatch(/\r\nconnection: close\r\n/i)
      expect(answer.closed).toBe(true)
    } finally {
      await stop()
    }
  })

  it('an asynchronous hook; one that throws or rejects answers 500 with a fixed text, told to onError, and nothing leaks', async () => {
    const errors: Array<unknown> = []
    let calls = 0
    const server = await listening(
      _.serve({
        dispatcher: withUser,
        authenticate: async (req) => {
          calls++
          if (calls === 2) throw new Error('secret /srv/auth.ts:3 db password=hunter2')
          if (calls === 3) return Promise.reject(new Error('token service at 10.0.0.7 down'))
          return authenticate(req)
        },
        onError: (e) => errors.push(e),
      }),
    )
    const headers = { authorization: 'Bearer t-ada', host: `127.0.0.1:${server.address.port}` }
    try {
      expect((await send(server.address.port, { body: WHOAMI, headers })).body).toBe('{"jsonrpc":"2.0","result":"ada","id":1}')
      for (let i = 0; i < 2; i++) {
        const answer = await send(server.address.port, { body: WHOAMI, headers })
        expect(answer).toMatchObject({ status: 500, body: 'Internal Server Error' })
        expect(JSON.stringify(answer.headers)).not.toMatch(/secret|hunter2|10\.0\.0\.7/)
      }
      expect(errors).toEqual([new Error('secret /srv/auth.ts:3 db password=hunter2'), new Error('token service at 10.0.0.7 down')])
      expect((await send(server.address.port, { body: WHOAMI, headers })).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it('context and authenticate together are refused: the principal is the base value', () => {
    const both = { authenticate, context: (req: IncomingMessage) => ({ user: String(req.headers['x-user']) }) }
    // @ts-expect-error give one or the other
    expect(() => _.listener(withUser, both)).toThrow(TypeError)
    // @ts-expect-error give one or the other
    expect(() => _.serve({ dispatcher: withUser, ...both })).toThrow(TypeError)
  })
})
