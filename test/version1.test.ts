/**
 * JSON-RPC 1.0, opt-in: the dispatcher's `version1` option (what a 1.0 message gets, a malformed one,
 * a mixed batch; 2.0 messages answered exactly as without the option), HTTP's 200 with an empty body
 * for a 1.0 notification (the node listener and the Fetch handler, which share the one exchange),
 * and the client's `version: '1.0'` (what it writes, how it reads 1.0 answers). The real peers
 * (jsonrpclib-pelix, jayson) are in test/interop/version1.interop.ts.
 */
import { execFile } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, Dispatch, InMemory, Method, Registry, RpcError, type RpcRequest, type RpcResponse, type Transport } from '../src/index.js'
import { handler } from '../src/fetch/index.js'
import { serve, type Server } from '../src/http/index.js'
import * as KoaRpc from '../src/koa/index.js'
import * as FastifyRpc from '../src/fastify/index.js'
import Koa from 'koa'
import bodyParser from 'koa-bodyparser'
import Fastify from 'fastify'
import { createServer } from 'node:http'
import { listen } from './fixtures/frameworkCases.js'
import * as Ws from '../src/ws/index.js'
import { WebSocket, WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'

// -------------------------------------------------------------------------------------
// fixtures
// -------------------------------------------------------------------------------------

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const Sleep = Method.make({ name: 'sleep', params: t.type({ ms: t.number }), result: t.number })
const Whoami = Method.make({ name: 'whoami', result: t.string })
const Boom = Method.make({ name: 'boom', result: t.null })
const InsufficientFunds = RpcError.typed(1001, t.type({ balance: t.number }), 'InsufficientFunds')
const Withdraw = Method.make({ name: 'withdraw', params: t.type({ amount: t.number }), result: t.number, error: InsufficientFunds })

const makeServer = () => {
  const lines: Array<string> = []
  const requests: Array<RpcRequest.RpcRequest> = []
  const registry = pipe(
    Registry.empty,
    Registry.add(Subtract, (p, _c, request) => {
      requests.push(request)
      return E.right(p.minuend - p.subtrahend)
    }),
    Registry.add(Log, ({ line }, _c, request) => {
      requests.push(request)
      lines.push(line)
      return E.right(undefined)
    }),
    Registry.add(
      Sleep,
      ({ ms }) =>
        () =>
          new Promise<E.Either<never, number>>((resolve) => setTimeout(() => resolve(E.right(ms)), ms)),
    ),
    Registry.add(Whoami, () => E.right('fp-jsonrpc')),
    Registry.add(Boom, () => {
      throw new Error('secret: /srv/db.ts password=hunter2')
    }),
    Registry.add(Withdraw, ({ amount }) =>
      amount > 100 ? E.left({ code: 1001 as const, message: 'Insufficient funds', data: { balance: 100 } }) : E.right(100 - amount),
    ),
  )
  return { lines, requests, registry }
}

const both = () => {
  const server = makeServer()
  return { ...server, v1: Dispatch.make(server.registry, { version1: true }), v2: Dispatch.make(server.registry) }
}

// -------------------------------------------------------------------------------------
// the dispatcher
// -------------------------------------------------------------------------------------

describe('Dispatch.make(registry, { version1: true })', () => {
  describe('a 1.0 request (an id member, no jsonrpc member) is answered with result and error, one of them null', () => {
    it('params by position (an array), as the 1.0 specification has them', () => {
      const { v1 } = both()
      expect(v1.dispatch('{"method":"subtract","params":[42,23],"id":1}')).toBe('{"result":19,"error":null,"id":1}')
    })

    it('params by name (an object): jsonrpclib sends keyword arguments so', () => {
      const { v1 } = both()
      expect(v1.dispatch('{"method":"subtract","params":{"subtrahend":23,"minuend":42},"id":"a"}')).toBe('{"result":19,"error":null,"id":"a"}')
    })

    it('params [] (what jsonrpclib and jayson send for none), absent, or null are no params', () => {
      const { v1 } = both()
      expect(v1.dispatch('{"method":"whoami","params":[],"id":1}')).toBe('{"result":"fp-jsonrpc","error":null,"id":1}')
      expect(v1.dispatch('{"method":"whoami","id":2}')).toBe('{"result":"fp-jsonrpc","error":null,"id":2}')
      expect(v1.dispatch('{"method":"whoami","params":null,"id":3}')).toBe('{"result":"fp-jsonrpc","error":null,"id":3}')
    })

    it('"jsonrpc": "1.0" (as Bitcoin Core\'s examples send) is a 1.0 message too', () => {
      const { v1 } = both()
      expect(v1.dispatch('{"jsonrpc":"1.0","method":"subtract","params":[1,2],"id":"curltest"}')).toBe('{"result":-1,"error":null,"id":"curltest"}')
    })

    it('errors: result null, the error object as 2.0 writes it (typed data, nothing of an exception)', () => {
      const { v1 } = both()
      expect(v1.dispatch('{"method":"nope","params":[],"id":1}')).toBe('{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}')
      expect(v1.dispatch('{"method":"subtract","params":[1],"id":2}')).toBe(
        '{"result":null,"error":{"code":-32602,"message":"Invalid params","data":["params.1: expected number, got nothing"]},"id":2}',
      )
      expect(v1.dispatch('{"method":"withdraw","params":[500],"id":3}')).toBe(
        '{"result":null,"error":{"code":1001,"message":"Insufficient funds","data":{"balance":100}},"id":3}',
      )
      const boom = v1.dispatch('{"method":"boom","params":[],"id":4}')
      expect(boom).toBe('{"result":null,"error":{"code":-32603,"message":"Internal error"},"id":4}')
    })

    it('an asynchronous handler answers in 1.0 shape too', async () => {
      const { v1 } = both()
      const answer = v1.dispatch('{"method":"sleep","params":[5],"id":9}')
      expect(answer).toBeInstanceOf(Promise)
      expect(await answer).toBe('{"result":5,"error":null,"id":9}')
    })

    it('handlers, context and postProcess see the 2.0 request it stands for; only the written answer is 1.0', () => {
      const { registry } = makeServer()
      const seen: Array<unknown> = []
      const v1 = Dispatch.make(registry, {
        version1: true,
        context: (request: RpcRequest.RpcRequest) => {
          seen.push(request)
          return undefined
        },
        postProcess: (response: RpcResponse.RpcResponse) => {
          seen.push(response)
          return response
        },
      })
      expect(v1.dispatch('{"method":"subtract","params":[42,23],"id":1}', undefined)).toBe('{"result":19,"error":null,"id":1}')
      expect(seen).toEqual([
        { jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: 1 },
        { jsonrpc: '2.0', result: 19, id: 1 },
      ])
    })

    it('dispatchToSerializable and dispatchToResponse give the 2.0 model', () => {
      const { v1 } = both()
      expect(v1.dispatchToSerializable('{"method":"subtract","params":[42,23],"id":1}')).toEqual({ jsonrpc: '2.0', result: 19, id: 1 })
      expect(v1.dispatchToResponse('{"method":"subtract","params":[42,23],"id":1}')).toEqual(E.right({ jsonrpc: '2.0', result: 19, id: 1 }))
    })
  })

  describe('a 1.0 notification ("id": null)', () => {
    it('runs its handler, which sees a notification (no id member), and is answered with nothing', () => {
      const { v1, lines, requests } = both()
      expect(v1.dispatch('{"method":"log","params":["hi"],"id":null}')).toBeUndefined()
      expect(lines).toEqual(['hi'])
      expect(requests).toEqual([{ jsonrpc: '2.0', method: 'log', params: ['hi'] }])
    })

    it("its errors are answered with nothing, as a 2.0 notification's", () => {
      const { v1 } = both()
      expect(v1.dispatch('{"method":"nope","params":[],"id":null}')).toBeUndefined()
      expect(v1.dispatch('{"method":"boom","params":[],"id":null}')).toBeUndefined()
    })

    it("the version-aware entry points tell it apart: '' for a 1.0 notification, undefined for a 2.0 one", () => {
      const { v1 } = both()
      const aware = v1.versionAware
      expect(aware).toBeDefined()
      expect(aware?.dispatchWith('{"method":"log","params":["a"],"id":null}', undefined)).toBe('')
      expect(aware?.dispatchValueWith({ method: 'log', params: ['a'], id: null }, undefined)).toBe('')
      expect(aware?.dispatchWith('{"jsonrpc":"2.0","method":"log","params":["a"]}', undefined)).toBeUndefined()
      expect(aware?.dispatchWith('[{"method":"log","params":["a"],"id":null},{"jsonrpc":"2.0","method":"log","params":["b"]}]', undefined)).toBe('')
      expect(aware?.dispatchWith('[{"jsonrpc":"2.0","method":"log","params":["b"]}]', undefined)).toBeUndefined()
      expect(aware?.dispatchWith('{"method":"subtract","params":[2,1],"id":1}', undefined)).toBe('{"result":1,"error":null,"id":1}')
    })
  })

  describe('a malformed 1.0 message: -32600 Invalid Request in 1.0 shape, with its id when valid (what jsonrpclib reads as ProtocolError)', () => {
    it.each([
      ['no method', '{"params":[],"id":1}', 1],
      ['a method that is not a string', '{"method":7,"params":[],"id":"x"}', 'x'],
      ['params neither an array nor an object', '{"method":"subtract","params":5,"id":2}', 2],
      ['an id that is neither a string, a number nor null', '{"method":"subtract","params":[],"id":{"a":1}}', null],
      ['null id and no method', '{"id":null}', null],
    ])('%s', (_, message, id) => {
      const { v1 } = both()
      expect(v1.dispatch(message)).toBe(`{"result":null,"error":{"code":-32600,"message":"Invalid Request"},"id":${JSON.stringify(id)}}`)
    })

    it("a message that is neither version (no jsonrpc member, no id member) gets 2.0's Invalid Request", () => {
      const { v1 } = both()
      expect(v1.dispatch('{"method":"subtract","params":[1,2]}')).toBe('{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}')
    })

    it("a body that is not JSON, and an empty batch, get 2.0's answers (the version cannot be told)", () => {
      const { v1 } = both()
      expect(v1.dispatch('{"method":')).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
      expect(v1.dispatch('[]')).toBe('{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}')
    })
  })

  describe('a batch is answered element by element, each in its own version', () => {
    it('1.0 and 2.0 requests and notifications, in order, notifications left out', () => {
      const { v1, lines } = both()
      const batch = [
        '{"method":"subtract","params":[42,23],"id":1}',
        '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":2}',
        '{"method":"log","params":["one"],"id":null}',
        '{"jsonrpc":"2.0","method":"log","params":["two"]}',
        '{"method":"nope","params":[],"id":3}',
        '{"method":5,"id":4}',
      ]
      expect(v1.dispatch(`[${batch.join(',')}]`)).toBe(
        '[{"result":19,"error":null,"id":1},{"jsonrpc":"2.0","result":19,"id":2},' +
          '{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":3},' +
          '{"result":null,"error":{"code":-32600,"message":"Invalid Request"},"id":4}]',
      )
      expect(lines).toEqual(['one', 'two'])
    })

    it('a batch of 1.0 notifications only is answered with nothing', () => {
      const { v1, lines } = both()
      expect(v1.dispatch('[{"method":"log","params":["a"],"id":null},{"method":"log","params":["b"],"id":null}]')).toBeUndefined()
      expect(lines).toEqual(['a', 'b'])
    })

    it('the batch length limit holds for 1.0 elements too, answered in 2.0 shape as a whole', () => {
      const v1 = Dispatch.make(makeServer().registry, { version1: true, maxBatchLength: 1 })
      expect(v1.dispatch('[{"method":"whoami","id":1},{"method":"whoami","id":2}]')).toBe(
        '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"a batch holds at most 1 requests"},"id":null}',
      )
    })
  })

  describe('without the option (the default), 2.0 only, as before', () => {
    it('a 1.0 message is an Invalid Request, answered in 2.0 shape with its id', () => {
      const { v2, lines } = both()
      expect(v2.dispatch('{"method":"subtract","params":[42,23],"id":1}')).toBe('{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":1}')
      expect(v2.dispatch('{"method":"log","params":["x"],"id":null}')).toBe('{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}')
      expect(lines).toEqual([])
      expect(v2.versionAware).toBeUndefined()
    })
  })

  describe('laws', () => {
    const names = ['subtract', 'log', 'whoami', 'withdraw', 'boom', 'nope']
    const params = fc.oneof(
      fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null)), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('minuend', 'subtrahend', 'line', 'amount'), fc.oneof(fc.integer(), fc.string({ maxLength: 3 }))),
      fc.jsonValue({ maxDepth: 1 }),
    )
    const id = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null), fc.jsonValue({ maxDepth: 1 }))
    const envelope = (jsonrpc: fc.Arbitrary<unknown>) =>
      fc.record({ jsonrpc, method: fc.oneof(fc.constantFrom(...names), fc.jsonValue({ maxDepth: 1 })), params, id }, { requiredKeys: ['jsonrpc'] })
    // Messages that are not 1.0: a `jsonrpc` member other than "1.0" on every object, or any JSON
    // value that holds no object with an id member and no jsonrpc member.
    const notV1 = envelope(
      fc.oneof(
        { weight: 4, arbitrary: fc.constant('2.0') },
        fc.jsonValue({ maxDepth: 1 }).filter((v) => v !== '1.0'),
      ),
    )
    const message20 = fc.oneof(
      notV1,
      fc.array(notV1, { maxLength: 5 }),
      fc.jsonValue({ maxDepth: 2 }).filter((v) => !JSON.stringify(v).includes('"id"')),
    )

    it('every message that is not 1.0 is answered the same, byte for byte, with the option on and off', () => {
      const { v1, v2 } = both()
      fc.assert(
        fc.property(message20, (m) => {
          const text = JSON.stringify(m)
          expect(v1.dispatch(text)).toEqual(v2.dispatch(text))
          expect(v1.versionAware?.dispatchWith(text, undefined)).toEqual(v2.dispatch(text))
          expect(v1.dispatchToSerializable(text)).toEqual(v2.dispatchToSerializable(text))
        }),
        { numRuns: 500 },
      )
    })

    it('a valid 1.0 request is answered as the 2.0 request it stands for, in 1.0 shape', () => {
      const { v1, v2 } = both()
      const request = fc.record({
        method: fc.constantFrom(...names),
        params: fc.oneof(params.filter((p) => typeof p === 'object' && p !== null)),
        id: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()),
      })
      fc.assert(
        fc.property(request, (r) => {
          const answer1 = JSON.parse(v1.dispatch(JSON.stringify(r)) as string) as Record<string, unknown>
          const answer2 = JSON.parse(v2.dispatch(JSON.stringify({ jsonrpc: '2.0', ...r })) as string) as Record<string, unknown>
          expect(Object.keys(answer1)).toEqual(['result', 'error', 'id'])
          expect(answer1).toEqual({ result: answer2['result'] ?? null, error: answer2['error'] ?? null, id: answer2['id'] })
        }),
        { numRuns: 300 },
      )
    })
  })
})

