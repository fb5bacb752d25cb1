/**
 * The stream transports' limits: message and header sizes in the decoders (no I/O), then over real
 * TCP servers on 127.0.0.1 (port 0): what a peer over a limit gets, that the connection and the
 * server carry on, the idle timeout, and that bytes that are not UTF-8 never reach the dispatcher.
 */
import { once } from 'node:events'
import * as net from 'node:net'
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Client, Dispatch, Method, Registry } from '../src/index.js'
import { Framing as _, attach, connect, listen, type ListenOptions, type Server } from '../src/stream/index.js'
import * as Methods from './fixtures/stream-methods.js'

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8')
const message = (text: string): _.Event => ({ _tag: 'Message', text })
const tooLarge = (part: 'message' | 'header', limit: number, length: number | undefined): _.Event => ({
  _tag: 'Error',
  error: { _tag: 'TooLarge', part, limit, length },
})

const MiB = 1024 * 1024

// -------------------------------------------------------------------------------------
// decoders
// -------------------------------------------------------------------------------------

describe('defaults', () => {
  it('messages of 1 MiB and header blocks of 8 KiB', () => {
    expect(_.defaultLimits).toEqual({ maxMessageBytes: MiB, maxHeaderBytes: 8 * 1024 })
  })

  it('a line of exactly 1 MiB is read; one byte more is TooLarge', () => {
    const line = `"${'x'.repeat(MiB - 2)}"`
    expect(pipe([bytes(line + '\n')], _.decodeAll(_.ndjson))).toEqual([message(line)])
    expect(pipe([bytes(line + ' \n')], _.decodeAll(_.ndjson))).toEqual([tooLarge('message', MiB, MiB + 1)])
  })

  it('a Content-Length of 1 MiB is read; one byte more is TooLarge on its header', () => {
    const decoder = _.contentLength.makeDecoder()
    expect(decoder.push(bytes(`Content-Length: ${MiB + 1}\r\n`))).toEqual([tooLarge('message', MiB, MiB + 1)])
    const body = `"${'x'.repeat(MiB - 2)}"`
    expect(pipe([_.contentLength.encode(body)], _.decodeAll(_.contentLength))).toEqual([message(body)])
  })
})

describe('newline-delimited JSON: a line over maxMessageBytes', () => {
  const limits = { maxMessageBytes: 16 }

  it('whole in one chunk: reported with its length, and the next line is read', () => {
    expect(pipe([bytes('{"a":"0123456789abcdef"}\n{"b":1}\n')], _.decodeAll(_.ndjson, limits))).toEqual([tooLarge('message', 16, 24), message('{"b":1}')])
  })

  it('its \\r\\n is not counted', () => {
    expect(pipe([bytes('{"a":"01234567"}\r\n')], _.decodeAll(_.ndjson, limits))).toEqual([message('{"a":"01234567"}')])
  })

  it('arriving in pieces: reported once, as soon as the bytes held pass the limit, and never held whole', () => {
    const decoder = _.ndjson.makeDecoder(limits)
    expect(decoder.push(bytes('{"a":"0123456'))).toEqual([])
    expect(decoder.push(bytes('789abcdef'))).toEqual([tooLarge('message', 16, undefined)])
    expect(decoder.buffered?.()).toBe(0)
    for (let i = 0; i < 1000; i++) expect(decoder.push(bytes('0123456789'))).toEqual([])
    expect(decoder.buffered?.()).toBe(0)
    expect(decoder.push(bytes('"}\n{"b":1}\n'))).toEqual([message('{"b":1}')])
  })

  it('a stream that ends inside a dropped line gives nothing more', () => {
    const decoder = _.ndjson.makeDecoder(limits)
    expect(decoder.push(bytes('x'.repeat(40)))).toEqual([tooLarge('message', 16, undefined)])
    expect(decoder.end()).toEqual([])
  })

  it('Infinity is no limit', () => {
    const line = `"${'x'.repeat(2 * MiB)}"`
    expect(pipe([bytes(line + '\n')], _.decodeAll(_.ndjson, { maxMessageBytes: Infinity }))).toEqual([message(line)])
  })
})

