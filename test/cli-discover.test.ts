/**
 * `fp-jsonrpc discover` and `fp-jsonrpc list`: against bare node:http and `ws` servers that answer
 * `rpc.discover` with a document written by hand (as another implementation would), and against the
 * package's own HTTP server, with no discovery (Method not found). Real servers on 127.0.0.1; the
 * command run in process (`run`) and as a program (`tsx src/bin.ts`).
 */
import { execFile } from 'node:child_process'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { Dispatch, Method, Registry } from '../src/index.js'
import { Rules } from '../src/fetch/index.js'
import { serve, type Server } from '../src/http/index.js'
import * as Ws from '../src/ws/index.js'
import { listening } from './fixtures/listening.js'
import { runCli } from './fixtures/cli.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** A document such as another implementation might write: every shape `list` has a rule for. */
const handWritten = {
  openrpc: '1.3.2',
  info: { title: 'Shop', version: '2.0.0' },
  methods: [
    {
      name: 'subtract',
      paramStructure: 'either',
      params: [
        { name: 'minuend', required: true, schema: { type: 'number' } },
        { name: 'subtrahend', required: true, schema: { type: 'number' } },
      ],
      result: { name: 'difference', schema: { type: 'number' } },
    },
    {
      name: 'find',
      paramStructure: 'by-name',
      params: [
        { name: 'query', required: true, schema: { type: 'string' } },
        { name: 'limit', schema: { type: 'integer', minimum: 1 } },
        { $ref: '#/components/contentDescriptors/Order' },
      ],
      result: { name: 'trees', schema: { type: 'array', items: { $ref: '#/components/schemas/Tree' } } },
    },
    { name: 'sum', params: [], 'x-params': { type: 'array', items: { type: 'number' } }, result: { name: 'total', schema: { type: 'number' } } },
    {
      name: 'shape',
      paramStructure: 'by-position',
      params: [{ name: 'arg0', required: true, schema: { anyOf: [{ $ref: '#/components/schemas/Circle' }, { $ref: '#/components/schemas/Square' }] } }],
      result: { name: 'area', schema: { anyOf: [{ type: 'number' }, { type: 'null' }] } },
    },
    { name: 'log', params: [{ name: 'line', required: true, schema: { type: 'string' } }] },
    { name: 'ping', params: [], result: { name: 'pong', schema: { const: 'pong' } }, deprecated: true },
  ],
  components: {
    contentDescriptors: { Order: { name: 'order', schema: { enum: ['asc', 'desc'] } } },
    schemas: {
      Tree: {
        type: 'object',
        properties: { value: { type: 'number' }, children: { type: 'array', items: { $ref: '#/components/schemas/Tree' } } },
        required: ['value', 'children'],
      },
      Circle: { type: 'object', properties: { kind: { const: 'circle' }, radius: { type: 'number' } }, required: ['kind', 'radius'] },
      Square: { type: 'object', properties: { kind: { const: 'square' }, side: { type: 'number' } }, required: ['kind', 'side'] },
    },
  },
  'x-vendor': { kept: true },
}

const handWrittenLines = [
  'subtract(minuend: number, subtrahend: number) -> number',
  'find({ query: string; limit?: integer; order?: "asc" | "desc" }) -> Tree[]',
  'sum(...params: number[]) -> number',
  'shape(arg0: Circle | Square) -> number | null',
  'log(line: string)',
  'ping() -> "pong" (deprecated)',
  '',
  'type Tree = { value: number; children: Tree[] }',
  'type Circle = { kind: "circle"; radius: number }',
  'type Square = { kind: "square"; side: number }',
].join('\n')

type Answer = { readonly status?: number; readonly type?: string; readonly body: string }

/** A bare node:http server: each POSTed request gets what `answer` says for it. */
const bareHttp = async (answer: (request: { readonly method: string; readonly id: unknown }) => Answer) => {
  const http = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    request.on('end', () => {
      const message = JSON.parse(body) as { method: string; id: unknown }
      const a = answer(message)
      response.writeHead(a.status ?? 200, { 'content-type': a.type ?? 'application/json' })
      response.end(a.body)
    })
  })
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done))
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((done) => {
        http.closeAllConnections()
        http.close(() => done())
      }),
  }
}

const resultOf = (result: unknown) => (request: { readonly id: unknown }) => ({ body: JSON.stringify({ jsonrpc: '2.0', result, id: request.id }) })

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })

