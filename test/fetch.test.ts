/**
 * The Fetch API handler (fp-jsonrpc/fetch), in-process: a `Request` in, a `Response` out, as Hono,
 * Bun, Deno and workers call it. The wire rules it shares with the node:http listener are checked
 * here as pure functions and through the handler; Hono is checked in-process (`app.request`) and
 * served for real by @hono/node-server on 127.0.0.1.
 */
import { serve as serveHono } from '@hono/node-server'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { readdirSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry, RpcError } from '../src/index.js'
import * as _ from '../src/fetch/index.js'
import { pathOf } from '../src/internal/http/hosts.js'
import * as HttpRules from '../src/internal/http/rules.js'
import * as SpecMethods from './fixtures/spec-methods.js'
import { canonical, examples } from './fixtures/spec-methods.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
const Fail = Method.make({ name: 'fail', result: t.unknown })
const Boom = Method.make({ name: 'boom', result: t.unknown })
const WhoAmI = Method.make({ name: 'whoami', result: t.string })

const registry = pipe(
  Registry.empty,
  Registry.add(Echo, ({ text }) => E.right(text)),
  Registry.add(Fail, () => E.left(RpcError.make(-32000, 'Refused'))),
  Registry.add(Boom, () => {
    throw new Error('secret /home/app/db.ts:12 password=hunter2')
  }),
)
const dispatcher = Dispatch.make(registry)

const URL_ = 'http://rpc.test/rpc'

// `null` sends no Content-Type at all: the body goes as bytes, as a string body would get text/plain.
const post = (body: string, contentType: string | null = 'application/json', url = URL_): Request =>
  contentType === null
    ? new Request(url, { method: 'POST', body: new TextEncoder().encode(body) })
    : new Request(url, { method: 'POST', body, headers: { 'content-type': contentType } })

const read = async (response: Response) => ({
  status: response.status,
  contentType: response.headers.get('content-type'),
  body: await response.text(),
})

// -------------------------------------------------------------------------------------
// the rules, as pure functions
// -------------------------------------------------------------------------------------

describe('Rules.acceptsContentType', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON; Charset="UTF-8"',
    'application/json;charset=utf8',
    'application/vnd.api+json',
    'application/json-patch+json',
  ])('accepts %s', (header) => {
    expect(HttpRules.acceptsContentType(header)).toBe(true)
  })

  it.each([
    ['no header', undefined],
    ['null', null],
    ['an empty header', ''],
    ['a form post', 'application/x-www-form-urlencoded'],
    ['a multipart form', 'multipart/form-data; boundary=x'],
    ['text/plain (what a cross-site form can send)', 'text/plain'],
    ['text/json', 'text/json'],
    ['a charset other than UTF-8', 'application/json; charset=latin1'],
    ['a +json suffix outside application/', 'text/x+json'],
    ['json-seq', 'application/json-seq'],
  ])('refuses %s', (_name, header) => {
    expect(HttpRules.acceptsContentType(header)).toBe(false)
  })
})

describe('Rules.refuse: the order of the checks', () => {
  const refuse = HttpRules.refuse({ path: '/rpc' })
  it('the path first, then the method, then the content type', () => {
    expect(refuse({ method: 'GET', path: '/other', contentType: 'text/plain' })?.status).toBe(404)
    expect(refuse({ method: 'GET', path: '/rpc', contentType: 'text/plain' })?.status).toBe(405)
    expect(refuse({ method: 'POST', path: '/rpc', contentType: 'text/plain' })?.status).toBe(415)
    expect(refuse({ method: 'POST', path: '/rpc', contentType: 'application/json' })).toBeUndefined()
  })

  it('without a path, every path is served', () => {
    expect(HttpRules.refuse({})({ method: 'POST', path: '/anything', contentType: 'application/json' })).toBeUndefined()
  })

  it('405 says which method is allowed', () => {
    expect(HttpRules.methodNotAllowed.headers['allow']).toBe('POST')
  })
})

describe('Rules.fromReply', () => {
  it('an answer is 200 application/json; nothing to answer is 204 with no body', () => {
    expect(HttpRules.fromReply('{"jsonrpc":"2.0","result":1,"id":1}')).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","result":1,"id":1}',
    })
    expect(HttpRules.fromReply(undefined)).toEqual({ status: 204, headers: {}, body: '' })
  })
})

describe('Rules.pathOf', () => {
  it.each([
    ['/rpc', '/rpc'],
    ['/rpc?x=1', '/rpc'],
    ['/rpc#f', '/rpc'],
    ['http://example.test/rpc?x=1', '/rpc'],
  ])('%s is %s', (target, path) => {
    expect(pathOf(target)).toBe(path)
  })
})

// -------------------------------------------------------------------------------------
// the handler
// -------------------------------------------------------------------------------------