// -------------------------------------------------------------------------------------
// HTTP
// -------------------------------------------------------------------------------------

describe('over HTTP: a 1.0 notification is answered 200 with an empty body (jsonrpclib fails on 204), a 2.0 one 204', () => {
  const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  let server1: Server
  let server2: Server
  beforeAll(async () => {
    const s1 = await serve({ dispatcher: both().v1, path: '/rpc' })()
    const s2 = await serve({ dispatcher: both().v2, path: '/rpc' })()
    if (E.isLeft(s1) || E.isLeft(s2)) throw new Error('could not listen')
    server1 = s1.right
    server2 = s2.right
  })
  afterAll(async () => {
    await server1.close()
    await server2.close()
  })

  it('the node server (serve, listener; express, Koa and Fastify share its exchange)', async () => {
    const one = await post(server1.url, '{"method":"log","params":["x"],"id":null}')
    expect([one.status, one.headers.get('content-type'), await one.text()]).toEqual([200, null, ''])
    const batch = await post(server1.url, '[{"method":"log","params":["x"],"id":null},{"jsonrpc":"2.0","method":"log","params":["y"]}]')
    expect([batch.status, await batch.text()]).toEqual([200, ''])
    const two = await post(server1.url, '{"jsonrpc":"2.0","method":"log","params":["x"]}')
    expect([two.status, await two.text()]).toEqual([204, ''])
    const call = await post(server1.url, '{"method":"subtract","params":[42,23],"id":1}')
    expect([call.status, call.headers.get('content-type'), await call.text()]).toEqual([200, 'application/json', '{"result":19,"error":null,"id":1}'])
  })

  it('a 2.0-only server answers a 1.0 notification Invalid Request, as before', async () => {
    const one = await post(server2.url, '{"method":"log","params":["x"],"id":null}')
    expect([one.status, await one.text()]).toEqual([200, '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}'])
  })

  it('the Fetch handler', async () => {
    const fetchHandler = handler(both().v1)
    const request = (body: string) => new Request('http://127.0.0.1/rpc', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const one = await fetchHandler(request('{"method":"log","params":["x"],"id":null}'))
    expect([one.status, await one.text()]).toEqual([200, ''])
    const two = await fetchHandler(request('{"jsonrpc":"2.0","method":"log","params":["x"]}'))
    expect([two.status, await two.text()]).toEqual([204, ''])
    const call = await fetchHandler(request('{"method":"withdraw","params":{"amount":500},"id":2}'))
    expect(await call.text()).toBe('{"result":null,"error":{"code":1001,"message":"Insufficient funds","data":{"balance":100}},"id":2}')
  })
})

describe('Koa and Fastify, over the same exchange: 200 with an empty body for a 1.0 notification, 204 for a 2.0 one', () => {
  const cases = [
    ['{"method":"log","params":["x"],"id":null}', 200, ''],
    ['{"jsonrpc":"2.0","method":"log","params":["x"]}', 204, ''],
    ['{"method":"subtract","params":[42,23],"id":1}', 200, '{"result":19,"error":null,"id":1}'],
  ] as const

  it.each([false, true])('Koa on loopback (koa-bodyparser in front: %s)', async (parser) => {
    const app = new Koa()
    if (parser) app.use(bodyParser())
    app.use(KoaRpc.middleware(both().v1))
    const handle = app.callback()
    const running = await listen(createServer((req, res) => void handle(req, res)))
    try {
      for (const [body, status, text] of cases) {
        const res = await fetch(running.origin, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        expect([body, res.status, await res.text()]).toEqual([body, status, text])
      }
    } finally {
      await running.stop()
    }
  })

  it('Fastify (inject)', async () => {
    const app = Fastify()
    await app.register(FastifyRpc.plugin(both().v1))
    await app.ready()
    try {
      for (const [body, status, text] of cases) {
        const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: body })
        expect([body, res.statusCode, res.body]).toEqual([body, status, text])
      }
    } finally {
      await app.close()
    }
  })
})

