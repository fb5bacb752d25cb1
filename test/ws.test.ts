/**
 * JSON-RPC over WebSocket, against a real `ws` server on 127.0.0.1 (port 0): the specification's
 * examples on the wire, typed calls both ways, calls in flight matched by id, timeouts, closing, and
 * what bad input gets.
 */
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { Client, ClientError, Dispatch, Method, Peer, Registry, RpcError } from '../src/index.js'
import * as _ from '../src/ws/index.js'
import * as SpecMethods from './fixtures/spec-methods.js'
import { canonical, examples } from './fixtures/spec-methods.js'

// -------------------------------------------------------------------------------------
// contracts
// -------------------------------------------------------------------------------------

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const SubtractByPosition = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  sendParamsBy: 'position',
})
const InsufficientFunds = RpcError.typed(1001, t.type({ balance: t.number }))
const Withdraw = Method.make({ name: 'withdraw', params: t.type({ amount: t.number }), result: t.number, error: InsufficientFunds })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const Slow = Method.make({ name: 'slow', params: t.type({ ms: t.number, n: t.number }), result: t.number })
const Boom = Method.make({ name: 'boom', result: t.number })
const Subscribe = Method.make({ name: 'subscribe', params: t.type({ count: t.number }), result: t.number })
const Whoami = Method.make({ name: 'whoami', result: t.string })
const AskClient = Method.make({ name: 'askClient', result: t.string })
// Served by the client: the server's subscription pushes these.
const Tick = Method.make({ name: 'tick', params: t.type({ n: t.number }) })