describe('Content-Length: a body over maxMessageBytes', () => {
  const limits = { maxMessageBytes: 16 }

  it('is refused on its header, before any byte of it comes, and nothing is allocated for it', () => {
    const decoder = _.contentLength.makeDecoder(limits)
    // 15 digits: a petabyte announced; nothing of that size may ever be allocated.
    expect(decoder.push(bytes('Content-Length: 999999999999999\r\n'))).toEqual([tooLarge('message', 16, 999_999_999_999_999)])
    expect(decoder.push(bytes('\r\n'))).toEqual([])
    expect(decoder.buffered?.()).toBe(0)
    expect(decoder.push(Buffer.alloc(64 * 1024, 0x78))).toEqual([])
    expect(decoder.buffered?.()).toBe(0)
  })

  it('its body is skipped as it comes, and the next message is read where it starts', () => {
    const decoder = _.contentLength.makeDecoder(limits)
    expect(decoder.push(bytes('Content-Length: 40\r\n\r\n'))).toEqual([tooLarge('message', 16, 40)])
    for (let i = 0; i < 4; i++) expect(decoder.push(bytes('0123456789'))).toEqual([])
    expect(decoder.push(_.contentLength.encode('{"b":1}'))).toEqual([message('{"b":1}')])
  })

  it('the same with every byte in its own chunk', () => {
    const all = Buffer.concat([bytes('Content-Length: 20\r\n\r\n'), Buffer.alloc(20, 0x7b), _.contentLength.encode('{"b":1}')])
    expect(
      pipe(
        [...all].map((b) => Uint8Array.of(b)),
        _.decodeAll(_.contentLength, limits),
      ),
    ).toEqual([tooLarge('message', 16, 20), message('{"b":1}')])
  })

  it('a stream that ends inside a skipped body gives nothing more', () => {
    const decoder = _.contentLength.makeDecoder(limits)
    decoder.push(bytes('Content-Length: 40\r\n\r\n0123'))
    expect(decoder.end()).toEqual([])
  })
})

describe('Content-Length: a header block over maxHeaderBytes', () => {
  const limits = { maxHeaderBytes: 64 }

  it('many header lines: reported, then the next message is read', () => {
    const headers = Array.from({ length: 10 }, (_, i) => `X-Header-${i}: value\r\n`).join('')
    expect(pipe([bytes(`Content-Length: 7\r\n${headers}\r\n{"a":1}`), _.contentLength.encode('{"b":1}')], _.decodeAll(_.contentLength, limits))).toEqual([
      tooLarge('header', 64, undefined),
      message('{"b":1}'),
    ])
  })

  it('one line with no end in sight: reported once its bytes pass the limit, and never held whole', () => {
    const decoder = _.contentLength.makeDecoder(limits)
    expect(decoder.push(bytes('X-Padding: '))).toEqual([])
    expect(decoder.push(bytes('y'.repeat(100)))).toEqual([tooLarge('header', 64, undefined)])
    for (let i = 0; i < 1000; i++) decoder.push(bytes('y'.repeat(100)))
    expect(decoder.buffered?.()).toBeLessThanOrEqual(64 + 15)
    expect(decoder.push(bytes('\r\n'))).toEqual([])
    expect(decoder.push(_.contentLength.encode('{"b":1}'))).toEqual([message('{"b":1}')])
  })
})

