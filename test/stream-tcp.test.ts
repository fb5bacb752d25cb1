/**
 * JSON-RPC over TCP, in both framings: real servers on 127.0.0.1, port 0, and real sockets. Typed
 * clients on one side; on the other, raw sockets that write exact bytes where the wire matters
 * (the specification's examples, malformed input).
 */
import { once } from 'node:events'
import * as net from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterEach, describe, expect, it } from 'vitest'
import { Client, Dispatch, Method, Registry } from '../src/index.js'
import { Framing, connect, listen, type Connection, type ListenOptions, type Server } from '../src/stream/index.js'
import * as Methods from './fixtures/stream-methods.js'
import * as SpecMethods from './fixtures/spec-methods.js'
import { canonical, examples } from './fixtures/spec-methods.js'

const Boom = Method.make({ name: 'boom', result: t.number })

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

const ok = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e)) throw new Error(`expected a Right, got ${JSON.stringify(e.left)}`)
  return e.right
}

const closed = E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } })

const start = async <B>(options: ListenOptions<B>): Promise<Server> => {
  const server = ok(await listen(options)())
  cleanup.push(() => server.close())
  return server
}

/** The test server: the shared methods as "server", plus `boom`, which throws with a secret. */
const startServer = (framing: Framing.Framing, extra: Partial<ListenOptions<Methods.Context>> = {}) => {
  const defects: Array<unknown> = []
  const registry = pipe(
    Methods.registry('server').registry,
    Registry.add(Boom, () => {
      throw new Error('cannot open /srv/secret/db.sqlite')
    }),
  )
  const dispatcher = Dispatch.make(registry, { onDefect: (cause) => void defects.push(cause) })
  return start({ framing, dispatcher, context: ({ client }) => ({ client }), ...extra }).then((server) => ({ server, defects }))
}

const connectTo = async (server: Server, framing: Framing.Framing, name = 'client'): Promise<Connection> => {
  const connection = ok(
    await connect({
      port: server.address.port,
      framing,
      dispatcher: Dispatch.make(Methods.registry(name).registry),
      context: ({ client }) => ({ client }),
    })(),
  )
  cleanup.push(() => connection.destroy())
  return connection
}

/** A socket that writes exact bytes and reads framed messages. */
const raw = async (port: number, framing: Framing.Framing) => {
  const socket = net.connect({ host: '127.0.0.1', port })
  await once(socket, 'connect')
  cleanup.push(() => socket.destroy())
  const decoder = framing.makeDecoder()
  const received: Array<string> = []
  const waiting: Array<() => void> = []
  socket.on('data', (chunk: Buffer) => {
    for (const e of decoder.push(chunk)) if (e._tag === 'Message') received.push(e.text)
    for (const w of waiting.splice(0)) w()
  })
  let over = false
  socket.once('close', () => {
    over = true
    for (const w of waiting.splice(0)) w()
  })
  const ended = once(socket, 'end').then(() => true)
  const next = async (): Promise<unknown> => {
    while (received.length === 0) {
      if (over) throw new Error('the connection closed before the message expected')
      await new Promise<void>((resolve) => waiting.push(resolve))
    }
    return JSON.parse(received.shift() as string)
  }
  return { socket, send: (text: string) => socket.write(framing.encode(text)), next, ended, received }
}

