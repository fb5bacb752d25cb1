/**
 * fp-jsonrpc and json-rpc-2.0 1.8 (npm) over HTTP on 127.0.0.1, both ways. json-rpc-2.0 has no HTTP
 * code of its own: its README shows the transport a user writes, and these tests write just that.
 * - its `JSONRPCClient`, sending with `fetch` as its README does (read the body of a 200 and hand it
 *   to `client.receive`; anything else rejects a call and is ignored for a notification), calls
 *   fp-jsonrpc's `serve`;
 * - fp-jsonrpc's typed client with the fetch transport calls its `JSONRPCServer` behind node:http,
 *   answering as its README does (`200` with the JSON response, `204` when there is none).
 *
 * What json-rpc-2.0 does, read from its source (dist/client.js, dist/server.js): the client numbers
 * its requests 1, 2, 3, ...; `request` resolves with the result or rejects with a
 * JSONRPCErrorException (code, message, data); `notify` sends and returns nothing; `requestAdvanced`
 * takes an array, a batch. The server hands a method the params as they came; a thrown
 * JSONRPCErrorException answers its code, message and data, any other exception code 0 with the
 * exception's message.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCRequest, JSONRPCServer } from 'json-rpc-2.0'
import { createServer, type Server as NodeServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client } from '../../src/index.js'
import { transport, type HttpError } from '../../src/fetch/index.js'
import type { Server } from '../../src/http/index.js'
import * as Methods from './fixtures/methods.js'
import { eventually, parsedBodies, type Received, serveRecording } from './helpers.js'
import { notificationsAndBatches } from './client-cases.js'

// -------------------------------------------------------------------------------------
// json-rpc-2.0's client -> fp-jsonrpc's server
// -------------------------------------------------------------------------------------

/** How a rejected call settles, as plain data. */
const rejection = (p: PromiseLike<unknown>): Promise<unknown> =>
  Promise.resolve(p).then(
    (value) => ({ resolved: value }),
    (e: unknown) => (e instanceof JSONRPCErrorException ? { code: e.code, message: e.message, data: e.data } : { other: String(e) }),
  )

describe("json-rpc-2.0's JSONRPCClient calling fp-jsonrpc's serve", () => {
  const methods = Methods.makeMethods('fp-jsonrpc')
  let server: Server
  let received: Received
  let client: JSONRPCClient
  const statuses: Array<number> = []

  beforeAll(async () => {
    ;({ server, received } = await serveRecording(methods.registry))
    // The send function of json-rpc-2.0's README.
    client = new JSONRPCClient((request: JSONRPCRequest | ReadonlyArray<JSONRPCRequest>) =>
      fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) }).then((response) => {
        statuses.push(response.status)
        if (response.status === 200) return response.json().then((answer) => client.receive(answer))
        if (!Array.isArray(request) && (request as JSONRPCRequest).id !== undefined) return Promise.reject(new Error(response.statusText))
        return undefined
      }),
    )
  })
  afterAll(() => server.close())
  beforeEach(() => {
    received.bodies.length = 0
    received.headers.length = 0
    methods.lines.length = 0
    statuses.length = 0
  })

  it('calls by position and by name resolve with the result; ids are 1, 2, ...', async () => {
    expect(await client.request('subtract', [42, 23])).toBe(19)
    expect(await client.request('subtract', { minuend: 42, subtrahend: 23 })).toBe(19)
    expect(await client.request('whoami', undefined)).toBe('fp-jsonrpc')
    expect(parsedBodies(received)).toEqual([
      { jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: 1 },
      { jsonrpc: '2.0', method: 'subtract', params: { minuend: 42, subtrahend: 23 }, id: 2 },
      { jsonrpc: '2.0', method: 'whoami', id: 3 },
    ])
  })

  it('carries non-ASCII text both ways', async () => {
    expect(await client.request('echo', { text: 'é€😀\n"' })).toBe('é€😀\n"')
  })

  it('a notification is delivered and answered 204', async () => {
    client.notify('log', { line: 'from json-rpc-2.0' })
    await eventually(() => statuses.length === 1)
    expect(statuses).toEqual([204])
    expect(parsedBodies(received)).toEqual([{ jsonrpc: '2.0', method: 'log', params: { line: 'from json-rpc-2.0' } }])
    expect(methods.lines).toEqual(['from json-rpc-2.0'])
  })

  it('a batch (requestAdvanced with an array) gets one response per call, in order', async () => {
    const responses = await client.requestAdvanced([
      { jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: 'a' },
      { jsonrpc: '2.0', method: 'log', params: { line: 'in a batch' } },
      { jsonrpc: '2.0', method: 'divide', params: { dividend: 1, divisor: 0 }, id: 'b' },
      { jsonrpc: '2.0', method: 'nope', id: 'c' },
    ])
    expect(responses).toEqual([
      { jsonrpc: '2.0', result: 19, id: 'a' },
      { jsonrpc: '2.0', error: { code: 1, message: 'Division by zero', data: { dividend: 1 } }, id: 'b' },
      { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 'c' },
    ])
    expect(methods.lines).toEqual(['in a batch'])
  })

  it('a batch of notifications only is answered 204, and resolves with no responses', async () => {
    expect(
      await client.requestAdvanced([
        { jsonrpc: '2.0', method: 'log', params: { line: 'a' } },
        { jsonrpc: '2.0', method: 'log', params: { line: 'b' } },
      ]),
    ).toEqual([])
    expect(statuses).toEqual([204])
    expect(methods.lines).toEqual(['a', 'b'])
  })

  it('errors reject with a JSONRPCErrorException: typed data, reserved codes, Invalid params with its report, nothing of an exception', async () => {
    expect(await rejection(client.request('divide', { dividend: 1, divisor: 0 }))).toEqual({ code: 1, message: 'Division by zero', data: { dividend: 1 } })
    expect(await rejection(client.request('refuse', undefined))).toEqual({ code: -32000, message: 'Refused', data: undefined })
    expect(await rejection(client.request('nope', undefined))).toEqual({ code: -32601, message: 'Method not found', data: undefined })
    expect(await rejection(client.request('subtract', { minuend: 'x', subtrahend: 1 }))).toEqual({
      code: -32602,
      message: 'Invalid params',
      data: ['params.minuend: expected number, got "x"'],
    })
    const boom = await rejection(client.request('boom', undefined))
    expect(boom).toEqual({ code: -32603, message: 'Internal error', data: undefined })
  })
})

