/**
 * The API explorer without a browser: its files as the package serves them (the generated module
 * is what the files written by hand give), the page's pure part run in Node (the schema checker, the
 * example params, the skeletons, the curl line, against the hand-written OpenRPC 1.3.2 document of
 * test/fixtures/explorer/), and the HTTP answers of the node:http `serve` and the Fetch `handler`
 * with `explorer` on and off, on 127.0.0.1. test/browser/explorer.test.ts drives the page in chromium.
 */
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry } from '../src/index.js'
import { handler } from '../src/fetch/index.js'
import { listener, serve, type Server } from '../src/http/index.js'
import * as Assets from '../src/internal/http/explorer/assets.js'
import * as Explorer from '../src/internal/http/explorer/page.js'
import { relativeUrl } from '../src/internal/http/explorer/page.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const assetsDir = join(root, 'src', 'internal', 'http', 'explorer')
const doc = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'explorer', 'demo.openrpc.json'), 'utf8')) as {
  readonly methods: ReadonlyArray<{ readonly name: string }>
}
const methodOf = (name: string) => doc.methods.find((m) => m.name === name)

type Problem = { path: string; message: string }
interface ExplorerModule {
  validate: (schema: unknown, value: unknown, root?: unknown) => Array<Problem>
  checkParams: (method: unknown, params: unknown, root: unknown) => Array<Problem>
  exampleParams: (method: unknown) => unknown
  skeleton: (schema: unknown, root?: unknown) => unknown
  paramsSkeleton: (method: unknown, root: unknown) => unknown
  curlOf: (url: string, body: string) => string
  isNotification: (method: unknown) => boolean
}
let X: ExplorerModule

beforeAll(async () => {
  X = (await import(pathToFileURL(join(assetsDir, 'explorer.js')).href)) as ExplorerModule
})

describe('the files served', () => {
  it('are the files written by hand (run node scripts/explorer-assets.mjs after editing them)', () => {
    expect(Assets.html).toBe(readFileSync(join(assetsDir, 'explorer.html'), 'utf8'))
    expect(Assets.css).toBe(readFileSync(join(assetsDir, 'explorer.css'), 'utf8'))
    expect(Assets.script).toBe(readFileSync(join(assetsDir, 'explorer.js'), 'utf8'))
  })

  it('have no inline script or style and load nothing from another origin', () => {
    expect(Assets.html).not.toMatch(/<script(?![^>]*\bsrc=)/)
    expect(Assets.html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i)
    expect(Assets.html + Assets.css + Assets.script).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i)
    expect(Assets.script).not.toMatch(/\beval\(|new Function|innerHTML|\.style\./)
  })
})