describe.each([
  ['newline-delimited JSON', Framing.ndjson],
  ['Content-Length', Framing.contentLength],
])('TCP, %s', (_name, framing) => {
  describe("the specification's examples, as bytes on a socket", () => {
    it.each(examples.map((e) => [e.name, e] as const))('%s', async (_example, example) => {
      const server = await start({ framing, dispatcher: Dispatch.make(SpecMethods.make().registry) })
      const client = await raw(server.address.port, framing)
      client.send(example.request)
      // Nothing is answered to notifications: the first answer is then the marker's.
      client.send('{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":"marker"}')
      const first = await client.next()
      if (example.response === null) {
        expect(first).toEqual({ jsonrpc: '2.0', result: 1, id: 'marker' })
      } else {
        expect(canonical(first)).toEqual(canonical(example.response))
        expect(await client.next()).toEqual({ jsonrpc: '2.0', result: 1, id: 'marker' })
      }
    })
  })

  describe('typed calls', () => {
    it('calls with params by name and answers with the decoded result', async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      expect(await pipe(connection.client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    })

    it('carries multi-byte text and messages larger than one chunk unchanged', async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      const text = 'é€😀 '.repeat(40_000)
      expect(await pipe(connection.client, Client.call(Methods.Echo, { text }))()).toEqual(E.right(text))
    })

    it('matches 100 calls in flight to their answers, whatever order they come back in', async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      const ms = Array.from({ length: 100 }, (_, i) => (i * 37) % 50)
      const results = await Promise.all(ms.map((m) => pipe(connection.client, Client.call(Methods.Slow, { ms: m }))()))
      expect(results).toEqual(ms.map((m) => E.right(m)))
      expect(connection.peer.pending()).toBe(0)
    })

    it('sends a batch as one message and answers each entry', async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      const out = await pipe(
        connection.client,
        Client.batch(
          Client.call(Methods.Subtract, { minuend: 3, subtrahend: 1 }),
          Client.notify(Methods.Tick, { n: 9 }),
          Client.call(Methods.Echo, { text: 'hi' }),
        ),
      )()
      expect(out).toEqual(E.right([E.right(2), E.right(undefined), E.right('hi')]))
      expect(await pipe(connection.client, Client.call(Methods.Ticks))()).toEqual(E.right([9]))
    })

    it('sends a notification without waiting for an answer, and the server runs it', async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      expect(await pipe(connection.client, Client.notify(Methods.Tick, { n: 5 }))()).toEqual(E.right(undefined))
      expect(connection.peer.pending()).toBe(0)
      expect(await pipe(connection.client, Client.call(Methods.Ticks))()).toEqual(E.right([5]))
    })

    it("honours a call's own timeoutMs and signal, and the connection stays usable", async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      const timedOut = await pipe(connection.client, Client.call(Methods.Slow, { ms: 300 }, { timeoutMs: 20 }))()
      expect(timedOut).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 20 } }))
      const controller = new AbortController()
      const aborted = pipe(connection.client, Client.call(Methods.Slow, { ms: 300 }, { signal: controller.signal }))()
      controller.abort('enough')
      expect(await aborted).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Aborted', reason: 'enough' } }))
      expect(connection.peer.pending()).toBe(0)
      expect(await pipe(connection.client, Client.call(Methods.Whoami))()).toEqual(E.right('server'))
    })

    it("answers a handler's exception with -32603 and nothing of its text", async () => {
      const { server, defects } = await startServer(framing)
      const client = await raw(server.address.port, framing)
      client.send('{"jsonrpc":"2.0","method":"boom","id":7}')
      expect(client.received).toEqual([])
      expect(await client.next()).toEqual({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: 7 })
      expect(defects).toHaveLength(1)
    })
  })

  describe('both directions on one connection', () => {
    it("the server calls back the client while answering the client's call", async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      expect(await pipe(connection.client, Client.call(Methods.AskBack))()).toEqual(E.right('server asked client'))
    })

    it('the server calls the client on its own, and the client calls back the server', async () => {
      const { server } = await startServer(framing)
      await connectTo(server, framing, 'first')
      const [incoming] = server.connections()
      expect(server.connections()).toHaveLength(1)
      const serverSide = incoming
      expect(await pipe(serverSide.client, Client.call(Methods.Whoami))()).toEqual(E.right('first'))
      expect(await pipe(serverSide.client, Client.call(Methods.AskBack))()).toEqual(E.right('first asked server'))
      expect(await pipe(serverSide.client, Client.call(Methods.Subtract, { minuend: 1, subtrahend: 2 }))()).toEqual(E.right(-1))
    })

    it("gives the context function the connection's socket", async () => {
      const remotes: Array<string | undefined> = []
      const { server } = await startServer(framing, {
        context: ({ client, socket }) => {
          remotes.push(socket.remoteAddress)
          return { client }
        },
      })
      const connection = await connectTo(server, framing)
      expect(await pipe(connection.client, Client.call(Methods.Whoami))()).toEqual(E.right('server'))
      expect(remotes).toEqual(['127.0.0.1'])
    })
  })

  describe('closing', () => {
    it('a call pending when its own side destroys the connection fails with Closed', async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      // The server still finishes the call (it cannot know the client is gone for good), so it is short.
      const call = pipe(connection.client, Client.call(Methods.Slow, { ms: 200 }))()
      await new Promise((resolve) => setTimeout(resolve, 20))
      connection.destroy()
      expect(await call).toEqual(closed)
      expect(await pipe(connection.client, Client.call(Methods.Whoami))()).toEqual(closed)
    })

    it('a call pending when the server drops the connection fails with Closed', async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      const call = pipe(connection.client, Client.call(Methods.Slow, { ms: 5_000 }))()
      await new Promise((resolve) => setTimeout(resolve, 20))
      for (const c of server.connections()) c.destroy()
      expect(await call).toEqual(closed)
      await connection.closed
    })

    it('a graceful close writes the answers in flight first, on both sides', async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      const call = pipe(connection.client, Client.call(Methods.Slow, { ms: 100 }))()
      await new Promise((resolve) => setTimeout(resolve, 20))
      const closing = server.close()
      expect(await call).toEqual(E.right(100))
      await closing
      await connection.closed
      expect(server.connections()).toEqual([])
      const refused = await connect({ port: server.address.port, framing })()
      expect(E.isLeft(refused) && refused.left._tag).toBe('ConnectError')
    })

    it('a client that ends its side after a request still gets the answer', async () => {
      const { server } = await startServer(framing)
      const client = await raw(server.address.port, framing)
      client.send('{"jsonrpc":"2.0","method":"slow","params":{"ms":50},"id":1}')
      client.socket.end()
      expect(await client.next()).toEqual({ jsonrpc: '2.0', result: 50, id: 1 })
      expect(await client.ended).toBe(true)
    })

    it("the client's close ends the server's connection too", async () => {
      const { server } = await startServer(framing)
      const connection = await connectTo(server, framing)
      expect(server.connections()).toHaveLength(1)
      await connection.close()
      await Promise.all(server.connections().map((c) => c.closed))
      expect(server.connections()).toEqual([])
    })
  })

  describe('bad input: a clear error, and the server keeps serving', () => {
    it('bytes that are not framing are reported, and the next message is answered', async () => {
      const errors: Array<Framing.FramingError> = []
      const { server } = await startServer(framing, { onFramingError: (e) => void errors.push(e) })
      const client = await raw(server.address.port, framing)
      const notUtf8 = Buffer.from([0x22, 0xff, 0xfe, 0x22])
      // Newline-delimited: a line that is not UTF-8. Content-Length: a length that is not a number
      // (its body is skipped), then a body that is not UTF-8.
      const garbage =
        framing === Framing.ndjson
          ? Buffer.concat([notUtf8, Buffer.from('\n')])
          : Buffer.concat([Buffer.from('Content-Length: lots\r\n\r\n{"lost":1}Content-Length: 4\r\n\r\n'), notUtf8])
      client.socket.write(garbage)
      client.send('{"jsonrpc":"2.0","method":"whoami","id":2}')
      // The frame that is whole but not UTF-8 is answered Parse error; the unframeable bytes are not.
      expect(await client.next()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null })
      expect(await client.next()).toEqual({ jsonrpc: '2.0', result: 'server', id: 2 })
      expect(errors.map((e) => e._tag)).toEqual(framing === Framing.ndjson ? ['InvalidUtf8'] : ['InvalidContentLength', 'InvalidUtf8'])
      expect(client.received).toEqual([])
    })

    it('a message that is not JSON is answered Parse error', async () => {
      const { server } = await startServer(framing)
      const client = await raw(server.address.port, framing)
      client.send('{"jsonrpc": "2.0", "method"')
      expect(await client.next()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null })
      client.send('{"jsonrpc":"2.0","method":"whoami","id":3}')
      expect(await client.next()).toEqual({ jsonrpc: '2.0', result: 'server', id: 3 })
    })
  })
})