// -------------------------------------------------------------------------------------
// fp-jsonrpc's client -> json-rpc-2.0's server
// -------------------------------------------------------------------------------------

/** `[a, b]` or `{ [first]: a, [second]: b }`: json-rpc-2.0 hands a method the params as they came. */
const pair = (params: unknown, first: string, second: string): [unknown, unknown] =>
  Array.isArray(params) ? [params[0], params[1]] : [(params as Record<string, unknown>)[first], (params as Record<string, unknown>)[second]]

describe("fp-jsonrpc's client calling json-rpc-2.0's JSONRPCServer behind node:http", () => {
  const lines: Array<string> = []
  let peer: NodeServer
  let client: Client.Client<HttpError>

  beforeAll(async () => {
    const rpc = new JSONRPCServer({ errorListener: () => undefined })
    rpc.addMethod('subtract', (params) => {
      const [minuend, subtrahend] = pair(params, 'minuend', 'subtrahend') as [number, number]
      return minuend - subtrahend
    })
    rpc.addMethod('echo', (params) => (params as { text: string }).text)
    rpc.addMethod('whoami', () => 'json-rpc-2.0')
    rpc.addMethod('divide', (params) => {
      const [dividend, divisor] = pair(params, 'dividend', 'divisor') as [number, number]
      if (divisor === 0) throw new JSONRPCErrorException('Division by zero', 1, { dividend })
      return dividend / divisor
    })
    rpc.addMethod('log', (params) => {
      lines.push((params as { line: string }).line)
      return null
    })
    rpc.addMethod('logged', () => [...lines])
    rpc.addMethod('boom', () => {
      throw new Error('secret from json-rpc-2.0')
    })
    // The node:http adapter of json-rpc-2.0's README: 200 with the response, 204 without one.
    peer = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => {
        body += chunk
      })
      req.on('end', () => {
        void rpc.receiveJSON(body).then((answer) => {
          if (answer === null) {
            res.writeHead(204).end()
          } else {
            const text = JSON.stringify(answer)
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text)
          }
        })
      })
    })
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
    expect(await pipe(client, Client.call(Methods.Whoami))()).toEqual(E.right('json-rpc-2.0'))
    expect(await pipe(client, Client.call(Methods.Echo, { text: 'é€😀\n"' }))()).toEqual(E.right('é€😀\n"'))
  })

  it("a JSONRPCErrorException with data is the contract's typed application error; an unknown method is -32601", async () => {
    expect(await pipe(client, Client.call(Methods.Divide, { dividend: 1, divisor: 0 }))()).toEqual(
      E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 1 } } }),
    )
    expect(await pipe(client, Client.call(Methods.Nope))()).toEqual(E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method not found' } }))
  })

  it('any other exception is code 0 with its message, as json-rpc-2.0 answers it', async () => {
    expect(await pipe(client, Client.call(Methods.Boom))()).toEqual(E.left({ _tag: 'RpcError', error: { code: 0, message: 'secret from json-rpc-2.0' } }))
  })

  notificationsAndBatches(() => ({ client, lines }))
})
