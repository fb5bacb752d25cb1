/**
 * What tracing costs when it is not used, and the plumbing it rests on: the request headers handed
 * to handlers (`control.headers`) only under `requestHeaders`, and read only when a handler asks;
 * a message's own headers (`Expected.headers`) sent by the fetch transport. With the SDK, a context
 * manager and the W3C propagator registered and a span active, a client and a server without the
 * wrapper and the middleware make no span and send no trace header. And only the `fp-jsonrpc/otel`
 * entry point loads `@opentelemetry/api`.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import Fastify from 'fastify'
import Koa from 'koa'
import type { AddressInfo } from 'node:net'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { Client, Dispatch, type Handler, Method, Registry } from '../src/index.js'
import { handler as fetchHandler, transport as fetchTransport } from '../src/fetch/index.js'
import { serve } from '../src/http/index.js'
import * as FastifyRpc from '../src/fastify/index.js'
import * as KoaRpc from '../src/koa/index.js'
import { listen } from './fixtures/frameworkCases.js'
import { exporter, provider, register } from './fixtures/otel.js'

register()
const tracer = trace.getTracer('test')
afterAll(() => provider.shutdown())

const Seen = Method.make({ name: 'seen', result: t.unknown })
const Plain = Method.make({ name: 'plain', result: t.number })
const Where = Method.make({ name: 'where', result: t.unknown })
const seen: Array<Handler.RequestHeaders | undefined> = []
const registry = pipe(
  Registry.empty,
  Registry.add(Seen, (_p, _c, _r, control) => {
    seen.push(control.headers)
    return E.right(null)
  }),
  Registry.add(Plain, () => E.right(1)),
  Registry.add(Where, (_p, _c, _r, control) => E.right({ endpoint: control.endpoint?.url, host: control.headers?.['host'] })),
)

/** A raw server that records the headers of each request and answers `answer`. */
const recording = async (
  answer: string,
): Promise<{ readonly url: string; readonly heads: Array<IncomingHttpHeaders>; readonly close: () => Promise<void> }> => {
  const heads: Array<IncomingHttpHeaders> = []
  const server = createServer((req, res) => {
    heads.push(req.headers)
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, heads, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

describe('without the wrapper and the middleware', () => {
  it('a call under an active span sends no trace header, and no span is made but the caller’s', async () => {
    exporter.reset()
    const raw = await recording('{"jsonrpc":"2.0","result":1,"id":1}')
    const client = Client.make(fetchTransport({ url: raw.url }))
    const caller = tracer.startSpan('caller')
    expect(await context.with(trace.setSpan(ROOT_CONTEXT, caller), () => pipe(client, Client.call(Plain, undefined))())).toEqual(E.right(1))
    caller.end()
    await raw.close()
    expect(raw.heads).toHaveLength(1)
    expect(Object.keys(raw.heads[0] as object).filter((h) => h === 'traceparent' || h === 'tracestate')).toEqual([])
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['caller'])
  })

  it('a server without requestHeaders gives handlers no headers (control.headers is undefined), and makes no span', async () => {
    seen.length = 0
    exporter.reset()
    const started = await serve({ dispatcher: Dispatch.make(registry) })()
    if (E.isLeft(started)) throw new Error('serve failed')
    const client = Client.make(fetchTransport({ url: started.right.url, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }))
    await pipe(client, Client.call(Seen, undefined))()
    await started.right.close()
    expect(seen).toEqual([undefined])
    expect(exporter.getFinishedSpans()).toEqual([])
  })
})

describe('requestHeaders: the request headers, to handlers, read only when asked', () => {
  it('node:http: the headers as received, names in lower case', async () => {
    seen.length = 0
    const started = await serve({ dispatcher: Dispatch.make(registry), requestHeaders: true })()
    if (E.isLeft(started)) throw new Error('serve failed')
    const client = Client.make(fetchTransport({ url: started.right.url, headers: { 'X-Trace-Me': 'yes' } }))
    await pipe(client, Client.call(Seen, undefined))()
    await started.right.close()
    expect(seen).toHaveLength(1)
    expect(seen[0]?.['x-trace-me']).toBe('yes')
    expect(seen[0]?.['content-type']).toBe('application/json')
  })

  it('under a Host allowlist (serve on loopback sets one), handlers get both where the request was received and its headers', async () => {
    const started = await serve({ dispatcher: Dispatch.make(registry), path: '/rpc', requestHeaders: true })()
    if (E.isLeft(started)) throw new Error('serve failed')
    const url = started.right.url
    const answer = await pipe(Client.make(fetchTransport({ url })), Client.call(Where, undefined))()
    await started.right.close()
    expect(answer).toEqual(E.right({ endpoint: url, host: new URL(url).host }))
  })

  it('Koa, on a real server: the headers as received; none without the option', async () => {
    for (const requestHeaders of [true, false]) {
      seen.length = 0
      const app = new Koa().use(KoaRpc.middleware(Dispatch.make(registry), { requestHeaders }))
      const handle = app.callback()
      const running = await listen(createServer((req, res) => void handle(req, res)))
      await pipe(Client.make(fetchTransport({ url: running.origin, headers: { 'X-Trace-Me': 'koa' } })), Client.call(Seen, undefined))()
      await running.stop()
      expect(seen.map((h) => h?.['x-trace-me'])).toEqual([requestHeaders ? 'koa' : undefined])
    }
  })

  it('Fastify: the headers as received; none without the option', async () => {
    for (const requestHeaders of [true, false]) {
      seen.length = 0
      const app = Fastify()
      await app.register(FastifyRpc.plugin(Dispatch.make(registry), { requestHeaders }))
      const response = await app.inject({
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/json', 'x-trace-me': 'fastify' },
        payload: '{"jsonrpc":"2.0","method":"seen","id":1}',
      })
      await app.close()
      expect(response.statusCode).toBe(200)
      expect(seen.map((h) => h?.['x-trace-me'])).toEqual([requestHeaders ? 'fastify' : undefined])
    }
  })

  it('Fetch: headers are read from the Request only when a handler asks, and once for a whole batch', async () => {
    const rpc = fetchHandler(Dispatch.make(registry), { requestHeaders: true })
    const request = (body: string): { readonly request: Request; readonly reads: () => number } => {
      const r = new Request('http://127.0.0.1/', { method: 'POST', headers: { 'content-type': 'application/json', 'x-a': '1' }, body })
      const forEach = vi.spyOn(r.headers, 'forEach')
      return { request: r, reads: () => forEach.mock.calls.length }
    }
    const untouched = request('[{"jsonrpc":"2.0","method":"plain","id":1},{"jsonrpc":"2.0","method":"plain","id":2}]')
    await (await rpc(untouched.request)).text()
    expect(untouched.reads()).toBe(0)
    seen.length = 0
    const read = request('[{"jsonrpc":"2.0","method":"seen","id":1},{"jsonrpc":"2.0","method":"seen","id":2},{"jsonrpc":"2.0","method":"seen","id":3}]')
    await (await rpc(read.request)).text()
    expect(read.reads()).toBe(1)
    expect(seen.map((h) => h?.['x-a'])).toEqual(['1', '1', '1'])
  })
})

describe("a message's own headers (Expected.headers)", () => {
  it('the fetch transport sends them after its own, replacing one of the same name', async () => {
    const raw = await recording('{"jsonrpc":"2.0","result":1,"id":1}')
    const inner = fetchTransport({ url: raw.url, headers: { 'x-a': 'transport', 'x-b': 'transport' } })
    const answer = await inner.send('{"jsonrpc":"2.0","method":"plain","id":1}', { ids: [1], headers: { 'x-b': 'message', 'x-c': 'message' } })()
    await raw.close()
    expect(answer).toEqual(E.right('{"jsonrpc":"2.0","result":1,"id":1}'))
    expect(raw.heads[0]).toMatchObject({ 'x-a': 'transport', 'x-b': 'message', 'x-c': 'message', 'content-type': 'application/json' })
  })

  it('Retry keeps them on every attempt', async () => {
    const { Retry } = await import('../src/index.js')
    let attempts = 0
    const sent: Array<Readonly<Record<string, string>> | undefined> = []
    const flaky = Retry.transport<string>({ retryable: () => true, baseDelayMs: 1 })({
      send: (_body, expected) => {
        sent.push(expected.headers)
        return ++attempts < 3 ? TE.left('down') : TE.right(undefined)
      },
    })
    await flaky.send('{"jsonrpc":"2.0","method":"plain","id":1}', { ids: [1], idempotent: true, headers: { traceparent: 'x' } })()
    expect(sent).toEqual([{ traceparent: 'x' }, { traceparent: 'x' }, { traceparent: 'x' }])
  })
})

describe('only fp-jsonrpc/otel loads @opentelemetry/api', () => {
  const files = (dir: string): ReadonlyArray<string> =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
    })
  it('no module outside src/otel/ imports it, and src/otel/ imports only its types or the api', () => {
    const importing = files('src')
      .filter((file) => /from '@opentelemetry\//.test(readFileSync(file, 'utf8')))
      .map((file) => file.replace(/\\/g, '/'))
    expect(importing.length).toBeGreaterThan(0)
    for (const file of importing) expect(file.startsWith('src/otel/')).toBe(true)
    for (const file of importing)
      expect(readFileSync(file, 'utf8').match(/from '(@opentelemetry\/[^']+)'/g)).toEqual(expect.arrayContaining(["from '@opentelemetry/api'"]))
  })
})