// -------------------------------------------------------------------------------------
// fixtures
// -------------------------------------------------------------------------------------

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const listen = (): Promise<{ readonly wss: WebSocketServer; readonly url: string }> =>
  new Promise((resolve) => {
    const wss: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () =>
      resolve({ wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` }),
    )
    cleanups.push(
      () =>
        new Promise<void>((done) => {
          for (const client of wss.clients) client.terminate()
          wss.close(() => done())
        }),
    )
  })

/** The methods the server serves; the context of each message is its connection. */
const serverRegistry = (logged: Array<string>) =>
  pipe(
    Registry.empty,
    Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
    Registry.add(Withdraw, ({ amount }) =>
      amount > 10 ? E.left({ code: 1001 as const, message: 'Insufficient funds', data: { balance: 10 } }) : E.right(10 - amount),
    ),
    Registry.add(Log, ({ line }) => {
      logged.push(line)
    }),
    Registry.add(Slow, ({ ms, n }) => new Promise<number>((r) => setTimeout(() => r(n), ms))),
    Registry.add(Boom, () => {
      throw new Error('secret at /srv/app/handlers.ts:12')
    }),
    Registry.add(Subscribe, async ({ count }, connection: _.ServerConnection) => {
      for (let n = 1; n <= count; n++) await pipe(connection.client, Client.notify(Tick, { n }))()
      return count
    }),
    Registry.add(AskClient, async (_p, connection: _.ServerConnection) => {
      const answer = await pipe(connection.client, Client.call(Whoami))()
      return E.isRight(answer) ? answer.right : `failed: ${answer.left._tag}`
    }),
  )

/** A server attached to a fresh WebSocketServer, with the connections it saw and what it logged. */
const serve = async (options: { readonly timeoutMs?: number; readonly onError?: (e: unknown) => void } = {}) => {
  const { wss, url } = await listen()
  const logged: Array<string> = []
  const defects: Array<unknown> = []
  const connections: Array<_.ServerConnection> = []
  const dispatcher = Dispatch.make(serverRegistry(logged), { onDefect: (cause) => void defects.push(cause) })
  const server = _.attach(wss, dispatcher, {
    context: (_request, _socket, connection) => connection,
    onConnection: (connection) => void connections.push(connection),
    ...options,
  })
  cleanups.push(() => server.close())
  return { wss, url, server, logged, defects, connections }
}

/** The client's own methods, for the server to call. */
const clientDispatcher = (name: string, ticks: Array<number>) =>
  Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Whoami, () => E.right(name)),
      Registry.add(Tick, ({ n }) => {
        ticks.push(n)
      }),
    ),
  )

const connect = async (url: string, options: _.ConnectOptions<unknown> = {}): Promise<_.ClientConnection> => {
  const connection = await _.connect(url, options)()
  if (E.isLeft(connection)) throw new Error(`could not connect: ${JSON.stringify(connection.left)}`)
  cleanups.push(() => connection.right.close())
  return connection.right
}

interface Raw {
  readonly socket: WebSocket
  /** The next message from the server, and whether it came as a binary frame. */
  readonly next: () => Promise<{ readonly text: string; readonly binary: boolean }>
  readonly closed: Promise<number>
}

/** A bare ws client, to see the wire as it is. */
const raw = (url: string): Promise<Raw> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const queue: Array<{ text: string; binary: boolean }> = []
    const waiting: Array<(m: { text: string; binary: boolean }) => void> = []
    socket.on('message', (data, binary) => {
      const message = {
        text: Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8'),
        binary,
      }
      const waiter = waiting.shift()
      if (waiter === undefined) queue.push(message)
      else waiter(message)
    })
    const closed = new Promise<number>((r) => socket.on('close', (code) => r(code)))
    socket.once('error', reject)
    socket.once('open', () =>
      resolve({
        socket,
        closed,
        next: () => {
          const message = queue.shift()
          return message === undefined ? new Promise((r) => waiting.push(r)) : Promise.resolve(message)
        },
      }),
    )
    cleanups.push(() => socket.terminate())
  })

const closedError = E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } })

// -------------------------------------------------------------------------------------
// the specification's examples, on the wire
// -------------------------------------------------------------------------------------

describe('the specification examples, one text frame each way', () => {
  // After each example comes a marker request; an example answered with nothing has the marker's
  // answer as the next frame. Every spec method is synchronous, so answers keep the order of requests.
  const MARKER = '{"jsonrpc":"2.0","method":"get_data","id":"marker"}'
  const MARKER_ANSWER = '{"jsonrpc":"2.0","result":["hello",5],"id":"marker"}'

  it.each(examples.map((e) => [e.name, e] as const))('%s', async (_name, example) => {
    const { wss, url } = await listen()
    const { registry, ran } = SpecMethods.make()
    const server = _.attach(wss, Dispatch.make(registry))
    cleanups.push(() => server.close())
    const client = await raw(url)
    client.socket.send(example.request)
    client.socket.send(MARKER)
    const first = await client.next()
    expect(first.binary).toBe(false)
    if (example.response === null) {
      expect(first.text).toBe(MARKER_ANSWER)
      if (example.name.startsWith('a Notification (1)')) expect(ran).toEqual([{ method: 'update', params: [1, 2, 3, 4, 5] }])
    } else {
      expect(canonical(JSON.parse(first.text))).toEqual(canonical(example.response))
      expect((await client.next()).text).toBe(MARKER_ANSWER)
    }
  })
})

// -------------------------------------------------------------------------------------
// typed calls from the client
// -------------------------------------------------------------------------------------

describe('typed calls over one connection', () => {
  it('calls with params by name and by position', async () => {
    const { url } = await serve()
    const { client } = await connect(url)
    expect(await pipe(client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(await pipe(client, Client.call(SubtractByPosition, { minuend: 23, subtrahend: 42 }))()).toEqual(E.right(-19))
  })

  it('gives a declared application error, decoded with the contract codec', async () => {
    const { url } = await serve()
    const { client } = await connect(url)
    expect(await pipe(client, Client.call(Withdraw, { amount: 5 }))()).toEqual(E.right(5))
    expect(await pipe(client, Client.call(Withdraw, { amount: 50 }))()).toEqual(
      E.left(ClientError.applicationError({ code: 1001, message: 'Insufficient funds', data: { balance: 10 } })),
    )
  })

  it('sends a batch as one message and answers each entry', async () => {
    const { url, logged } = await serve()
    const { client } = await connect(url)
    const out = await pipe(
      client,
      Client.batch(Client.call(Subtract, { minuend: 3, subtrahend: 1 }), Client.notify(Log, { line: 'in a batch' }), Client.call(Withdraw, { amount: 11 })),
    )()
    expect(out).toEqual(
      E.right([E.right(2), E.right(undefined), E.left(ClientError.applicationError({ code: 1001, message: 'Insufficient funds', data: { balance: 10 } }))]),
    )
    expect(logged).toEqual(['in a batch'])
  })

  it('sends a notification without waiting for an answer, and the server runs it', async () => {
    const { url, logged } = await serve()
    const connection = await connect(url)
    expect(await pipe(connection.client, Client.notify(Log, { line: 'hello' }))()).toEqual(E.right(undefined))
    expect(connection.pending()).toBe(0)
    // The next call's answer comes after the notification ran: one connection, messages in order.
    await pipe(connection.client, Client.call(Subtract, { minuend: 1, subtrahend: 1 }))()
    expect(logged).toEqual(['hello'])
  })

  it('answers a throwing handler with Internal error, and nothing of its text crosses', async () => {
    const { url, defects } = await serve()
    const client = await raw(url)
    client.socket.send('{"jsonrpc":"2.0","method":"boom","id":1}')
    const answer = (await client.next()).text
    expect(answer).toBe('{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}')
    expect(defects).toHaveLength(1)
  })
})

describe('many calls in flight on one socket', () => {
  it('matches each answer to its call by id, whatever order they come back in', async () => {
    const { url } = await serve()
    const connection = await connect(url)
    // 60 stays within the 64 messages a connection works on at once (Peer's maxInFlight), so all
    // run together and the reversed order below is certain.
    const n = 60
    const settled: Array<number> = []
    // Later calls finish first: answers come back roughly in reverse.
    const calls = Array.from({ length: n }, (_v, i) =>
      pipe(connection.client, Client.call(Slow, { ms: Math.floor((n - i) / 3), n: i }))().then((answer) => {
        settled.push(i)
        return answer
      }),
    )
    const results = await Promise.all(calls)
    expect(results).toEqual(Array.from({ length: n }, (_v, i) => E.right(i)))
    expect(settled[0]).toBeGreaterThan(settled[n - 1])
    expect(connection.pending()).toBe(0)
  })
})

// -------------------------------------------------------------------------------------
// the server calling the client
// -------------------------------------------------------------------------------------

describe('the server calls the client', () => {
  it('sends notifications the client serves with its dispatcher (a subscription)', async () => {
    const { url } = await serve()
    const ticks: Array<number> = []
    const { client } = await connect(url, { dispatcher: clientDispatcher('ada', ticks) })
    expect(await pipe(client, Client.call(Subscribe, { count: 5 }))()).toEqual(E.right(5))
    expect(ticks).toEqual([1, 2, 3, 4, 5])
  })

  it('calls a method the client registered, from a handler and from onConnection', async () => {
    const { url, connections } = await serve()
    const { client } = await connect(url, { dispatcher: clientDispatcher('ada', []) })
    expect(await pipe(client, Client.call(AskClient))()).toEqual(E.right('ada'))
    expect(connections).toHaveLength(1)
    const connection = connections[0]
    expect(await pipe(connection.client, Client.call(Whoami))()).toEqual(E.right('ada'))
    expect(await pipe(connection.client, Client.notify(Tick, { n: 1 }))()).toEqual(E.right(undefined))
  })

  it('reaches the client with what it sends the moment the connection opens', async () => {
    const { wss, url } = await listen()
    const server = _.attach(wss, Dispatch.make(serverRegistry([])), {
      context: (_request, _socket, connection) => connection,
      onConnection: (connection) => void pipe(connection.client, Client.notify(Tick, { n: 0 }))(),
    })
    cleanups.push(() => server.close())
    for (let i = 0; i < 5; i++) {
      const ticks: Array<number> = []
      const { client } = await connect(url, { dispatcher: clientDispatcher('ada', ticks) })
      await pipe(client, Client.call(Subtract, { minuend: 0, subtrahend: 0 }))()
      expect(ticks).toEqual([0])
    }
  })

  it('gets Method not found from a client without a dispatcher', async () => {
    const { url, connections } = await serve()
    await connect(url)
    const connection = connections[0]
    expect(await pipe(connection.client, Client.call(Whoami))()).toEqual(E.left(ClientError.rpcError({ code: -32601, message: 'Method not found' })))
  })

  it('keeps each connection apart: a broadcast reaches every client once', async () => {
    const { url, server } = await serve()
    const ticksA: Array<number> = []
    const ticksB: Array<number> = []
    const a = await connect(url, { dispatcher: clientDispatcher('a', ticksA) })
    const b = await connect(url, { dispatcher: clientDispatcher('b', ticksB) })
    expect(server.connections()).toHaveLength(2)
    for (const connection of server.connections()) await pipe(connection.client, Client.notify(Tick, { n: 7 }))()
    // A call on each socket comes back after the tick that went before it.
    await pipe(a.client, Client.call(Subtract, { minuend: 0, subtrahend: 0 }))()
    await pipe(b.client, Client.call(Subtract, { minuend: 0, subtrahend: 0 }))()
    expect([ticksA, ticksB]).toEqual([[7], [7]])
    expect(await Promise.all(server.connections().map((c) => pipe(c.client, Client.call(Whoami))()))).toEqual([E.right('a'), E.right('b')])
  })
})

// -------------------------------------------------------------------------------------
// timeouts and closing
// -------------------------------------------------------------------------------------

describe('a call that gets no answer in time', () => {
  it('fails with Timeout, is forgotten, and the connection serves on', async () => {
    const { url } = await serve()
    const connection = await connect(url, { timeoutMs: 40 })
    const started = Date.now()
    expect(await pipe(connection.client, Client.call(Slow, { ms: 3_000, n: 1 }))()).toEqual(
      E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 40 } }),
    )
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(connection.pending()).toBe(0)
    expect(await pipe(connection.client, Client.call(Subtract, { minuend: 2, subtrahend: 1 }))()).toEqual(E.right(1))
  })

  it('applies to the server calling a client that does not answer', async () => {
    const { url, connections } = await serve({ timeoutMs: 30 })
    const Stall = Method.make({ name: 'stall', result: t.number })
    const stalling = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Stall, () => new Promise<number>(() => undefined)),
      ),
    )
    await connect(url, { dispatcher: stalling })
    const connection = connections[0]
    expect(await pipe(connection.client, Client.call(Stall))()).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 30 } }))
    expect(connection.pending()).toBe(0)
  })
})

describe('a socket that closes with calls in flight', () => {
  it('fails them with Closed when the server drops the connection, and later calls at once', async () => {
    const { url, connections } = await serve()
    const connection = await connect(url)
    const calls = Promise.all([1, 2, 3].map((n) => pipe(connection.client, Client.call(Slow, { ms: 5_000, n }))()))
    await new Promise((r) => setTimeout(r, 20))
    expect(connection.pending()).toBe(3)
    connections[0].socket.terminate()
    expect(await calls).toEqual([closedError, closedError, closedError])
    expect((await connection.closed).code).toBe(1006)
    expect(await pipe(connection.client, Client.call(Subtract, { minuend: 1, subtrahend: 1 }))()).toEqual(closedError)
  })

  it('fails them with Closed when the client closes, and the server sees the close', async () => {
    const { url, connections, server } = await serve()
    const connection = await connect(url)
    const call = pipe(connection.client, Client.call(Slow, { ms: 5_000, n: 1 }))()
    await new Promise((r) => setTimeout(r, 20))
    await connection.close()
    expect(await call).toEqual(closedError)
    expect(await connection.closed).toEqual({ code: 1000, reason: '' })
    expect(await connections[0].closed).toEqual({ code: 1000, reason: '' })
    expect(server.connections()).toEqual([])
  })

  it("fails the server's calls to the client with Closed when the client goes", async () => {
    const { url, connections } = await serve()
    const Stall = Method.make({ name: 'stall', result: t.number })
    const stalling = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Stall, () => new Promise<number>(() => undefined)),
      ),
    )
    const client = await connect(url, { dispatcher: stalling })
    const connection = connections[0]
    const call = pipe(connection.client, Client.call(Stall))()
    await new Promise((r) => setTimeout(r, 20))
    expect(connection.pending()).toBe(1)
    await client.close()
    expect(await call).toEqual(closedError)
  })

  it('closes every connection with 1001 when the server closes, and stops taking new ones', async () => {
    const { url, server, wss } = await serve()
    const a = await connect(url)
    const b = await connect(url)
    await server.close()
    expect((await a.closed).code).toBe(1001)
    expect((await b.closed).code).toBe(1001)
    expect(wss.listenerCount('connection')).toBe(0)
  })
})

// -------------------------------------------------------------------------------------
// bad input
// -------------------------------------------------------------------------------------

describe('bad input gets the specification error, and the connection serves on', () => {
  it('answers malformed JSON with Parse error', async () => {
    const { url } = await serve()
    const client = await raw(url)
    client.socket.send('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')
    expect((await client.next()).text).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
    client.socket.send('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}')
    expect((await client.next()).text).toBe('{"jsonrpc":"2.0","result":19,"id":1}')
  })

  it('reads a binary frame as UTF-8 text and answers with a text frame', async () => {
    const { url } = await serve()
    const client = await raw(url)
    client.socket.send(Buffer.from('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":"é"}', 'utf8'))
    expect(await client.next()).toEqual({ text: '{"jsonrpc":"2.0","result":19,"id":"é"}', binary: false })
  })

  it('answers a binary frame that is not UTF-8 with Parse error', async () => {
    const { url } = await serve()
    const client = await raw(url)
    client.socket.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))
    expect((await client.next()).text).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
    client.socket.send('{"jsonrpc":"2.0","method":"subtract","params":[1,1],"id":2}')
    expect((await client.next()).text).toBe('{"jsonrpc":"2.0","result":0,"id":2}')
  })

  it('answers an empty frame, an empty batch and a response-shaped message as the spec says', async () => {
    const { url } = await serve()
    const client = await raw(url)
    client.socket.send('')
    expect((await client.next()).text).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
    client.socket.send('[]')
    expect((await client.next()).text).toBe('{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}')
    // A response that answers no call of the server's is dropped, as there is nothing to answer.
    client.socket.send('{"jsonrpc":"2.0","result":1,"id":99}')
    client.socket.send('{"jsonrpc":"2.0","method":"subtract","params":[1,1],"id":3}')
    expect((await client.next()).text).toBe('{"jsonrpc":"2.0","result":0,"id":3}')
  })

  it('closes a connection whose context function throws with 1011, telling nothing, and serves others', async () => {
    const { wss, url } = await listen()
    const errors: Array<unknown> = []
    let first = true
    const server = _.attach(wss, Dispatch.make(SpecMethods.make().registry), {
      context: () => {
        if (first) {
          first = false
          throw new Error('database at /var/secret unreachable')
        }
        return undefined
      },
      onError: (e) => void errors.push(e),
    })
    cleanups.push(() => server.close())
    const refused = await raw(url)
    expect(await refused.closed).toBe(1011)
    expect(errors).toEqual([new Error('database at /var/secret unreachable')])
    const { client } = await connect(url)
    expect(await pipe(client, Client.call(SpecMethods.Subtract, { minuend: 2, subtrahend: 1 }))()).toEqual(E.right(1))
  })

  it('a throwing onConnection is reported and the connection serves', async () => {
    const { wss, url } = await listen()
    const errors: Array<unknown> = []
    const server = _.attach(wss, Dispatch.make(SpecMethods.make().registry), {
      onConnection: () => {
        throw new Error('oops')
      },
      onError: (e) => void errors.push(e),
    })
    cleanups.push(() => server.close())
    const { client } = await connect(url)
    expect(await pipe(client, Client.call(SpecMethods.Subtract, { minuend: 2, subtrahend: 1 }))()).toEqual(E.right(1))
    expect(errors).toEqual([new Error('oops')])
  })
})

describe('the upgrade request', () => {
  it('carries the headers given to connect, and the context function reads them', async () => {
    const { wss, url } = await listen()
    const Me = Method.make({ name: 'me', result: t.string })
    const dispatcher = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Me, (_p, user: string) => E.right(user)),
      ),
    )
    const server = _.attach(wss, dispatcher, { context: (request) => request.headers.authorization ?? 'anonymous' })
    cleanups.push(() => server.close())
    const { client } = await connect(url, { headers: { authorization: 'Bearer ada' } })
    expect(await pipe(client, Client.call(Me))()).toEqual(E.right('Bearer ada'))
  })
})

// -------------------------------------------------------------------------------------
// types (checked by `npx tsc -p tsconfig.json --noEmit`)
// -------------------------------------------------------------------------------------

describe('types: the context the dispatcher needs is required', () => {
  it('asks attach, attachToHttp and connect for a context only when the dispatcher needs one', async () => {
    const { wss, url } = await listen()
    const Me = Method.make({ name: 'me', result: t.string })
    const needsUser = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Me, (_p, user: string) => E.right(user)),
      ),
    )
    const needsNothing = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Me, () => E.right('me')),
      ),
    )
    // @ts-expect-error the dispatcher needs a string per connection
    const refused = (): _.Server => _.attach(wss, needsUser)
    // @ts-expect-error the context gives a number, not a string
    const mistyped = (): _.Server => _.attach(wss, needsUser, { context: () => 1 })
    // @ts-expect-error the client's dispatcher needs a context too
    const unserved = () => _.connect(url, { dispatcher: needsUser })
    const optional = (): _.Server => _.attach(wss, needsNothing)
    void [refused, mistyped, unserved, optional]
    const server = _.attach(wss, needsUser, { context: (request) => request.headers['x-user']?.toString() ?? 'anonymous' })
    cleanups.push(() => server.close())
    const connection = await connect(url, { dispatcher: needsNothing, headers: { 'x-user': 'ada' } })
    expectTypeOf(connection.client).toEqualTypeOf<Client.Client<Peer.PeerError>>()
    expectTypeOf(_.connect(url, { dispatcher: needsUser, context: 'ada' })).toEqualTypeOf<TaskEither<_.ConnectError, _.ClientConnection>>()
    expect(await pipe(connection.client, Client.call(Me))()).toEqual(E.right('ada'))
  })
})
