/**
 * The typed client over the fetch transport (fp-jsonrpc/fetch), against real servers on 127.0.0.1:
 * `serve` for the JSON-RPC answers, and a bare node:http server for the answers a proxy or a broken
 * server gives (a 502 page, HTML with 200, a slow body).
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, ClientError, Dispatch, Method, Registry, RpcError } from '../src/index.js'
import * as _ from '../src/fetch/index.js'
import * as Http from '../src/http/index.js'
import { listening } from './fixtures/listening.js'

// -------------------------------------------------------------------------------------
// contracts and the server
// -------------------------------------------------------------------------------------

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const SubtractByPosition = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  sendParamsBy: 'position',
})
const InsufficientFunds = RpcError.typed(1001, t.type({ balance: t.number }), 'InsufficientFunds')
const Withdraw = Method.make({ name: 'withdraw', params: t.type({ amount: t.number }), result: t.number, error: InsufficientFunds })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const Slow = Method.make({ name: 'slow', params: t.type({ ms: t.number }), result: t.number })
const WhoAmI = Method.make({ name: 'whoami', result: t.string })

const log: Array<string> = []
const seen: Array<unknown> = []
let requests = 0

const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Subtract, ({ minuend, subtrahend }, _ctx: { readonly user: string }, request) => {
      seen.push(request.params)
      return E.right(minuend - subtrahend)
    }),
    Registry.add(Withdraw, ({ amount }) =>
      amount > 10 ? E.left({ code: 1001 as const, message: 'Insufficient funds', data: { balance: 10 } }) : E.right(10 - amount),
    ),
    Registry.add(Log, ({ line }) => {
      log.push(line)
      return E.right(undefined)
    }),
    Registry.add(Slow, ({ ms }) => TE.rightTask(() => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)))),
    Registry.add(WhoAmI, (_p: {}, { user }: { readonly user: string }) => E.right(user)),
  ),
  {
    context: (_request, req: IncomingMessage) => ({ user: String(req.headers['x-user'] ?? 'anonymous') }),
  },
)

let server: Http.Server
let broken: { readonly origin: string; readonly close: () => Promise<void> }

// What a proxy or a broken server answers, by path.
const brokenRoutes: Record<string, (res: ServerResponse) => void> = {
  '/502': (res) => {
    res.writeHead(502, { 'content-type': 'text/html' })
    res.end(`<html><body><h1>502 Bad Gateway</h1>${'x'.repeat(100_000)}</body></html>`)
  },
  '/html': (res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end('<!doctype html><html><body>Sign in</body></html>')
  },
  '/empty-200': (res) => {
    res.writeHead(200)
    res.end()
  },
  '/accepted': (res) => {
    res.writeHead(202, { 'content-type': 'text/plain' })
    res.end()
  },
  '/json-type-params': (res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
    res.end('{"jsonrpc":"2.0","result":1,"id":1}')
  },
  '/slow-body': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"jsonrpc":"2.0",')
    setTimeout(() => res.end('"result":1,"id":1}'), 300)
  },
}

beforeAll(async () => {
  server = await listening(
    Http.serve({
      dispatcher,
      path: '/rpc',
      context: (req) => {
        requests++
        return req
      },
    }),
  )
  const bare = createServer((req, res) => {
    req.resume()
    const route = brokenRoutes[req.url ?? '']
    if (route === undefined) {
      res.writeHead(404)
      res.end()
    } else route(res)
  })
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve))
  broken = {
    origin: `http://127.0.0.1:${(bare.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        bare.close(() => resolve())
        bare.closeAllConnections()
      }),
  }
})

afterAll(async () => {
  await server.close()
  await broken.close()
})

const client = () => Client.make(_.transport({ url: server.url }))

const transportErrorOf = (e: E.Either<ClientError.ClientError<unknown, _.HttpError>, unknown>): _.HttpError => {
  if (E.isRight(e) || e.left._tag !== 'TransportError') throw new Error(`expected a transport error, got ${JSON.stringify(e)}`)
  return e.left.error
}

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

describe('calls over HTTP', () => {
  it('params by name', async () => {
    seen.length = 0
    expect(await pipe(client(), Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(seen).toEqual([{ minuend: 42, subtrahend: 23 }])
  })

  it('params by position', async () => {
    seen.length = 0
    expect(await pipe(client(), Client.call(SubtractByPosition, { minuend: 23, subtrahend: 42 }))()).toEqual(E.right(-19))
    expect(seen).toEqual([[23, 42]])
  })

  it('a typed application error', async () => {
    expect(await pipe(client(), Client.call(Withdraw, { amount: 100 }))()).toEqual(
      E.left(ClientError.applicationError({ code: 1001, message: 'Insufficient funds', data: { balance: 10 } })),
    )
  })

  it('a method the server lacks is an RpcError (it came with 200)', async () => {
    const Missing = Method.make({ name: 'missing', result: t.unknown })
    expect(await pipe(client(), Client.call(Missing))()).toEqual(E.left(ClientError.rpcError({ code: -32601, message: 'Method not found' })))
  })

  it('a notification: the server runs it and answers 204, which is Right', async () => {
    log.length = 0
    expect(await pipe(client(), Client.notify(Log, { line: 'over http' }))()).toEqual(E.right(undefined))
    expect(log).toEqual(['over http'])
  })

  it('a batch of calls and a notification', async () => {
    log.length = 0
    const out = await pipe(
      client(),
      Client.batch(Client.call(Subtract, { minuend: 5, subtrahend: 3 }), Client.call(Withdraw, { amount: 50 }), Client.notify(Log, { line: 'b' })),
    )()
    expect(out).toEqual(
      E.right([E.right(2), E.left(ClientError.applicationError({ code: 1001, message: 'Insufficient funds', data: { balance: 10 } })), E.right(undefined)]),
    )
    expect(log).toEqual(['b'])
  })

  it('a batch of notifications only (204)', async () => {
    log.length = 0
    expect(await pipe(client(), Client.batch(Client.notify(Log, { line: '1' }), Client.notify(Log, { line: '2' })))()).toEqual(
      E.right([E.right(undefined), E.right(undefined)]),
    )
    expect(log).toEqual(['1', '2'])
  })
})

describe('headers', () => {
  it('fixed headers are sent with every message', async () => {
    const c = Client.make(_.transport({ url: server.url, headers: { 'x-user': 'ada' } }))
    expect(await pipe(c, Client.call(WhoAmI))()).toEqual(E.right('ada'))
  })

  it('a headers function is read before each message', async () => {
    let n = 0
    const c = Client.make(_.transport({ url: server.url, headers: () => ({ 'x-user': `user${++n}` }) }))
    expect(await pipe(c, Client.call(WhoAmI))()).toEqual(E.right('user1'))
    expect(await pipe(c, Client.call(WhoAmI))()).toEqual(E.right('user2'))
  })

  it('a headers function that throws is a NetworkError, and nothing is sent', async () => {
    const before = requests
    const c = Client.make(
      _.transport({
        url: server.url,
        headers: () => {
          throw new Error('no token')
        },
      }),
    )
    expect(transportErrorOf(await pipe(c, Client.call(WhoAmI))())).toEqual({ _tag: 'NetworkError', cause: new Error('no token') })
    expect(requests).toBe(before)
  })

  it('Content-Type and Accept are application/json; a custom fetch sees the request', async () => {
    const inits: Array<RequestInit> = []
    const c = Client.make(
      _.transport({
        url: new URL(server.url),
        fetch: (url, init) => {
          inits.push(init)
          return fetch(url, init)
        },
      }),
    )
    expect(await pipe(c, Client.call(Subtract, { minuend: 1, subtrahend: 1 }))()).toEqual(E.right(0))
    const headers = new Headers(inits[0]?.headers)
    expect(inits[0]?.method).toBe('POST')
    expect(headers.get('content-type')).toBe('application/json')
    expect(headers.get('accept')).toBe('application/json')
  })
})

describe('timeouts and aborts', () => {
  it('the transport timeout: a slow handler gives Timeout', async () => {
    const c = Client.make(_.transport({ url: server.url, timeoutMs: 50 }))
    const started = Date.now()
    expect(transportErrorOf(await pipe(c, Client.call(Slow, { ms: 400 }))())).toEqual({ _tag: 'Timeout', ms: 50 })
    expect(Date.now() - started).toBeLessThan(350)
  })

  it("a call's timeoutMs replaces the transport's, both ways", async () => {
    const c = Client.make(_.transport({ url: server.url, timeoutMs: 50 }))
    expect(await pipe(c, Client.call(Slow, { ms: 100 }, { timeoutMs: 2000 }))()).toEqual(E.right(100))
    expect(transportErrorOf(await pipe(client(), Client.call(Slow, { ms: 400 }, { timeoutMs: 30 }))())).toEqual({ _tag: 'Timeout', ms: 30 })
  })

  it('the timeout covers the body, not only the headers', async () => {
    const c = Client.make(_.transport({ url: `${broken.origin}/slow-body`, timeoutMs: 100 }))
    expect(transportErrorOf(await pipe(c, Client.call(Subtract, { minuend: 1, subtrahend: 1 }))())).toEqual({ _tag: 'Timeout', ms: 100 })
  })

  it('a batch takes options as its last argument', async () => {
    const out = await pipe(client(), Client.batch(Client.call(Slow, { ms: 400 }), Client.notify(Log, { line: 'x' }), { timeoutMs: 30 }))()
    expect(out).toEqual(E.left(ClientError.transportError({ _tag: 'Timeout', ms: 30 })))
  })

  it('an AbortSignal that aborts during the call gives Aborted with its reason', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort('user left'), 30)
    const started = Date.now()
    expect(transportErrorOf(await pipe(client(), Client.call(Slow, { ms: 400 }, { signal: controller.signal }))())).toEqual({
      _tag: 'Aborted',
      reason: 'user left',
    })
    expect(Date.now() - started).toBeLessThan(350)
  })

  it('a signal aborted already: nothing is sent', async () => {
    const before = requests
    const signal = AbortSignal.abort('too late')
    expect(transportErrorOf(await pipe(client(), Client.notify(Log, { line: 'never' }, { signal }))())).toEqual({ _tag: 'Aborted', reason: 'too late' })
    expect(requests).toBe(before)
  })

  it('a signal that never aborts changes nothing; its listener is removed after the call', async () => {
    const controller = new AbortController()
    let added = 0
    let removed = 0
    const signal = {
      get aborted() {
        return controller.signal.aborted
      },
      addEventListener: (type: 'abort', listener: () => void) => {
        added++
        controller.signal.addEventListener(type, listener)
      },
      removeEventListener: (type: 'abort', listener: () => void) => {
        removed++
        controller.signal.removeEventListener(type, listener)
      },
    }
    expect(await pipe(client(), Client.call(Subtract, { minuend: 2, subtrahend: 1 }, { signal }))()).toEqual(E.right(1))
    expect([added, removed]).toEqual([1, 1])
  })

  it('timeoutMs must be 0 or more', () => {
    expect(() => _.transport({ url: server.url, timeoutMs: -1 })).toThrow(RangeError)
    expect(() => _.transport({ url: server.url, timeoutMs: Number.NaN })).toThrow(RangeError)
  })
})

describe('what a proxy or a broken server answers', () => {
  const callAt = (path: string) => pipe(Client.make(_.transport({ url: `${broken.origin}${path}` })), Client.call(Subtract, { minuend: 1, subtrahend: 1 }))()

  it('a non-2xx status is BadStatus with the status and the start of the body', async () => {
    const error = transportErrorOf(await callAt('/502'))
    expect(error).toEqual({ _tag: 'BadStatus', status: 502, body: expect.stringMatching(/^<html><body><h1>502 Bad Gateway<\/h1>x+\.\.\.$/) })
    expect((error as { body: string }).body).toHaveLength(ClientError.maxBodyLength)
  })

  it('a 4xx of the server itself (405, 415) is BadStatus too', async () => {
    const c = Client.make(_.transport({ url: server.url, headers: { 'content-type': 'text/plain' } }))
    expect(transportErrorOf(await pipe(c, Client.call(Subtract, { minuend: 1, subtrahend: 1 }))())).toEqual({
      _tag: 'BadStatus',
      status: 415,
      body: 'Unsupported Media Type: send Content-Type: application/json',
    })
    expect(transportErrorOf(await pipe(Client.make(_.transport({ url: `${server.url}/nope` })), Client.notify(Log, { line: 'x' }))())).toMatchObject({
      _tag: 'BadStatus',
      status: 404,
    })
  })

  it('an HTML page with 200 is NotJson, with the status, its content type and the body', async () => {
    expect(transportErrorOf(await callAt('/html'))).toEqual({
      _tag: 'NotJson',
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: '<!doctype html><html><body>Sign in</body></html>',
    })
  })

  it('a 2xx with no body is no answer: a call misses its response, a notification is fine', async () => {
    expect(await callAt('/empty-200')).toEqual(E.left(ClientError.missingResponse(1)))
    expect(await pipe(Client.make(_.transport({ url: `${broken.origin}/accepted` })), Client.notify(Log, { line: 'x' }))()).toEqual(E.right(undefined))
  })

  it('application/json with a charset is JSON', async () => {
    expect(await callAt('/json-type-params')).toEqual(E.right(1))
  })

  it('a refused connection is a NetworkError', async () => {
    const gone = await listening(Http.serve({ dispatcher, context: (req) => req }))
    await gone.close()
    const error = transportErrorOf(await pipe(Client.make(_.transport({ url: gone.url })), Client.call(WhoAmI))())
    expect(error._tag).toBe('NetworkError')
  })
})
