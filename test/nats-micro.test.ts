// The NATS micro-service protocol as a JSON-RPC worker answers it (`serve` with a `service`), against
// a real nats-server: raw requests to the $SRV subjects checked field by field, then the services
// client of nats.js (`@nats-io/services`, a devDependency used only here) as a peer of the protocol,
// and a service of that library beside ours, to compare the answers' shape with the reference's.
import type { NatsConnection } from '@nats-io/transport-node'
import { Svcm, type ServiceClient } from '@nats-io/services'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Nats from '../src/nats/index.js'
import * as NatsServer from './fixtures/natsServer.js'
import { makeDispatcher } from './fixtures/natsWorker.js'

const decoder = new TextDecoder()

const call = (method: string, params: unknown, id: number): string => JSON.stringify({ jsonrpc: '2.0', method, params, id })

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

let nats: NatsServer.NatsServer
const connections = NatsServer.connections()
const open = (): Promise<NatsConnection> => connections.open(nats.url)
beforeAll(async () => {
  nats = await NatsServer.start()
})
afterAll(async () => {
  await connections.closeAll()
  await nats.stop()
})

const served = async (nc: NatsConnection, options: Nats.ServeOptions<unknown>, label = 'w', delay = 0): Promise<Nats.Server> => {
  const result = await Nats.serve(nc, makeDispatcher(label, delay), options)()
  if (E.isLeft(result)) throw new Error(`serve failed: ${String(result.left.cause)}`)
  return result.right
}

/** Every answer to a request on `subject` within `ms` (a scatter-gather, as tooling does). */
const gather = async (nc: NatsConnection, subject: string, ms = 300): Promise<Array<Record<string, unknown>>> => {
  const answers: Array<Record<string, unknown>> = []
  const responses = await nc.requestMany(subject, '', { strategy: 'timer', maxWait: ms })
  for await (const m of responses) answers.push(JSON.parse(decoder.decode(m.data)))
  return answers
}

const ask = async (nc: NatsConnection, subject: string, payload = ''): Promise<Record<string, unknown>> =>
  JSON.parse(decoder.decode((await nc.request(subject, payload, { timeout: 2000 })).data))

