/**
 * Issue #8, evidence: a connection that ends does not wait for answers that can no longer come, and
 * a call given up is cancelled on the other side too.
 *
 * Prompt close: our server's handler for `ask` calls the client back on the same connection and
 * awaits that call with the default timeout (30 s); the client, written as another project's would
 * be (a raw stdio pipe, a raw `net` socket), never answers requests. When the client's input ends
 * (stdin ended, a TCP half-close), or our side calls `close()`, the call back must fail with
 * `Closed` at once, the answer to `ask` still be written, and the connection close (the child
 * exit) within a second, not after the call back's 30 s timeout.
 *
 * Cancellation: `$/cancelRequest` (the Language Server Protocol's notification) between two
 * fp-jsonrpc peers, from a raw client, and not at all with `cancellation: false`.
 */
import { once } from 'node:events'
import * as net from 'node:net'
import { performance } from 'node:perf_hooks'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { afterEach, describe, expect, it } from 'vitest'
import { Client } from '../src/index.js'
import { Framing, connect } from '../src/stream/index.js'
import { listening } from './fixtures/listening.js'
import * as Methods from './fixtures/two-way-methods.js'
import { encode, rawSocket, readFrom, sleep, startChild, tcpServer, within, type Cleanups, type Inbox, type Message } from './fixtures/two-way-wire.js'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const ASK = '{"jsonrpc":"2.0","method":"ask","id":"ask"}'
const ASKED_CLOSED = { jsonrpc: '2.0', result: 'Closed', id: 'ask' }
const isPing = (m: Message): boolean => m?.method === 'ping'
/** The answers (not the requests: ids of either side may coincide) with this id. */
const answersTo = (box: Inbox, id: unknown): Array<Message> =>
  box.messages.filter((m: Message) => m !== null && typeof m === 'object' && !('method' in m) && m.id === id)
const closed = E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } })

/** Milliseconds from `since` until `promise` settles, or `'more than <ms> ms'`. */
const elapsed = async (since: number, promise: Promise<unknown>, ms: number): Promise<number | string> => {
  const at = await within(
    promise.then(() => performance.now()),
    ms,
  )
  return at === 'timed out' ? `more than ${ms} ms` : Math.round(at - since)
}

