/**
 * The node:http adapter (fp-jsonrpc/http) on real servers on 127.0.0.1: the listener under
 * `http.createServer` and under express, and `serve` with its graceful close. Every request goes
 * over loopback with `fetch` or a raw socket.
 */
import express from 'express'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Agent, createServer, request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http'
import { connect } from 'node:net'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry, RpcError } from '../src/index.js'
import * as _ from '../src/http/index.js'
import * as SpecMethods from './fixtures/spec-methods.js'
import { listen as listenServer } from './fixtures/frameworkCases.js'
import { listening } from './fixtures/listening.js'
import { canonical, examples } from './fixtures/spec-methods.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
const Fail = Method.make({ name: 'fail', result: t.unknown })
const Boom = Method.make({ name: 'boom', result: t.unknown })
const WhoAmI = Method.make({ name: 'whoami', result: t.string })

const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Echo, ({ text }) => E.right(text)),
    Registry.add(Fail, () => E.left(RpcError.make(-32000, 'Refused'))),
    Registry.add(Boom, () => {
      throw new Error('secret /home/app/db.ts:12 password=hunter2')
    }),
  ),
)

/** Starts `listener` on 127.0.0.1, a free port; `stop` closes the server and its connections. */
const listen = (listener: RequestListener): ReturnType<typeof listenServer> => listenServer(createServer(listener))

interface Sent {
  readonly method?: string
  /** `null` sends the body as bytes with no Content-Type at all. */
  readonly contentType?: string | null
  readonly headers?: Readonly<Record<string, string>>
}

const post = async (url: string, body: string | undefined, sent: Sent = {}) => {
  const contentType = sent.contentType === undefined ? 'application/json' : sent.contentType
  const response = await fetch(url, {
    method: sent.method ?? 'POST',
    ...(body === undefined ? {} : { body: contentType === null ? new TextEncoder().encode(body) : body }),
    headers: { ...(contentType === null ? {} : { 'content-type': contentType }), ...sent.headers },
  })
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    allow: response.headers.get('allow'),
    contentLength: response.headers.get('content-length'),
    body: await response.text(),
  }
}

const ECHO = '{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"},"id":1}'
const PARSE_ERROR = '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'

// -------------------------------------------------------------------------------------
// the listener under http.createServer
// -------------------------------------------------------------------------------------

describe('listener: the wire rules', () => {
  let origin = ''
  let stop: () => Promise<void> = async () => undefined
  beforeAll(async () => ({ origin, stop } = await listen(_.listener(dispatcher, { path: '/rpc' }))))
  afterAll(() => stop())
  const url = () => `${origin}/rpc`

  it('a call answers 200 application/json with the response, and its length', async () => {
    expect(await post(url(), ECHO)).toMatchObject({
      status: 200,
      contentType: 'application/json',
      contentLength: '38',
      body: '{"jsonrpc":"2.0","result":"hi","id":1}',
    })
    expect(await post(url(), '{"jsonrpc":"2.0","method":"echo","params":{"text":"ü"},"id":1}')).toMatchObject({
      contentLength: '38',
      body: '{"jsonrpc":"2.0","result":"ü","id":1}',
    })
  })

  it('a method other than POST is 405 with Allow: POST', async () => {
    expect(await post(url(), undefined, { method: 'GET' })).toMatchObject({ status: 405, allow: 'POST' })
    expect(await post(url(), ECHO, { method: 'PUT' })).toMatchObject({ status: 405, allow: 'POST' })
    expect(await post(url(), undefined, { method: 'OPTIONS' })).toMatchObject({ status: 405, allow: 'POST' })
  })

  it('a content type that is not JSON is 415', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=iso-8859-1', null]) {
      expect(await post(url(), ECHO, { contentType })).toMatchObject({ status: 415 })
    }
  })

  it('another path is 404; the query string is not part of the path', async () => {
    expect((await post(`${origin}/other`, ECHO)).status).toBe(404)
    expect((await post(`${origin}/rpc/`, ECHO)).status).toBe(404)
    expect((await post(`${origin}/rpc?trace=1`, ECHO)).status).toBe(200)
  })

  it('a message of notifications only answers 204 with an empty body', async () => {
    const answer = await post(url(), '[{"jsonrpc":"2.0","method":"echo","params":{"text":"a"}},{"jsonrpc":"2.0","method":"nope"}]')
    expect(answer).toEqual({ status: 204, contentType: null, allow: null, contentLength: null, body: '' })
  })

  it('JSON-RPC errors travel with status 200, and a throwing handler leaks nothing', async () => {
    expect(await post(url(), '{"jsonrpc":"2.0","method":"fail","id":1}')).toMatchObject({
      status: 200,
      contentType: 'application/json',
      body: '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Refused"},"id":1}',
    })
    expect(await post(url(), '{"jsonrpc":"2.0","method":"boom","id":2}')).toMatchObject({
      status: 200,
      body: '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":2}',
    })
  })

  it('a body that is not JSON, or no body, is the Parse error with 200', async () => {
    expect(await post(url(), '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')).toMatchObject({ status: 200, body: PARSE_ERROR })
    expect(await post(url(), '')).toMatchObject({ status: 200, body: PARSE_ERROR })
  })

  it('a batch answers an array of its responses, without the notifications', async () => {
    const answer = await post(
      url(),
      '[{"jsonrpc":"2.0","method":"echo","params":{"text":"a"},"id":1},{"jsonrpc":"2.0","method":"echo","params":{"text":"b"}},{"jsonrpc":"2.0","method":"fail","id":2}]',
    )
    expect(JSON.parse(answer.body)).toEqual([
      { jsonrpc: '2.0', result: 'a', id: 1 },
      { jsonrpc: '2.0', error: { code: -32000, message: 'Refused' }, id: 2 },
    ])
  })

  it('a client that goes away mid-body does not stop the server', async () => {
    const { port } = new URL(origin)
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc"')
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 20)
      })
    })
    expect((await post(url(), ECHO)).status).toBe(200)
  })
})

