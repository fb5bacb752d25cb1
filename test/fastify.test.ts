/**
 * The Fastify adapter (fp-jsonrpc/fastify): every request of the table in
 * fixtures/frameworkCases.ts sent with Fastify's `inject` and answered as the node:http listener (on
 * a real server on 127.0.0.1) answers it; then Fastify's own parsers, prefixes, hooks, `context`
 * and `authenticate`, and one real Fastify server on loopback.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import { Buffer } from 'node:buffer'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listener } from '../src/http/index.js'
import * as _ from '../src/fastify/index.js'
import { Rules } from '../src/fetch/index.js'
import {
  answerOf,
  authenticate,
  cases,
  createServer,
  dispatcher,
  listen,
  optionSets,
  send,
  type Case,
  type Caller,
  type OptionSet,
} from './fixtures/frameworkCases.js'

type Running = Awaited<ReturnType<typeof listen>>

const fastifyApp = async (set: OptionSet): Promise<FastifyInstance> => {
  const app = Fastify()
  const rpc =
    set === 'authenticated'
      ? _.plugin(dispatcher, { ...optionSets[set], authenticate: (request) => authenticate(request.headers.authorization) })
      : _.plugin(dispatcher, optionSets[set])
  await app.register(rpc)
  await app.ready()
  return app
}

const listenerOf = (set: OptionSet) =>
  set === 'authenticated'
    ? listener(dispatcher, { ...optionSets[set], authenticate: (req) => authenticate(req.headers.authorization) })
    : listener(dispatcher, optionSets[set])

const inject = async (app: FastifyInstance, c: Case) => {
  const body = c.body
  const response = await app.inject({
    method: (c.method ?? 'POST') as 'POST',
    url: c.path ?? '/rpc',
    headers: { host: 'localhost:8080', ...c.headers },
    ...(body === undefined ? {} : { payload: Array.isArray(body) ? Readable.from(body as ReadonlyArray<string>) : body }),
  })
  return answerOf(response.statusCode, response.headers, response.body)
}

const servers: Array<Running> = []
const apps: Array<FastifyInstance> = []
const reference = new Map<OptionSet, Running>()
const fastify = new Map<OptionSet, FastifyInstance>()

beforeAll(async () => {
  for (const set of Object.keys(optionSets) as Array<OptionSet>) {
    const ref = await listen(createServer(listenerOf(set)))
    servers.push(ref)
    reference.set(set, ref)
    const app = await fastifyApp(set)
    apps.push(app)
    fastify.set(set, app)
  }
})

afterAll(async () => {
  await Promise.all([...servers.map((s) => s.stop()), ...apps.map((a) => a.close())])
})

describe('Fastify (inject) answers every request as the node:http listener does', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const expected = await send(reference.get(c.options)!.origin, c)
    expect(await inject(fastify.get(c.options)!, c)).toEqual(expected)
  })
})

describe('on a real Fastify server on loopback', () => {
  let running: Running
  beforeAll(async () => {
    const app = await fastifyApp('plain')
    apps.push(app)
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    running = { origin: `http://127.0.0.1:${address.port}`, stop: () => app.close() }
  })

  it.each(cases.filter((c) => c.options === 'plain').map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await send(running.origin, c)).toEqual(await send(reference.get('plain')!.origin, c))
  })
  it('answers Promise.all of 1000 calls, each with its own result', async () => {
    const answers = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const res = await fetch(`${running.origin}/rpc`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"jsonrpc":"2.0","method":"subtract","params":[${i},1],"id":${i}}`,
        })
        return res.text()
      }),
    )
    expect(answers).toEqual(Array.from({ length: 1000 }, (_, i) => `{"jsonrpc":"2.0","result":${i - 1},"id":${i}}`))
  })
})

describe('in a Fastify application', () => {
  let app: FastifyInstance
  const hooked: Array<string> = []
  beforeAll(async () => {
    app = Fastify()
    apps.push(app)
    // The application's hooks run for the plugin's route, as for any route.
    app.addHook('preHandler', async (request) => {
      hooked.push(`${request.method} ${request.url}`)
    })
    app.post('/json', async (request) => ({ got: request.body }))
    await app.register(
      _.plugin(dispatcher, {
        path: '/rpc',
        context: (request: FastifyRequest): Caller | undefined => {
          const user = request.headers['x-user']
          return typeof user === 'string' ? { user } : undefined
        },
      }),
      { prefix: '/api' },
    )
    await app.ready()
  })

  it('the route is under the prefix it is registered with', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/rpc',
      headers: { 'content-type': 'application/json', 'x-user': 'ada' },
      payload: '{"jsonrpc":"2.0","method":"whoami","id":1}',
    })
    expect([response.statusCode, response.body]).toEqual([200, '{"jsonrpc":"2.0","result":"ada","id":1}'])
    expect((await app.inject({ method: 'POST', url: '/rpc', headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(404)
    expect(hooked).toContain('POST /api/rpc')
  })

  it("the application's routes keep Fastify's JSON parser", async () => {
    const response = await app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' })
    expect(JSON.parse(response.body)).toEqual({ got: { a: 1 } })
  })

  it('a body over the limit is 413 however large Fastify would allow, and smaller than its bodyLimit too', async () => {
    const small = Fastify({ bodyLimit: 10_000_000 })
    apps.push(small)
    await small.register(_.plugin(dispatcher, { maxBodyBytes: 100 }))
    const payload = JSON.stringify({ jsonrpc: '2.0', method: 'log', params: { line: 'x'.repeat(200) } })
    const response = await small.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload })
    expect([response.statusCode, response.body, response.headers['connection']]).toEqual([413, 'Payload Too Large', 'close'])
    const large = Fastify({ bodyLimit: 100 })
    apps.push(large)
    await large.register(_.plugin(dispatcher))
    const within = await large.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload })
    expect([within.statusCode, within.body]).toEqual([204, ''])
  })

  it('an asynchronous authenticate runs before the body is read, and its refusal is the answer', async () => {
    const guarded = Fastify()
    apps.push(guarded)
    let read = false
    guarded.addHook('preParsing', async (_request, _reply, payload) => {
      payload.on('data', () => (read = true))
      return payload
    })
    await guarded.register(_.plugin(dispatcher, { authenticate: () => Promise.resolve(E.left<Rules.Refusal, Caller>(Rules.unauthenticated())) }))
    const response = await guarded.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json' },
      payload: '{"jsonrpc":"2.0","method":"whoami","id":1}',
    })
    expect([response.statusCode, response.headers['www-authenticate'], response.body]).toEqual([401, 'Bearer', 'Unauthorized'])
    expect(read).toBe(false)
  })

  it("a preParsing hook's stream is the body read (a decompression plugin's, say)", async () => {
    const rewriting = Fastify()
    apps.push(rewriting)
    rewriting.addHook('preParsing', async () => Readable.from([Buffer.from('{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":1}')]))
    await rewriting.register(_.plugin(dispatcher))
    const response = await rewriting.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: 'ignored' })
    expect(response.body).toBe('{"jsonrpc":"2.0","result":2,"id":1}')
  })

  it('a context that throws is 500, and the cause goes to onError only', async () => {
    const causes: Array<unknown> = []
    const failing = Fastify()
    apps.push(failing)
    await failing.register(
      _.plugin(dispatcher, {
        context: (): Caller => {
          throw new Error('secret /srv/app.ts')
        },
        onError: (cause) => causes.push(cause),
      }),
    )
    const response = await failing.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json' },
      payload: '{"jsonrpc":"2.0","method":"whoami","id":1}',
    })
    expect([response.statusCode, response.body]).toEqual([500, 'Internal Server Error'])
    expect(causes).toHaveLength(1)
  })

  it('context and authenticate together throw a TypeError when the plugin is made', () => {
    expect(() => _.plugin(dispatcher, { context: () => undefined, authenticate: () => E.right(undefined) })).toThrow(TypeError)
  })
})
