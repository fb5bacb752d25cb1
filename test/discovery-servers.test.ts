/**
 * `rpc.discover`'s `servers`, filled in from what the transport gives (`control.endpoint`) when
 * `Registry.withDiscovery` names none: the URL a client used, its `Host` handed back only where it
 * was checked (an HTTP `Host` allowlist; a loopback name over WebSocket), and its path; else
 * nothing. Against real servers on 127.0.0.1; every document is checked with OpenRPC's own validator.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { createServer, request as httpRequest, type Server as NodeServer } from 'node:http'
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import express from 'express'
import * as t from 'io-ts'
import { WebSocket, WebSocketServer } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, Dispatch, Method, Middleware, OpenRpc, Registry } from '../src/index.js'
import * as Fetch from '../src/fetch/index.js'
import * as Http from '../src/http/index.js'
import * as Ws from '../src/ws/index.js'
import { listening } from './fixtures/listening.js'
import * as Tls from './fixtures/tls.js'

const { validateOpenRPCDocument } = createRequire(import.meta.url)('@open-rpc/schema-utils-js') as {
  readonly validateOpenRPCDocument: (document: unknown) => true | Error
}
const valid = (doc: unknown): true | string => {
  const verdict = validateOpenRPCDocument(doc)
  return verdict === true ? true : verdict.message
}

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const Slow = Method.make({ name: 'slow', result: t.number })
const info = { title: 'Servers test', version: '1.0.0' }
const named = (url: string) => [{ name: info.title, url }]
const base = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Slow, () => new Promise<number>((resolve) => setTimeout(() => resolve(1), 5))),
)
const dispatcher = Dispatch.make(pipe(base, Registry.withDiscovery(info)))
const discover = '{"jsonrpc":"2.0","method":"rpc.discover","id":1}'

interface Answer {
  readonly status: number
  readonly body: string
}

// A POST with the headers given as they are (fetch would not send a Host of our choosing).
const post = (port: number, path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, agent: false },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })

const documentOf = (answer: Answer): OpenRpc.Document => {
  expect(answer.status).toBe(200)
  const doc = (JSON.parse(answer.body) as { readonly result: OpenRpc.Document }).result
  expect(valid(doc)).toBe(true)
  return doc
}

const listen = (server: NodeServer): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
const closeServer = (server: NodeServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()))

describe('serve: the URL the client used, under its Host allowlist', () => {
  let server: Http.Server
  beforeAll(async () => {
    server = await listening(Http.serve({ dispatcher, path: '/rpc' }))
  })
  afterAll(() => server.close())

  it('names the URL of the request, which is the server URL for a client of 127.0.0.1', async () => {
    const answer = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: discover })
    const doc = documentOf({ status: answer.status, body: await answer.text() })
    expect(server.url).toBe(`http://127.0.0.1:${server.address.port}/rpc`)
    expect(doc.servers).toEqual(named(server.url))
  })

  it('names localhost for a client that said Host: localhost, and the path without its query', async () => {
    const doc = documentOf(await post(server.address.port, '/rpc?token=secret', discover, { host: `localhost:${server.address.port}` }))
    expect(doc.servers).toEqual(named(`http://localhost:${server.address.port}/rpc`))
  })

  it('never names a Host the allowlist refused: 403, and nothing is dispatched', async () => {
    const answer = await post(server.address.port, '/rpc', discover, { host: 'evil.example' })
    expect(answer.status).toBe(403)
    expect(answer.body).not.toContain('evil')
  })

  it('names it in a batch, beside other calls', async () => {
    const answer = await post(
      server.address.port,
      '/rpc',
      `[${discover.replace('"id":1', '"id":2')},{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":3}]`,
    )
    const [first, second] = JSON.parse(answer.body) as [{ result: OpenRpc.Document }, { result: number }]
    expect(valid(first.result)).toBe(true)
    expect(first.result.servers).toEqual(named(server.url))
    expect(second.result).toBe(19)
  })

  it('Client.discover over the fetch transport gives the URL it posted to', async () => {
    const client = Client.make(Fetch.transport({ url: server.url }))
    const answer = await pipe(client, Client.discover())()
    expect(E.isRight(answer) && answer.right.servers).toEqual(named(server.url))
  })

  it('an ordinary call is answered as before', async () => {
    expect(await post(server.address.port, '/rpc', '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}')).toEqual({
      status: 200,
      body: '{"jsonrpc":"2.0","result":19,"id":1}',
    })
  })
})

describe('a batch past its concurrency', () => {
  it('an rpc.discover that waits for a free place (after 16 asynchronous calls) names the server too', async () => {
    const server = await listening(Http.serve({ dispatcher, path: '/rpc' }))
    try {
      const slow = Array.from({ length: 16 }, (_, i) => `{"jsonrpc":"2.0","method":"slow","id":${i + 10}}`)
      const first = JSON.parse((await post(server.address.port, '/rpc', `[${discover},${slow.join(',')}]`)).body) as Array<{ result: OpenRpc.Document }>
      expect(first[0].result.servers).toEqual(named(server.url))
      const later = JSON.parse((await post(server.address.port, '/rpc', `[${slow.join(',')},${discover}]`)).body) as Array<{ result: OpenRpc.Document }>
      expect(later[16].result.servers).toEqual(named(server.url))
      expect(valid(later[16].result)).toBe(true)
    } finally {
      await server.close()
    }
  })
})

describe('what the registry names comes first', () => {
  it('servers given to withDiscovery are the document servers, whatever the transport knows', async () => {
    const servers = [{ name: 'public', url: 'https://api.example.com/rpc' }]
    const named = Dispatch.make(pipe(base, Registry.withDiscovery({ ...info, servers })))
    const server = await listening(Http.serve({ dispatcher: named, path: '/rpc' }))
    try {
      expect(documentOf(await post(server.address.port, '/rpc', discover)).servers).toEqual(servers)
    } finally {
      await server.close()
    }
  })

  it('an empty list given to withDiscovery stays empty', async () => {
    const none = Dispatch.make(pipe(base, Registry.withDiscovery({ ...info, servers: [] })))
    const server = await listening(Http.serve({ dispatcher: none, path: '/rpc' }))
    try {
      expect(documentOf(await post(server.address.port, '/rpc', discover)).servers).toEqual([])
    } finally {
      await server.close()
    }
  })
})

describe('serve with the Host allowlist off', () => {
  it('names no server: a Host no one checked is never handed back', async () => {
    const server = await listening(Http.serve({ dispatcher, path: '/rpc', allowedHosts: false }))
    try {
      const doc = documentOf(await post(server.address.port, '/rpc', discover, { host: 'evil.example' }))
      expect(doc.servers).toBeUndefined()
      expect(JSON.stringify(doc)).not.toContain('evil')
      expect(documentOf(await post(server.address.port, '/rpc', discover)).servers).toBeUndefined()
    } finally {
      await server.close()
    }
  })
})

describe('the node:http listener', () => {
  it('with an allowlist: the Host it accepted and the path requested (any path, as no path is set)', async () => {
    const server = createServer(Http.listener(dispatcher, { allowedHosts: ['127.0.0.1'] }))
    const port = await listen(server)
    try {
      expect(documentOf(await post(port, '/a/b?x=1', discover)).servers).toEqual(named(`http://127.0.0.1:${port}/a/b`))
      // A path that reads like an authority stays a path of the accepted host.
      expect(documentOf(await post(port, '//evil.example/x', discover)).servers).toEqual(named(`http://127.0.0.1:${port}//evil.example/x`))
      expect((await post(port, '/', discover, { host: 'localhost' })).status).toBe(403)
    } finally {
      await closeServer(server)
    }
  })

  it('without an allowlist: no servers, whatever the Host', async () => {
    const server = createServer(Http.listener(dispatcher))
    const port = await listen(server)
    try {
      const doc = documentOf(await post(port, '/', discover, { host: 'evil.example' }))
      expect(doc.servers).toBeUndefined()
      expect(JSON.stringify(doc)).not.toContain('evil')
    } finally {
      await closeServer(server)
    }
  })

  it('as express middleware under a mount prefix: the whole path the client used', async () => {
    const app = express()
    app.use('/api', Http.listener(dispatcher, { path: '/rpc', allowedHosts: ['127.0.0.1'] }))
    const server = createServer(app)
    const port = await listen(server)
    try {
      expect(documentOf(await post(port, '/api/rpc', discover)).servers).toEqual(named(`http://127.0.0.1:${port}/api/rpc`))
    } finally {
      await closeServer(server)
    }
  })

  // Calls the handler 5 ms later. The handlers here answer a value or a Promise, which the Promise
  // made here flattens (a TaskEither would not be run: not needed here, hence the cast).
  const later: Middleware.Transparent = (handler) => (params, context, request, control) =>
    new Promise((resolve) => setTimeout(() => resolve(handler(params, context, request, control)), 5)) as never

  it('behind asynchronous middleware, which answers after the body was handed over', async () => {
    const slowGuard = pipe(base, Registry.use(later), Registry.withDiscovery(info))
    const server = await listening(Http.serve({ dispatcher: Dispatch.make(slowGuard), path: '/rpc' }))
    try {
      // An asynchronous call in flight at the same time, through the same slot.
      const [doc, slow] = await Promise.all([
        post(server.address.port, '/rpc', discover),
        post(server.address.port, '/rpc', '{"jsonrpc":"2.0","method":"slow","id":9}', { host: `localhost:${server.address.port}` }),
      ])
      expect(documentOf(doc).servers).toEqual(named(server.url))
      expect(slow.body).toBe('{"jsonrpc":"2.0","result":1,"id":9}')
    } finally {
      await server.close()
    }
  })
})

describe('the Fetch handler', () => {
  const call = (handler: Fetch.Handler, url: string, headers: Record<string, string> = {}) =>
    handler(new Request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: discover }))

  it('with an allowlist: the request URL with the Host it accepted', async () => {
    const handler = Fetch.handler(dispatcher, { allowedHosts: ['api.example.com'] })
    const answer = await call(handler, 'https://api.example.com/v1/rpc?x=1', { host: 'api.example.com' })
    expect(documentOf({ status: answer.status, body: await answer.text() }).servers).toEqual(named('https://api.example.com/v1/rpc'))
    expect((await call(handler, 'https://api.example.com/v1/rpc', { host: 'evil.example' })).status).toBe(403)
  })

  it('without one: no servers', async () => {
    const answer = await call(Fetch.handler(dispatcher), 'https://evil.example/rpc')
    expect(documentOf({ status: answer.status, body: await answer.text() }).servers).toBeUndefined()
  })
})

describe('WebSocket', () => {
  const ask = (url: string, headers: Record<string, string> = {}): Promise<OpenRpc.Document> =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers })
      socket.once('open', () => socket.send(discover))
      socket.once('message', (data: Buffer) => {
        socket.close()
        resolve((JSON.parse(data.toString('utf8')) as { result: OpenRpc.Document }).result)
      })
      socket.once('error', reject)
    })

  it('names the ws:// URL of the upgrade for a loopback Host, and none for another Host', async () => {
    const server = await listening(Http.serve({ dispatcher, path: '/rpc' }))
    const ws = Ws.attachToHttp(server.server, dispatcher, { path: '/ws' })
    try {
      const port = server.address.port
      const doc = await ask(`ws://127.0.0.1:${port}/ws?token=x`)
      expect(valid(doc)).toBe(true)
      expect(doc.servers).toEqual(named(`ws://127.0.0.1:${port}/ws`))
      expect((await ask(`ws://127.0.0.1:${port}/ws`, { host: `localhost:${port}` })).servers).toEqual(named(`ws://localhost:${port}/ws`))
      const other = await ask(`ws://127.0.0.1:${port}/ws`, { host: 'evil.example' })
      expect(valid(other)).toBe(true)
      expect(other.servers).toBeUndefined()
      // The HTTP endpoint of the same server names its own URL.
      expect(documentOf(await post(port, '/rpc', discover)).servers).toEqual(named(server.url))
    } finally {
      await ws.close()
      await server.close()
    }
  })
})

describe('over TLS', () => {
  it('names https:// and wss:// URLs', async () => {
    const certificate = Tls.selfSigned()
    const server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, Http.listener(dispatcher, { allowedHosts: ['127.0.0.1'] }))
    const ws = Ws.attach(new WebSocketServer({ server, path: '/ws' }), dispatcher)
    try {
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
      const port = (server.address() as AddressInfo).port
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, path: '/rpc', method: 'POST', ca: certificate.cert, headers: { 'content-type': 'application/json' } },
          (res) => {
            let text = ''
            res.setEncoding('utf8')
            res.on('data', (chunk: string) => (text += chunk))
            res.on('end', () => resolve(text))
          },
        )
        req.on('error', reject)
        req.end(discover)
      })
      expect(documentOf({ status: 200, body }).servers).toEqual(named(`https://127.0.0.1:${port}/rpc`))
      const message = await new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca: certificate.cert })
        socket.once('open', () => socket.send(discover))
        socket.once('message', (data: Buffer) => {
          socket.close()
          resolve(data.toString('utf8'))
        })
        socket.once('error', reject)
      })
      expect((JSON.parse(message) as { result: OpenRpc.Document }).result.servers).toEqual(named(`wss://127.0.0.1:${port}/ws`))
    } finally {
      await ws.close()
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
      certificate.remove()
    }
  })
})

describe('control.endpoint, for any handler', () => {
  const Where = Method.make({ name: 'where', result: t.union([t.string, t.null]) })
  const where = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Where, (_p, _c, _r, control) => control.endpoint?.url ?? null),
    ),
  )

  it('is the URL over HTTP (under the allowlist), and undefined from the dispatcher alone', async () => {
    const server = await listening(Http.serve({ dispatcher: where, path: '/rpc' }))
    try {
      expect((await post(server.address.port, '/rpc', '{"jsonrpc":"2.0","method":"where","id":1}')).body).toBe(
        `{"jsonrpc":"2.0","result":${JSON.stringify(server.url)},"id":1}`,
      )
    } finally {
      await server.close()
    }
    expect(await where.dispatch('{"jsonrpc":"2.0","method":"where","id":1}')).toBe('{"jsonrpc":"2.0","result":null,"id":1}')
    expect(await where.dispatchWith('{"jsonrpc":"2.0","method":"where","id":1}', { endpoint: { url: 'tcp://x:1' } })).toBe(
      '{"jsonrpc":"2.0","result":"tcp://x:1","id":1}',
    )
  })
})

describe('the dispatcher alone', () => {
  it('names no server', async () => {
    expect((JSON.parse((await dispatcher.dispatch(discover)) as string) as { result: OpenRpc.Document }).result.servers).toBeUndefined()
  })
})