describe('the schema check (the JSON Schema subset fp-jsonrpc emits)', () => {
  it('takes subtract by name and by position, and says what is wrong', () => {
    const subtract = methodOf('subtract')
    expect(X.checkParams(subtract, [42, 23], doc)).toEqual([])
    expect(X.checkParams(subtract, { minuend: 42, subtrahend: 23 }, doc)).toEqual([])
    expect(X.checkParams(subtract, { minuend: 'a', subtrahend: 23 }, doc)).toEqual([{ path: 'params.minuend', message: 'expected number, got "a"' }])
    expect(X.checkParams(subtract, [42], doc)).toEqual([{ path: 'params[1]', message: 'expected subtrahend, got nothing' }])
    expect(X.checkParams(subtract, [1, 2, 3], doc)).toEqual([{ path: 'params', message: 'expected at most 2 params, got 3' }])
    expect(X.checkParams(subtract, undefined, doc)).toEqual([{ path: 'params', message: 'expected minuend, subtrahend, got nothing' }])
    expect(X.checkParams(subtract, 'x', doc)).toEqual([{ path: 'params', message: 'expected an object or an array, got "x"' }])
  })

  it('reads paramStructure, x-params, tuples, enums, unions and recursive $refs', () => {
    expect(X.checkParams(methodOf('sleep'), [10], doc)).toEqual([{ path: 'params', message: 'expected params by name (an object), got an array' }])
    const sum = methodOf('sum')
    expect(X.checkParams(sum, [1, 2, 3], doc)).toEqual([])
    expect(X.checkParams(sum, [1, 'x'], doc)).toEqual([{ path: 'params[1]', message: 'expected number, got "x"' }])
    const pick = methodOf('pick')
    expect(X.checkParams(pick, { colour: 'red' }, doc)).toEqual([{ path: 'params', message: 'expected params by position (an array), got an object' }])
    expect(X.checkParams(pick, ['red', [1, 2], null, { value: 1, children: [{ value: 2, children: [] }] }], doc)).toEqual([])
    expect(X.checkParams(pick, ['blue', [1.5, 2]], doc)).toEqual([
      { path: 'params[0]', message: 'expected one of "red", "green", got "blue"' },
      { path: 'params[1][0]', message: 'expected integer, got 1.5' },
    ])
    expect(X.checkParams(pick, ['red', [1, 2], ''], doc)).toEqual([{ path: 'params[2]', message: 'expected one of 2 alternatives, got ""' }])
    expect(X.checkParams(pick, ['red', [1, 2], null, { value: 1, children: [{ value: 'x', children: [], extra: 1 }] }], doc)).toEqual([
      { path: 'params[3].children[0].value', message: 'expected number, got "x"' },
      { path: 'params[3].children[0].extra', message: 'no such member is allowed' },
    ])
  })

  it('knows true, false, const, bounds, oneOf, allOf and not', () => {
    expect(X.validate(true, 1)).toEqual([])
    expect(X.validate(false, 1)).toHaveLength(1)
    expect(X.validate({ const: { a: [1] } }, { a: [1] })).toEqual([])
    expect(X.validate({ const: { a: [1] } }, { a: [2] })).toHaveLength(1)
    expect(X.validate({ type: 'number', minimum: 0, exclusiveMaximum: 10, multipleOf: 2 }, 11)).toHaveLength(2)
    expect(X.validate({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 1)).toEqual([
      { path: 'params', message: 'expected exactly one of 2 alternatives to match, 2 do' },
    ])
    expect(X.validate({ allOf: [{ type: 'object', required: ['a'] }, { required: ['b'] }] }, { a: 1 })).toEqual([
      { path: 'params.b', message: 'expected a value, got nothing' },
    ])
    expect(X.validate({ not: { type: 'string' } }, 's')).toHaveLength(1)
    expect(X.validate({ type: 'string', pattern: '^[a-z]+$' }, 'A')).toHaveLength(1)
    // Past its limits, it lets through: format is not checked.
    expect(X.validate({ type: 'string', format: 'date-time' }, 'not a date')).toEqual([])
  })
})

describe('the params editor', () => {
  it('is prefilled from the example pairing, in the method structure', () => {
    expect(X.exampleParams(methodOf('subtract'))).toEqual({ minuend: 42, subtrahend: 23 })
    expect(X.exampleParams(methodOf('sleep'))).toBeUndefined()
    // x-params: the one pairing is the whole params value.
    expect(X.exampleParams(methodOf('sum'))).toEqual([1, 2, 3, 4])
    expect(X.exampleParams({ ...methodOf('subtract'), paramStructure: 'by-position' })).toEqual([42, 23])
  })

  it('offers a skeleton of the schemas that passes the check', () => {
    for (const m of doc.methods) {
      const skeleton = X.paramsSkeleton(m, doc)
      expect({ name: m.name, problems: X.checkParams(m, skeleton, doc) }).toEqual({ name: m.name, problems: [] })
    }
    expect(X.paramsSkeleton(methodOf('pick'), doc)).toEqual(['red', [0, 0], 'x', { value: 0, children: [] }])
    expect(X.skeleton({ $ref: '#/components/schemas/Balance' }, doc)).toEqual({ balance: 0 })
  })

  it('sends log as a notification by default (its result is always null)', () => {
    expect(X.isNotification(methodOf('log'))).toBe(true)
    expect(X.isNotification(methodOf('subtract'))).toBe(false)
  })

  it('gives a curl line that a POSIX shell reads back as the same arguments', () => {
    const body = `{"jsonrpc":"2.0","method":"it's","params":["a b", "$HOME", "\`x\`"],"id":1}`
    const line = X.curlOf('http://127.0.0.1:8080/rpc', body)
    const args = execFileSync('sh', ['-c', `curl() { printf '%s\\n' "$@"; }; ${line}`], { encoding: 'utf8' })
    expect(args).toBe(['-s', 'http://127.0.0.1:8080/rpc', '-H', 'content-type: application/json', '-d', body, ''].join('\n'))
  })
})

describe('relativeUrl: the endpoint from the page', () => {
  it.each([
    ['/', '/rpc', './rpc'],
    ['/', '/', ''],
    ['/rpc', '/rpc', ''],
    ['/ui/', '/rpc', '../rpc'],
    ['/ui/explorer', '/api/rpc', '../api/rpc'],
    ['/api/explorer', '/api/rpc', './rpc'],
    ['/a/b/c', '/a/rpc', '../rpc'],
  ])('from %s to %s is %s', (from, to, relative) => {
    expect(relativeUrl(from, to)).toBe(relative)
    if (relative !== '') expect(new URL(relative, `http://h${from}`).pathname).toBe(to)
  })
})

// -------------------------------------------------------------------------------------
// served over HTTP
// -------------------------------------------------------------------------------------

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
  ),
)
const CALL = '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}'