describe('properties', () => {
  const framings = [_.ndjson, _.contentLength]

  it('any bytes, cut anywhere, with any limits: never throw, and the bytes held stay within the limits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...framings),
        fc.array(
          fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(bytes('Content-Length: 30\r\n\r\n'), bytes('\n'), bytes('Content-Length: 9999\r\n'))),
        ),
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 64 }),
        (framing, chunks, maxMessageBytes, maxHeaderBytes) => {
          const decoder = framing.makeDecoder({ maxMessageBytes, maxHeaderBytes })
          for (const chunk of chunks) {
            for (const event of decoder.push(chunk)) {
              if (event._tag === 'Message') expect(Buffer.byteLength(event.text)).toBeLessThanOrEqual(maxMessageBytes)
              else expect(typeof _.format(event.error)).toBe('string')
            }
            expect(decoder.buffered?.()).toBeLessThanOrEqual(Math.max(maxMessageBytes, maxHeaderBytes) + 15)
          }
          decoder.end()
        },
      ),
    )
  })

  it('messages within the limits round-trip whatever the limits cut around them', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...framings),
        fc.array(fc.string({ minLength: 1, maxLength: 30 }).map((s) => JSON.stringify(s))),
        fc.array(fc.nat()),
        (framing, texts, at) => {
          const all = Buffer.concat(texts.map((text) => framing.encode(text)))
          const points = [...new Set(at.map((p) => p % (all.length + 1)))].sort((a, b) => a - b)
          const chunks = [...points, all.length].map((p, i, ps) => all.subarray(i === 0 ? 0 : ps[i - 1], p))
          const big = Math.max(0, ...texts.map((text) => Buffer.byteLength(text)))
          const events = pipe(chunks, _.decodeAll(framing, { maxMessageBytes: big }))
          expect(events).toEqual(texts.map(message))
        },
      ),
    )
  })

  it('a large chunk mostly consumed is not kept alive by the few bytes held from it', () => {
    const decoder = _.ndjson.makeDecoder()
    const chunk = Buffer.concat([bytes(`"${'x'.repeat(500_000)}"\n`), bytes('{"a":')])
    expect(decoder.push(chunk)).toHaveLength(1)
    expect(decoder.buffered?.()).toBe(5)
    expect(decoder.push(bytes('1}\n'))).toEqual([message('{"a":1}')])
  })

  it('format says what was over which limit', () => {
    expect(_.format({ _tag: 'TooLarge', part: 'message', limit: 16, length: 40 })).toBe('a message of 40 bytes, over the limit of 16 bytes')
    expect(_.format({ _tag: 'TooLarge', part: 'message', limit: 16, length: undefined })).toBe('a message over the limit of 16 bytes')
    expect(_.format({ _tag: 'TooLarge', part: 'header', limit: 64, length: undefined })).toBe('a header block over the limit of 64 bytes')
  })
})

// -------------------------------------------------------------------------------------
// over TCP
// -------------------------------------------------------------------------------------

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

const ok = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e)) throw new Error(`expected a Right, got ${JSON.stringify(e.left)}`)
  return e.right
}

const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })

const startServer = async (framing: _.Framing, extra: Partial<ListenOptions<Methods.Context>> = {}) => {
  const errors: Array<_.FramingError> = []
  const logged: Array<string> = []
  const registry = pipe(
    Methods.registry('server').registry,
    Registry.add(Log, ({ line }) => void logged.push(line)),
  )
  const server: Server = ok(
    await listen({
      framing,
      dispatcher: Dispatch.make(registry),
      context: ({ client }) => ({ client }),
      onFramingError: (error) => void errors.push(error),
      ...extra,
    })(),
  )
  cleanup.push(() => server.close())
  return { server, errors, logged }
}

/** A raw socket: writes exact bytes, reads what comes back. */
const raw = async (port: number) => {
  const socket = net.connect({ host: '127.0.0.1', port })
  await once(socket, 'connect')
  cleanup.push(() => socket.destroy())
  let received = ''
  const waiting: Array<() => void> = []
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8')
    for (const wake of waiting.splice(0)) wake()
  })
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()))
  return {
    socket,
    ended,
    write: (data: string | Uint8Array) => new Promise<void>((resolve) => socket.write(data, () => resolve())),
    received: () => received,
    /** Waits until what was received includes `text`. */
    until: async (text: string) => {
      while (!received.includes(text)) await new Promise<void>((resolve) => waiting.push(resolve))
    },
  }
}

const request = (id: number, method: string, params: unknown): string => JSON.stringify({ jsonrpc: '2.0', method, params, id })

