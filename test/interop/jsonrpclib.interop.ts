/**
 * fp-jsonrpc and jsonrpclib-pelix 0.4.2 (Debian's python3-jsonrpclib-pelix), over HTTP on
 * 127.0.0.1, both ways:
 * - its client (`ServerProxy`, `MultiCall`), run by fixtures/jsonrpclib_client.py, calls
 *   fp-jsonrpc's `serve`;
 * - fp-jsonrpc's typed client with the fetch transport calls its `SimpleJSONRPCServer`, run by
 *   fixtures/jsonrpclib_server.py.
 *
 * What the library does on the wire is described in the two fixtures. Two of its habits do not fit
 * fp-jsonrpc's HTTP rules, and the tests below pin what happens:
 * - its media type is `application/json-rpc`, both ways, which fp-jsonrpc takes (beside
 *   `application/json` and `application/*+json`) (most tests still configure `Config(content_type="application/json")`,
 *   and a server the same);
 * - its client reads only `200` answers, so the `204` fp-jsonrpc gives a message of notifications
 *   raises TransportError, and leaves the proxy's keep-alive connection unusable.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client, Method } from '../../src/index.js'
import { transport } from '../../src/fetch/index.js'
import type { Server } from '../../src/http/index.js'
import * as Methods from './fixtures/methods.js'
import {
  fixture,
  JSONRPCLIB_ERRORS,
  parsedBodies,
  PYTHON,
  type ChildServer,
  type Received,
  runPython,
  serveRecording,
  startChildServer,
  UUID,
} from './helpers.js'

// -------------------------------------------------------------------------------------
// jsonrpclib's client -> fp-jsonrpc's server
// -------------------------------------------------------------------------------------

describe("jsonrpclib's ServerProxy calling fp-jsonrpc's serve", () => {
  const methods = Methods.makeMethods('fp-jsonrpc')
  let server: Server
  let received: Received

  beforeAll(async () => {
    ;({ server, received } = await serveRecording(methods.registry))
  })
  afterAll(() => server.close())
  beforeEach(() => {
    received.bodies.length = 0
    received.headers.length = 0
    methods.lines.length = 0
  })

  const run = (scenario: string, ...flags: ReadonlyArray<string>) => runPython('jsonrpclib_client.py', [server.url, scenario, ...flags])

  describe('positional params', () => {
    it('sends the arguments as an array, with "jsonrpc": "2.0" and a uuid id, and gets the result', async () => {
      expect(await run('positional')).toEqual({ subtract: { result: 19 } })
      expect(parsedBodies(received)).toEqual([{ jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: expect.stringMatching(UUID) }])
      expect(received.headers).toEqual([{ contentType: 'application/json', userAgent: expect.stringMatching(/^jsonrpclib\/0\.4\.2 /) }])
    })
  })

  describe('named params (keyword arguments)', () => {
    it('sends the keyword arguments as an object, read by name whatever their order', async () => {
      expect(await run('named')).toEqual({ subtract: { result: 19 }, reordered: { result: 19 } })
      expect(parsedBodies(received)).toEqual([
        { jsonrpc: '2.0', method: 'subtract', params: { minuend: 42, subtrahend: 23 }, id: expect.stringMatching(UUID) },
        { jsonrpc: '2.0', method: 'subtract', params: { subtrahend: 23, minuend: 42 }, id: expect.stringMatching(UUID) },
      ])
    })

    it('leaves params out of a call without arguments', async () => {
      expect(await run('no-params')).toEqual({ whoami: { result: 'fp-jsonrpc' } })
      expect(parsedBodies(received)).toEqual([{ jsonrpc: '2.0', method: 'whoami', id: expect.stringMatching(UUID) }])
    })

    it('carries non-ASCII text, escaped as \\u sequences by Python, both ways', async () => {
      const text = 'héllo € 😀 "quoted"\n'
      expect(await run('unicode')).toEqual({ sent: text, echo: { result: text } })
      expect(received.bodies[0]).toContain('\\ud83d\\ude00')
    })
  })

  describe('a batch through MultiCall', () => {
    it('is one JSON array; the answers come back in order, the notification unanswered', async () => {
      expect(await run('multicall')).toEqual({
        count: 3,
        entries: [{ result: 19 }, { result: 2 }, { result: 'é' }],
        logged: { result: ['in a batch'] },
      })
      const [batch] = parsedBodies(received)
      expect(batch).toEqual([
        { jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: expect.stringMatching(UUID) },
        { jsonrpc: '2.0', method: 'log', params: { line: 'in a batch' } },
        { jsonrpc: '2.0', method: 'subtract', params: { minuend: 5, subtrahend: 3 }, id: expect.stringMatching(UUID) },
        { jsonrpc: '2.0', method: 'echo', params: { text: 'é' }, id: expect.stringMatching(UUID) },
      ])
    })

    it("raises each entry's error for that entry only", async () => {
      expect(await run('multicall-errors')).toEqual({
        count: 4,
        entries: [
          { result: 19 },
          { raised: 'AppError', code: 1, message: 'Division by zero', data: { dividend: 1 } },
          { raised: 'ProtocolError', code: -32601, message: 'Method not found' },
          { raised: 'ProtocolError', code: -32602, message: 'Invalid params' },
        ],
      })
    })

    it('of notifications only: the batch is delivered, but the 204 answer raises TransportError', async () => {
      expect(await run('multicall-notifications')).toEqual({
        batch: { raised: 'TransportError', status: 204, reason: 'No Content' },
        logged: { result: ['first', 'second'] },
      })
    })
  })

  describe('notifications (_notify), with notificationStatus: 200', () => {
    it('are delivered, and the proxy carries on: the answer is the 200 with an empty body it reads', async () => {
      const methods200 = Methods.makeMethods('fp-jsonrpc')
      const { server: server200 } = await serveRecording(methods200.registry, { notificationStatus: 200 })
      try {
        expect(await runPython('jsonrpclib_client.py', [server200.url, 'notify'])).toEqual({
          notify: { result: null },
          next: { result: ['from jsonrpclib'] },
          logged: { result: ['from jsonrpclib'] },
        })
      } finally {
        await server200.close()
      }
    })
  })

  describe('notifications (_notify)', () => {
    it("are delivered; the 204 answer raises TransportError and leaves the proxy's connection unusable", async () => {
      expect(await run('notify')).toEqual({
        notify: { raised: 'TransportError', status: 204, reason: 'No Content' },
        // jsonrpclib does not read a non-200 answer without Content-Length, so its next request on
        // that keep-alive connection finds the old answer still pending.
        next: { raised: 'ResponseNotReady', detail: 'Request-sent' },
        logged: { result: ['from jsonrpclib'] },
      })
      expect(parsedBodies(received)[0]).toEqual({ jsonrpc: '2.0', method: 'log', params: { line: 'from jsonrpclib' } })
      expect(methods.lines).toEqual(['from jsonrpclib'])
    })
  })

  describe('errors', () => {
    it('a reserved code raises ProtocolError((code, message)); any other raises AppError with the typed data', async () => {
      const out = await run('errors')
      expect(out).toEqual(JSONRPCLIB_ERRORS)
      expect(JSON.stringify(out)).not.toContain('hunter2')
    })
  })

  describe("the library's default media type, application/json-rpc", () => {
    it('is taken: a stock ServerProxy calls our server as it is', async () => {
      expect(await run('positional', '--default-content-type')).toEqual({ subtract: { result: 19 } })
      expect(received.headers).toEqual([{ contentType: 'application/json-rpc', userAgent: expect.stringMatching(/^jsonrpclib\/0\.4\.2 /) }])
    })
  })
})

// -------------------------------------------------------------------------------------
// fp-jsonrpc's client -> jsonrpclib's server
// -------------------------------------------------------------------------------------

/** What the fixture's `describe(*args, **kwargs)` answers: how the params arrived. */
const Arrival = t.type({ args: t.array(t.unknown), kwargs: t.record(t.string, t.unknown) })
const DescribeByName = Method.make({ name: 'describe', params: t.type({ a: t.number, b: t.string }), result: Arrival })
const DescribeByPosition = Method.make({ name: 'describe', params: t.type({ a: t.number, b: t.string }), result: Arrival, sendParamsBy: 'position' })

