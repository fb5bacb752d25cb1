/**
 * The Koa adapter (fp-jsonrpc/koa) on real Koa servers on 127.0.0.1: every request of the table in
 * fixtures/frameworkCases.ts answered as the node:http listener answers it, with and without
 * koa-bodyparser in front; Koa's own middleware around it; `context`, `authenticate`, `path`. The
 * peer range is `^2.0.0 || ^3.0.0`, so the table and the burst also run on Koa 2 (the devDependency
 * `koa2`, npm's alias of koa@2), whose `ctx` differs from Koa 3's in small ways.
 */
import { createRequire } from 'node:module'
import Koa from 'koa'
import bodyParser from 'koa-bodyparser'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listener } from '../src/http/index.js'
import * as _ from '../src/koa/index.js'
import { Rules } from '../src/fetch/index.js'
import { authenticate, cases, createServer, dispatcher, listen, optionSets, send, type Answer, type Caller, type OptionSet } from './fixtures/frameworkCases.js'

type Running = Awaited<ReturnType<typeof listen>>

// Koa 2 ships no types of its own and @types/koa describes Koa 3, whose API the adapter is written to.
const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa
const versions = { 'Koa 3': Koa, 'Koa 2': Koa2 } as const
type Version = keyof typeof versions

// Koa's callback is an async listener; node:http takes one that returns nothing.
const serverOf = (app: Koa) => {
  const handle = app.callback()
  return createServer((req, res) => void handle(req, res))
}

const koaApp = (set: OptionSet, parser: boolean, version: Version = 'Koa 3'): Koa => {
  const app = new versions[version]()
  if (parser) app.use(bodyParser())
  const rpc =
    set === 'authenticated'
      ? _.middleware(dispatcher, { ...optionSets[set], authenticate: (ctx) => authenticate(ctx.get('authorization') || undefined) })
      : _.middleware(dispatcher, optionSets[set])
  app.use(rpc)
  return app
}

const listenerOf = (set: OptionSet) =>
  set === 'authenticated'
    ? listener(dispatcher, { ...optionSets[set], authenticate: (req) => authenticate(req.headers.authorization) })
    : listener(dispatcher, optionSets[set])

const servers: Array<Running> = []
const reference = new Map<OptionSet, Running>()
const koa = new Map<Version, Map<OptionSet, Running>>()

beforeAll(async () => {
  for (const set of Object.keys(optionSets) as Array<OptionSet>) {
    const ref = await listen(createServer(listenerOf(set)))
    servers.push(ref)
    reference.set(set, ref)
  }
  for (const version of Object.keys(versions) as Array<Version>) {
    const apps = new Map<OptionSet, Running>()
    for (const set of Object.keys(optionSets) as Array<OptionSet>) {
      const k = await listen(serverOf(koaApp(set, false, version)))
      servers.push(k)
      apps.set(set, k)
    }
    koa.set(version, apps)
  }
})

it('the two Koa versions are the ones the peer range names', () => {
  expect([new Koa(), new Koa2()].map((app) => typeof app.callback)).toEqual(['function', 'function'])
  expect(createRequire(import.meta.url)('koa2/package.json')).toMatchObject({ version: expect.stringMatching(/^2\./) })
  expect(createRequire(import.meta.url)('koa/package.json')).toMatchObject({ version: expect.stringMatching(/^3\./) })
})

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
})

describe.each(Object.keys(versions) as Array<Version>)('%s answers every request as the node:http listener does', (version) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const expected = await send(reference.get(c.options)!.origin, c)
    const got = await send(koa.get(version)!.get(c.options)!.origin, c)
    expect(got).toEqual(expected)
  })

  it('the table covers the answers that matter', async () => {
    const statuses = new Set<number>()
    for (const c of cases) statuses.add((await send(reference.get(c.options)!.origin, c)).status)
    expect([...statuses].sort()).toEqual([200, 204, 401, 403, 405, 413, 415])
  })
})

