/**
 * The WebSocket transport's limits, on real servers on 127.0.0.1 (port 0): message size (1009), the
 * ping/pong heartbeat, the Origin check on upgrade, and frames that are not UTF-8. Each limit is on
 * by default; a connection over one is dropped, and the others are served meanwhile.
 */
import { createServer } from 'node:http'
import type { Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import type { ClientOptions } from 'ws'
import { Client, Dispatch, Method, Registry } from '../src/index.js'
import * as _ from '../src/ws/index.js'

const MiB = 1024 * 1024

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const Big = Method.make({ name: 'big', params: t.type({ bytes: t.number }), result: t.string })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })

const logged: Array<string> = []
const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
    Registry.add(Big, ({ bytes }) => E.right('x'.repeat(bytes))),
    Registry.add(Log, ({ line }) => void logged.push(line)),
  ),
)

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  logged.length = 0
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** An HTTP server on 127.0.0.1 with the dispatcher on `/rpc`. */
const serveHttp = async (
  options: Partial<_.HttpOptions<unknown>> = {},
): Promise<{ readonly http: HttpServer; readonly port: number; readonly url: string; readonly connections: ReadonlyArray<_.ServerConnection> }> => {
  const http = createServer((_request, response) => response.end('http'))
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const connections: Array<_.ServerConnection> = []
  const server = _.attachToHttp(http, dispatcher, { path: '/rpc', onConnection: (c) => void connections.push(c), ...options })
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        void server.close()
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  )
  const port = (http.address() as AddressInfo).port
  return { http, port, url: `ws://127.0.0.1:${port}/rpc`, connections }
}