describe("fp-jsonrpc's client calling jsonrpclib's SimpleJSONRPCServer", () => {
  describe('configured with Content-Type: application/json', () => {
    let peer: ChildServer
    let client: Client.Client<unknown>

    beforeAll(async () => {
      peer = await startChildServer(PYTHON, [fixture('jsonrpclib_server.py'), '--content-type', 'application/json'])
      client = Client.make(transport({ url: peer.url, timeoutMs: 10_000 }))
    })
    afterAll(() => peer.stop())

    it('positional params are passed as arguments, named params as keyword arguments', async () => {
      expect(await pipe(client, Client.call(Methods.SubtractByPosition, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
      expect(await pipe(client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
      expect(await pipe(client, Client.call(DescribeByPosition, { a: 1, b: 'x' }))()).toEqual(E.right({ args: [1, 'x'], kwargs: {} }))
      expect(await pipe(client, Client.call(DescribeByName, { a: 1, b: 'x' }))()).toEqual(E.right({ args: [], kwargs: { a: 1, b: 'x' } }))
    })

    it('carries non-ASCII text both ways', async () => {
      expect(await pipe(client, Client.call(Methods.Echo, { text: 'é€😀\n"' }))()).toEqual(E.right('é€😀\n"'))
    })

    it("a Fault with data is the contract's typed application error", async () => {
      expect(await pipe(client, Client.call(Methods.Divide, { dividend: 1, divisor: 0 }))()).toEqual(
        E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 1 } } }),
      )
      expect(await pipe(client, Client.call(Methods.Divide, { dividend: 1, divisor: 4 }))()).toEqual(E.right(0.25))
    })

    it('an unknown method, wrong arguments and an exception are RpcErrors with its own messages', async () => {
      expect(await pipe(client, Client.call(Methods.Nope))()).toEqual(
        E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method nope not supported.' } }),
      )
      const missing = await pipe(client, Client.call(Methods.Subtract, { minuend: 1 } as never))()
      expect(missing).toEqual(
        E.left({ _tag: 'RpcError', error: { code: -32602, message: expect.stringContaining("missing 1 required positional argument: 'subtrahend'") } }),
      )
      // SimpleJSONRPCServer puts the exception's text, with the file and line, in the message.
      const boom = await pipe(client, Client.call(Methods.Boom))()
      expect(boom).toEqual(E.left({ _tag: 'RpcError', error: { code: -32603, message: expect.stringContaining('ValueError: secret from python') } }))
    })

    it('a notification is answered 200 with an empty body, which the client takes as delivered', async () => {
      expect(await pipe(client, Client.notify(Methods.Log, { line: 'one' }))()).toEqual(E.right(undefined))
      expect(await pipe(client, Client.call(Methods.Logged))()).toEqual(E.right(['one']))
    })

    it('a batch is answered entry by entry, matched by id, notifications left out', async () => {
      const results = await pipe(
        client,
        Client.batch(
          Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }),
          Client.notify(Methods.Log, { line: 'two' }),
          Client.call(Methods.Divide, { dividend: 7, divisor: 0 }),
          Client.call(Methods.Nope),
          Client.call(Methods.Echo, { text: 'é' }),
        ),
      )()
      expect(results).toEqual(
        E.right([
          E.right(19),
          E.right(undefined),
          E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 7 } } }),
          E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method nope not supported.' } }),
          E.right('é'),
        ]),
      )
    })

    it('a batch of notifications only is delivered (200, empty body)', async () => {
      expect(await pipe(client, Client.batch(Client.notify(Methods.Log, { line: 'three' }), Client.notify(Methods.Log, { line: 'four' })))()).toEqual(
        E.right([E.right(undefined), E.right(undefined)]),
      )
      expect(await pipe(client, Client.call(Methods.Logged))()).toEqual(E.right(['one', 'two', 'three', 'four']))
    })
  })

  describe("with the library's default Content-Type, application/json-rpc", () => {
    let peer: ChildServer
    let client: Client.Client<unknown>

    beforeAll(async () => {
      peer = await startChildServer(PYTHON, [fixture('jsonrpclib_server.py')])
      client = Client.make(transport({ url: peer.url, timeoutMs: 10_000 }))
    })
    afterAll(() => peer.stop())

    it('the fetch transport reads its answers (application/json-rpc) as JSON', async () => {
      expect(await pipe(client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    })

    it('a notification, answered with an empty body, still goes through', async () => {
      expect(await pipe(client, Client.notify(Methods.Log, { line: 'five' }))()).toEqual(E.right(undefined))
    })
  })
})