describe('listener: the specification examples over HTTP', () => {
  let origin = ''
  let stop: () => Promise<void> = async () => undefined
  beforeAll(async () => ({ origin, stop } = await listen(_.listener(Dispatch.make(SpecMethods.make().registry)))))
  afterAll(() => stop())

  it.each(examples.map((e) => [e.name, e] as const))('%s', async (_name, example) => {
    const answer = await post(`${origin}/`, example.request)
    if (example.response === null) {
      expect(answer).toMatchObject({ status: 204, body: '' })
    } else {
      expect(answer).toMatchObject({ status: 200, contentType: 'application/json' })
      expect(canonical(JSON.parse(answer.body))).toEqual(canonical(example.response))
    }
  })
})

describe('listener: context from the request', () => {
  const withUser = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(WhoAmI, (_p: {}, { user }: { readonly user: string }) => E.right(user)),
    ),
    { context: (_request, req: IncomingMessage) => ({ user: String(req.headers['x-user'] ?? 'anonymous') }) },
  )

  it('a header reaches the handler', async () => {
    const { origin, stop } = await listen(_.listener(withUser, { context: (req) => req }))
    try {
      const call = '{"jsonrpc":"2.0","method":"whoami","id":1}'
      expect((await post(origin, call, { headers: { 'x-user': 'ada' } })).body).toBe('{"jsonrpc":"2.0","result":"ada","id":1}')
      expect((await post(origin, call)).body).toBe('{"jsonrpc":"2.0","result":"anonymous","id":1}')
    } finally {
      await stop()
    }
  })

  it('a context function that throws answers 500 with a fixed text, told to onError; the server keeps serving', async () => {
    const errors: Array<unknown> = []
    let calls = 0
    const { origin, stop } = await listen(
      _.listener(withUser, {
        context: (req) => {
          if (calls++ === 0) throw new Error('secret /etc/passwd')
          return req
        },
        onError: (e) => errors.push(e),
      }),
    )
    try {
      expect(await post(origin, '{"jsonrpc":"2.0","method":"whoami","id":1}')).toMatchObject({ status: 500, body: 'Internal Server Error' })
      expect(errors).toEqual([new Error('secret /etc/passwd')])
      expect((await post(origin, '{"jsonrpc":"2.0","method":"whoami","id":1}')).status).toBe(200)
    } finally {
      await stop()
    }
  })
})

// -------------------------------------------------------------------------------------
// express
// -------------------------------------------------------------------------------------