describe('$SRV.PING, $SRV.INFO and $SRV.STATS, answered by a JSON-RPC worker', () => {
  it('answers PING on the subjects for all services, for its name, and for its name and id', async () => {
    const server = await served(await open(), {
      subject: 'rpc.billing',
      service: { name: 'billing', version: '1.2.3-rc.1', description: 'Bills', metadata: { region: 'eu' } },
    })
    const caller = await open()
    const id = server.service?.id ?? ''
    expect(id).toMatch(/^[0-9A-Za-z]{22}$/)
    const ping = { type: 'io.nats.micro.v1.ping_response', name: 'billing', id, version: '1.2.3-rc.1', metadata: { region: 'eu' } }
    for (const subject of ['$SRV.PING', '$SRV.PING.billing', `$SRV.PING.billing.${id}`]) {
      const answers = await gather(caller, subject)
      expect(answers).toEqual([ping])
    }
    expect(Nats.controlSubject('PING', 'billing', id)).toBe(`$SRV.PING.billing.${id}`)
    await expect(caller.request('$SRV.PING.other', '', { timeout: 1000 })).rejects.toThrow(/no responders/i)
    await expect(caller.request(`$SRV.PING.billing.${id}x`, '', { timeout: 1000 })).rejects.toThrow(/no responders/i)
    await server.stop()
  })

  it('answers INFO with its description, metadata and the JSON-RPC endpoint (subject, queue group)', async () => {
    const server = await served(await open(), {
      subject: 'rpc.info',
      queue: 'workers',
      service: {
        name: 'info-test',
        version: '2.0.0',
        id: 'fixed_id-1',
        description: 'JSON-RPC over NATS',
        endpoint: 'rpc',
        endpointMetadata: { kind: 'json-rpc' },
      },
    })
    const caller = await open()
    expect(await ask(caller, '$SRV.INFO.info-test.fixed_id-1')).toEqual({
      type: 'io.nats.micro.v1.info_response',
      name: 'info-test',
      id: 'fixed_id-1',
      version: '2.0.0',
      metadata: {},
      description: 'JSON-RPC over NATS',
      endpoints: [{ name: 'rpc', subject: 'rpc.info', queue_group: 'workers', metadata: { kind: 'json-rpc' } }],
    })
    await server.stop()
  })

  it('counts requests, errors (answers of JSON-RPC errors only), the last error and the time spent, in nanoseconds', async () => {
    const before = new Date().toISOString()
    const server = await served(await open(), { subject: 'rpc.stats', service: { name: 'stats-test', version: '0.1.0' } }, 'w', 0)
    const after = new Date().toISOString()
    const caller = await open()
    const id = server.service?.id ?? ''
    const empty = await ask(caller, `$SRV.STATS.stats-test.${id}`)
    expect(empty).toEqual({
      type: 'io.nats.micro.v1.stats_response',
      name: 'stats-test',
      id,
      version: '0.1.0',
      metadata: {},
      started: expect.stringMatching(ISO_DATE),
      endpoints: [
        {
          name: 'jsonrpc',
          subject: 'rpc.stats',
          queue_group: 'q',
          num_requests: 0,
          num_errors: 0,
          last_error: '',
          processing_time: 0,
          average_processing_time: 0,
        },
      ],
    })
    const started = empty['started'] as string
    expect(started >= before && started <= after).toBe(true)

    const send = async (payload: string | Uint8Array) => void (await caller.request('rpc.stats', payload, { timeout: 5000 }))
    await send(call('wait', { ms: 40 }, 1)) // success, 40 ms
    await send(call('echo', { text: 'x' }, 2)) // success
    await send(call('nope', [], 3)) // error: Method not found
    await send(`[${call('echo', { text: 'x' }, 4)},${call('nope', [], 5)}]`) // a success among errors: not an error
    await send('{"jsonrpc":"2.0","method":"echo","params":{"text":"n"}}') // a notification, empty reply: not an error
    await send(`[${call('nope', [], 6)},${call('echo', { text: 1 }, 7)}]`) // errors only: an error, the last Invalid params
    await send(Uint8Array.from([0xff])) // Parse error
    await send(call('echo', {}, 8)) // Invalid params, the last error
    const stats = await ask(caller, `$SRV.STATS.stats-test.${id}`)
    const [endpoint] = stats['endpoints'] as Array<Record<string, number | string>>
    expect(endpoint).toMatchObject({ num_requests: 8, num_errors: 4, last_error: '-32602 Invalid params' })
    const total = endpoint?.['processing_time'] as number
    expect(Number.isInteger(total)).toBe(true)
    // 40 ms of a handler's wait, in nanoseconds; and the rest did not take seconds.
    expect(total).toBeGreaterThanOrEqual(39e6)
    expect(total).toBeLessThan(2e9)
    expect(endpoint?.['average_processing_time']).toBe(Math.round(total / 8))
    expect(server.stats()).toEqual(endpoint)
    await server.stop()
  })

  it('answers for each instance: two workers of one service give two identities; a stopped one no more', async () => {
    const a = await served(await open(), { subject: 'rpc.pair', service: { name: 'pair', version: '1.0.0' } })
    const b = await served(await open(), { subject: 'rpc.pair', service: { name: 'pair', version: '1.0.0' } })
    const caller = await open()
    const ids = (await gather(caller, '$SRV.PING.pair')).map((p) => p['id']).sort()
    expect(ids).toEqual([a.service?.id, b.service?.id].sort())
    expect(a.service?.id).not.toBe(b.service?.id)
    await a.stop()
    expect((await gather(caller, '$SRV.PING.pair')).map((p) => p['id'])).toEqual([b.service?.id])
    await b.stop()
    await expect(caller.request('$SRV.PING.pair', '', { timeout: 1000 })).rejects.toThrow(/no responders/i)
  })

  it('refuses a name, id or version the protocol does not allow', () => {
    const nc = {} as NatsConnection
    const d = makeDispatcher('w', 0)
    for (const service of [
      { name: '', version: '1.0.0' },
      { name: 'a b', version: '1.0.0' },
      { name: 'a.b', version: '1.0.0' },
      { name: 'a*', version: '1.0.0' },
      { name: 'ok', version: 'v1.0.0' },
      { name: 'ok', version: '01.0.0' },
      { name: 'ok', version: '1.0.0', id: 'x.y' },
      { name: 'ok', version: '1.0.0', endpoint: 'a>' },
    ]) {
      expect(() => Nats.serve(nc, d, { subject: 's', service })).toThrow(TypeError)
    }
  })
})

