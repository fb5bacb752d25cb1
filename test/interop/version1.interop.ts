/**
 * JSON-RPC 1.0 against real peers, over HTTP on 127.0.0.1, both ways:
 * - jsonrpclib-pelix 0.4.2 (Debian's python3-jsonrpclib-pelix): its `ServerProxy(url, version=1.0)`
 *   (fixtures/jsonrpclib_client.py `--version-1`) calls fp-jsonrpc's `serve` with a dispatcher made
 *   with `version1: true`; fp-jsonrpc's client with `version: '1.0'` calls its `SimpleJSONRPCServer`
 *   configured with `version=1.0` (fixtures/jsonrpclib_server.py `--version-1`);
 * - jayson 5 (npm) with `version: 1`: its HTTP client calls `serve`, and fp-jsonrpc's 1.0 client
 *   calls its `server.http()`.
 *
 * What the peers do with 1.0, read from their source:
 * - jsonrpclib (jsonrpc.py, Payload): no `"jsonrpc"`, `params` always (`[]`, or an object for keyword
 *   arguments), `"id": null` for a notification; its client reads only `200` answers (a `204` raises
 *   TransportError) and an empty body as no answer; a non-null `error` raises ProtocolError((code,
 *   message)) for codes -32700..-32000 and AppError((code, message, data)) otherwise. Its server, in
 *   1.0, answers `{"result", "id", "error"}` with one of them null, and `200` with an empty body to a
 *   notification.
 * - jayson (lib/generateRequest.js, lib/utils.js, lib/server/index.js): its 1.0 client sends
 *   `{method, params, id}` (a uuid id, `null` for a notification) and reads any 2xx, an empty body as
 *   no answer; its 1.0 server takes only array params (an object is Invalid Request), refuses batches
 *   (Invalid Request, id null), answers `{id, error: null, result}` or `{id, error}` (no `result`
 *   member), and `204` to a notification.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import jayson from 'jayson'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client, Method, type Transport } from '../../src/index.js'
import { transport, type HttpError } from '../../src/fetch/index.js'
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
// jsonrpclib's ServerProxy(version=1.0) -> fp-jsonrpc's serve (version1: true)
// -------------------------------------------------------------------------------------

describe("jsonrpclib's ServerProxy(url, version=1.0) calling fp-jsonrpc's serve with version1: true", () => {
  const methods = Methods.makeMethods('fp-jsonrpc')
  let server: Server
  let received: Received

  beforeAll(async () => {
    ;({ server, received } = await serveRecording(methods.registry, { version1: true }))
  })
  afterAll(() => server.close())
  beforeEach(() => {
    received.bodies.length = 0
    methods.lines.length = 0
  })

  const run = (scenario: string) => runPython('jsonrpclib_client.py', [server.url, scenario, '--version-1'])

  it('a call sends 1.0 (no jsonrpc member, a uuid id, params an array) and gets its result', async () => {
    expect(await run('positional')).toEqual({ subtract: { result: 19 } })
    expect(parsedBodies(received)).toEqual([{ method: 'subtract', params: [42, 23], id: expect.stringMatching(UUID) }])
  })

  it('keyword arguments are sent as an object and read by name; no arguments as params []', async () => {
    expect(await run('named')).toEqual({ subtract: { result: 19 }, reordered: { result: 19 } })
    expect(await run('no-params')).toEqual({ whoami: { result: 'fp-jsonrpc' } })
    expect(parsedBodies(received)).toEqual([
      { method: 'subtract', params: { minuend: 42, subtrahend: 23 }, id: expect.stringMatching(UUID) },
      { method: 'subtract', params: { subtrahend: 23, minuend: 42 }, id: expect.stringMatching(UUID) },
      { method: 'whoami', params: [], id: expect.stringMatching(UUID) },
    ])
  })

  it('a notification ("id": null) is delivered and answered 200 with an empty body, and the proxy carries on', async () => {
    expect(await run('notify')).toEqual({
      notify: { result: null },
      next: { result: ['from jsonrpclib'] },
      logged: { result: ['from jsonrpclib'] },
    })
    expect(parsedBodies(received)[0]).toEqual({ method: 'log', params: { line: 'from jsonrpclib' }, id: null })
  })

  it('errors: reserved codes raise ProtocolError((code, message)), others AppError with the typed data, nothing of an exception', async () => {
    const out = await run('errors')
    expect(out).toEqual(JSONRPCLIB_ERRORS)
    expect(JSON.stringify(out)).not.toContain('hunter2')
  })

  it('a malformed 1.0 message is answered Invalid Request in 1.0 shape, which it raises as ProtocolError', async () => {
    expect(await run('malformed')).toEqual({
      'no-method': { raised: 'ProtocolError', code: -32600, message: 'Invalid Request' },
      'bad-params': { raised: 'ProtocolError', code: -32600, message: 'Invalid Request' },
      'bad-id': { raised: 'ProtocolError', code: -32600, message: 'Invalid Request' },
    })
  })
})

// -------------------------------------------------------------------------------------
// fp-jsonrpc's client (version: '1.0') -> jsonrpclib's SimpleJSONRPCServer (version=1.0)
// -------------------------------------------------------------------------------------

const Arrival = t.type({ args: t.array(t.unknown), kwargs: t.record(t.string, t.unknown) })
const DescribeByName = Method.make({ name: 'describe', params: t.type({ a: t.number, b: t.string }), result: Arrival })
const DescribeByPosition = Method.make({ name: 'describe', params: t.type({ a: t.number, b: t.string }), result: Arrival, sendParamsBy: 'position' })

describe("fp-jsonrpc's client with version: '1.0' calling jsonrpclib's SimpleJSONRPCServer configured with version=1.0", () => {
  let peer: ChildServer
  let client: Client.Client<HttpError>
  let answers: Array<string | undefined>

  beforeAll(async () => {
    peer = await startChildServer(PYTHON, [fixture('jsonrpclib_server.py'), '--content-type', 'application/json', '--version-1'])
    const wire = recordingAnswers(transport({ url: peer.url, timeoutMs: 10_000 }))
    answers = wire.answers
    client = Client.make(wire.recorded, { version: '1.0' })
  })
  afterAll(() => peer.stop())

  it('positional params are passed as arguments, named params as keyword arguments; no params as none', async () => {
    expect(await pipe(client, Client.call(Methods.SubtractByPosition, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(await pipe(client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(await pipe(client, Client.call(DescribeByPosition, { a: 1, b: 'x' }))()).toEqual(E.right({ args: [1, 'x'], kwargs: {} }))
    expect(await pipe(client, Client.call(DescribeByName, { a: 1, b: 'x' }))()).toEqual(E.right({ args: [], kwargs: { a: 1, b: 'x' } }))
    expect(await pipe(client, Client.call(Methods.Logged))()).toEqual(E.right([]))
  })

  it("its 1.0 error answers are the contract's typed application error, or RpcErrors", async () => {
    expect(await pipe(client, Client.call(Methods.Divide, { dividend: 1, divisor: 0 }))()).toEqual(
      E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 1 } } }),
    )
    expect(await pipe(client, Client.call(Methods.Divide, { dividend: 1, divisor: 4 }))()).toEqual(E.right(0.25))
    expect(await pipe(client, Client.call(Methods.Nope))()).toEqual(
      E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method nope not supported.' } }),
    )
    // What it sent: 1.0's shape, both members.
    expect(answers.slice(-3).map((a) => JSON.parse(a ?? 'null') as unknown)).toEqual([
      { result: null, id: expect.any(Number), error: { code: 1, message: 'Division by zero', data: { dividend: 1 } } },
      { result: 0.25, id: expect.any(Number), error: null },
      { result: null, id: expect.any(Number), error: { code: -32601, message: 'Method nope not supported.' } },
    ])
  })

  it('a notification ("id": null) is delivered; its 200 with an empty body is read as delivered', async () => {
    expect(await pipe(client, Client.notify(Methods.Log, { line: 'one' }))()).toEqual(E.right(undefined))
    expect(await pipe(client, Client.call(Methods.Logged))()).toEqual(E.right(['one']))
  })

  it('a batch of 1.0 messages is answered element by element (the server reads any array so)', async () => {
    expect(
      await pipe(
        client,
        Client.batch(
          Client.call(Methods.Subtract, { minuend: 5, subtrahend: 3 }),
          Client.notify(Methods.Log, { line: 'two' }),
          Client.call(Methods.Divide, { dividend: 7, divisor: 0 }),
        ),
      )(),
    ).toEqual(
      E.right([E.right(2), E.right(undefined), E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 7 } } })]),
    )
    expect(await pipe(client, Client.call(Methods.Logged))()).toEqual(E.right(['one', 'two']))
  })
})

// -------------------------------------------------------------------------------------
// jayson version 1, both ways
// -------------------------------------------------------------------------------------

type Callback = (error: unknown, response?: unknown) => void

/** `inner`, recording the text of each answer (its `send` only: the client then parses the text). */
const recordingAnswers = <E>(inner: Transport.Transport<E>) => {
  const answers: Array<string | undefined> = []
  const recorded: Transport.Transport<E> = {
    send: (body, expected) => async () => {
      const reply = await inner.send(body, expected)()
      if (E.isRight(reply)) answers.push(reply.right)
      return reply
    },
  }
  return { answers, recorded }
}