describe('express', () => {
  const call = '{"jsonrpc":"2.0","method":"echo","params":{"text":"express"},"id":1}'
  const answer = '{"jsonrpc":"2.0","result":"express","id":1}'

  it('after express.json(): the parsed body is dispatched', async () => {
    const app = express()
    app.use(express.json())
    app.post('/rpc', _.listener(dispatcher))
    const { origin, stop } = await listen(app)
    try {
      expect(await post(`${origin}/rpc`, call)).toMatchObject({ status: 200, contentType: 'application/json', body: answer })
      expect((await post(`${origin}/rpc`, '[1]')).body).toBe('[{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}]')
      expect(await post(`${origin}/rpc`, '')).toMatchObject({ status: 200, body: PARSE_ERROR })
      expect((await post(`${origin}/rpc`, '{"jsonrpc":"2.0","method":"echo","params":{"text":"a"}}')).status).toBe(204)
      expect((await post(`${origin}/rpc`, call, { contentType: 'text/plain' })).status).toBe(415)
    } finally {
      await stop()
    }
  })

  it('without a body parser: the listener reads the stream, and a malformed body is the Parse error', async () => {
    const app = express()
    app.post('/rpc', _.listener(dispatcher))
    const { origin, stop } = await listen(app)
    try {
      expect(await post(`${origin}/rpc`, call)).toMatchObject({ status: 200, body: answer })
      expect(await post(`${origin}/rpc`, '{"jsonrpc"')).toMatchObject({ status: 200, body: PARSE_ERROR })
    } finally {
      await stop()
    }
  })

  it('after express.text(): the text is dispatched', async () => {
    const app = express()
    app.use(express.text({ type: 'application/json' }))
    app.post('/rpc', _.listener(dispatcher))
    const { origin, stop } = await listen(app)
    try {
      expect(await post(`${origin}/rpc`, call)).toMatchObject({ status: 200, body: answer })
      expect(await post(`${origin}/rpc`, '{"jsonrpc"')).toMatchObject({ status: 200, body: PARSE_ERROR })
    } finally {
      await stop()
    }
  })

  it('as app.use middleware with path: other paths go on to the next route', async () => {
    const app = express()
    app.use(_.listener(dispatcher, { path: '/rpc' }))
    app.get('/health', (_req, res) => {
      res.send('ok')
    })
    const { origin, stop } = await listen(app)
    try {
      expect(await post(`${origin}/rpc`, call)).toMatchObject({ status: 200, body: answer })
      expect((await post(`${origin}/rpc`, undefined, { method: 'GET' })).status).toBe(405)
      expect(await post(`${origin}/health`, undefined, { method: 'GET' })).toMatchObject({ status: 200, body: 'ok' })
    } finally {
      await stop()
    }
  })

  it("express's own Request type reaches context", async () => {
    const withUser = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(WhoAmI, (_p: {}, { user }: { readonly user: string }) => E.right(user)),
      ),
      { context: (_request, user: string) => ({ user }) },
    )
    const app = express()
    app.post('/rpc', _.listener(withUser, { context: (req: express.Request) => req.get('x-user') ?? 'anonymous' }))
    const { origin, stop } = await listen(app)
    try {
      expect((await post(`${origin}/rpc`, '{"jsonrpc":"2.0","method":"whoami","id":1}', { headers: { 'x-user': 'ada' } })).body).toBe(
        '{"jsonrpc":"2.0","result":"ada","id":1}',
      )
    } finally {
      await stop()
    }
  })
})

// -------------------------------------------------------------------------------------
// serve
// -------------------------------------------------------------------------------------

describe('serve', () => {
  it('listens on 127.0.0.1, a free port, path /, and says where', async () => {
    const server = await listening(_.serve({ dispatcher }))
    try {
      expect(server.address.host).toBe('127.0.0.1')
      expect(server.address.port).toBeGreaterThan(0)
      expect(server.url).toBe(`http://127.0.0.1:${server.address.port}/`)
      expect(await post(server.url, ECHO)).toMatchObject({ status: 200, body: '{"jsonrpc":"2.0","result":"hi","id":1}' })
      expect((await post(`${server.url}other`, ECHO)).status).toBe(404)
    } finally {
      await server.close()
    }
  })

  it('serves the path it is given', async () => {
    const server = await listening(_.serve({ dispatcher, path: '/rpc' }))
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rpc$/)
      expect((await post(server.url, ECHO)).status).toBe(200)
      expect((await post(server.url.replace(/rpc$/, ''), ECHO)).status).toBe(404)
    } finally {
      await server.close()
    }
  })

  it('rejects when it cannot listen (a port in use)', async () => {
    const first = await listening(_.serve({ dispatcher }))
    try {
      expect(await _.serve({ dispatcher, port: first.address.port })()).toMatchObject({
        _tag: 'Left',
        left: { _tag: 'ListenError', cause: { code: 'EADDRINUSE' } },
      })
    } finally {
      await first.close()
    }
  })

  it('context from the request', async () => {
    const withUser = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(WhoAmI, (_p: {}, { user }: { readonly user: string }) => E.right(user)),
      ),
      { context: (_request, user: string) => ({ user }) },
    )
    const server = await listening(_.serve({ dispatcher: withUser, context: (req) => String(req.headers['x-user']) }))
    try {
      expect((await post(server.url, '{"jsonrpc":"2.0","method":"whoami","id":1}', { headers: { 'x-user': 'ada' } })).body).toBe(
        '{"jsonrpc":"2.0","result":"ada","id":1}',
      )
    } finally {
      await server.close()
    }
    // Type-checked, never run:
    // @ts-expect-error the handlers need a context, so serve requires one
    const withoutContext = () => _.serve({ dispatcher: withUser })
    expect(typeof withoutContext).toBe('function')
  })
})