describe('over TCP: a message over the limit', () => {
  it('ndjson: a line over maxMessageBytes is reported and dropped; the next line on the same connection is answered', async () => {
    const { server, errors } = await startServer(_.ndjson, { maxMessageBytes: 1024 })
    const client = await raw(server.address.port)
    await client.write(request(1, 'echo', { text: 'x'.repeat(5000) }) + '\n')
    await client.write(request(2, 'echo', { text: 'short' }) + '\n')
    await client.until('"id":2')
    expect(client.received()).toBe('{"jsonrpc":"2.0","result":"short","id":2}\n')
    // Its length is known when the whole line came in one chunk, not otherwise.
    expect(errors).toMatchObject([{ _tag: 'TooLarge', part: 'message', limit: 1024 }])
    expect([undefined, 5061]).toContain((errors[0] as { length?: number }).length)
  })

  it('Content-Length: a huge declared length is reported at once, its body skipped, and the next message answered', async () => {
    const { server, errors } = await startServer(_.contentLength, { maxMessageBytes: 1024 })
    const client = await raw(server.address.port)
    await client.write('Content-Length: 4000\r\n\r\n')
    await expect.poll(() => errors).toEqual([{ _tag: 'TooLarge', part: 'message', limit: 1024, length: 4000 }])
    await client.write('x'.repeat(4000))
    const next = request(2, 'echo', { text: 'short' })
    await client.write(_.contentLength.encode(next))
    await client.until('"id":2')
    expect(client.received()).toBe(`Content-Length: 41\r\n\r\n{"jsonrpc":"2.0","result":"short","id":2}`)
  })

  it('the default limit is 1 MiB, and other connections are served meanwhile', async () => {
    const { server, errors } = await startServer(_.ndjson)
    const flooding = await raw(server.address.port)
    const other = ok(await connect({ port: server.address.port, framing: _.ndjson })())
    cleanup.push(() => other.destroy())
    await flooding.write(Buffer.alloc(MiB + 2, 0x78))
    await expect.poll(() => errors).toEqual([{ _tag: 'TooLarge', part: 'message', limit: MiB, length: undefined }])
    expect(await pipe(other.client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    await flooding.write('\n' + request(3, 'whoami', undefined) + '\n')
    await flooding.until('"id":3')
    expect(flooding.received()).toBe('{"jsonrpc":"2.0","result":"server","id":3}\n')
  })

  it('a client connection has the limits too', async () => {
    const big = Method.make({ name: 'big', result: t.string })
    const server = ok(
      await listen({
        framing: _.ndjson,
        dispatcher: Dispatch.make(
          pipe(
            Registry.empty,
            Registry.add(big, () => E.right('y'.repeat(2000))),
          ),
        ),
      })(),
    )
    cleanup.push(() => server.close())
    const errors: Array<_.FramingError> = []
    const connection = ok(await connect({ port: server.address.port, framing: _.ndjson, maxMessageBytes: 1000, onFramingError: (e) => void errors.push(e) })())
    cleanup.push(() => connection.destroy())
    const answer = await pipe(connection.client, Client.call(big, undefined, { timeoutMs: 200 }))()
    expect(answer).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 200 } }))
    expect(errors).toMatchObject([{ _tag: 'TooLarge', part: 'message', limit: 1000 }])
  })
})

describe('over TCP: bytes that are not UTF-8', () => {
  it.each([
    ['ndjson', _.ndjson],
    ['Content-Length', _.contentLength],
  ] as const)('%s: never reach the dispatcher, are not answered, and the connection carries on', async (_name, framing) => {
    const { server, errors, logged } = await startServer(framing)
    const client = await raw(server.address.port)
    // Valid JSON-RPC but for one byte that is not UTF-8: as mangled text it would log "\ufffd".
    const bad = Buffer.concat([bytes('{"jsonrpc":"2.0","method":"log","params":{"line":"'), Buffer.of(0xff), bytes('"},"id":1}')])
    await client.write(framing === _.ndjson ? Buffer.concat([bad, bytes('\n')]) : Buffer.concat([bytes(`Content-Length: ${bad.length}\r\n\r\n`), bad]))
    await client.write(framing.encode(request(2, 'log', { line: 'fine' })))
    await client.until('"id":2')
    expect(logged).toEqual(['fine'])
    expect(client.received()).not.toContain('"id":1')
    expect(errors).toEqual([{ _tag: 'InvalidUtf8', length: bad.length }])
  })
})