describe("jayson's HTTP client with version: 1 calling fp-jsonrpc's serve with version1: true", () => {
  const methods = Methods.makeMethods('fp-jsonrpc')
  let server: Server
  let received: Received
  let request: (method: string, params: unknown, id?: null) => Promise<unknown>

  beforeAll(async () => {
    ;({ server, received } = await serveRecording(methods.registry, { version1: true }))
    const client = jayson.Client.http({ host: '127.0.0.1', port: server.address.port, path: '/rpc', version: 1 })
    request = (method, params, id) =>
      new Promise((resolve, reject) => {
        const done: Callback = (error, response) =>
          error === null || error === undefined ? resolve(response) : reject(new Error('jayson failed', { cause: error }))
        if (id === null) client.request(method, params as jayson.RequestParamsLike, null as unknown as jayson.JSONRPCIDLike, done)
        else client.request(method, params as jayson.RequestParamsLike, done)
      })
  })
  afterAll(() => server.close())
  beforeEach(() => {
    received.bodies.length = 0
    methods.lines.length = 0
  })

  it('a call is sent in 1.0 (no jsonrpc member) and answered in 1.0 shape, under its id', async () => {
    const answer = await request('subtract', [42, 23])
    const [sent] = parsedBodies(received) as ReadonlyArray<{ readonly id: string }>
    expect(sent).toEqual({ method: 'subtract', params: [42, 23], id: expect.stringMatching(UUID) })
    expect(answer).toEqual({ result: 19, error: null, id: sent?.id })
  })

  it('errors carry result null and the error object', async () => {
    expect(await request('divide', [1, 0])).toEqual({
      result: null,
      error: { code: 1, message: 'Division by zero', data: { dividend: 1 } },
      id: expect.any(String),
    })
    expect(await request('nope', [])).toEqual({ result: null, error: { code: -32601, message: 'Method not found' }, id: expect.any(String) })
  })

  it('a notification (id null) is delivered; the 200 with an empty body resolves with nothing', async () => {
    expect(await request('log', ['from jayson'], null)).toBeUndefined()
    expect(parsedBodies(received)).toEqual([{ method: 'log', params: ['from jayson'], id: null }])
    expect(methods.lines).toEqual(['from jayson'])
  })
})