describe('over WebSocket, a 1.0 notification gets what a 2.0 one gets: nothing is sent', () => {
  it('a 1.0 call is answered in 1.0 shape; after a 1.0 notification, the next frame is the answer to the call after it', async () => {
    const wss = await new Promise<WebSocketServer>((resolve) => {
      const server: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => resolve(server))
    })
    const { v1, lines } = both()
    const server = Ws.attach(wss, v1)
    const socket = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
    const frames: Array<string> = []
    const arrived = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (frames.length >= n ? resolve() : setTimeout(check, 5))
        check()
      })
    socket.on('message', (data: Buffer) => frames.push(data.toString('utf8')))
    try {
      await new Promise((resolve) => socket.once('open', resolve))
      socket.send('{"method":"log","params":["over ws"],"id":null}')
      socket.send('{"method":"subtract","params":[42,23],"id":1}')
      await arrived(1)
      expect(frames).toEqual(['{"result":19,"error":null,"id":1}'])
      expect(lines).toEqual(['over ws'])
    } finally {
      socket.terminate()
      await server.close()
      await new Promise((resolve) => wss.close(resolve))
    }
  })
})

// -------------------------------------------------------------------------------------
// the client
// -------------------------------------------------------------------------------------

/** A transport that records what it is sent and answers with `reply(body)`. */
const recording = (reply: (body: string) => string | undefined) => {
  const sent: Array<string> = []
  const transport: Transport.Transport<never> = {
    send: (body) => () => {
      sent.push(body)
      return Promise.resolve(E.right(reply(body)))
    },
  }
  return { sent, client: Client.make(transport, { version: '1.0' }) }
}