// A service with discovery on: params by name (one optional), an enum, a union, a recursive type, an
// array of any length, a tuple, a method with no declared result.
interface Tree {
  readonly value: number
  readonly children: ReadonlyArray<Tree>
}
const Tree: t.Type<Tree> = t.recursion('Tree', (self) => t.type({ value: t.number, children: t.readonlyArray(self) }))
const Circle = t.type({ kind: t.literal('circle'), radius: t.number })
const Square = t.type({ kind: t.literal('square'), side: t.number })
const Find = Method.make({
  name: 'find',
  params: t.type({ query: t.string, order: t.keyof({ asc: null, desc: null }), limit: t.union([t.Int, t.undefined]) }),
  result: t.readonlyArray(Tree),
})
const Area = Method.make({ name: 'area', params: t.type({ shape: t.union([Circle, Square]) }), result: t.union([t.number, t.null]) })
const Grow = Method.make({ name: 'grow', params: t.type({ seed: Tree }), result: Tree })
const Sum = Method.make({ name: 'sum', params: t.array(t.number), result: t.number })
const Pair = Method.make({ name: 'pair', params: t.tuple([t.string, t.number]), result: t.string })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const shapes = pipe(
  Registry.empty,
  Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
  Registry.add(Find, () => E.right([])),
  Registry.add(Area, ({ shape }) => E.right(shape.kind === 'circle' ? Math.PI * shape.radius ** 2 : null)),
  Registry.add(Grow, ({ seed }) => E.right(seed)),
  Registry.add(Sum, (ns) => E.right(ns.reduce((a, b) => a + b, 0))),
  Registry.add(Pair, ([s, n]) => E.right(`${s}${n}`)),
  Registry.add(Log, () => undefined),
  Registry.withDiscovery({ title: 'Shapes', version: '1.0.0' }),
)
const shapesLines = [
  'subtract(minuend: number, subtrahend: number) -> number',
  'find(query: string, order: "asc" | "desc", limit?: integer) -> Tree[]',
  'area(shape: { kind: "circle"; radius: number } | { kind: "square"; side: number }) -> number | null',
  'grow(seed: Tree) -> Tree',
  'sum(...params: number[]) -> number',
  'pair(arg0: string, arg1: number) -> string',
  'log(line: string) -> unknown',
  '',
  'type Tree = { value: number; children: Tree[] }',
].join('\n')

let shop: Awaited<ReturnType<typeof bareHttp>>
let plain: Server
let own: Server
let ownWs: Ws.Server
beforeAll(async () => {
  shop = await bareHttp(resultOf(handWritten))
  plain = await listening(
    serve({
      dispatcher: Dispatch.make(
        pipe(
          Registry.empty,
          Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
        ),
      ),
    }),
  )
  own = await listening(serve({ dispatcher: Dispatch.make(shapes), path: '/rpc' }))
  ownWs = Ws.attachToHttp(own.server, Dispatch.make(shapes), { path: '/ws' })
})
afterAll(async () => {
  await shop.close()
  await plain.close()
  await ownWs.close()
  await own.close()
})

