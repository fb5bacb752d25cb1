/**
 * fp-jsonrpc and jayson 5 (npm) over HTTP on 127.0.0.1, both ways:
 * - jayson's HTTP client (`jayson/promise`'s `Client.http`) calls fp-jsonrpc's `serve`;
 * - fp-jsonrpc's typed client with the fetch transport calls jayson's `server.http()`.
 *
 * What jayson does on the wire, read from its source (lib/client/http.js, lib/utils.js,
 * lib/server/index.js): its client sends `Content-Type: application/json; charset=utf-8`, ids made
 * by `crypto.randomUUID()`, and omits the id of a notification; it reads any 2xx, an empty body as
 * no answer. Its server takes a content type matching /application\/json/i, gives the params to a
 * handler as they came (array or object), answers `application/json; charset=utf-8`, and `204` when
 * there is nothing to answer (a notification, a batch of notifications only).
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import jayson from 'jayson'
import jaysonPromise from 'jayson/promise/index.js'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client } from '../../src/index.js'
import { transport, type HttpError } from '../../src/fetch/index.js'
import type { Server } from '../../src/http/index.js'
import * as Methods from './fixtures/methods.js'
import { parsedBodies, type Received, serveRecording, UUID } from './helpers.js'
import { notificationsAndBatches } from './client-cases.js'

// -------------------------------------------------------------------------------------
// jayson's client -> fp-jsonrpc's server
// -------------------------------------------------------------------------------------

/**
 * The id that makes jayson's client send a notification: `null`, as its documentation says
 * (lib/client/index.js); `jayson/promise`'s types leave `null` out.
 */
const NOTIFICATION = null as unknown as jayson.JSONRPCIDLike

describe("jayson's HTTP client calling fp-jsonrpc's serve", () => {
  const methods = Methods.makeMethods('fp-jsonrpc')
  let server: Server
  let received: Received
  let client: jaysonPromise.HttpClient

  beforeAll(async () => {
    ;({ server, received } = await serveRecording(methods.registry))
    client = jaysonPromise.Client.http({ host: '127.0.0.1', port: server.address.port, path: '/rpc' })
  })
  afterAll(() => server.close())
  beforeEach(() => {
    received.bodies.length = 0
    received.headers.length = 0
    methods.lines.length = 0
  })

  it('a call by position and by name gets its result, under the id jayson made', async () => {
    expect(await client.request('subtract', [42, 23])).toEqual({ jsonrpc: '2.0', result: 19, id: expect.stringMatching(UUID) })
    expect(await client.request('subtract', { subtrahend: 23, minuend: 42 })).toEqual({ jsonrpc: '2.0', result: 19, id: expect.stringMatching(UUID) })
    expect(parsedBodies(received)).toEqual([
      { jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: expect.stringMatching(UUID) },
      { jsonrpc: '2.0', method: 'subtract', params: { subtrahend: 23, minuend: 42 }, id: expect.stringMatching(UUID) },
    ])
    expect(received.headers[0]).toEqual({ contentType: 'application/json; charset=utf-8', userAgent: 'jayson-5.0.0' })
  })

  it('carries non-ASCII text both ways', async () => {
    expect(await client.request('echo', { text: 'é€😀\n"' })).toMatchObject({ result: 'é€😀\n"' })
  })

  it('a notification (id null, which jayson leaves out) is delivered and answered 204, which jayson resolves with nothing', async () => {
    expect(await client.request('log', { line: 'from jayson' }, NOTIFICATION)).toBeUndefined()
    expect(parsedBodies(received)).toEqual([{ jsonrpc: '2.0', method: 'log', params: { line: 'from jayson' } }])
    expect(methods.lines).toEqual(['from jayson'])
  })

  it('a batch gets one answer per call, notifications left out', async () => {
    const answers = await client.request([
      client.request('subtract', [42, 23], undefined, false),
      client.request('log', { line: 'in a batch' }, NOTIFICATION, false),
      client.request('divide', { dividend: 1, divisor: 0 }, undefined, false),
      client.request('nope', [], undefined, false),
    ])
    const sent = parsedBodies(received)[0] as ReadonlyArray<{ readonly id?: string }>
    expect(sent).toEqual([
      { jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: expect.stringMatching(UUID) },
      { jsonrpc: '2.0', method: 'log', params: { line: 'in a batch' } },
      { jsonrpc: '2.0', method: 'divide', params: { dividend: 1, divisor: 0 }, id: expect.stringMatching(UUID) },
      { jsonrpc: '2.0', method: 'nope', params: [], id: expect.stringMatching(UUID) },
    ])
    expect(answers).toEqual([
      { jsonrpc: '2.0', result: 19, id: sent[0]?.id },
      { jsonrpc: '2.0', error: { code: 1, message: 'Division by zero', data: { dividend: 1 } }, id: sent[2]?.id },
      { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: sent[3]?.id },
    ])
    expect(methods.lines).toEqual(['in a batch'])
  })

  it('a batch of notifications only is answered 204, which jayson resolves with nothing', async () => {
    expect(
      await client.request([client.request('log', { line: 'a' }, NOTIFICATION, false), client.request('log', { line: 'b' }, NOTIFICATION, false)]),
    ).toBeUndefined()
    expect(methods.lines).toEqual(['a', 'b'])
  })

  it('errors arrive as the error member: typed data, reserved codes, Invalid params with its report, nothing of an exception', async () => {
    expect(await client.request('divide', { dividend: 1, divisor: 0 })).toMatchObject({
      error: { code: 1, message: 'Division by zero', data: { dividend: 1 } },
    })
    expect(await client.request('refuse', [])).toMatchObject({ error: { code: -32000, message: 'Refused' } })
    expect(await client.request('nope', [])).toMatchObject({ error: { code: -32601, message: 'Method not found' } })
    expect(await client.request('subtract', ['a', 'b'])).toMatchObject({
      error: { code: -32602, message: 'Invalid params', data: ['params.0: expected number, got "a"', 'params.1: expected number, got "b"'] },
    })
    const boom = await client.request('boom', [])
    expect(boom).toMatchObject({ error: { code: -32603, message: 'Internal error' } })
    expect(JSON.stringify(boom)).not.toContain('hunter2')
  })
})