describe('over TCP: the idle timeout', () => {
  it('closes a connection that sends nothing, gracefully (its stream is ended)', async () => {
    const { server } = await startServer(_.ndjson, { idleTimeoutMs: 100 })
    const client = await raw(server.address.port)
    const started = Date.now()
    await client.ended
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    await expect.poll(() => server.connections().length).toBe(0)
  })

  it('is 5 minutes by default for the connections listen accepts', async () => {
    const { server } = await startServer(_.ndjson)
    const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
    // Only timeouts and the clock are faked: the sockets run for real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const client = await raw(server.address.port)
      let ended = false
      void client.ended.then(() => (ended = true))
      while (server.connections().length === 0) await tick()
      vi.advanceTimersByTime(5 * 60 * 1000 - 1)
      for (let i = 0; i < 10; i++) await tick()
      expect(ended).toBe(false)
      vi.advanceTimersByTime(1)
      await client.ended
    } finally {
      vi.useRealTimers()
    }
  })

  it('activity keeps it open, and a call being answered is not cut off', async () => {
    const { server } = await startServer(_.ndjson, { idleTimeoutMs: 150 })
    const client = await raw(server.address.port)
    let ended = false
    void client.ended.then(() => (ended = true))
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 75))
      await client.write(request(i, 'whoami', undefined) + '\n')
    }
    // A handler that takes longer than the idle timeout.
    await client.write(request(9, 'slow', { ms: 300 }) + '\n')
    await client.until('"id":9')
    expect(ended).toBe(false)
    expect(client.received()).toContain('{"jsonrpc":"2.0","result":300,"id":9}\n')
    await client.ended
  })

  it('is off with Infinity, and on the connecting side unless asked', async () => {
    const { server } = await startServer(_.ndjson, { idleTimeoutMs: Infinity })
    const idle = ok(await connect({ port: server.address.port, framing: _.ndjson })())
    cleanup.push(() => idle.destroy())
    const timed = ok(await connect({ port: server.address.port, framing: _.ndjson, idleTimeoutMs: 50 })())
    cleanup.push(() => timed.destroy())
    await timed.closed
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(server.connections()).toHaveLength(1)
    expect(await pipe(idle.client, Client.call(Methods.Whoami))()).toEqual(E.right('server'))
  })

  it('attach takes it too, for any pair of streams', async () => {
    const { PassThrough } = await import('node:stream')
    const aToB = new PassThrough()
    const bToA = new PassThrough()
    const a = attach(bToA, aToB, { framing: _.ndjson, idleTimeoutMs: 50 })
    const b = attach(aToB, bToA, { framing: _.ndjson })
    await a.closed
    await b.closed
  })
})

describe('a frame that is not UTF-8 after the write side has closed', () => {
  it('is reported, and answering it (impossible) throws nothing', async () => {
    const { PassThrough } = await import('node:stream')
    const { attach, Framing: F } = await import('../src/stream/index.js')
    const { Dispatch: D, Registry: R } = await import('../src/index.js')
    const readable = new PassThrough()
    const writable = new PassThrough()
    const errors: Array<string> = []
    attach(readable, writable, { framing: F.ndjson, dispatcher: D.make(R.empty), onFramingError: (e) => void errors.push(e._tag) })
    writable.end()
    await new Promise((r) => setImmediate(r))
    // Before the fix, the Parse error's write threw here, inside the 'data' event.
    expect(() => readable.write(Buffer.from([0x22, 0xff, 0x22, 0x0a]))).not.toThrow()
    await new Promise((r) => setImmediate(r))
    expect(errors).toEqual(['InvalidUtf8'])
  })
})