describe('fp-jsonrpc discover', () => {
  it('prints the document as the server wrote it, extensions included', async () => {
    expect(await runCli('discover', shop.url)).toEqual({ code: 0, out: JSON.stringify(handWritten, null, 2), err: '' })
  })

  it('says so when the server does not offer rpc.discover', async () => {
    expect(await runCli('discover', plain.url)).toEqual({
      code: 1,
      out: '',
      err: 'this server does not offer rpc.discover (it answered -32601 Method not found)',
    })
  })

  it('says why an answer is not an OpenRPC document', async () => {
    const odd = await bareHttp(resultOf({ openrpc: '1.3.2', info: { title: 'x' }, methods: [{ name: 'm', params: 'none' }] }))
    try {
      const r = await runCli('discover', odd.url)
      expect(r.code).toBe(1)
      expect(r.out).toBe('')
      expect(r.err.split('\n')[0]).toBe('the answer to rpc.discover is not an OpenRPC document:')
      expect(r.err).toMatch(/info\.version/)
      expect(r.err).toMatch(/methods\.0\.params/)
    } finally {
      await odd.close()
    }
  })

  it('gives any other error answer as it came', async () => {
    const refusing = await bareHttp((request) => ({
      body: JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized' }, id: request.id }),
    }))
    try {
      expect(await runCli('discover', refusing.url)).toEqual({ code: 1, out: '', err: 'error -32001: Unauthorized' })
    } finally {
      await refusing.close()
    }
  })

  it('says what came when the answer is not JSON, or not a JSON-RPC response', async () => {
    const html = await bareHttp(() => ({ type: 'text/html', body: '<html><body>Welcome</body></html>' }))
    const garbage = await bareHttp(() => ({ body: 'this is not json' }))
    const notRpc = await bareHttp(() => ({ body: '{"openrpc":"1.3.2"}' }))
    try {
      expect(await runCli('discover', html.url)).toEqual({ code: 1, out: '', err: 'not JSON (text/html), HTTP 200: <html><body>Welcome</body></html>' })
      const g = await runCli('discover', garbage.url)
      expect(g.code).toBe(1)
      expect(g.err).toMatch(/^the answer is not a JSON-RPC response \(.+\): this is not json$/)
      const n = await runCli('list', notRpc.url)
      expect(n.code).toBe(1)
      expect(n.err).toMatch(/^the answer is not a JSON-RPC response \(.+\): \{"openrpc":"1.3.2"\}$/)
    } finally {
      await Promise.all([html.close(), garbage.close(), notRpc.close()])
    }
  })

  it('says when the host cannot be reached', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer()
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((done) => probe.close(() => done()))
    expect(await runCli('discover', `http://127.0.0.1:${port}/`)).toEqual({
      code: 1,
      out: '',
      err: `network error: fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    })
    expect(await runCli('list', `ws://127.0.0.1:${port}/`)).toEqual({
      code: 1,
      out: '',
      err: `cannot connect to ws://127.0.0.1:${port}/: connect ECONNREFUSED 127.0.0.1:${port}`,
    })
  })

  it('gives the usage, with exit code 2, for a bad URL or extra arguments', async () => {
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
      [['discover', 'example.com'], 'the url must start with http://, https://, ws:// or wss://, got example.com\n\nusage: fp-jsonrpc call'],
      [['list', 'http://[::1'], 'not a valid url: http://[::1\n\nusage: fp-jsonrpc call'],
      [['discover'], 'usage: fp-jsonrpc call'],
      [['list', shop.url, 'extra'], 'usage: fp-jsonrpc call'],
      [['list', shop.url, '--notify'], '--notify is for call only\n\nusage: fp-jsonrpc call'],
    ]
    for (const [argv, start] of cases) {
      const r = await runCli(...argv)
      expect({ argv, code: r.code, out: r.out, start: r.err.slice(0, start.length) }).toEqual({ argv, code: 2, out: '', start })
    }
  })
})

describe("on the package's own servers, with discovery on", () => {
  it('lists each method on one line: by-name params, an enum, a union, a recursive type, a tuple', async () => {
    expect(await runCli('list', own.url)).toEqual({ code: 0, out: shapesLines, err: '' })
    expect(await runCli('list', `ws://127.0.0.1:${own.address.port}/ws`)).toEqual({ code: 0, out: shapesLines, err: '' })
  })

  it('prints the document the server answers, which names the URL asked as its server', async () => {
    // The document as the dispatcher gives it for a call that came in at `url`.
    const documentAt = async (url: string): Promise<string> => {
      const answer = await Dispatch.make(shapes).dispatchWith('{"jsonrpc":"2.0","method":"rpc.discover","id":1}', { endpoint: { url } })
      const document = (JSON.parse(answer ?? '') as { result: { servers?: unknown } }).result
      expect(document.servers).toEqual([{ name: expect.any(String) as unknown, url }])
      return JSON.stringify(document, null, 2)
    }
    const ws = `ws://127.0.0.1:${own.address.port}/ws`
    expect(await runCli('discover', own.url)).toEqual({ code: 0, out: await documentAt(own.url), err: '' })
    expect(await runCli('discover', ws)).toEqual({ code: 0, out: await documentAt(ws), err: '' })
  })
})

