/**
 * fp-jsonrpc/otel over NATS: the trace context goes in the message's NATS headers (the NATS
 * transport sends `Expected.headers`), and the worker (`Nats.serve` with `requestHeaders: true`)
 * gives them to the middleware, so the worker's span is the client span's child. Against a real
 * nats-server on 127.0.0.1, with one connection for the client and one for the worker.
 */
import type { IncomingMessage } from 'node:http'
import type { NatsConnection } from '@nats-io/transport-node'
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client, Dispatch, type Handler, Method, Registry } from '../src/index.js'
import { transport as fetchTransport } from '../src/fetch/index.js'
import { serve } from '../src/http/index.js'
import * as Nats from '../src/nats/index.js'
import * as Otel from '../src/otel/index.js'
import * as NatsServer from './fixtures/natsServer.js'
import { exporter, isChildOf, provider, register, spans } from './fixtures/otel.js'

register()
const tracer = trace.getTracer('test')

const Sum = Method.make({ name: 'sum', params: t.tuple([t.number, t.number]), result: t.number })
const Seen = Method.make({ name: 'seen', result: t.unknown })
const seen: Array<Handler.RequestHeaders | undefined> = []
const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Sum, ([a, b]) => E.right(a + b)),
    Registry.add(Seen, (_p, _c, _r, control) => {
      seen.push(control.headers)
      return E.right(null)
    }),
    Registry.use(Otel.middleware()),
  ),
)

let server: NatsServer.NatsServer
let client: NatsConnection
let worker: NatsConnection
const connections = NatsServer.connections()
const stops: Array<() => Promise<void>> = []
beforeAll(async () => {
  server = await NatsServer.start()
  ;[client, worker] = await Promise.all([connections.open(server.url), connections.open(server.url)])
})
afterAll(async () => {
  for (const stop of stops) await stop()
  await connections.closeAll()
  await server.stop()
  await provider.shutdown()
})
beforeEach(() => exporter.reset())

const served = async (subject: string, requestHeaders: boolean): Promise<void> => {
  const started = await Nats.serve(worker, dispatcher, { subject, requestHeaders, closeConnection: false })()
  if (E.isLeft(started)) throw new Error('serve failed')
  stops.push(() => started.right.stop())
}

describe('over NATS', () => {
  it("the worker's span is the child of the client span, in the caller's trace", async () => {
    await served('rpc.otel.1', true)
    const rpc = Client.make(pipe(Nats.transport({ connection: client, subject: 'rpc.otel.1' }), Otel.transport()))
    const caller = tracer.startSpan('caller')
    expect(await context.with(trace.setSpan(ROOT_CONTEXT, caller), () => pipe(rpc, Client.call(Sum, [2, 3]))())).toEqual(E.right(5))
    caller.end()
    const all = await spans(3)
    const clientSpan = all.find((s) => s.kind === SpanKind.CLIENT) as ReadableSpan
    const serverSpan = all.find((s) => s.kind === SpanKind.SERVER) as ReadableSpan
    expect(isChildOf(clientSpan, caller)).toBe(true)
    expect(isChildOf(serverSpan, clientSpan)).toBe(true)
    expect(serverSpan.attributes).toEqual({ 'rpc.system': 'jsonrpc', 'rpc.method': 'sum', 'rpc.jsonrpc.version': '2.0', 'rpc.jsonrpc.request_id': '1' })
  })

  it("the message's headers reach handlers in lower case, the transport's and the message's own merged; without requestHeaders, none", async () => {
    await served('rpc.otel.2', true)
    await served('rpc.otel.3', false)
    seen.length = 0
    const inner = Nats.transport({ connection: client, subject: 'rpc.otel.2', headers: { 'X-A': 'transport', 'X-B': 'transport' } })
    await inner.send('{"jsonrpc":"2.0","method":"seen","id":1}', { ids: [1], headers: { 'X-B': 'message' } })()
    const without = Nats.transport({ connection: client, subject: 'rpc.otel.3', headers: { 'X-A': 'transport' } })
    await without.send('{"jsonrpc":"2.0","method":"seen","id":1}', { ids: [1] })()
    expect(seen).toEqual([{ 'x-a': 'transport', 'x-b': 'message' }, undefined])
  })

  it('a payload that is not UTF-8 is still answered Parse error under requestHeaders', async () => {
    await served('rpc.otel.4', true)
    const answer = await client.request('rpc.otel.4', new Uint8Array([0xff, 0xfe]), { timeout: 2000 })
    expect(answer.string()).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
  })
})

describe('through the NATS gateway', () => {
  it("an HTTP client's span, and the worker's span behind the gateway, are one trace: the edge forwards traceparent as a NATS header", async () => {
    await served('rpc.otel.5', true)
    const edgeConnection = await connections.open(server.url)
    const forwarded = Nats.headersFrom(['traceparent', 'tracestate'])
    const gateway = Nats.dispatcher<IncomingMessage>({ connection: edgeConnection, subject: 'rpc.otel.5', headers: forwarded })
    const edge = await serve({ dispatcher: gateway, context: (req) => req })()
    if (E.isLeft(edge)) throw new Error('could not listen')
    stops.push(() => edge.right.close())
    const rpc = Client.make(pipe(fetchTransport({ url: edge.right.url }), Otel.transport()))
    const caller = tracer.startSpan('caller')
    const answers = await context.with(trace.setSpan(ROOT_CONTEXT, caller), () =>
      Promise.all(Array.from({ length: 20 }, (_, i) => pipe(rpc, Client.call(Sum, [i, 1]))())),
    )
    caller.end()
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => E.right(i + 1)))
    const all = await spans(41)
    const clients = all.filter((s) => s.kind === SpanKind.CLIENT)
    const servers = all.filter((s) => s.kind === SpanKind.SERVER)
    expect([clients.length, servers.length]).toEqual([20, 20])
    // Each worker span is the child of the one client span whose call it ran (same request id).
    for (const serverSpan of servers) {
      const parent = clients.filter((c) => isChildOf(serverSpan, c))
      expect(parent).toHaveLength(1)
      expect(isChildOf(parent[0], caller)).toBe(true)
      expect(serverSpan.attributes['rpc.jsonrpc.request_id']).toBe(parent[0].attributes['rpc.jsonrpc.request_id'])
    }
  })
})