const SubtractByPosition = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  sendParamsBy: 'position',
})

describe("Client.make(transport, { version: '1.0' })", () => {
  it('writes requests without a jsonrpc member, params always ([] for none), notifications with "id": null', async () => {
    const { sent, client } = recording((body) => (body.includes('"id":null') ? undefined : '{"result":1,"error":null,"id":1}'))
    await pipe(client, Client.call(SubtractByPosition, { minuend: 42, subtrahend: 23 }))()
    await pipe(client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()
    await pipe(client, Client.call(Whoami))()
    expect(await pipe(client, Client.notify(Log, { line: 'hi' }))()).toEqual(E.right(undefined))
    expect(sent).toEqual([
      '{"method":"subtract","params":[42,23],"id":1}',
      '{"method":"subtract","params":{"minuend":42,"subtrahend":23},"id":2}',
      '{"method":"whoami","params":[],"id":3}',
      '{"method":"log","params":{"line":"hi"},"id":null}',
    ])
  })

  it('reads 1.0 responses into the same typed results as 2.0 ones', async () => {
    const answers: Record<string, string> = {
      subtract: '{"result":19,"error":null,"id":1}',
      withdraw: '{"result":null,"error":{"code":1001,"message":"Insufficient funds","data":{"balance":100}},"id":2}',
      nope: '{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":3}',
    }
    const { client } = recording((body) => answers[(JSON.parse(body) as { method: string }).method])
    expect(await pipe(client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(await pipe(client, Client.call(Withdraw, { amount: 500 }))()).toEqual(
      E.left({ _tag: 'ApplicationError', error: { code: 1001, message: 'Insufficient funds', data: { balance: 100 } } }),
    )
    expect(await pipe(client, Client.call(Method.make({ name: 'nope', result: t.unknown })))()).toEqual(
      E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method not found' } }),
    )
  })

  it("reads jayson's error without a result member, a 2.0 error, and an error with id null; refuses both members non-null", async () => {
    const read = async (text: string) => pipe(recording(() => text).client, Client.call(Whoami))()
    expect(await read('{"id":1,"error":{"code":-32601,"message":"Method not found"}}')).toEqual(
      E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method not found' } }),
    )
    expect(await read('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')).toEqual(
      E.left({ _tag: 'RpcError', error: { code: -32700, message: 'Parse error' } }),
    )
    expect(await read('{"result":null,"error":{"code":-32600,"message":"Invalid Request"},"id":null}')).toEqual(
      E.left({ _tag: 'RpcError', error: { code: -32600, message: 'Invalid Request' } }),
    )
    expect(await read('{"result":"x","error":{"code":1,"message":"m"},"id":1}')).toEqual(
      E.left(expect.objectContaining({ _tag: 'InvalidResponse', reason: 'has both result and error' })),
    )
    expect(await read('{"error":null,"id":1}')).toEqual(E.left(expect.objectContaining({ _tag: 'ResultDecodeError' })))
  })

  it('a 2.0 client reads a 1.0 response as invalid, as before', async () => {
    const transport: Transport.Transport<never> = { send: () => () => Promise.resolve(E.right('{"result":19,"error":null,"id":1}')) }
    expect(await pipe(Client.make(transport), Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(
      E.left(expect.objectContaining({ _tag: 'InvalidResponse', reason: 'jsonrpc must be "2.0"' })),
    )
  })

  it('against a dispatcher that takes 1.0: calls, errors, notifications and a batch', async () => {
    const { v1, lines } = both()
    const client = Client.make(InMemory.fromDispatcher(v1), { version: '1.0' })
    expect(await pipe(client, Client.call(SubtractByPosition, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(
      await pipe(
        client,
        Client.call(Sleep, { ms: 1 }),
        TE.map((n) => n * 2),
      )(),
    ).toEqual(E.right(2))
    expect(await pipe(client, Client.notify(Log, { line: 'one' }))()).toEqual(E.right(undefined))
    expect(
      await pipe(
        client,
        Client.batch(Client.call(Subtract, { minuend: 5, subtrahend: 3 }), Client.notify(Log, { line: 'two' }), Client.call(Withdraw, { amount: 500 })),
      )(),
    ).toEqual(
      E.right([
        E.right(2),
        E.right(undefined),
        E.left({ _tag: 'ApplicationError', error: { code: 1001, message: 'Insufficient funds', data: { balance: 100 } } }),
      ]),
    )
    expect(lines).toEqual(['one', 'two'])
  })
})

// -------------------------------------------------------------------------------------
// the example
// -------------------------------------------------------------------------------------

describe('examples/jsonrpc1.ts', () => {
  it('runs as a user runs it, and prints what its comments say', async () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join('examples', 'jsonrpc1.ts')], {
      cwd: root,
    })
    expect(stdout.trim().split('\n')).toEqual([
      '1.0 subtract: 19',
      '1.0 divide by zero: application error 1 Division by zero',
      'log: from a 1.0 client',
      '1.0 log: ok',
      '2.0 subtract: 19',
      'wire 1.0 call: 200 "{\\"result\\":19,\\"error\\":null,\\"id\\":1}"',
      'log: by hand',
      'wire 1.0 notification: 200 ""',
      'log: by hand, 2.0',
      'wire 2.0 notification: 204 ""',
    ])
  })
})