const servers: Array<Server> = []
const start = async (options: Partial<Parameters<typeof serve>[0]>): Promise<Server> => {
  const started = await serve({ dispatcher, ...options })()
  if (E.isLeft(started)) throw new Error('could not listen')
  servers.push(started.right)
  return started.right
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

const get = async (url: string) => {
  const res = await fetch(url)
  const headers: Record<string, string> = {}
  res.headers.forEach((value, name) => (headers[name] = value))
  return { status: res.status, headers, body: await res.text() }
}

describe('serve with explorer on', () => {
  it('serves the page on GET of its path, with the CSP, nosniff and the endpoint', async () => {
    const server = await start({ path: '/rpc', explorer: { path: '/' } })
    const origin = `http://127.0.0.1:${server.address.port}`
    const page = await get(`${origin}/`)
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.body).toContain('<meta name="fp-jsonrpc-endpoint" content="./rpc" />')
    const script = await get(`${origin}/?explorer.js`)
    expect(script).toMatchObject({ status: 200, body: Assets.script })
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(script.headers['x-content-type-options']).toBe('nosniff')
    const css = await get(`${origin}/?explorer.css`)
    expect(css).toMatchObject({ status: 200, body: Assets.css })
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
    // The endpoint is as it was.
    const res = await fetch(`${origin}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: CALL })
    expect(await res.text()).toBe('{"jsonrpc":"2.0","result":19,"id":1}')
    expect((await get(`${origin}/rpc`)).status).toBe(405)
    expect((await get(`${origin}/other`)).status).toBe(404)
  })

  it('is on the endpoint path by default, posting to itself', async () => {
    const server = await start({ path: '/rpc', explorer: true })
    const page = await get(server.url)
    expect(page.status).toBe(200)
    expect(page.body).toContain('content="" />')
    expect((await get(server.url.replace(/rpc$/, ''))).status).toBe(404)
  })

  it('keeps the Host allowlist of the endpoint', async () => {
    const server = await start({ explorer: true })
    const port = server.address.port
    const { request } = await import('node:http')
    const status = await new Promise<number>((done, fail) =>
      request({ host: '127.0.0.1', port, path: '/', headers: { host: `evil.example:${port}` } }, (res) => {
        res.resume()
        done(res.statusCode ?? 0)
      })
        .on('error', fail)
        .end(),
    )
    expect(status).toBe(403)
    expect((await get(`http://localhost:${port}/`)).status).toBe(200)
  })

  it('refuses an explorer path that is not a path, when serve is called', () => {
    expect(() => serve({ dispatcher, explorer: { path: 'rpc' } })).toThrow(TypeError)
  })
})

describe('as express middleware', () => {
  it('answers GET of the explorer path, passes every other request on, and finds the endpoint under a mount prefix', async () => {
    const app = express()
    app.use('/api', listener(dispatcher, { path: '/rpc', explorer: { path: '/' } }))
    app.get('/', (_req, res) => void res.send('home'))
    const server = createServer(app)
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const page = await get(`${origin}/api/`)
      expect(page.status).toBe(200)
      expect(page.body).toContain('content="./rpc"')
      // What the browser does with it: the endpoint under the same prefix.
      expect(new URL('./rpc', `${origin}/api/`).href).toBe(`${origin}/api/rpc`)
      const res = await fetch(`${origin}/api/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: CALL })
      expect(await res.text()).toBe('{"jsonrpc":"2.0","result":19,"id":1}')
      expect(await get(`${origin}/`)).toMatchObject({ status: 200, body: 'home' })
    } finally {
      await new Promise((done) => server.close(done))
    }
  })

  it('writes the endpoint into the page as an attribute value, escaped', () => {
    const page = Explorer.make({ path: '/a"b<c>&d', explorer: { path: '/' } })
    expect(page?.('/', undefined)?.body).toContain('content="./a&quot;b&lt;c&gt;&amp;d"')
  })
})

describe('explorer off (the default)', () => {
  it('answers GET as before: 405 with Allow: POST, and no page anywhere', async () => {
    const server = await start({ path: '/' })
    const res = await get(server.url)
    expect(res).toEqual({
      status: 405,
      headers: expect.objectContaining({ allow: 'POST', 'content-type': 'text/plain; charset=utf-8' }),
      body: 'Method Not Allowed: JSON-RPC takes POST',
    })
    expect(res.headers).not.toHaveProperty('content-security-policy')
    expect((await get(`${server.url}?explorer.js`)).status).toBe(405)
    expect((await start({ path: '/', explorer: false }).then((s) => get(s.url))).status).toBe(405)
  })
})

describe('the Fetch handler', () => {
  it('serves the explorer when on, and answers GET 405 when off', async () => {
    const on = handler(dispatcher, { path: '/rpc', explorer: { path: '/ui' }, allowedHosts: ['app.test'] })
    const page = await on(new Request('http://app.test/ui'))
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'")
    expect(await page.text()).toContain('content="./rpc"')
    expect(await (await on(new Request('http://app.test/ui?explorer.js'))).text()).toBe(Assets.script)
    expect((await on(new Request('http://other.test/ui'))).status).toBe(403)
    const call = await on(new Request('http://app.test/rpc', { method: 'POST', headers: { 'content-type': 'application/json' }, body: CALL }))
    expect(await call.text()).toBe('{"jsonrpc":"2.0","result":19,"id":1}')
    const off = handler(dispatcher, { path: '/ui' })
    expect((await off(new Request('http://app.test/ui'))).status).toBe(405)
  })
})