describe.each(Object.keys(versions) as Array<Version>)('%s with koa-bodyparser in front', (version) => {
  let parsed: Running
  let parsedAuth: Running
  beforeAll(async () => {
    parsed = await listen(serverOf(koaApp('plain', true, version)))
    parsedAuth = await listen(serverOf(koaApp('authenticated', true, version)))
    servers.push(parsed, parsedAuth)
  })

  const parsedCases = [
    'a call',
    'a notification',
    'a batch of notifications',
    'a batch',
    'an empty body',
    'application/json-rpc',
    'charset=utf-8',
    'text/plain',
    'no Content-Type',
    'GET',
    'a Content-Length over the limit',
    'a chunked body within the limit',
  ]

  it.each(parsedCases)('%s: as the listener answers it', async (name) => {
    const c = cases.find((x) => x.name === name)!
    expect(await send(parsed.origin, c)).toEqual(await send(reference.get('plain')!.origin, c))
  })

  it('the parsed value is dispatched as it is (the principal from authenticate included)', async () => {
    for (const name of ['no credentials', 'the principal is the context']) {
      const c = cases.find((x) => x.name === name)!
      expect(await send(parsedAuth.origin, c)).toEqual(await send(reference.get('authenticated')!.origin, c))
    }
  })

  it('application/json-rpc, which the parser leaves unread, is read from the stream', async () => {
    const c = cases.find((x) => x.name === 'application/json-rpc')!
    expect((await send(parsed.origin, c)).body).toBe('{"jsonrpc":"2.0","result":19,"id":1}')
  })
})

describe('in a Koa application', () => {
  let app: Running
  const seen: Array<string> = []
  beforeAll(async () => {
    const k = new Koa()
    // Middleware around it sees the answer it set, as with any Koa middleware.
    k.use(async (ctx, next) => {
      await next()
      seen.push(`${ctx.method} ${ctx.path} ${ctx.status}`)
    })
    k.use(
      _.middleware(dispatcher, {
        path: '/rpc',
        context: (ctx: Koa.ParameterizedContext<{ readonly caller?: Caller }>): Caller | undefined => ctx.state.caller,
      }),
    )
    k.use((ctx) => {
      ctx.body = `the app: ${ctx.path}`
    })
    app = await listen(serverOf(k))
    servers.push(app)
  })

  it('another path than `path` goes on to the next middleware', async () => {
    const answer = await send(app.origin, { name: '', options: 'plain', method: 'GET', path: '/health' })
    expect(answer.status).toBe(200)
    expect(answer.body).toBe('the app: /health')
  })

  it('middleware around it sees the status it set', async () => {
    await send(app.origin, {
      name: '',
      options: 'plain',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","method":"log","params":{"line":"x"}}',
    })
    expect(seen).toContain('POST /rpc 204')
  })

  it('context reads Koa state', async () => {
    const k = new Koa<{ caller?: Caller }>()
    k.use(async (ctx, next) => {
      ctx.state.caller = { user: 'grace' }
      await next()
    })
    k.use(_.middleware(dispatcher, { path: '/rpc', context: (ctx: Koa.ParameterizedContext<{ caller?: Caller }>) => ctx.state.caller }))
    const running = await listen(serverOf(k))
    servers.push(running)
    const answer = await send(running.origin, {
      name: '',
      options: 'plain',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","method":"whoami","id":7}',
    })
    expect(answer.body).toBe('{"jsonrpc":"2.0","result":"grace","id":7}')
  })

  it('a context that throws is 500, and the cause goes to onError only', async () => {
    const causes: Array<unknown> = []
    const k = new Koa()
    k.use(
      _.middleware(dispatcher, {
        context: (): Caller => {
          throw new Error('secret /srv/app.ts')
        },
        onError: (cause) => causes.push(cause),
      }),
    )
    const running = await listen(serverOf(k))
    servers.push(running)
    const answer: Answer = await send(running.origin, {
      name: '',
      options: 'plain',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","method":"whoami","id":1}',
    })
    expect(answer.status).toBe(500)
    expect(answer.body).toBe('Internal Server Error')
    expect(causes).toHaveLength(1)
  })

  it('an asynchronous authenticate refuses with 403', async () => {
    const k = new Koa()
    k.use(_.middleware(dispatcher, { authenticate: () => Promise.resolve(E.left<Rules.Refusal, Caller>(Rules.refused)) }))
    const running = await listen(serverOf(k))
    servers.push(running)
    const answer = await send(running.origin, {
      name: '',
      options: 'plain',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","method":"whoami","id":1}',
    })
    expect([answer.status, answer.body]).toEqual([403, 'Forbidden'])
  })

  it('context and authenticate together throw a TypeError when the middleware is made', () => {
    expect(() => _.middleware(dispatcher, { context: () => undefined, authenticate: () => E.right(undefined) })).toThrow(TypeError)
  })
})

describe.each(Object.keys(versions) as Array<Version>)('%s under a burst', (version) => {
  it('answers Promise.all of 1000 calls, each with its own result', async () => {
    const origin = koa.get(version)!.get('plain')!.origin
    const answers = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const res = await fetch(`${origin}/rpc`, {
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