/** A WebSocketServer of the test's own on 127.0.0.1, with the dispatcher attached. */
const serveWss = async (wssOptions: ConstructorParameters<typeof WebSocketServer>[0] = {}, options: _.ServerOptions<unknown> = {}) => {
  const wss = await new Promise<WebSocketServer>((resolve) => {
    const made: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0, ...wssOptions }, () => resolve(made))
  })
  const server = _.attach(wss, dispatcher, options)
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        void server.close()
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      }),
  )
  return { wss, server, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` }
}

/** A raw `ws` client, and what it receives. */
const raw = async (url: string, options: ClientOptions = {}) => {
  const socket = new WebSocket(url, options)
  cleanups.push(() => socket.terminate())
  const messages: Array<string> = []
  socket.on('message', (data) =>
    messages.push(
      Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8'),
    ),
  )
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  socket.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('unexpected-response', (_request, response) => reject(new Error(`refused with ${response.statusCode ?? 0}`)))
    socket.once('error', reject)
  })
  return { socket, messages, closed }
}

/** The status an upgrade was refused with, or 101 when it was taken. */
const upgradeStatus = (url: string, headers: Record<string, string>): Promise<number> =>
  new Promise((resolve) => {
    const socket = new WebSocket(url, { headers })
    socket.on('error', () => undefined)
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0)
      socket.terminate()
    })
    socket.once('open', () => {
      resolve(101)
      socket.terminate()
    })
  })

const connect = async (url: string, options: _.ConnectOptions<unknown> = {}): Promise<_.ClientConnection> => {
  const connection = await _.connect(url, options)()
  if (E.isLeft(connection)) throw new Error(`could not connect: ${JSON.stringify(connection.left)}`)
  cleanups.push(() => connection.right.close())
  return connection.right
}

const subtract = (connection: _.ClientConnection) => pipe(connection.client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const request = (bytes: number): string => JSON.stringify({ jsonrpc: '2.0', method: 'log', params: { line: 'x'.repeat(bytes) } })

// -------------------------------------------------------------------------------------
// message size
// -------------------------------------------------------------------------------------

describe('message size (maxPayload)', () => {
  it('attachToHttp: 1 MiB by default; a larger message closes its connection with 1009, and the others are served', async () => {
    const { url } = await serveHttp()
    const other = await connect(url)
    const flooding = await raw(url)
    flooding.socket.send(request(MiB))
    expect(await flooding.closed).toBe(1009)
    expect(logged).toEqual([])
    expect(await subtract(other)).toEqual(E.right(19))
  })

  it('attachToHttp: a message of just under 1 MiB is served', async () => {
    const { url } = await serveHttp()
    const client = await raw(url)
    client.socket.send(request(MiB - 100))
    await expect.poll(() => logged.length).toBe(1)
  })

  it('attachToHttp: the limit is configurable', async () => {
    const { url } = await serveHttp({ maxPayload: 2 * MiB })
    const client = await raw(url)
    client.socket.send(request(MiB + 100))
    await expect.poll(() => logged.length).toBe(1)
  })

  it('attach: the same 1 MiB default, although the WebSocketServer takes 100 MiB', async () => {
    const { url } = await serveWss()
    const other = await connect(url)
    const flooding = await raw(url)
    flooding.socket.send(request(MiB))
    expect(await flooding.closed).toBe(1009)
    expect(logged).toEqual([])
    expect(await subtract(other)).toEqual(E.right(19))
  })

  it('attach: maxPayload replaces it', async () => {
    const { url } = await serveWss({}, { maxPayload: 1000 })
    const client = await raw(url)
    client.socket.send(request(2000))
    expect(await client.closed).toBe(1009)
  })

  // The client sends 1009 and stops reading at once, so the server's answering close frame is never
  // read: on the client's side the socket closes with 1006, and onError has ws's reason.
  it('connect: a message from the server over 1 MiB closes the socket with 1009; the call fails with Closed', async () => {
    const { url, connections } = await serveHttp({ maxPayload: 4 * MiB })
    const errors: Array<unknown> = []
    const connection = await connect(url, { onError: (e) => void errors.push(e) })
    const answer = await pipe(connection.client, Client.call(Big, { bytes: MiB + 1 }))()
    expect(answer).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } }))
    expect((await connections[0].closed).code).toBe(1009)
    expect(errors).toMatchObject([{ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' }])
  })

  it('connect: maxPayload replaces it', async () => {
    const { url, connections } = await serveHttp()
    const connection = await connect(url, { maxPayload: 100 })
    const answer = await pipe(connection.client, Client.call(Big, { bytes: 200 }))()
    expect(answer).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } }))
    expect((await connections[0].closed).code).toBe(1009)
  })
})

// -------------------------------------------------------------------------------------
// heartbeat
// -------------------------------------------------------------------------------------

describe('heartbeat', () => {
  it('the server cuts off a client that does not answer its pings; a client that does stays', async () => {
    const { url } = await serveHttp({ heartbeatMs: 40 })
    const silent = await raw(url, { autoPong: false })
    const normal = await connect(url)
    const started = Date.now()
    // Cut off without a close frame: 1006 on the client's side.
    expect(await silent.closed).toBe(1006)
    expect(Date.now() - started).toBeLessThan(1000)
    await wait(150)
    expect(await subtract(normal)).toEqual(E.right(19))
  })

  it('attach: the same on a WebSocketServer of the caller', async () => {
    const { server, url } = await serveWss({}, { heartbeatMs: 40 })
    const silent = await raw(url, { autoPong: false })
    await connect(url)
    expect(await silent.closed).toBe(1006)
    await wait(150)
    expect(server.connections()).toHaveLength(1)
  })

  it('is on by default: a ping every 30 s, and a client cut off at the next one when it did not answer', async () => {
    const { url } = await serveHttp()
    // Only the intervals are faked: the sockets and every other timer run for real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      const silent = await raw(url, { autoPong: false })
      const pinged = new Promise<void>((resolve) => silent.socket.once('ping', () => resolve()))
      vi.advanceTimersByTime(29_999)
      await wait(20)
      expect(silent.socket.readyState).toBe(WebSocket.OPEN)
      vi.advanceTimersByTime(1)
      await pinged
      vi.advanceTimersByTime(30_000)
      expect(await silent.closed).toBe(1006)
    } finally {
      vi.useRealTimers()
    }
  })

  it('is off with 0', async () => {
    const pings: Array<string> = []
    const { url } = await serveHttp({ heartbeatMs: 0 })
    const client = await raw(url)
    client.socket.on('ping', () => pings.push('ping'))
    await wait(100)
    expect(pings).toEqual([])
    expect(client.socket.readyState).toBe(WebSocket.OPEN)
  })

  it('connect: heartbeatMs cuts off a server that stopped answering pings, and reconnects', async () => {
    // The first socket the server takes never answers a ping; the next ones do.
    const { wss, url } = await serveWss({ autoPong: false })
    wss.once('connection', () => void (wss.options.autoPong = true))
    let reconnected = 0
    const connection = await connect(url, { heartbeatMs: 40, reconnect: { retries: 1, delayMs: 0 }, onReconnect: () => void reconnected++ })
    await expect.poll(() => reconnected, { timeout: 2000 }).toBe(1)
    await wait(150)
    expect(reconnected).toBe(1)
    expect(await subtract(connection)).toEqual(E.right(19))
  })
})

// -------------------------------------------------------------------------------------
// Origin
// -------------------------------------------------------------------------------------

describe('Origin, checked on upgrade', () => {
  it('by default (same host): no Origin is taken, the page of the same host and port is taken, any other is 403', async () => {
    const { port, url } = await serveHttp()
    expect(await upgradeStatus(url, {})).toBe(101)
    expect(await upgradeStatus(url, { origin: `http://127.0.0.1:${port}` })).toBe(101)
    expect(await upgradeStatus(url, { origin: `https://evil.example` })).toBe(403)
    expect(await upgradeStatus(url, { origin: `http://127.0.0.1:${port + 1}` })).toBe(403)
    expect(await upgradeStatus(url, { origin: 'null' })).toBe(403)
  })

  it('by default, on loopback: a page whose name was rebound to 127.0.0.1 is refused, though its Host matches', async () => {
    const { port, url } = await serveHttp()
    expect(await upgradeStatus(url, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).toBe(403)
    expect(await upgradeStatus(url, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).toBe(101)
  })

  it('a refused upgrade leaves the server serving others', async () => {
    const { url } = await serveHttp()
    const other = await connect(url)
    expect(await upgradeStatus(url, { origin: 'https://evil.example' })).toBe(403)
    expect(await subtract(other)).toEqual(E.right(19))
  })

  it('a list: exactly those origins (scheme, host and port), and still any client without an Origin', async () => {
    const { url } = await serveHttp({ allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] })
    expect(await upgradeStatus(url, { origin: 'https://app.example.com' })).toBe(101)
    expect(await upgradeStatus(url, { origin: 'https://APP.example.com:443' })).toBe(101)
    expect(await upgradeStatus(url, { origin: 'http://localhost:3000' })).toBe(101)
    expect(await upgradeStatus(url, { origin: 'http://app.example.com' })).toBe(403)
    expect(await upgradeStatus(url, { origin: 'https://app.example.com.evil.example' })).toBe(403)
    expect(await upgradeStatus(url, {})).toBe(101)
  })

  it("'*': any origin", async () => {
    const { url } = await serveHttp({ allowedOrigins: '*' })
    expect(await upgradeStatus(url, { origin: 'https://evil.example' })).toBe(101)
  })

  it('attach: a refused origin is closed with 1008 before any message is read', async () => {
    const { server, url } = await serveWss()
    const client = await raw(url, { origin: 'https://evil.example' })
    client.socket.send(request(10))
    expect(await client.closed).toBe(1008)
    expect(logged).toEqual([])
    expect(server.connections()).toHaveLength(0)
  })

  it('verifyOrigin: the same check as the WebSocketServer verifyClient, refused with 403', async () => {
    const { url } = await serveWss({ verifyClient: _.verifyOrigin(['https://app.example.com']) })
    expect(await upgradeStatus(url, { origin: 'https://evil.example' })).toBe(403)
    expect(await upgradeStatus(url, { origin: 'https://app.example.com' })).toBe(101)
  })
})

// -------------------------------------------------------------------------------------
// UTF-8
// -------------------------------------------------------------------------------------

describe('frames that are not UTF-8 never reach the dispatcher', () => {
  // Valid JSON-RPC but for one byte: as mangled text, it would log "\ufffd".
  const bad = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","method":"log","params":{"line":"'), Buffer.of(0xff), Buffer.from('"}}')])

  it('a binary frame is answered Parse error, and the connection stays open', async () => {
    const { url } = await serveHttp()
    const client = await raw(url)
    client.socket.send(bad, { binary: true })
    await expect.poll(() => client.messages).toEqual(['{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'])
    expect(logged).toEqual([])
    expect(client.socket.readyState).toBe(WebSocket.OPEN)
  })

  it('a text frame closes the connection with 1007, also when the WebSocketServer skips its UTF-8 check', async () => {
    const { url } = await serveWss({ skipUTF8Validation: true })
    const client = await raw(url)
    client.socket.send(bad, { binary: false })
    expect(await client.closed).toBe(1007)
    expect(logged).toEqual([])
  })
})