describe("fp-jsonrpc's client with version: '1.0' calling jayson's server.http() with version: 1", () => {
  const lines: Array<string> = []
  let peer: ReturnType<jayson.Server['http']>
  let client: Client.Client<HttpError>
  let answers: Array<string | undefined>
  type Params = jayson.RequestParamsLike
  type Plain = jayson.JSONRPCCallbackTypePlain

  beforeAll(async () => {
    const server = new jayson.Server(
      {
        subtract: (params: Params, callback: Plain) => {
          const [minuend, subtrahend] = params as [number, number]
          callback(null, minuend - subtrahend)
        },
        whoami: (_params: Params, callback: Plain) => callback(null, 'jayson'),
        divide: (params: Params, callback: Plain) => {
          const [dividend, divisor] = params as [number, number]
          if (divisor === 0) callback({ code: 1, message: 'Division by zero', data: { dividend } })
          else callback(null, dividend / divisor)
        },
        log: (params: Params, callback: Plain) => {
          lines.push((params as [string])[0])
          callback(null, null)
        },
        logged: (_params: Params, callback: Plain) => callback(null, [...lines]),
      },
      { version: 1 },
    )
    peer = server.http()
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve))
    const wire = recordingAnswers(transport({ url: `http://127.0.0.1:${(peer.address() as AddressInfo).port}/`, timeoutMs: 10_000 }))
    answers = wire.answers
    client = Client.make(wire.recorded, { version: '1.0' })
  })
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        peer.close(() => resolve())
        peer.closeAllConnections()
      }),
  )

  const LogByPosition = Method.make({ name: 'log', params: t.type({ line: t.string }), sendParamsBy: 'position' })
  const DivideByPosition = Method.make({
    name: 'divide',
    params: t.type({ dividend: t.number, divisor: t.number }),
    result: t.number,
    error: Methods.DivisionByZero,
    sendParamsBy: 'position',
  })

  it('calls by position, and without params (sent as params [], which its 1.0 server requires)', async () => {
    expect(await pipe(client, Client.call(Methods.SubtractByPosition, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(await pipe(client, Client.call(Methods.Whoami))()).toEqual(E.right('jayson'))
  })

  it("its error answer without a result member is read: the contract's typed error; params by name are its Invalid Request", async () => {
    expect(await pipe(client, Client.call(DivideByPosition, { dividend: 1, divisor: 0 }))()).toEqual(
      E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 1 } } }),
    )
    expect(await pipe(client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(
      E.left({ _tag: 'RpcError', error: { code: -32600, message: 'Invalid request' } }),
    )
    // What it sent: an error without a result member (its own Invalid Request with id null).
    expect(answers.slice(-2).map((a) => JSON.parse(a ?? 'null') as unknown)).toEqual([
      { id: expect.any(Number), error: { code: 1, message: 'Division by zero', data: { dividend: 1 } } },
      { id: null, error: { code: -32600, message: 'Invalid request' } },
    ])
  })

  it('a notification ("id": null) is delivered; its 204 is read as delivered', async () => {
    expect(await pipe(client, Client.notify(LogByPosition, { line: 'one' }))()).toEqual(E.right(undefined))
    expect(await pipe(client, Client.call(Methods.Logged))()).toEqual(E.right(['one']))
  })

  it('it refuses batches in 1.0: its one Invalid Request (id null) answers every call of the batch', async () => {
    const results = await pipe(client, Client.batch(Client.call(Methods.Whoami), Client.call(Methods.SubtractByPosition, { minuend: 2, subtrahend: 1 })))()
    const refused = E.left({ _tag: 'RpcError', error: { code: -32600, message: 'Invalid request' } })
    expect(results).toEqual(E.right([refused, refused]))
  })
})