describe('prompt close while our side awaits a call back', () => {
  it('stdio: the child exits within 1 s of its stdin ending; its call back failed with Closed, and ask was still answered', async () => {
    const child = startChild('ndjson')
    cleanups.push(() => child.stop())
    child.process.stdin.write(encode('ndjson', ASK))
    // The child's call back comes on its stdout: a request this client never answers.
    expect(await child.inbox.until(() => child.inbox.messages.some(isPing), 15_000)).toBe(true)
    const ended = performance.now()
    child.process.stdin.end()
    const exitMs = await elapsed(ended, child.exited, 5_000)
    expect(exitMs).toBeTypeOf('number')
    expect(exitMs).toBeLessThan(1_000)
    expect((await child.exited).code).toBe(0)
    await child.inbox.until(() => child.inbox.ended(), 1_000)
    expect(answersTo(child.inbox, 'ask')).toEqual([ASKED_CLOSED])
    expect(child.stderr()).toContain("ask's call back ended: Closed")
  }, 30_000)

  it.each<[string, Framing.Framing, 'ndjson' | 'content-length']>([
    ['newline-delimited JSON', Framing.ndjson, 'ndjson'],
    ['Content-Length', Framing.contentLength, 'content-length'],
  ])(
    "TCP, %s: the client half-closes; the server's connection closes within 1 s, its call back failed with Closed",
    async (_name, framing, wire) => {
      const { server, methods } = await tcpServer(cleanups, framing)
      const socket = await rawSocket(cleanups, server.address.port)
      const box = readFrom(socket, wire)
      socket.write(encode(wire, ASK))
      expect(await box.until(() => box.messages.some(isPing), 5_000)).toBe(true)
      const [connection] = server.connections()
      const ended = performance.now()
      socket.end()
      const closeMs = await elapsed(ended, connection.closed, 5_000)
      expect(closeMs).toBeTypeOf('number')
      expect(closeMs).toBeLessThan(1_000)
      expect(methods.asked).toEqual(['Closed'])
      // The answer to `ask`, computed after the client's half-close, is still written; then the
      // server ends its side.
      expect(await box.until(() => box.ended(), 2_000)).toBe(true)
      expect(answersTo(box, 'ask')).toEqual([ASKED_CLOSED])
    },
    30_000,
  )

  it("TCP: connection.close() on the server's side fails its pending call with Closed at once", async () => {
    const { server } = await tcpServer(cleanups, Framing.ndjson)
    const socket = await rawSocket(cleanups, server.address.port)
    const box = readFrom(socket, 'ndjson')
    // Wait until the server has the connection (the raw client's first request answered).
    socket.write(encode('ndjson', '{"jsonrpc":"2.0","method":"echo","params":{"n":1},"id":1}'))
    expect(await box.until(() => answersTo(box, 1).length > 0, 5_000)).toBe(true)
    const connection = server.connections()[0]
    const call = pipe(connection.client, Client.call(Methods.Ping))()
    expect(await box.until(() => box.messages.some(isPing), 5_000)).toBe(true)
    const start = performance.now()
    const closing = connection.close()
    const failMs = await elapsed(start, call, 5_000)
    expect(await call).toEqual(closed)
    expect(failMs).toBeLessThan(200)
    expect(await within(closing, 3_000)).not.toBe('timed out')
  })

  it('TCP: connection.close() while a handler awaits its call back: the call back fails with Closed at once, and its answer is written', async () => {
    const { server, methods } = await tcpServer(cleanups, Framing.ndjson)
    const socket = await rawSocket(cleanups, server.address.port)
    const box = readFrom(socket, 'ndjson')
    socket.write(encode('ndjson', ASK))
    expect(await box.until(() => box.messages.some(isPing), 5_000)).toBe(true)
    const connection = server.connections()[0]
    const asked = once(methods.events, 'asked')
    const start = performance.now()
    const closing = connection.close()
    const failMs = await elapsed(start, asked, 5_000)
    expect(methods.asked).toEqual(['Closed'])
    expect(failMs).toBeLessThan(200)
    expect(await within(closing, 3_000)).not.toBe('timed out')
    await box.until(() => box.ended(), 2_000)
    expect(answersTo(box, 'ask')).toEqual([ASKED_CLOSED])
  }, 30_000)

  it('TCP: connection.close() on a connect()ed client fails its pending call with Closed at once', async () => {
    const peer = await rawServer()
    const connection = await listening(connect({ port: peer.port, framing: Framing.ndjson }))
    cleanups.push(() => connection.destroy())
    const box = await peer.accepted
    const call = pipe(connection.client, Client.call(Methods.Echo, { n: 1 }))()
    expect(await box.until(() => box.messages.some((m: Message) => m?.method === 'echo'), 5_000)).toBe(true)
    const start = performance.now()
    const closing = connection.close()
    const failMs = await elapsed(start, call, 5_000)
    expect(await call).toEqual(closed)
    expect(failMs).toBeLessThan(200)
    expect(await within(closing, 3_000)).not.toBe('timed out')
  })
})

/** A plain `net` server on 127.0.0.1 that reads what its first connection writes and answers nothing. */
const rawServer = async () => {
  const sockets: Array<net.Socket> = []
  let accept: (box: Inbox) => void = () => undefined
  const accepted = new Promise<Inbox>((resolve) => (accept = resolve))
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined)
    sockets.push(socket)
    accept(readFrom(socket, 'ndjson'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  )
  return { port: (server.address() as net.AddressInfo).port, accepted, sockets }
}

const cancelRequest = (id: unknown) => ({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } })

describe('cancellation over the wire', () => {
  it("between two fp-jsonrpc peers: the client aborts its call; it fails with Aborted, and the server's handler sees its signal abort", async () => {
    const { server, methods } = await tcpServer(cleanups, Framing.ndjson)
    const connection = await listening(connect({ port: server.address.port, framing: Framing.ndjson }))
    cleanups.push(() => connection.destroy())
    const started = once(methods.events, 'started')
    const controller = new AbortController()
    const call = pipe(connection.client, Client.call(Methods.Wait, { ms: 3_000 }, { signal: controller.signal }))()
    expect(await within(started, 5_000)).not.toBe('timed out')
    const aborted = once(methods.events, 'aborted')
    controller.abort('no longer needed')
    expect(await within(call, 1_000)).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Aborted', reason: 'no longer needed' } }))
    expect(await elapsed(performance.now(), aborted, 2_000)).toBeTypeOf('number')
    // The connection carries on.
    expect(await pipe(connection.client, Client.call(Methods.Echo, { n: 2 }))()).toEqual(E.right(2))
  })

  it("a $/cancelRequest written by a raw client: the request is answered -32800 exactly once, and the handler's signal aborts", async () => {
    const { server, methods } = await tcpServer(cleanups, Framing.ndjson)
    const socket = await rawSocket(cleanups, server.address.port)
    const box = readFrom(socket, 'ndjson')
    const started = once(methods.events, 'started')
    const aborted = once(methods.events, 'aborted')
    socket.write(encode('ndjson', '{"jsonrpc":"2.0","method":"wait","params":{"ms":1500},"id":7}'))
    expect(await within(started, 5_000)).not.toBe('timed out')
    socket.write(encode('ndjson', JSON.stringify(cancelRequest(7))))
    expect(await box.until(() => answersTo(box, 7).length > 0, 3_000)).toBe(true)
    // The handler answers 'aborted' as soon as its signal aborts: a second answer, if the server let
    // it through, would come now. Read on for 200 ms.
    await sleep(200)
    expect(answersTo(box, 7)).toEqual([{ jsonrpc: '2.0', error: { code: -32800, message: 'Request cancelled' }, id: 7 }])
    expect(await within(aborted, 1_000)).toEqual([7])
    socket.write(encode('ndjson', '{"jsonrpc":"2.0","method":"echo","params":{"n":8},"id":8}'))
    expect(await box.until(() => answersTo(box, 8).length > 0, 3_000)).toBe(true)
    expect(answersTo(box, 8)).toEqual([{ jsonrpc: '2.0', result: 8, id: 8 }])
  })

  describe('what a connect()ed client writes when one of its calls is given up (read by a raw server)', () => {
    const giveUp = async (options: { readonly cancellation?: boolean }, how: 'signal' | 'timeout') => {
      const peer = await rawServer()
      const connection = await listening(connect({ port: peer.port, framing: Framing.ndjson, ...options }))
      cleanups.push(() => connection.destroy())
      const box = await peer.accepted
      const controller = new AbortController()
      const call = pipe(connection.client, Client.call(Methods.Wait, { ms: 10_000 }, how === 'signal' ? { signal: controller.signal } : { timeoutMs: 50 }))()
      expect(await box.until(() => box.messages.some((m: Message) => m?.method === 'wait'), 5_000)).toBe(true)
      const id: unknown = box.messages.find((m: Message) => m?.method === 'wait').id
      if (how === 'signal') controller.abort('enough')
      const failed = await within(call, 2_000)
      expect(failed).toEqual(E.left({ _tag: 'TransportError', error: how === 'signal' ? { _tag: 'Aborted', reason: 'enough' } : { _tag: 'Timeout', ms: 50 } }))
      return { box, id }
    }

    it.each(['signal', 'timeout'] as const)('by default, a call given up (its %s) is cancelled: $/cancelRequest with its id', async (how) => {
      const { box, id } = await giveUp({}, how)
      expect(await box.until(() => box.messages.some((m: Message) => m?.method === '$/cancelRequest'), 1_000)).toBe(true)
      expect(box.messages.filter((m: Message) => m?.method === '$/cancelRequest')).toEqual([cancelRequest(id)])
    })

    it.each(['signal', 'timeout'] as const)('with cancellation: false, nothing is written when a call is given up (its %s)', async (how) => {
      const { box } = await giveUp({ cancellation: false }, how)
      // Nothing may come: read for 200 ms.
      await sleep(200)
      expect(box.messages.filter((m: Message) => m?.method !== 'wait')).toEqual([])
    })
  })
})
