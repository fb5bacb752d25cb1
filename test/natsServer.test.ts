// The nats-server fixture itself (test/fixtures/natsServer.ts), with the real NATS client: one
// server answers request-reply; a cluster of three carries a request made on one member to a
// responder on another, and goes on doing so once the member a client was on is killed.
import { connect } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import * as Nats from './fixtures/natsServer.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

describe('the nats-server fixture', () => {
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()))
  })

  it('starts a server on a port of its own on 127.0.0.1, and stops it', async () => {
    const server = await Nats.start()
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/)
    expect(server.port).not.toBe(4222)
    const nc = await connect({ servers: server.url })
    nc.subscribe('echo', { callback: (_err, msg) => void msg.respond(msg.data) })
    const reply = await nc.request('echo', encoder.encode('hello'), { timeout: 2000 })
    expect(decoder.decode(reply.data)).toBe('hello')
    await nc.close()
    await server.stop()
    expect(server.process.exitCode !== null || server.process.signalCode !== null).toBe(true)
  })

  it('sets max_payload when asked', async () => {
    const server = await Nats.start({ maxPayload: 4096 })
    stops.push(server.stop)
    const nc = await connect({ servers: server.url })
    expect(nc.info?.max_payload).toBe(4096)
    await nc.close()
  })

  it('joins three servers by routes: a request crosses them, and survives the loss of one', async () => {
    const cluster = await Nats.startCluster(3)
    stops.push(cluster.stop)
    const [a, b, c] = cluster.servers
    const responder = await connect({ servers: c.url })
    responder.subscribe('where', { callback: (_err, msg) => void msg.respond(encoder.encode('c')) })
    await responder.flush()
    const requester = await connect({ servers: [a.url, b.url], reconnectTimeWait: 50 })
    // The subscription reaches a's route table a moment after c has it.
    const ask = async () => decoder.decode((await requester.request('where', undefined, { timeout: 1000 })).data)
    await expect.poll(() => ask().catch(() => 'none'), { timeout: 5000 }).toBe('c')
    await cluster.servers[0].kill()
    await expect.poll(() => ask().catch(() => 'none'), { timeout: 10_000 }).toBe('c')
    // It failed over to a member still running: b, or c, which it learned of from the cluster.
    expect([b.url, c.url].map((u) => u.replace('nats://', ''))).toContain(requester.getServer())
    await requester.close()
    await responder.close()
  })
})
