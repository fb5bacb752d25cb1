/**
 * fp-jsonrpc/otel: the tracing middleware and the tracing client transport, read from the SDK's
 * in-memory exporter. Calls go over a real HTTP server on 127.0.0.1 (`serve` with
 * `requestHeaders: true`) through the fetch transport, with the W3C trace context propagator and the
 * AsyncLocalStorage context manager registered as an application registers them.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as fc from 'fast-check'
import * as t from 'io-ts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client, Dispatch, InMemory, Method, Registry, RpcError } from '../src/index.js'
import { handler as fetchHandler, transport as fetchTransport } from '../src/fetch/index.js'
import { serve, type Server } from '../src/http/index.js'
import * as Otel from '../src/otel/index.js'
import { exporter, isChildOf, provider, register, spans } from './fixtures/otel.js'

register()
const tracer = trace.getTracer('test')

const Negative = RpcError.typed(7, t.type({ n: t.number }), 'Negative')
const Sum = Method.make({ name: 'sum', params: t.tuple([t.number, t.number]), result: t.number })
const Square = Method.make({ name: 'square', params: t.type({ n: t.number }), result: t.number, error: Negative })
const Boom = Method.make({ name: 'boom', result: t.number })
const Later = Method.make({ name: 'later', params: t.type({ ms: t.number }), result: t.number })
const Nested = Method.make({ name: 'nested', result: t.number })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const Hang = Method.make({ name: 'hang', result: t.number })

const SECRET = 'secret detail /etc/passwd at line 7'
const logged: Array<string> = []

const registry = pipe(
  Registry.empty,
  Registry.add(Sum, ([a, b]) => E.right(a + b)),
  Registry.add(Square, ({ n }) => (n < 0 ? E.left({ code: 7 as const, message: 'negative', data: { n } }) : E.right(n * n))),
  Registry.add(Boom, () => {
    throw new Error(SECRET)
  }),
  Registry.add(Later, ({ ms }) => TE.rightTask(() => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)))),
  // The handler's own span, started in the call's context: the server span's child.
  Registry.add(Nested, () => tracer.startActiveSpan('inner work', (span) => Promise.resolve().then(() => (span.end(), 1)))),
  Registry.add(Log, ({ line }) => {
    logged.push(line)
  }),
  Registry.add(Hang, () => new Promise<number>(() => undefined)),
  Registry.use(Otel.middleware()),
)

let server: Server
let client: Client.Client<unknown>
beforeAll(async () => {
  const started = await serve({ dispatcher: Dispatch.make(registry, { timeoutMs: 200 }), requestHeaders: true })()
  if (E.isLeft(started)) throw new Error('serve failed')
  server = started.right
  client = Client.make(pipe(fetchTransport({ url: server.url }), Otel.transport()))
})
afterAll(async () => {
  await server.close()
  await provider.shutdown()
})
beforeEach(() => exporter.reset())

const byKind = (all: ReadonlyArray<ReadableSpan>, kind: SpanKind): ReadonlyArray<ReadableSpan> => all.filter((s) => s.kind === kind)
const one = (all: ReadonlyArray<ReadableSpan>, kind: SpanKind): ReadableSpan => {
  const found = byKind(all, kind)
  expect(found).toHaveLength(1)
  return found[0]
}

describe('a call and its server span are one trace', () => {
  it('the server span is the child of the client span, which is the child of the span active at the call', async () => {
    const caller = tracer.startSpan('caller')
    const answer = await context.with(trace.setSpan(ROOT_CONTEXT, caller), () => pipe(client, Client.call(Sum, [19, 23]))())
    caller.end()
    expect(answer).toEqual(E.right(42))
    const all = await spans(3)
    const clientSpan = one(all, SpanKind.CLIENT)
    const serverSpan = one(all, SpanKind.SERVER)
    expect(isChildOf(clientSpan, caller)).toBe(true)
    expect(isChildOf(serverSpan, clientSpan)).toBe(true)
    expect(serverSpan.spanContext().traceId).toBe(caller.spanContext().traceId)
  })

  it('a call with no span active starts a trace: the client span is its root', async () => {
    await pipe(client, Client.call(Sum, [1, 2]))()
    const all = await spans(2)
    const clientSpan = one(all, SpanKind.CLIENT)
    expect(clientSpan.parentSpanContext).toBeUndefined()
    expect(isChildOf(one(all, SpanKind.SERVER), clientSpan)).toBe(true)
  })

  it("spans a handler starts are the server span's children (TaskEither and Promise handlers too)", async () => {
    expect(await pipe(client, Client.call(Nested, undefined))()).toEqual(E.right(1))
    const all = await spans(3)
    const inner = all.find((s) => s.name === 'inner work') as ReadableSpan
    expect(isChildOf(inner, one(all, SpanKind.SERVER))).toBe(true)
  })
})

describe('attributes, name, kind and status (semantic conventions v1.37.0)', () => {
  it('a success: the method as the name, rpc.system, rpc.method, the version and the id as a string; status unset', async () => {
    const ids = Client.make(pipe(fetchTransport({ url: server.url }), Otel.transport()), { ids: () => 'call-7' })
    await pipe(ids, Client.call(Sum, [1, 1]))()
    const all = await spans(2)
    const expected = { 'rpc.system': 'jsonrpc', 'rpc.method': 'sum', 'rpc.jsonrpc.version': '2.0', 'rpc.jsonrpc.request_id': 'call-7' }
    for (const span of [one(all, SpanKind.CLIENT), one(all, SpanKind.SERVER)]) {
      expect(span.name).toBe('sum')
      expect(span.attributes).toEqual(expected)
      expect(span.status).toEqual({ code: SpanStatusCode.UNSET })
      expect(span.events).toEqual([])
    }
  })

  it('a numeric id is its decimal text', async () => {
    const ids = Client.make(pipe(fetchTransport({ url: server.url }), Otel.transport()), { ids: () => 12 })
    await pipe(ids, Client.call(Sum, [1, 1]))()
    const all = await spans(2)
    expect(all.map((s) => s.attributes['rpc.jsonrpc.request_id'])).toEqual(['12', '12'])
  })
})

describe('errors', () => {
  it("a handler's error answer: its code and message on both spans, status ERROR with the message", async () => {
    const answer = await pipe(client, Client.call(Square, { n: -2 }))()
    expect(E.isLeft(answer)).toBe(true)
    const all = await spans(2)
    for (const span of all) {
      expect(span.attributes['rpc.jsonrpc.error_code']).toBe(7)
      expect(span.attributes['rpc.jsonrpc.error_message']).toBe('negative')
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'negative' })
    }
  })

  it('a handler that throws: -32603 Internal error on both spans, and nothing of the exception recorded', async () => {
    await pipe(client, Client.call(Boom, undefined))()
    const all = await spans(2)
    for (const span of all) {
      expect(span.attributes['rpc.jsonrpc.error_code']).toBe(-32603)
      expect(span.attributes['rpc.jsonrpc.error_message']).toBe('Internal error')
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Internal error' })
      expect(span.events).toEqual([])
      expect(JSON.stringify({ a: span.attributes, s: span.status, e: span.events })).not.toContain('secret')
    }
  })

  it('a method the server does not have: the client span has -32601; no handler ran, so no server span', async () => {
    const Missing = Method.make({ name: 'missing', result: t.number })
    await pipe(client, Client.call(Missing, undefined))()
    const all = await spans(1)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(exporter.getFinishedSpans()).toHaveLength(1)
    const span = one(all, SpanKind.CLIENT)
    expect(span.attributes['rpc.jsonrpc.error_code']).toBe(-32601)
    expect(span.status.code).toBe(SpanStatusCode.ERROR)
  })

  it('a call the dispatcher gives up (its timeout) ends its server span with status ERROR then', async () => {
    const answer = await pipe(client, Client.call(Hang, undefined))()
    expect(answer).toEqual(E.left({ _tag: 'RpcError', error: { code: -32003, message: 'Request timed out' } }))
    const all = await spans(2)
    expect(one(all, SpanKind.SERVER).status.code).toBe(SpanStatusCode.ERROR)
    expect(one(all, SpanKind.CLIENT).attributes['rpc.jsonrpc.error_code']).toBe(-32003)
  })
})

describe('a failing transport', () => {
  it('a refused connection: the client span has status ERROR and error.type NetworkError, and the error comes back as it was', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const refused = Client.make(pipe(fetchTransport({ url: `http://127.0.0.1:${port}/` }), Otel.transport()))
    const answer = await pipe(refused, Client.call(Sum, [1, 2]))()
    expect(answer).toMatchObject(E.left({ _tag: 'TransportError', error: { _tag: 'NetworkError' } }))
    const span = one(await spans(1), SpanKind.CLIENT)
    expect(span.attributes['error.type']).toBe('NetworkError')
    expect(span.attributes['rpc.jsonrpc.error_code']).toBeUndefined()
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'NetworkError' })
  })

  it('a timeout of the transport: error.type Timeout', async () => {
    const stalls = createServer(() => undefined)
    await new Promise<void>((resolve) => stalls.listen(0, '127.0.0.1', resolve))
    const port = (stalls.address() as AddressInfo).port
    const slow = Client.make(pipe(fetchTransport({ url: `http://127.0.0.1:${port}/`, timeoutMs: 50 }), Otel.transport()))
    await pipe(slow, Client.call(Sum, [1, 2]))()
    stalls.closeAllConnections()
    await new Promise((resolve) => stalls.close(resolve))
    const span = one(await spans(1), SpanKind.CLIENT)
    expect(span.attributes['error.type']).toBe('Timeout')
    expect(span.status.code).toBe(SpanStatusCode.ERROR)
  })
})

describe('JSON-RPC 1.0 (a client made with version 1.0, a server with version1)', () => {
  let server1: Server
  let client1: Client.Client<unknown>
  beforeAll(async () => {
    const started = await serve({ dispatcher: Dispatch.make(registry, { version1: true }), requestHeaders: true })()
    if (E.isLeft(started)) throw new Error('serve failed')
    server1 = started.right
    client1 = Client.make(pipe(fetchTransport({ url: server1.url }), Otel.transport()), { version: '1.0' })
  })
  afterAll(() => server1.close())

  it('a call: its spans carry its id and no version (1.0 has no jsonrpc member), one trace', async () => {
    expect(await pipe(client1, Client.call(Sum, [2, 3]))()).toEqual(E.right(5))
    const all = await spans(2)
    const clientSpan = one(all, SpanKind.CLIENT)
    const serverSpan = one(all, SpanKind.SERVER)
    expect(clientSpan.attributes).toEqual({ 'rpc.system': 'jsonrpc', 'rpc.method': 'sum', 'rpc.jsonrpc.request_id': '1' })
    expect(clientSpan.status.code).toBe(SpanStatusCode.UNSET)
    expect(isChildOf(serverSpan, clientSpan)).toBe(true)
  })

  it('a notification ("id": null) is no call awaiting an answer: no request id, no error on its span', async () => {
    expect(await pipe(client1, Client.notify(Log, { line: 'one-oh' }))()).toEqual(E.right(undefined))
    const all = await spans(2)
    const clientSpan = one(all, SpanKind.CLIENT)
    expect(clientSpan.attributes).toEqual({ 'rpc.system': 'jsonrpc', 'rpc.method': 'log' })
    expect(clientSpan.status.code).toBe(SpanStatusCode.UNSET)
    expect(isChildOf(one(all, SpanKind.SERVER), clientSpan)).toBe(true)
    expect(logged).toContain('one-oh')
  })

  it('an error answer in 1.0 shape sets the code on the client span', async () => {
    const answer = await pipe(client1, Client.call(Square, { n: -1 }))()
    expect(E.isLeft(answer)).toBe(true)
    const all = await spans(2)
    const clientSpan = one(all, SpanKind.CLIENT)
    expect(clientSpan.attributes['rpc.jsonrpc.error_code']).toBe(7)
    expect(clientSpan.status.code).toBe(SpanStatusCode.ERROR)
  })
})

describe('notifications and batches', () => {
  it('a notification: a CLIENT and a SERVER span without a request id, one trace', async () => {
    expect(await pipe(client, Client.notify(Log, { line: 'hello' }))()).toEqual(E.right(undefined))
    const all = await spans(2)
    const clientSpan = one(all, SpanKind.CLIENT)
    const serverSpan = one(all, SpanKind.SERVER)
    for (const span of all) {
      expect(span.name).toBe('log')
      expect(span.attributes).toEqual({ 'rpc.system': 'jsonrpc', 'rpc.method': 'log', 'rpc.jsonrpc.version': '2.0' })
    }
    expect(isChildOf(serverSpan, clientSpan)).toBe(true)
    expect(logged).toContain('hello')
  })

  it('a batch: one CLIENT and one SERVER span per element, all under one INTERNAL jsonrpc.batch span whose context was sent', async () => {
    const answer = await pipe(client, Client.batch(Client.call(Sum, [1, 2]), Client.call(Square, { n: -1 }), Client.notify(Log, { line: 'in a batch' })))()
    expect(E.isRight(answer)).toBe(true)
    const all = await spans(7)
    const batch = one(all, SpanKind.INTERNAL)
    expect(batch.name).toBe('jsonrpc.batch')
    expect(batch.attributes).toEqual({ 'rpc.system': 'jsonrpc' })
    const clients = byKind(all, SpanKind.CLIENT)
    const servers = byKind(all, SpanKind.SERVER)
    expect(clients.map((s) => s.name).sort()).toEqual(['log', 'square', 'sum'])
    expect(servers.map((s) => s.name).sort()).toEqual(['log', 'square', 'sum'])
    for (const span of [...clients, ...servers]) expect(isChildOf(span, batch)).toBe(true)
    // Each element's own outcome, on both sides.
    for (const side of [clients, servers]) {
      const square = side.find((s) => s.name === 'square') as ReadableSpan
      expect(square.attributes['rpc.jsonrpc.error_code']).toBe(7)
      expect((side.find((s) => s.name === 'sum') as ReadableSpan).status.code).toBe(SpanStatusCode.UNSET)
    }
  })
})

describe('a burst of 200 concurrent calls', () => {
  it('each call, made under its own active span, has its own client span and server span, parented right', async () => {
    const n = 200
    const callers = Array.from({ length: n }, (_, i) => tracer.startSpan(`caller ${i}`))
    const answers = await Promise.all(
      callers.map((caller, i) => context.with(trace.setSpan(ROOT_CONTEXT, caller), () => pipe(client, Client.call(Sum, [i, 1]))())),
    )
    for (const caller of callers) caller.end()
    expect(answers).toEqual(callers.map((_, i) => E.right(i + 1)))
    const all = await spans(3 * n)
    const clients = byKind(all, SpanKind.CLIENT)
    const servers = byKind(all, SpanKind.SERVER)
    expect(clients).toHaveLength(n)
    expect(servers).toHaveLength(n)
    const serverByParent = new Map(servers.map((s) => [s.parentSpanContext?.spanId, s]))
    for (const caller of callers) {
      const clientSpan = clients.find((s) => isChildOf(s, caller)) as ReadableSpan
      expect(clientSpan).toBeDefined()
      const serverSpan = serverByParent.get(clientSpan.spanContext().spanId) as ReadableSpan
      expect(serverSpan).toBeDefined()
      expect(serverSpan.spanContext().traceId).toBe(caller.spanContext().traceId)
      expect(serverSpan.attributes['rpc.jsonrpc.request_id']).toBe(clientSpan.attributes['rpc.jsonrpc.request_id'])
    }
    expect(new Set(servers.map((s) => s.spanContext().traceId)).size).toBe(n)
  })
})

describe('the Fetch handler gives the headers too', () => {
  it("a Request's traceparent is the server span's parent", async () => {
    const rpc = fetchHandler(Dispatch.make(registry), { requestHeaders: true })
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const response = await rpc(
      new Request('http://127.0.0.1/', {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent, tracestate: 'vendor=x' },
        body: '{"jsonrpc":"2.0","method":"sum","params":[2,3],"id":1}',
      }),
    )
    expect(await response.text()).toBe('{"jsonrpc":"2.0","result":5,"id":1}')
    const span = one(await spans(1), SpanKind.SERVER)
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c')
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331')
    expect(span.parentSpanContext?.isRemote).toBe(true)
    expect(span.spanContext().traceState?.serialize()).toBe('vendor=x')
  })
})

describe('a transport with sendParsed, and answers that are not what was asked', () => {
  it('the wrapper offers sendParsed too, the client uses it, and its value gives the error code', async () => {
    const calls: Array<string> = []
    const answer = '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized"},"id":1}'
    const parsedOnly = Otel.transport()({
      send: () => {
        calls.push('send')
        return TE.right(answer)
      },
      sendParsed: () => {
        calls.push('sendParsed')
        return TE.right({ text: answer, value: JSON.parse(answer) as unknown })
      },
    })
    expect(parsedOnly.sendParsed).toBeDefined()
    const result = await pipe(Client.make(parsedOnly), Client.call(Sum, [1, 2]))()
    expect(result).toEqual(E.left({ _tag: 'RpcError', error: { code: -32001, message: 'Unauthorized' } }))
    expect(calls).toEqual(['sendParsed'])
    const span = one(await spans(1), SpanKind.CLIENT)
    expect(span.attributes['rpc.jsonrpc.error_code']).toBe(-32001)
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Unauthorized' })
  })

  it('an answer without the call: its span has status ERROR', async () => {
    const other = Otel.transport()({ send: () => TE.right('{"jsonrpc":"2.0","result":3,"id":999}') })
    await pipe(Client.make(other), Client.call(Sum, [1, 2]))()
    const span = one(await spans(1), SpanKind.CLIENT)
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no response to this call' })
  })

  it('an answer that is not JSON: the call fails, and so does its span', async () => {
    const garbled = Otel.transport()({ send: () => TE.right('<html>') })
    const result = await pipe(Client.make(garbled), Client.call(Sum, [1, 2]))()
    expect(E.isLeft(result)).toBe(true)
    const span = one(await spans(1), SpanKind.CLIENT)
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'the answer is not JSON' })
  })
})

describe('the tracer option', () => {
  it("spans go to the tracer given, not the global provider's", async () => {
    const seen: Array<string> = []
    const own = {
      ...tracer,
      startSpan: (name: string, ...rest: Parameters<typeof tracer.startSpan> extends [unknown, ...infer R] ? R : never) => {
        seen.push(name)
        return tracer.startSpan(name, ...rest)
      },
    }
    const traced = Client.make(
      pipe(InMemory.fromDispatcher(Dispatch.make(pipe(registry, Registry.use(Otel.middleware({ tracer: own }))))), Otel.transport({ tracer: own })),
    )
    await pipe(traced, Client.call(Sum, [1, 2]))()
    // The registry's own middleware (global tracer) runs too: 4 spans, 2 of them through `own`.
    expect(seen).toEqual(['sum', 'sum'])
  })
})

// In memory, the server runs in the client's context: the server span is the client span's child
// without any header, and whatever the handler answers, both spans say what the response says.
describe('property: the spans agree with the response', () => {
  const Any = Method.make({ name: 'any', params: t.type({ k: t.number }), result: t.unknown })
  type Outcome =
    { readonly _tag: 'ok'; readonly value: number } | { readonly _tag: 'error'; readonly code: number; readonly message: string } | { readonly _tag: 'throw' }
  const outcome: fc.Arbitrary<Outcome> = fc.oneof(
    fc.record({ _tag: fc.constant('ok' as const), value: fc.integer() }),
    fc.record({ _tag: fc.constant('error' as const), code: fc.integer({ min: -32768, max: 32767 }), message: fc.string() }),
    fc.constant({ _tag: 'throw' as const }),
  )
  it('status, error code and message, on the client span and the server span', async () => {
    await fc.assert(
      fc.asyncProperty(outcome, fc.boolean(), async (o, async) => {
        exporter.reset()
        const answer = (): unknown => {
          if (o._tag === 'throw') throw new Error(SECRET)
          return o._tag === 'ok' ? E.right(o.value) : E.left(RpcError.make(o.code, o.message))
        }
        const dispatcher = Dispatch.make(
          pipe(
            Registry.empty,
            Registry.add(Any, () => (async ? Promise.resolve().then(answer) : answer()) as never),
            Registry.use(Otel.middleware()),
          ),
        )
        const inMemory = Client.make(pipe(InMemory.fromDispatcher(dispatcher), Otel.transport()))
        const result = await pipe(inMemory, Client.call(Any, { k: 1 }))()
        const all = await spans(2)
        const clientSpan = one(all, SpanKind.CLIENT)
        const serverSpan = one(all, SpanKind.SERVER)
        expect(isChildOf(serverSpan, clientSpan)).toBe(true)
        const error = E.isLeft(result) && result.left._tag === 'RpcError' ? result.left.error : undefined
        for (const span of all) {
          if (error === undefined) {
            expect(span.status.code).toBe(SpanStatusCode.UNSET)
            expect(span.attributes['rpc.jsonrpc.error_code']).toBeUndefined()
          } else {
            expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: error.message })
            expect(span.attributes['rpc.jsonrpc.error_code']).toBe(error.code)
            expect(span.attributes['rpc.jsonrpc.error_message']).toBe(error.message)
          }
        }
        expect(JSON.stringify(all.map((s) => [s.attributes, s.status, s.events]))).not.toContain('secret')
      }),
      { numRuns: 60 },
    )
  })

  it('the request id attribute is the id as a string, absent for a notification', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.constant(null)), fc.boolean(), (method, id, notification) => {
        const attributes = Otel.Conventions.requestAttributes(notification ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, id })
        expect(attributes['rpc.method']).toBe(method)
        expect(attributes['rpc.system']).toBe('jsonrpc')
        if (notification) expect('rpc.jsonrpc.request_id' in attributes).toBe(false)
        else expect(attributes['rpc.jsonrpc.request_id']).toBe(id === null ? '' : String(id))
      }),
    )
  })
})
