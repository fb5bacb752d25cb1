/**
 * Graceful shutdown under load (issue #4): a server closed while calls are in flight answers every
 * call it had received before close began, then closes. Checked for `serve` (HTTP), a TCP `listen`
 * server, and a WebSocket server from `attachToHttp`, each with slow calls in flight when `close` is
 * called. bench/soak.ts does the same at scale, with SIGTERM to a child process.
 */
import * as net from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { serve } from '../../src/http/index.js'
import { Framing, listen } from '../../src/stream/index.js'
import * as Ws from '../../src/ws/index.js'
import { dispatcher, probe, probeAnswer } from './methods.js'
import { frame, openWebSocket, overStreams } from './wire.js'

const N = 20
const sleep = (id: number): string => `{"jsonrpc":"2.0","method":"sleep","params":{"ms":40},"id":${id}}`
const slept = (id: number): string => `{"jsonrpc":"2.0","result":40,"id":${id}}`
const ids = Array.from({ length: N }, (_, i) => i + 1)
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('close with calls in flight: every call received before close is answered', () => {
  it('HTTP (serve): each in-flight POST gets its answer', async () => {
    const started = await serve({ dispatcher })()
    if (E.isLeft(started)) throw new Error('serve failed')
    const server = started.right
    let received = 0
    server.server.on('request', () => void received++)
    const answers = ids.map((id) =>
      fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sleep(id) }).then(
        (res) => res.text(),
        () => 'failed',
      ),
    )
    // Every request has reached the server (and the sleeps take 40 ms): close now.
    while (received < N) await pause(1)
    await server.close()
    expect(await Promise.all(answers)).toEqual(ids.map(slept))
  })

  it('TCP (listen): each in-flight call is answered before the connection ends', async () => {
    const out = await listen({ framing: Framing.ndjson, dispatcher })()
    if (E.isLeft(out)) throw new Error('listen failed')
    const server = out.right
    const socket = net.connect({ host: '127.0.0.1', port: server.address.port })
    socket.setNoDelay(true)
    await new Promise((resolve) => socket.once('connect', resolve))
    const client = overStreams('ndjson', socket, socket, async () => void socket.destroy())
    for (const id of ids) socket.write(frame('ndjson', sleep(id)))
    // The probe is answered at once, so the sleeps sent before it are all received and in flight.
    socket.write(frame('ndjson', probe('in')))
    await client.until((inbox) => inbox.messages.includes(probeAnswer('in')), 5_000, 'the probe answer')
    await server.close()
    await client.until((inbox) => inbox.closed !== undefined, 5_000, 'the end of the connection')
    expect([...client.inbox.messages].sort()).toEqual([probeAnswer('in'), ...ids.map(slept)].sort())
  })

  // KNOWN BUG (src/ws/server.ts close, src/ws/socket.ts bind): close() sends 1001 to every connection
  // at once, and an answer computed after that is dropped (the peer's write throws once the socket is
  // no longer OPEN), so every call in flight is lost. HTTP serve and TCP listen answer them first.
  it('WebSocket (attachToHttp): each in-flight call is answered before the 1001 close', async () => {
    const started = await serve({ dispatcher })()
    if (E.isLeft(started)) throw new Error('serve failed')
    const http = started.right
    const ws = Ws.attachToHttp(http.server, dispatcher, { path: '/ws' })
    const client = await openWebSocket(http.url.replace(/^http/, 'ws').replace(/\/$/, '/ws'))
    for (const id of ids) client.send(sleep(id))
    client.send(probe('in'))
    await client.until((inbox) => inbox.messages.includes(probeAnswer('in')), 5_000, 'the probe answer')
    await ws.close()
    await http.close()
    await client.until((inbox) => inbox.closed !== undefined, 5_000, 'the close')
    expect(client.inbox.closed).toBe(1001)
    expect([...client.inbox.messages].sort()).toEqual([probeAnswer('in'), ...ids.map(slept)].sort())
  })
})