describe('TCP, errors as values', () => {
  it('connect to a port nobody listens on is a ConnectError', async () => {
    const server = ok(await listen({ framing: Framing.ndjson, dispatcher: Dispatch.make(Registry.empty) })())
    const port = server.address.port
    await server.close()
    const out = await connect({ port, framing: Framing.ndjson })()
    expect(E.isLeft(out) && out.left._tag).toBe('ConnectError')
  })

  it('listen on a port in use is a ListenError', async () => {
    const server = await start({ framing: Framing.ndjson, dispatcher: Dispatch.make(Registry.empty) })
    const out = await listen({ port: server.address.port, framing: Framing.ndjson, dispatcher: Dispatch.make(Registry.empty) })()
    expect(E.isLeft(out) && out.left._tag).toBe('ListenError')
  })

  it('a port out of range is a Left, not a rejection', async () => {
    const listened = await listen({ port: 70_000, framing: Framing.ndjson, dispatcher: Dispatch.make(Registry.empty) })()
    expect(E.isLeft(listened) && listened.left._tag).toBe('ListenError')
    const connected = await connect({ port: 70_000, framing: Framing.ndjson })()
    expect(E.isLeft(connected) && connected.left._tag).toBe('ConnectError')
  })

  it('listens on 127.0.0.1 unless told otherwise', async () => {
    const server = await start({ framing: Framing.ndjson, dispatcher: Dispatch.make(Registry.empty) })
    expect(server.address.address).toBe('127.0.0.1')
    expect(server.address.port).toBeGreaterThan(0)
  })
})
