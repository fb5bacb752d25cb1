/**
 * WebSocket JSON-RPC on a path of a node HTTP server (one port for HTTP and WebSocket), what
 * `connect` gives when no socket can be opened, and reconnection. Real servers on 127.0.0.1, port 0.
 */
import { createServer } from 'node:http'
import type { Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { Client, Dispatch, Method, Registry } from '../src/index.js'
import * as _ from '../src/ws/index.js'

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const Where = Method.make({ name: 'where', result: t.string })
const Slow = Method.make({ name: 'slow', params: t.type({ ms: t.number }), result: t.number })

const dispatcherAt = (where: string) =>
  Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
      Registry.add(Where, () => E.right(where)),
      Registry.add(Slow, ({ ms }) => new Promise<number>((r) => setTimeout(() => r(ms), ms))),
    ),
  )

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const stop = (http: HttpServer): Promise<void> =>
  new Promise((resolve) => {
    http.closeAllConnections()
    http.close(() => resolve())
  })

/** A plain HTTP server answering every request `http <path>`, listening on 127.0.0.1. */
const listen = async (port = 0): Promise<{ readonly http: HttpServer; readonly port: number }> => {
  const http = createServer((request, response) => response.end(`http ${request.url ?? ''}`))
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve))
  cleanups.push(() => (http.listening ? stop(http) : undefined))
  return { http, port: (http.address() as AddressInfo).port }
}

const connect = async (url: string, options: _.ConnectOptions<unknown> = {}): Promise<_.ClientConnection> => {
  const connection = await _.connect(url, options)()
  if (E.isLeft(connection)) throw new Error(`could not connect: ${JSON.stringify(connection.left)}`)
  cleanups.push(() => connection.right.close())
  return connection.right
}

const closedError = E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } })

describe('one port for HTTP and WebSocket', () => {
  it('serves WebSocket JSON-RPC on the path, and HTTP requests as before', async () => {
    const { http, port } = await listen()
    const server = _.attachToHttp(http, dispatcherAt('/rpc'), { path: '/rpc' })
    cleanups.push(() => server.close())
    const { client } = await connect(`ws://127.0.0.1:${port}/rpc`)
    expect(await pipe(client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    const response = await fetch(`http://127.0.0.1:${port}/rpc`, { method: 'POST', body: '{}' })
    expect(await response.text()).toBe('http /rpc')
  })

  it('takes the path with any query string', async () => {
    const { http, port } = await listen()
    const server = _.attachToHttp(http, dispatcherAt('/rpc'), { path: '/rpc', context: (request) => request.url })
    cleanups.push(() => server.close())
    const Url = Method.make({ name: 'url', result: t.string })
    const withUrl = _.attachToHttp(
      http,
      Dispatch.make(
        pipe(
          Registry.empty,
          Registry.add(Url, (_p, url: string | undefined) => E.right(url ?? '')),
        ),
      ),
      { path: '/url', context: (request) => request.url },
    )
    cleanups.push(() => withUrl.close())
    const { client } = await connect(`ws://127.0.0.1:${port}/url?token=abc`)
    expect(await pipe(client, Client.call(Url))()).toEqual(E.right('/url?token=abc'))
  })

  it('answers an upgrade on another path 404 when nothing else takes it', async () => {
    const { http, port } = await listen()
    const server = _.attachToHttp(http, dispatcherAt('/rpc'), { path: '/rpc' })
    cleanups.push(() => server.close())
    expect(await _.connect(`ws://127.0.0.1:${port}/other`)()).toEqual(E.left({ _tag: 'UpgradeRefused', status: 404 }))
    expect(await _.connect(`ws://127.0.0.1:${port}/rpc/`)()).toEqual(E.left({ _tag: 'UpgradeRefused', status: 404 }))
    const { client } = await connect(`ws://127.0.0.1:${port}/rpc`)
    expect(await pipe(client, Client.call(Where))()).toEqual(E.right('/rpc'))
  })

  it("leaves an upgrade on another path to the server's other upgrade listener", async () => {
    const { http, port } = await listen()
    const echo = new WebSocketServer({ noServer: true })
    echo.on('connection', (socket) =>
      socket.on('message', (data) =>
        socket.send(
          `echo ${Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8')}`,
        ),
      ),
    )
    http.on('upgrade', (request, socket, head) => {
      if (request.url === '/echo') echo.handleUpgrade(request, socket, head, (ws) => echo.emit('connection', ws, request))
    })
    cleanups.push(() => {
      for (const c of echo.clients) c.terminate()
      echo.close()
    })
    const server = _.attachToHttp(http, dispatcherAt('/rpc'), { path: '/rpc' })
    cleanups.push(() => server.close())
    const socket = new WebSocket(`ws://127.0.0.1:${port}/echo`)
    cleanups.push(() => socket.terminate())
    const answer = await new Promise<string>((resolve) => {
      socket.on('open', () => socket.send('hi'))
      socket.on('message', (data) =>
        resolve(
          Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8'),
        ),
      )
    })
    expect(answer).toBe('echo hi')
    const { client } = await connect(`ws://127.0.0.1:${port}/rpc`)
    expect(await pipe(client, Client.call(Where))()).toEqual(E.right('/rpc'))
  })

  it('serves a dispatcher per path, and refuses a path attached twice', async () => {
    const { http, port } = await listen()
    const a = _.attachToHttp(http, dispatcherAt('/a'), { path: '/a' })
    const b = _.attachToHttp(http, dispatcherAt('/b'), { path: '/b' })
    cleanups.push(
      () => a.close(),
      () => b.close(),
    )
    expect(() => _.attachToHttp(http, dispatcherAt('/a'), { path: '/a' })).toThrow(new TypeError('a WebSocket dispatcher is attached to /a already'))
    expect(http.listenerCount('upgrade')).toBe(1)
    const toA = await connect(`ws://127.0.0.1:${port}/a`)
    const toB = await connect(`ws://127.0.0.1:${port}/b`)
    expect(await pipe(toA.client, Client.call(Where))()).toEqual(E.right('/a'))
    expect(await pipe(toB.client, Client.call(Where))()).toEqual(E.right('/b'))
    expect(await _.connect(`ws://127.0.0.1:${port}/c`)()).toEqual(E.left({ _tag: 'UpgradeRefused', status: 404 }))
  })

  it('on close, answers the calls in flight, closes its connections with 1001, and detaches from the HTTP server, which serves on', async () => {
    const { http, port } = await listen()
    const server = _.attachToHttp(http, dispatcherAt('/rpc'), { path: '/rpc' })
    const connection = await connect(`ws://127.0.0.1:${port}/rpc`)
    const call = pipe(connection.client, Client.call(Slow, { ms: 200 }))()
    await new Promise((r) => setTimeout(r, 20))
    await server.close()
    // A graceful close: the call the server had received is answered before the 1001.
    expect(await call).toEqual(E.right(200))
    expect((await connection.closed).code).toBe(1001)
    expect(await pipe(connection.client, Client.call(Slow, { ms: 1 }))()).toEqual(closedError)
    expect(http.listenerCount('upgrade')).toBe(0)
    expect(await (await fetch(`http://127.0.0.1:${port}/x`)).text()).toBe('http /x')
    // The path can be attached again.
    const again = _.attachToHttp(http, dispatcherAt('again'), { path: '/rpc' })
    cleanups.push(() => again.close())
    const { client } = await connect(`ws://127.0.0.1:${port}/rpc`)
    expect(await pipe(client, Client.call(Where))()).toEqual(E.right('again'))
  })

  it('closes a connection that sends a message over maxPayload with 1009', async () => {
    const { http, port } = await listen()
    const server = _.attachToHttp(http, dispatcherAt('/rpc'), { path: '/rpc', maxPayload: 1024 })
    cleanups.push(() => server.close())
    const connection = await connect(`ws://127.0.0.1:${port}/rpc`)
    const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
    expect(await pipe(connection.client, Client.call(Echo, { text: 'x'.repeat(2048) }))()).toEqual(closedError)
    expect((await connection.closed).code).toBe(1009)
  })
})

describe('connect without a server', () => {
  it('gives ConnectFailed when nothing listens on the port', async () => {
    const { http, port } = await listen()
    await stop(http)
    const out = await _.connect(`ws://127.0.0.1:${port}/rpc`)()
    expect(E.isLeft(out) && out.left._tag).toBe('ConnectFailed')
  })

  it('gives ConnectFailed for a URL that is not a WebSocket URL', async () => {
    const out = await _.connect('ftp://127.0.0.1/rpc')()
    expect(E.isLeft(out) && out.left._tag).toBe('ConnectFailed')
  })

  it('gives UpgradeRefused with the status when the server answers without upgrading', async () => {
    const { port } = await listen()
    expect(await _.connect(`ws://127.0.0.1:${port}/rpc`)()).toEqual(E.left({ _tag: 'UpgradeRefused', status: 200 }))
  })
})

describe('reconnect', () => {
  const setup = async () => {
    const { http, port } = await listen()
    const connections: Array<_.ServerConnection> = []
    const server = _.attachToHttp(http, dispatcherAt('/rpc'), { path: '/rpc', onConnection: (c) => void connections.push(c) })
    cleanups.push(() => server.close())
    return { http, port, server, connections, url: `ws://127.0.0.1:${port}/rpc` }
  }

  it('fails calls in flight with Closed, then sends later calls over a new socket', async () => {
    const { url, connections } = await setup()
    let reconnected = 0
    let onReconnect = (): void => undefined
    const connection = await connect(url, {
      reconnect: { retries: 5, delayMs: 10 },
      onReconnect: () => {
        reconnected++
        onReconnect()
      },
    })
    const inFlight = pipe(connection.client, Client.call(Slow, { ms: 5_000 }))()
    await new Promise((r) => setTimeout(r, 20))
    connections[0].socket.terminate()
    expect(await inFlight).toEqual(closedError)
    // Made while the client reconnects: it waits for the new socket.
    expect(connection.pending()).toBe(0)
    expect(await pipe(connection.client, Client.call(Subtract, { minuend: 5, subtrahend: 3 }))()).toEqual(E.right(2))
    expect(reconnected).toBe(1)
    expect(connections).toHaveLength(2)
    // A second drop, closed cleanly by the server this time, gets its own retries.
    const again = new Promise<void>((resolve) => (onReconnect = resolve))
    connections[1].socket.close(1001)
    await again
    expect(await pipe(connection.client, Client.call(Where))()).toEqual(E.right('/rpc'))
    expect(reconnected).toBe(2)
    expect(connections).toHaveLength(3)
  })

  it('gives up after the retries: closed settles and every call fails with Closed', async () => {
    const { http, url, connections } = await setup()
    const errors: Array<unknown> = []
    const connection = await connect(url, { reconnect: { retries: 3, delayMs: 5 }, onError: (e) => void errors.push(e) })
    // The HTTP server stops listening at once, and closes once its last socket has.
    const stopped = stop(http)
    connections[0].socket.terminate()
    await stopped
    const waiting = pipe(connection.client, Client.call(Where))()
    expect((await connection.closed).code).toBe(1006)
    expect(await waiting).toEqual(closedError)
    expect(await pipe(connection.client, Client.call(Where))()).toEqual(closedError)
    expect(errors.map((e) => (e as _.ConnectError)._tag)).toEqual(['ConnectFailed', 'ConnectFailed', 'ConnectFailed'])
  })

  it('stops reconnecting when closed, failing the calls that waited', async () => {
    const { url, connections } = await setup()
    let reconnected = 0
    const connection = await connect(url, { reconnect: { retries: 5, delayMs: 10_000 }, onReconnect: () => void reconnected++ })
    connections[0].socket.terminate()
    await new Promise((r) => setTimeout(r, 20))
    const waiting = pipe(connection.client, Client.call(Where))()
    const started = Date.now()
    await connection.close()
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(await waiting).toEqual(closedError)
    expect(reconnected).toBe(0)
    expect(connections).toHaveLength(1)
  })

  it('does not reconnect after close()', async () => {
    const { url, connections } = await setup()
    const connection = await connect(url, { reconnect: { retries: 5, delayMs: 1 } })
    await connection.close()
    await new Promise((r) => setTimeout(r, 30))
    expect(connections).toHaveLength(1)
    expect(await pipe(connection.client, Client.call(Where))()).toEqual(closedError)
  })
})