describe("nats.js's services client and service, as peers of the protocol", () => {
  // @nats-io/services carries its own copy of the NATS core (3.0.0-50), whose connection type is a
  // different declaration of the same interface: the connection is passed through `never`.
  const clientOf = (nc: NatsConnection): ServiceClient => new Svcm(nc as never).client({ strategy: 'timer', maxWait: 300 } as never)

  const all = async <A>(iter: AsyncIterable<A>): Promise<Array<A>> => {
    const out: Array<A> = []
    for await (const a of iter) out.push(a)
    return out
  }

  it("reads our worker's ping, info and stats", async () => {
    const server = await served(await open(), {
      subject: 'rpc.peer',
      service: { name: 'peer-test', version: '3.1.4', description: 'seen by nats.js', metadata: { a: 'b' } },
    })
    const caller = await open()
    const client = clientOf(caller)
    await caller.request('rpc.peer', call('whoami', [], 1), { timeout: 2000 })
    const id = server.service?.id
    const pings = await all(await client.ping('peer-test'))
    expect(pings).toEqual([{ type: 'io.nats.micro.v1.ping_response', name: 'peer-test', id, version: '3.1.4', metadata: { a: 'b' } }])
    const [info] = await all(await client.info('peer-test', id))
    expect(info?.endpoints).toEqual([{ name: 'jsonrpc', subject: 'rpc.peer', queue_group: 'q' }])
    expect(info?.description).toBe('seen by nats.js')
    const [stats] = await all(await client.stats('peer-test'))
    expect(stats?.endpoints?.[0]?.num_requests).toBe(1)
    expect(stats?.endpoints?.[0]?.num_errors).toBe(0)
    await server.stop()
  })

  it("answers with the members nats.js's own service answers with, of the same types", async () => {
    const nc = await open()
    const reference = await new Svcm(nc as never).add({ name: 'shape', version: '1.0.0', description: 'reference', metadata: { k: 'v' } })
    reference.addEndpoint('ep', { subject: 'shape.ref', handler: (_err, msg) => void msg.respond('') })
    const ours = await served(await open(), { subject: 'shape.ours', service: { name: 'shape', version: '1.0.0', description: 'ours', metadata: { k: 'v' } } })
    const caller = await open()
    await caller.request('shape.ref', '', { timeout: 2000 })
    await caller.request('shape.ours', call('whoami', [], 1), { timeout: 2000 })
    const shapeOf = (u: unknown): unknown =>
      Array.isArray(u)
        ? u.map(shapeOf)
        : typeof u === 'object' && u !== null
          ? Object.fromEntries(
              Object.entries(u)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, shapeOf(v)])
                .sort(([a], [b]) => String(a).localeCompare(String(b))),
            )
          : typeof u
    for (const verb of ['PING', 'INFO', 'STATS'] as const) {
      const answers = await gather(caller, `$SRV.${verb}.shape`)
      expect(answers).toHaveLength(2)
      const theirs = answers.find((a) => a['id'] === reference.info().id)
      const mine = answers.find((a) => a['id'] === ours.service?.id)
      // nats.js leaves out an error that has not happened (last_error) and has a `data` member for a
      // custom stats handler; the Go library always writes last_error. Everything else matches.
      const strip = (a: unknown): unknown => JSON.parse(JSON.stringify(a, (k, v: unknown) => (k === 'last_error' || k === 'data' ? undefined : v)))
      expect(shapeOf(strip(mine))).toEqual(shapeOf(strip(theirs)))
    }
    await reference.stop()
    await ours.stop()
  })
})