describe('handler: the wire rules', () => {
  const rpc = _.handler(dispatcher)

  it('a call answers 200 application/json with the response', async () => {
    expect(await read(await rpc(post('{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"},"id":1}')))).toEqual({
      status: 200,
      contentType: 'application/json',
      body: '{"jsonrpc":"2.0","result":"hi","id":1}',
    })
  })

  it('a method other than POST is 405 with Allow: POST, and the body is not read', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS']) {
      const request = new Request(URL_, method === 'GET' ? { method } : { method, body: '{}', headers: { 'content-type': 'application/json' } })
      const response = await rpc(request)
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toBe('POST')
      expect(request.bodyUsed).toBe(false)
    }
  })

  it('a content type that is not JSON is 415 (a cross-site form post never reaches a method)', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', null]) {
      const request = post('{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"},"id":1}', contentType)
      expect(request.headers.get('content-type')).toBe(contentType)
      const response = await rpc(request)
      expect(response.status).toBe(415)
      expect(await response.text()).toMatch(/application\/json/)
    }
  })

  it('application/json with charset=utf-8 and +json types are read', async () => {
    for (const contentType of ['application/json; charset=utf-8', 'application/vnd.rpc+json']) {
      const response = await rpc(post('{"jsonrpc":"2.0","method":"echo","params":{"text":"ü"},"id":1}', contentType))
      expect(await read(response)).toEqual({ status: 200, contentType: 'application/json', body: '{"jsonrpc":"2.0","result":"ü","id":1}' })
    }
  })

  it('a message of notifications only answers 204 with an empty body', async () => {
    for (const message of [
      '{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"}}',
      '[{"jsonrpc":"2.0","method":"echo","params":{"text":"a"}},{"jsonrpc":"2.0","method":"nope"}]',
    ]) {
      const response = await rpc(post(message))
      expect(response.status).toBe(204)
      expect(response.headers.get('content-type')).toBeNull()
      expect(await response.text()).toBe('')
    }
  })

  it('JSON-RPC errors travel with status 200', async () => {
    expect(await read(await rpc(post('{"jsonrpc":"2.0","method":"fail","id":1}')))).toEqual({
      status: 200,
      contentType: 'application/json',
      body: '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Refused"},"id":1}',
    })
    expect((await read(await rpc(post('{"jsonrpc":"2.0","method":"nope","id":2}')))).body).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":2}',
    )
  })

  it('a body that is not JSON is the Parse error, with 200; so is an empty body', async () => {
    for (const body of ['{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]', '']) {
      expect(await read(await rpc(post(body)))).toEqual({
        status: 200,
        contentType: 'application/json',
        body: '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}',
      })
    }
  })

  it('a batch answers an array of its responses', async () => {
    const response = await rpc(post('[{"jsonrpc":"2.0","method":"echo","params":{"text":"a"},"id":1},{"jsonrpc":"2.0","method":"fail","id":2}]'))
    expect(JSON.parse(await response.text())).toEqual([
      { jsonrpc: '2.0', result: 'a', id: 1 },
      { jsonrpc: '2.0', error: { code: -32000, message: 'Refused' }, id: 2 },
    ])
  })

  it('a handler that throws answers Internal error, with nothing of the exception on the wire', async () => {
    const body = (await read(await rpc(post('{"jsonrpc":"2.0","method":"boom","id":1}')))).body
    expect(body).toBe('{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}')
  })

  it('with path, only that path is served; the query string is ignored', async () => {
    const only = _.handler(dispatcher, { path: '/rpc' })
    expect((await only(post('{"jsonrpc":"2.0","method":"echo","params":{"text":"a"},"id":1}', 'application/json', 'http://rpc.test/other'))).status).toBe(404)
    expect((await only(post('{"jsonrpc":"2.0","method":"echo","params":{"text":"a"},"id":1}', 'application/json', 'http://rpc.test/rpc?v=1'))).status).toBe(200)
  })

  it('a body that cannot be read is 400, told to onError', async () => {
    const errors: Array<unknown> = []
    const request = post('{}')
    await request.text()
    const response = await _.handler(dispatcher, { onError: (e) => errors.push(e) })(request)
    expect(response.status).toBe(400)
    expect(errors).toHaveLength(1)
  })
})

describe('handler: the specification examples over HTTP', () => {
  it.each(examples.map((e) => [e.name, e] as const))('%s', async (_name, example) => {
    const response = await _.handler(Dispatch.make(SpecMethods.make().registry))(post(example.request))
    if (example.response === null) {
      expect(response.status).toBe(204)
      expect(await response.text()).toBe('')
    } else {
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/json')
      expect(canonical(JSON.parse(await response.text()))).toEqual(canonical(example.response))
    }
  })
})