describe('text from the server on a terminal', () => {
  it('escapes control characters (but line feeds and tabs) as \\uXXXX, and JSON stays JSON', async () => {
    const hostile = await bareHttp((request) =>
      request.method === 'rpc.discover'
        ? resultOf({ openrpc: '1.3.2', info: { title: 't', version: '1' }, methods: [{ name: 'evil\u001b]0;pwned\u0007', params: [] }] })(request)
        : request.method === 'fail'
          ? { body: JSON.stringify({ jsonrpc: '2.0', error: { code: 1, message: 'red\u001b[31m\rgone\u009b', data: 'tab\there' }, id: request.id }) }
          : resultOf({ text: 'c1\u009bdel\u007f' })(request),
    )
    try {
      expect(await runCli('list', hostile.url)).toEqual({ code: 0, out: 'evil\\u001b]0;pwned\\u0007()', err: '' })
      expect(await runCli('call', hostile.url, 'fail')).toEqual({ code: 1, out: '', err: 'error 1: red\\u001b[31m\\u000dgone\\u009b\n"tab\\there"' })
      const r = await runCli('call', hostile.url, 'echo')
      expect(r).toEqual({ code: 0, out: '{\n  "text": "c1\\u009bdel\\u007f"\n}', err: '' })
      expect(JSON.parse(r.out)).toEqual({ text: 'c1\u009bdel\u007f' })
    } finally {
      await hostile.close()
    }
  })
})

describe('--header', () => {
  it('goes with each HTTP request and with the WebSocket upgrade', async () => {
    const authenticate = (request: IncomingMessage) =>
      request.headers.authorization === 'Bearer secret' ? E.right('ada') : E.left(Rules.unauthenticated('Bearer'))
    const guarded = await listening(serve({ dispatcher: Dispatch.make(shapes), authenticate }))
    const guardedWs = Ws.attachToHttp(guarded.server, Dispatch.make(shapes), { path: '/ws', authenticate })
    try {
      const wsUrl = `ws://127.0.0.1:${guarded.address.port}/ws`
      expect(await runCli('list', guarded.url, '--header', 'authorization: Bearer secret')).toEqual({ code: 0, out: shapesLines, err: '' })
      expect(await runCli('list', wsUrl, '--header', 'authorization: Bearer secret')).toEqual({ code: 0, out: shapesLines, err: '' })
      expect(await runCli('list', guarded.url)).toEqual({ code: 1, out: '', err: 'HTTP 401: Unauthorized' })
      expect(await runCli('list', wsUrl)).toEqual({ code: 1, out: '', err: 'the server refused the WebSocket upgrade: HTTP 401' })
    } finally {
      await guardedWs.close()
      await guarded.close()
    }
  })
})

describe('fp-jsonrpc list', () => {
  it('prints each method on one line, then the shared schemas', async () => {
    expect(await runCli('list', shop.url)).toEqual({ code: 0, out: handWrittenLines, err: '' })
  })

  it('works over ws:// too', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((done) => wss.once('listening', done))
    wss.on('connection', (socket) =>
      socket.on('message', (data) => {
        const id = (JSON.parse((data as Buffer).toString('utf8')) as { id: unknown }).id
        socket.send(JSON.stringify({ jsonrpc: '2.0', result: handWritten, id }))
      }),
    )
    try {
      const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`
      expect(await runCli('list', url)).toEqual({ code: 0, out: handWrittenLines, err: '' })
      expect(await runCli('discover', url)).toEqual({ code: 0, out: JSON.stringify(handWritten, null, 2), err: '' })
    } finally {
      await new Promise<void>((done) => wss.close(() => done()))
    }
  })

  it('says so when the server does not offer rpc.discover', async () => {
    expect(await runCli('list', plain.url)).toEqual({ code: 1, out: '', err: 'this server does not offer rpc.discover (it answered -32601 Method not found)' })
  })

  it('runs as a program', async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
      execFile(
        process.execPath,
        [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src', 'bin.ts'), 'list', shop.url],
        (error, stdout, stderr) => done({ code: error === null ? 0 : (error.code as number), stdout, stderr }),
      ),
    )
    expect(result).toEqual({ code: 0, stdout: `${handWrittenLines}\n`, stderr: '' })
    const missing = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
      execFile(
        process.execPath,
        [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src', 'bin.ts'), 'discover', plain.url],
        (error, stdout, stderr) => done({ code: error === null ? 0 : (error.code as number), stdout, stderr }),
      ),
    )
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'this server does not offer rpc.discover (it answered -32601 Method not found)\n' })
  })
})
