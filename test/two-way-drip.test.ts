/**
 * Issue #8, evidence: a peer that starts a frame and drips it, one byte every 100 ms, cannot hold a
 * connection (and its buffers) open for ever. With `frameTimeoutMs: 1000` on a `listen` server, the
 * frame must complete within a second of its first byte: the server reports
 * `{ _tag: 'Stalled' }` to `onFramingError` and closes that connection, well before the frame
 * would have completed (5 s and more at this pace). A well-behaved client on another connection of
 * the same server is served throughout.
 */
import { performance } from 'node:perf_hooks'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { afterEach, describe, expect, it } from 'vitest'
import { Client } from '../src/index.js'
import { Framing, connect } from '../src/stream/index.js'
import { listening } from './fixtures/listening.js'
import * as Methods from './fixtures/two-way-methods.js'
import { encode, rawSocket, sleep, tcpServer, within, type Cleanups, type Wire } from './fixtures/two-way-wire.js'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const DRIP_MS = 100

describe.each<[string, Framing.Framing, Wire]>([
  ['newline-delimited JSON', Framing.ndjson, 'ndjson'],
  ['Content-Length', Framing.contentLength, 'content-length'],
])('TCP, %s: a frame dripped one byte every 100 ms', (_name, framing, wire) => {
  it('is cut off after frameTimeoutMs (1 s): Stalled reported, the connection closed; another connection is unaffected', async () => {
    const errors: Array<unknown> = []
    const { server } = await tcpServer(cleanups, framing, { frameTimeoutMs: 1_000, onFramingError: (error) => void errors.push(error) })

    const good = await listening(connect({ port: server.address.port, framing }))
    cleanups.push(() => good.destroy())
    expect(await pipe(good.client, Client.call(Methods.Echo, { n: 0 }))()).toEqual(E.right(0))

    const drip = await rawSocket(cleanups, server.address.port)
    const bytes = Buffer.from(encode(wire, '{"jsonrpc":"2.0","method":"echo","params":{"n":1},"id":1}'))
    // The frame would take this long to complete at this pace.
    expect(bytes.length * DRIP_MS).toBeGreaterThan(5_000)
    const dripClosed = new Promise<void>((resolve) => {
      drip.once('end', resolve)
      drip.once('close', resolve)
    })
    let sent = 0
    const dripOne = (): void => {
      if (sent < bytes.length && drip.writable) drip.write(bytes.subarray(sent, ++sent))
    }
    const started = performance.now()
    dripOne()
    const timer = setInterval(dripOne, DRIP_MS)
    cleanups.push(() => clearInterval(timer))

    // Meanwhile, the well-behaved client keeps calling (the asynchronous handler), until the drip is over.
    let over = false
    void dripClosed.then(() => (over = true))
    const served: Array<E.Either<unknown, number>> = []
    const calling = (async () => {
      for (let n = 1; !over && performance.now() - started < 4_000; n++) {
        served.push(await pipe(good.client, Client.call(Methods.Later, { n }, { timeoutMs: 2_000 }))())
        await sleep(50)
      }
    })()

    const closedAt = await within(
      dripClosed.then(() => performance.now()),
      4_000,
    )
    clearInterval(timer)
    await calling
    const closeMs = closedAt === 'timed out' ? `not closed after 4 s (${sent} of ${bytes.length} bytes sent)` : Math.round(closedAt - started)
    expect(closeMs).toBeTypeOf('number')
    expect(closeMs).toBeLessThan(3_000)
    expect(errors).toEqual([expect.objectContaining({ _tag: 'Stalled' })])
    expect(sent).toBeLessThan(bytes.length)

    // The other connection was served throughout, and still is.
    expect(served.length).toBeGreaterThan(0)
    expect(served.filter(E.isLeft)).toEqual([])
    expect(await pipe(good.client, Client.call(Methods.Echo, { n: 2 }))()).toEqual(E.right(2))
  }, 30_000)
})
