/**
 * The one HTTP exchange (src/internal/http/exchange.ts) that the node:http listener and the Fetch
 * handler both run, and the host, origin and path helpers (src/internal/http/hosts.ts) that they
 * and the WebSocket server share. The adapters' own tests (http*.test.ts, fetch*.test.ts) hold the
 * wire behaviour; these hold what the adapters rely on.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as fc from 'fast-check'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry } from '../src/index.js'
import type { Dispatcher } from '../src/Dispatch.js'
import { refused, unauthenticated } from '../src/fetch/rules.js'
import * as Exchange from '../src/internal/http/exchange.js'
import * as Hosts from '../src/internal/http/hosts.js'
import type { HttpAnswer, RequestHead } from '../src/internal/http/rules.js'
import { PARSE_ERROR_TEXT } from '../src/internal/json.js'

const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Echo, ({ text }) => E.right(text)),
  ),
)
const CALL = '{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"},"id":1}'
const ANSWER = '{"jsonrpc":"2.0","result":"hi","id":1}'
const head: RequestHead = { method: 'POST', path: '/', contentType: 'application/json' }

// A request as these tests have it: the body the adapter would read.
type Req = Exchange.Body

// The answer, with a check that `done` is called once.
const run = (exchange: Exchange.Exchange<Req>, body: Req, h: RequestHead = head): { readonly answer: Promise<HttpAnswer> } => {
  let calls = 0
  const answer = new Promise<HttpAnswer>((resolve) =>
    exchange(body, h, (a) => {
      calls++
      expect(calls).toBe(1)
      resolve(a)
    }),
  )
  return { answer }
}

const read = (req: Req, _maxBytes: number, done: (body: Exchange.Body) => void): void => done(req)

describe('Exchange: the callback form', () => {
  it('answers before it returns when the body comes at once and the dispatcher answers synchronously', () => {
    const exchange = Exchange.make<Req, unknown>(dispatcher, {}, { read })
    let answer: HttpAnswer | undefined
    exchange({ _tag: 'Text', text: CALL }, head, (a) => (answer = a))
    expect(answer).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: ANSWER })
  })

  it('waits for an asynchronous authenticate, and dispatches with its principal as the base value', async () => {
    const seen: Array<unknown> = []
    const WhoAmI = Method.make({ name: 'whoami', result: t.string })
    const withUser = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(WhoAmI, () => E.right('x')),
      ),
      {
        context: (_request, base: string) => {
          seen.push(base)
          return base
        },
      },
    )
    const exchange = Exchange.make<Req, string>(withUser, {}, { read, authenticate: () => Promise.resolve(E.right('ada')) })
    const { answer } = run(exchange, { _tag: 'Text', text: '{"jsonrpc":"2.0","method":"whoami","id":1}' })
    expect((await answer).body).toBe('{"jsonrpc":"2.0","result":"x","id":1}')
    expect(seen).toEqual(['ada'])
  })

  it('a refusal answers 401 or 403 and reads no body', async () => {
    let reads = 0
    const counting = (req: Req, m: number, done: (body: Exchange.Body) => void): void => {
      reads++
      read(req, m, done)
    }
    const a = Exchange.make<Req, unknown>(dispatcher, {}, { read: counting, authenticate: () => E.left(unauthenticated()) })
    const b = Exchange.make<Req, unknown>(dispatcher, {}, { read: counting, authenticate: () => Promise.resolve(E.left(refused)) })
    expect((await run(a, { _tag: 'Text', text: CALL }).answer).status).toBe(401)
    expect((await run(b, { _tag: 'Text', text: CALL }).answer).status).toBe(403)
    expect(reads).toBe(0)
  })

  it('a context or authenticate that throws or rejects, or a dispatcher that throws, is 500 with the cause to onError only', async () => {
    const causes: Array<unknown> = []
    const onError = (cause: unknown): void => void causes.push(cause)
    const boom = new Error('secret')
    const throwing = {
      ...dispatcher,
      dispatch: () => {
        throw boom
      },
    } as Dispatcher<unknown>
    const exchanges = [
      Exchange.make<Req, unknown>(
        dispatcher,
        { onError },
        {
          read,
          context: () => {
            throw boom
          },
        },
      ),
      Exchange.make<Req, unknown>(
        dispatcher,
        { onError },
        {
          read,
          authenticate: () => {
            throw boom
          },
        },
      ),
      Exchange.make<Req, unknown>(dispatcher, { onError }, { read, authenticate: () => Promise.reject(boom) }),
      Exchange.make<Req, unknown>(throwing, { onError }, { read }),
      Exchange.make<Req, unknown>({ ...dispatcher, dispatch: () => Promise.reject(boom) }, { onError }, { read }),
    ]
    for (const exchange of exchanges) {
      const answer = await run(exchange, { _tag: 'Text', text: CALL }).answer
      expect(answer).toMatchObject({ status: 500, body: 'Internal Server Error' })
      expect(answer.body).not.toContain('secret')
    }
    expect(causes).toEqual([boom, boom, boom, boom, boom])
  })

  it('an unreadable body is 400 with its cause to onError; a body past the limit 413; bytes that are not UTF-8 the Parse error', async () => {
    const causes: Array<unknown> = []
    const exchange = Exchange.make<Req, unknown>(dispatcher, { maxBodyBytes: 4, onError: (c) => void causes.push(c) }, { read })
    expect((await run(exchange, { _tag: 'Unreadable', cause: 'gone' }).answer).status).toBe(400)
    expect(causes).toEqual(['gone'])
    expect((await run(exchange, { _tag: 'TooLarge' }).answer).status).toBe(413)
    expect((await run(exchange, { _tag: 'Bytes', bytes: new Uint8Array(5) }).answer).status).toBe(413)
    expect((await run(exchange, { _tag: 'Bytes', bytes: new Uint8Array([0xff]) }).answer).body).toBe(PARSE_ERROR_TEXT)
  })

  it('a refused head is answered at once, with the CORS headers of an allowed origin', () => {
    const exchange = Exchange.make<Req, unknown>(dispatcher, { cors: { origins: ['https://a.example'] } }, { read })
    let answer: HttpAnswer | undefined
    exchange({ _tag: 'Text', text: CALL }, { ...head, method: 'GET', origin: 'https://a.example' }, (a) => (answer = a))
    expect(answer?.status).toBe(405)
    expect(answer?.headers['access-control-allow-origin']).toBe('https://a.example')
  })

  it('validate: context with authenticate is a TypeError, a negative limit a RangeError', () => {
    expect(() => Exchange.validate({ context: () => 1, authenticate: () => E.right(1) })).toThrow(TypeError)
    expect(() => Exchange.validate({ maxBodyBytes: -1 })).toThrow(RangeError)
    expect(() => Exchange.make(dispatcher, { maxBodyBytes: NaN }, { read })).toThrow(RangeError)
  })
})

describe('Hosts', () => {
  it('pathOf gives what the regex gave, for any target', () => {
    const old = (target: string): string => {
      if (!target.startsWith('/')) return Hosts.pathOf(target)
      const end = target.search(/[?#]/)
      return end === -1 ? target : target.slice(0, end)
    }
    fc.assert(fc.property(fc.string(), (s) => Hosts.pathOf('/' + s) === old('/' + s)))
  })

  it('isAllowedHost: a short list and a long one (a Set) agree', () => {
    const short = ['localhost:8080', '127.0.0.1:8080', 'rpc.internal']
    const long = [...short, ...Array.from({ length: 10 }, (_, i) => `h${i}.example:1`)]
    const a = Hosts.isAllowedHost(short)
    const b = Hosts.isAllowedHost(long)
    for (const host of ['localhost:8080', 'LOCALHOST:8080', '127.0.0.1:8081', 'rpc.internal:9', 'evil.example:8080', '', undefined]) {
      expect(b(host)).toBe(a(host))
    }
    expect(b('h3.example:1')).toBe(true)
  })

  it('isSameHostOrigin: the Host of the request, default ports equal; over loopback, a loopback name only', () => {
    expect(Hosts.isSameHostOrigin('http://localhost:8080', 'localhost:8080', true)).toBe(true)
    expect(Hosts.isSameHostOrigin('https://app.example', 'app.example:443', false)).toBe(true)
    expect(Hosts.isSameHostOrigin('http://evil.example:8080', 'evil.example:8080', true)).toBe(false)
    expect(Hosts.isSameHostOrigin('http://localhost:8081', 'localhost:8080', true)).toBe(false)
    expect(Hosts.isSameHostOrigin('null', 'localhost:8080', true)).toBe(false)
    expect(Hosts.isSameHostOrigin('http://localhost:8080', undefined, true)).toBe(false)
  })

  it('serializeOrigin: as browsers send it', () => {
    expect(Hosts.serializeOrigin('https://App.example.com:443')).toBe('https://app.example.com')
    expect(Hosts.serializeOrigin('not a url')).toBe('not a url')
  })
})

describe('Rules: a challenge with line breaks', () => {
  it('is written with spaces, on HTTP as on the WebSocket upgrade', async () => {
    const exchange = Exchange.make<Req, unknown>(dispatcher, {}, { read, authenticate: () => E.left(unauthenticated('Bearer\r\nX-Forged: 1')) })
    const answer = await run(exchange, { _tag: 'Text', text: CALL }).answer
    expect(answer.headers['www-authenticate']).toBe('Bearer  X-Forged: 1')
  })
})