// -------------------------------------------------------------------------------------
// fp-jsonrpc's client -> jayson's server
// -------------------------------------------------------------------------------------

type Params = jayson.RequestParamsLike
type Callback = jayson.JSONRPCCallbackTypePlain

/** `[a, b]` or `{ [first]: a, [second]: b }`: jayson hands a handler the params as they came. */
const pair = (params: Params, first: string, second: string): [unknown, unknown] =>
  Array.isArray(params) ? [params[0], params[1]] : [(params as Record<string, unknown>)[first], (params as Record<string, unknown>)[second]]

describe("fp-jsonrpc's client calling jayson's server.http()", () => {
  const lines: Array<string> = []
  let peer: ReturnType<jayson.Server['http']>
  let client: Client.Client<HttpError>

  beforeAll(async () => {
    const server = new jayson.Server({
      subtract: (params: Params, callback: Callback) => {
        const [minuend, subtrahend] = pair(params, 'minuend', 'subtrahend') as [number, number]
        callback(null, minuend - subtrahend)
      },
      echo: (params: Params, callback: Callback) => callback(null, (params as { text: string }).text),
      whoami: (_params: Params, callback: Callback) => callback(null, 'jayson'),
      divide: (params: Params, callback: Callback) => {
        const [dividend, divisor] = pair(params, 'dividend', 'divisor') as [number, number]
        if (divisor === 0) callback({ code: 1, message: 'Division by zero', data: { dividend } })
        else callback(null, dividend / divisor)
      },
      log: (params: Params, callback: Callback) => {
        lines.push((params as { line: string }).line)
        callback(null, null)
      },
      logged: (_params: Params, callback: Callback) => callback(null, [...lines]),
    })
    peer = server.http()
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve))
    client = Client.make(transport({ url: `http://127.0.0.1:${(peer.address() as AddressInfo).port}/`, timeoutMs: 10_000 }))
  })
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        peer.close(() => resolve())
        peer.closeAllConnections()
      }),
  )
  beforeEach(() => {
    lines.length = 0
  })

  it('calls by name and by position', async () => {
    expect(await pipe(client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(await pipe(client, Client.call(Methods.SubtractByPosition, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(await pipe(client, Client.call(Methods.Whoami))()).toEqual(E.right('jayson'))
    expect(await pipe(client, Client.call(Methods.Echo, { text: 'é€😀\n"' }))()).toEqual(E.right('é€😀\n"'))
  })

  it("an error with data is the contract's typed application error; an unknown method is -32601", async () => {
    expect(await pipe(client, Client.call(Methods.Divide, { dividend: 1, divisor: 0 }))()).toEqual(
      E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 1 } } }),
    )
    expect(await pipe(client, Client.call(Methods.Nope))()).toEqual(E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method not found' } }))
  })

  notificationsAndBatches(() => ({ client, lines }))
})