describe('handler: context from the request', () => {
  interface Http {
    readonly user: string | null
  }
  const withUser = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(WhoAmI, (_p: {}, { user }: { readonly user: string }) => E.right(user)),
    ),
    { context: (_request, http: Http) => ({ user: http.user ?? 'anonymous' }) },
  )
  const call = '{"jsonrpc":"2.0","method":"whoami","id":1}'

  it('a header reaches the handler', async () => {
    const rpc = _.handler(withUser, { context: (request) => ({ user: request.headers.get('x-user') }) })
    const request = new Request(URL_, { method: 'POST', body: call, headers: { 'content-type': 'application/json', 'x-user': 'ada' } })
    expect(await (await rpc(request)).text()).toBe('{"jsonrpc":"2.0","result":"ada","id":1}')
    expect(await (await rpc(post(call))).text()).toBe('{"jsonrpc":"2.0","result":"anonymous","id":1}')
  })

  it("the runtime's arguments after the request (a worker's env) reach context", async () => {
    const rpc = _.handler(withUser, { context: (_request, env: { readonly USER: string }) => ({ user: env.USER }) })
    expect(await (await rpc(post(call), { USER: 'grace' })).text()).toBe('{"jsonrpc":"2.0","result":"grace","id":1}')
  })

  it('a context function that throws answers 500 with a fixed text, told to onError', async () => {
    const errors: Array<unknown> = []
    const rpc = _.handler(withUser, {
      context: () => {
        throw new Error('secret /etc/passwd')
      },
      onError: (e) => errors.push(e),
    })
    const response = await rpc(post(call))
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('Internal Server Error')
    expect(errors).toEqual([new Error('secret /etc/passwd')])
  })

  it('a dispatcher that needs a context requires the option (a type error otherwise)', () => {
    // @ts-expect-error the handlers need { user }, so context is required
    expect(typeof _.handler(withUser)).toBe('function')
    // @ts-expect-error and it must give what the dispatcher takes
    expect(typeof _.handler(withUser, { context: () => 42 })).toBe('function')
  })
})

// -------------------------------------------------------------------------------------
// Hono
// -------------------------------------------------------------------------------------

describe('Hono', () => {
  const app = new Hono()
  const rpc = _.handler(dispatcher)
  app.post('/rpc', (c) => rpc(c.req.raw))
  app.get('/health', (c) => c.text('ok'))

  it('in-process, through app.request', async () => {
    const response = await app.request('/rpc', {
      method: 'POST',
      body: '{"jsonrpc":"2.0","method":"echo","params":{"text":"hono"},"id":7}',
      headers: { 'content-type': 'application/json' },
    })
    expect(await read(response)).toEqual({ status: 200, contentType: 'application/json', body: '{"jsonrpc":"2.0","result":"hono","id":7}' })
    const refused = await app.request('/rpc', { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(refused.status).toBe(415)
  })

  it('served by @hono/node-server on 127.0.0.1', async () => {
    const server = await new Promise<ReturnType<typeof serveHono>>((resolve) => {
      const s = serveHono({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
    })
    try {
      const { port } = server.address() as AddressInfo
      const response = await fetch(`http://127.0.0.1:${port}/rpc`, {
        method: 'POST',
        body: '[{"jsonrpc":"2.0","method":"echo","params":{"text":"a"},"id":1},{"jsonrpc":"2.0","method":"echo","params":{"text":"b"}}]',
        headers: { 'content-type': 'application/json' },
      })
      expect(await read(response)).toEqual({ status: 200, contentType: 'application/json', body: '[{"jsonrpc":"2.0","result":"a","id":1}]' })
      const notification = await fetch(`http://127.0.0.1:${port}/rpc`, {
        method: 'POST',
        body: '{"jsonrpc":"2.0","method":"echo","params":{"text":"b"}}',
        headers: { 'content-type': 'application/json' },
      })
      expect(notification.status).toBe(204)
      expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('ok')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

describe('fp-jsonrpc/fetch is runtime-neutral', () => {
  it('no module of src/fetch imports a node: module or uses Buffer or process', () => {
    const dir = new URL('../src/fetch/', import.meta.url)
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'))
    expect(files).toEqual(expect.arrayContaining(['handler.ts', 'index.ts', 'rules.ts', 'transport.ts']))
    for (const file of files) {
      const code = readFileSync(new URL(file, dir), 'utf8')
      expect(code, file).not.toMatch(/from ['"]node:|require\(|\bBuffer\b|\bprocess\./)
    }
  })
})

describe('JSON media types', () => {
  it('takes application/json-rpc (jsonrpclib) and application/jsonrequest beside application/json and */*+json', () => {
    for (const type of ['application/json', 'application/json-rpc', 'application/jsonrequest', 'application/vnd.api+json']) {
      expect(HttpRules.isJsonMediaType(type)).toBe(true)
    }
  })

  it('still refuses what a cross-site form can send, and other types', () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/json', 'application/jsonp']) {
      expect(HttpRules.isJsonMediaType(type)).toBe(false)
    }
  })
})

describe('notificationStatus in the Fetch handler', () => {
  it('answers notifications only with 200 and an empty body when asked', async () => {
    const rpc = _.handler(dispatcher, { notificationStatus: 200 })
    const response = await rpc(post('{"jsonrpc":"2.0","method":"echo","params":{"text":"x"}}'))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
  })
})