describe('serve: graceful close', () => {
  const Slow = Method.make({ name: 'slow', result: t.string })

  const gated = () => {
    let started: () => void = () => undefined
    let release: () => void = () => undefined
    const startedP = new Promise<void>((resolve) => (started = resolve))
    const releaseP = new Promise<void>((resolve) => (release = resolve))
    const slow = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Slow, () =>
          TE.rightTask(async () => {
            started()
            await releaseP
            return 'finished'
          }),
        ),
      ),
    )
    return { slow, started: startedP, release }
  }

  const refused = (port: number): Promise<string> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.on('connect', () => {
        socket.destroy()
        resolve('connected')
      })
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    })

  it('a call in flight gets its answer; close resolves after it; new connections are refused', async () => {
    const { slow, started, release } = gated()
    const server = await listening(_.serve({ dispatcher: slow }))
    const answer = post(server.url, '{"jsonrpc":"2.0","method":"slow","id":1}')
    await started
    let closed = false
    const closing = server.close().then(() => (closed = true))
    expect(server.close()).toBe(server.close())
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(closed).toBe(false)
    expect(await refused(server.address.port)).toBe('ECONNREFUSED')
    release()
    expect(await answer).toMatchObject({ status: 200, body: '{"jsonrpc":"2.0","result":"finished","id":1}' })
    const answered = Date.now()
    await closing
    expect(closed).toBe(true)
    // The answer ended its keep-alive connection (Connection: close), so close did not wait for the
    // keep-alive timeout.
    expect(Date.now() - answered).toBeLessThan(1000)
  })

  it('a synchronous call that closes the server is answered with Connection: close, and close does not wait for keep-alive', async () => {
    const Stop = Method.make({ name: 'stop', result: t.string })
    const handle: { server?: _.Server } = {}
    const stopping = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Stop, () => {
          void handle.server?.close()
          return E.right('stopping')
        }),
      ),
    )
    const server = await listening(_.serve({ dispatcher: stopping }))
    handle.server = server
    const agent = new Agent({ keepAlive: true })
    try {
      const answer = await new Promise<{ status: number | undefined; connection: string | undefined; body: string }>((resolve, reject) => {
        const req = httpRequest(server.url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res: IncomingMessage) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (body += chunk))
          res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body }))
        })
        req.on('error', reject)
        req.end('{"jsonrpc":"2.0","method":"stop","id":1}')
      })
      expect(answer).toEqual({ status: 200, connection: 'close', body: '{"jsonrpc":"2.0","result":"stopping","id":1}' })
      const before = Date.now()
      await server.close()
      // The server's keep-alive timeout is 5 s: the answer ended its connection, so close did not wait.
      expect(Date.now() - before).toBeLessThan(1000)
      expect(await refused(server.address.port)).toBe('ECONNREFUSED')
    } finally {
      agent.destroy()
    }
  })

  it('idle keep-alive connections do not hold close up', async () => {
    const server = await listening(_.serve({ dispatcher }))
    const agent = new Agent({ keepAlive: true })
    try {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = httpRequest(server.url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res: IncomingMessage) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode))
        })
        req.on('error', reject)
        req.end(ECHO)
      })
      expect(status).toBe(200)
      const before = Date.now()
      await server.close()
      // The server's keep-alive timeout is 5 s: close did not wait for it.
      expect(Date.now() - before).toBeLessThan(1000)
    } finally {
      agent.destroy()
    }
  })
})

describe('the answer to notifications only (notificationStatus)', () => {
  const notification = '{"jsonrpc":"2.0","method":"echo","params":{"text":"x"}}'
  const post = async (url: string) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: notification })
    return { status: res.status, body: await res.text() }
  }

  it('is 204 with no body by default', async () => {
    const server = await listening(_.serve({ dispatcher }))
    try {
      expect(await post(server.url)).toEqual({ status: 204, body: '' })
    } finally {
      await server.close()
    }
  })

  it('is 200 with an empty body with notificationStatus: 200, and a request is answered as usual', async () => {
    const server = await listening(_.serve({ dispatcher, notificationStatus: 200 }))
    try {
      expect(await post(server.url)).toEqual({ status: 200, body: '' })
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"jsonrpc":"2.0","method":"echo","params":{"text":"x"},"id":1}',
      })
      expect(await res.text()).toBe('{"jsonrpc":"2.0","result":"x","id":1}')
    } finally {
      await server.close()
    }
  })
})
