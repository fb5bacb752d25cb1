/**
 * The client on its own, over hand-written transports: what it writes, how it numbers requests, and
 * how it reads every kind of answer, well-formed or hostile. Client and server together are in
 * InMemory.test.ts.
 */
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { describe, expect, expectTypeOf, it, vi } from 'vitest'
import * as _ from '../src/Client.js'
import { ClientError, Id, Method, RpcError, RpcResponse, type Transport } from '../src/index.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

interface Sent {
  readonly body: string
  readonly expected: Transport.Expected
}

/** A transport that records what it is sent and answers with `reply(body)`. */
const fake = (reply: (body: string) => string | undefined) => {
  const sent: Array<Sent> = []
  const transport: Transport.Transport<never> = {
    send: (body, expected) => () => {
      sent.push({ body, expected })
      return Promise.resolve(E.right(reply(body)))
    },
  }
  return { sent, transport, client: _.make(transport) }
}

/** A transport that answers every message with `text`. */
const answering = (text: string | undefined) => fake(() => text)

/**
 * A transport that has parsed the answer already, as a two-way connection does: `sendParsed` gives
 * `text` with its value. Its `send` records that it was used, which the client must not do.
 */
const answeringParsed = (text: string | undefined) => {
  const sent: Array<Sent> = []
  const used = { send: 0, sendParsed: 0 }
  const parsed = text === undefined ? undefined : { text, value: JSON.parse(text) as unknown }
  const transport: Transport.Transport<never> = {
    send: (body, expected) => () => {
      used.send++
      sent.push({ body, expected })
      return Promise.resolve(E.right(text))
    },
    sendParsed: (body, expected) => () => {
      used.sendParsed++
      sent.push({ body, expected })
      return Promise.resolve(E.right(parsed))
    },
  }
  return { sent, used, transport, client: _.make(transport) }
}

const failing: Transport.Transport<string> = { send: () => TE.left('ECONNREFUSED') }

const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
})
const SubtractByPosition = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  sendParamsBy: 'position',
})
const Greet = Method.make({
  name: 'greet',
  params: t.intersection([t.type({ name: t.string }), t.partial({ title: t.string, polite: t.boolean })]),
  result: t.string,
  paramOrder: ['name', 'title', 'polite'],
  sendParamsBy: 'position',
})
const Sum = Method.make({ name: 'sum', params: t.array(t.number), result: t.number })
const Ping = Method.make({ name: 'ping', result: t.literal('pong') })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const InsufficientFunds = RpcError.typed(1001, t.type({ balance: t.number }))
const Withdraw = Method.make({
  name: 'withdraw',
  params: t.type({ amount: t.number }),
  result: t.type({ balance: t.number }),
  error: InsufficientFunds,
})

const success = (result: unknown, id: unknown): string => JSON.stringify({ jsonrpc: '2.0', result, id })
const failure = (code: number, message: string, id: unknown, data?: unknown): string =>
  JSON.stringify({ jsonrpc: '2.0', error: data === undefined ? { code, message } : { code, message, data }, id })

const PARSE_ERROR = failure(-32700, 'Parse error', null)
const HTML = '<html><body><h1>502 Bad Gateway</h1></body></html>'

const tagOf = (e: E.Either<{ readonly _tag: string }, unknown>): string => (E.isLeft(e) ? e.left._tag : 'Right')

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

describe('make', () => {
  it('numbers requests 1, 2, 3, ... by default, one counter per client', async () => {
    const a = fake(() => success(1, 1))
    const b = fake(() => success(1, 1))
    await pipe(a.client, _.call(Ping))()
    await pipe(a.client, _.call(Ping))()
    await pipe(b.client, _.call(Ping))()
    expect(a.sent.map((s) => JSON.parse(s.body).id)).toEqual([1, 2])
    expect(b.sent.map((s) => JSON.parse(s.body).id)).toEqual([1])
  })

  it('takes the id generator it is given', async () => {
    const f = fake(() => undefined)
    const client = _.make(f.transport, { ids: Id.makeHexadecimal(9) })
    await pipe(client, _.call(Ping))()
    await pipe(client, _.call(Ping))()
    expect(f.sent.map((s) => JSON.parse(s.body).id)).toEqual(['9', 'a'])
  })

  it('takes a fresh id each time the same call runs', async () => {
    const f = fake((body) => success('pong', JSON.parse(body).id))
    const ping = pipe(f.client, _.call(Ping))
    expect(await ping()).toEqual(E.right('pong'))
    expect(await ping()).toEqual(E.right('pong'))
    expect(f.sent.map((s) => s.expected.ids)).toEqual([[1], [2]])
  })
})

describe('call: the request written', () => {
  it('sends params by name, encoded with the contract codec', async () => {
    const f = answering(success(19, 1))
    expect(await pipe(f.client, _.call(Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(f.sent).toEqual([{ body: '{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23},"id":1}', expected: { ids: [1] } }])
  })

  it("sends params by position in paramOrder when the contract says sendParamsBy: 'position'", async () => {
    const f = answering(success(19, 1))
    await pipe(f.client, _.call(SubtractByPosition, { subtrahend: 23, minuend: 42 }))()
    expect(f.sent[0]?.body).toBe('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}')
  })

  it('leaves trailing absent params out of a positional array, and sends an absent one before a present one as null', async () => {
    const f = answering(success('hi', 1))
    await pipe(f.client, _.call(Greet, { name: 'Ada' }))()
    await pipe(f.client, _.call(Greet, { name: 'Ada', polite: true }))()
    expect(f.sent.map((s) => JSON.parse(s.body).params)).toEqual([['Ada'], ['Ada', null, true]])
  })

  it('sends the params of a non-object codec as they are', async () => {
    const f = answering(success(6, 1))
    await pipe(f.client, _.call(Sum, [1, 2, 3]))()
    expect(f.sent[0]?.body).toBe('{"jsonrpc":"2.0","method":"sum","params":[1,2,3],"id":1}')
  })

  it('leaves the params member out when no params are given', async () => {
    const f = answering(success('pong', 1))
    await pipe(f.client, _.call(Ping))()
    expect(f.sent[0]?.body).toBe('{"jsonrpc":"2.0","method":"ping","id":1}')
  })

  it('uses the codec encode (a codec whose wire form differs from its type)', async () => {
    const DateFromString = new t.Type<Date, string, unknown>(
      'DateFromString',
      (u): u is Date => u instanceof Date,
      (u, c) => (typeof u === 'string' && !Number.isNaN(Date.parse(u)) ? t.success(new Date(u)) : t.failure(u, c)),
      (d) => d.toISOString(),
    )
    const Schedule = Method.make({ name: 'schedule', params: t.type({ at: DateFromString }), result: DateFromString })
    const f = answering(success('2024-01-02T00:00:00.000Z', 1))
    const out = await pipe(f.client, _.call(Schedule, { at: new Date('2024-01-01T00:00:00.000Z') }))()
    expect(f.sent[0]?.body).toBe('{"jsonrpc":"2.0","method":"schedule","params":{"at":"2024-01-01T00:00:00.000Z"},"id":1}')
    expect(out).toEqual(E.right(new Date('2024-01-02T00:00:00.000Z')))
  })

  it('answers EncodeError, and sends nothing, when the request cannot be written', async () => {
    const Big = Method.make({ name: 'big', params: t.type({ n: t.unknown }) })
    const f = answering(undefined)
    const out = await pipe(f.client, _.call(Big, { n: 1n }))()
    expect(tagOf(out)).toBe('EncodeError')
    expect(E.isLeft(out) && out.left._tag === 'EncodeError' && out.left.method).toBe('big')
    expect(f.sent).toEqual([])
  })
})

describe('call: reading the answer', () => {
  it('decodes the result with the contract codec', async () => {
    const f = answering(success({ balance: 7 }, 1))
    expect(await pipe(f.client, _.call(Withdraw, { amount: 3 }))()).toEqual(E.right({ balance: 7 }))
  })

  it('answers ApplicationError for an error the contract declares, decoded with its codec', async () => {
    const f = answering(failure(1001, 'Insufficient funds', 1, { balance: 2 }))
    expect(await pipe(f.client, _.call(Withdraw, { amount: 3 }))()).toEqual(
      E.left(ClientError.applicationError({ code: 1001, message: 'Insufficient funds', data: { balance: 2 } })),
    )
  })

  it('answers RpcError for an error the contract does not declare', async () => {
    const f = answering(failure(-32601, 'Method not found', 1))
    expect(await pipe(f.client, _.call(Withdraw, { amount: 3 }))()).toEqual(E.left(ClientError.rpcError({ code: -32601, message: 'Method not found' })))
  })

  it('answers RpcError for a declared code whose data fails the error codec', async () => {
    const f = answering(failure(1001, 'Insufficient funds', 1, { balance: 'two' }))
    expect(await pipe(f.client, _.call(Withdraw, { amount: 3 }))()).toEqual(
      E.left(ClientError.rpcError({ code: 1001, message: 'Insufficient funds', data: { balance: 'two' } })),
    )
  })

  it('answers ResultDecodeError with readable issues when the result fails the contract codec', async () => {
    const f = answering(success({ balance: '7' }, 1))
    expect(await pipe(f.client, _.call(Withdraw, { amount: 3 }))()).toEqual(
      E.left(ClientError.resultDecodeError({ balance: '7' }, ['result.balance: expected number, got "7"'])),
    )
    const g = answering(success('pang', 1))
    expect(await pipe(g.client, _.call(Ping))()).toEqual(E.left(ClientError.resultDecodeError('pang', ['result: expected "pong", got "pang"'])))
  })

  it('takes an error with id null as the answer (the server could not read the request)', async () => {
    const f = answering(PARSE_ERROR)
    expect(await pipe(f.client, _.call(Ping))()).toEqual(E.left(ClientError.rpcError({ code: -32700, message: 'Parse error' })))
  })

  it('answers MissingResponse when the body is empty, holding nothing unmatched', async () => {
    expect(await pipe(answering(undefined).client, _.call(Ping))()).toEqual(E.left(ClientError.missingResponse(1, [])))
    expect(await pipe(answering('  \n').client, _.call(Ping))()).toEqual(E.left(ClientError.missingResponse(1, [])))
  })

  it('answers MissingResponse, holding what came, when the response carries another id', async () => {
    const f = answering(success('pong', 2))
    expect(await pipe(f.client, _.call(Ping))()).toEqual(E.left(ClientError.missingResponse(1, [{ jsonrpc: '2.0', result: 'pong', id: 2 }])))
    // "1" is not 1: ids are compared as sent
    expect(tagOf(await pipe(answering(success('pong', '1')).client, _.call(Ping))())).toBe('MissingResponse')
  })

  it('answers TransportError with the transport error unchanged', async () => {
    const client = _.make(failing)
    expect(await pipe(client, _.call(Ping))()).toEqual(E.left(ClientError.transportError('ECONNREFUSED')))
  })
})

describe('call: hostile responses', () => {
  const invalid = async (body: string) => {
    const out = await pipe(answering(body).client, _.call(Ping))()
    if (E.isRight(out) || out.left._tag !== 'InvalidResponse') throw new Error(`expected InvalidResponse, got ${JSON.stringify(out)}`)
    return out.left
  }

  it('an HTML page', async () => {
    expect(await invalid(HTML)).toEqual(ClientError.invalidResponse('the body is not JSON', HTML))
  })

  it('both result and error', async () => {
    expect((await invalid('{"jsonrpc":"2.0","result":"pong","error":{"code":1,"message":"x"},"id":1}')).reason).toBe('has both result and error')
  })

  it('neither result nor error', async () => {
    expect((await invalid('{"jsonrpc":"2.0","id":1}')).reason).toBe('has neither result nor error')
  })

  it('a malformed error object', async () => {
    const reason = 'the error must be an object with an integer code and a string message'
    expect((await invalid('{"jsonrpc":"2.0","error":{"code":"1","message":"x"},"id":1}')).reason).toBe(reason)
    expect((await invalid('{"jsonrpc":"2.0","error":{"code":1.5,"message":"x"},"id":1}')).reason).toBe(reason)
    expect((await invalid('{"jsonrpc":"2.0","error":{"code":1},"id":1}')).reason).toBe(reason)
    expect((await invalid('{"jsonrpc":"2.0","error":"boom","id":1}')).reason).toBe(reason)
  })

  it('a wrong or missing jsonrpc member', async () => {
    expect((await invalid('{"jsonrpc":"1.0","result":"pong","id":1}')).reason).toBe('jsonrpc must be "2.0"')
    expect((await invalid('{"result":"pong","id":1}')).reason).toBe('jsonrpc must be "2.0"')
  })

  it('a missing or malformed id', async () => {
    expect((await invalid('{"jsonrpc":"2.0","result":"pong"}')).reason).toBe('has no id')
    expect((await invalid('{"jsonrpc":"2.0","result":"pong","id":{"n":1}}')).reason).toMatch(/^the id must be/)
  })

  it('JSON that is not an object', async () => {
    expect((await invalid('"pong"')).reason).toBe('expected a response object, got string')
    expect((await invalid('null')).reason).toBe('expected a response object, got null')
  })

  it('an array of things that are not responses: read element by element, so the call is missing', async () => {
    expect(await pipe(answering('[1]').client, _.call(Ping))()).toEqual(E.left(ClientError.missingResponse(1, [1])))
  })

  it('keeps at most maxBodyLength characters of the body', async () => {
    const body = `<html>${'x'.repeat(10_000)}</html>`
    const error = await invalid(body)
    expect(error.body.length).toBe(ClientError.maxBodyLength)
    expect(error.body.endsWith('...')).toBe(true)
  })
})

describe('notify', () => {
  it('sends a notification (no id member) and expects no answer', async () => {
    const f = answering(undefined)
    expect(await pipe(f.client, _.notify(Log, { line: 'started' }))()).toEqual(E.right(undefined))
    expect(f.sent).toEqual([{ body: '{"jsonrpc":"2.0","method":"log","params":{"line":"started"}}', expected: { ids: [] } }])
  })

  it('takes no id from the generator', async () => {
    const f = fake((body) => (JSON.parse(body).id === undefined ? undefined : success('pong', JSON.parse(body).id)))
    await pipe(f.client, _.notify(Log, { line: 'a' }))()
    await pipe(f.client, _.call(Ping))()
    expect(JSON.parse(f.sent[1]?.body ?? '').id).toBe(1)
  })

  it('answers RpcError when the server replies with a lone error (it could not read the message)', async () => {
    expect(await pipe(answering(PARSE_ERROR).client, _.notify(Log, { line: 'a' }))()).toEqual(
      E.left(ClientError.rpcError({ code: -32700, message: 'Parse error' })),
    )
  })

  it('answers InvalidResponse when the reply is not JSON-RPC', async () => {
    expect(tagOf(await pipe(answering(HTML).client, _.notify(Log, { line: 'a' }))())).toBe('InvalidResponse')
  })

  it('tolerates a well-formed success reply, which some servers send', async () => {
    expect(await pipe(answering(success(null, null)).client, _.notify(Log, { line: 'a' }))()).toEqual(E.right(undefined))
  })

  it('answers TransportError', async () => {
    expect(await pipe(_.make(failing), _.notify(Log, { line: 'a' }))()).toEqual(E.left(ClientError.transportError('ECONNREFUSED')))
  })
})

describe('batch', () => {
  const three = _.batch(_.call(Subtract, { minuend: 42, subtrahend: 23 }), _.notify(Log, { line: 'a' }), _.call(Ping))

  it('sends one array with the ids of the calls, and answers in the order of the entries', async () => {
    const f = answering(`[${success('pong', 2)},${success(19, 1)}]`)
    expect(await pipe(f.client, three)()).toEqual(E.right([E.right(19), E.right(undefined), E.right('pong')]))
    expect(f.sent).toEqual([
      {
        body:
          '[{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23},"id":1},' +
          '{"jsonrpc":"2.0","method":"log","params":{"line":"a"}},' +
          '{"jsonrpc":"2.0","method":"ping","id":2}]',
        expected: { ids: [1, 2] },
      },
    ])
  })

  it('answers MissingResponse for a call no response carries, with what was unmatched', async () => {
    const f = answering(`[${success(19, 1)},${success('pong', 99)}]`)
    expect(await pipe(f.client, three)()).toEqual(
      E.right([E.right(19), E.right(undefined), E.left(ClientError.missingResponse(2, [{ jsonrpc: '2.0', result: 'pong', id: 99 }]))]),
    )
  })

  it('answers DuplicateResponse for a call that several responses carry', async () => {
    const f = answering(`[${success(19, 1)},${success('pong', 2)},${success('pong', 2)}]`)
    const out = await pipe(f.client, three)()
    expect(E.isRight(out) && out.right.map(tagOf)).toEqual(['Right', 'Right', 'DuplicateResponse'])
  })

  it('answers InvalidResponse for a call whose own response is malformed, and reads the others', async () => {
    const f = answering(`[{"jsonrpc":"2.0","result":19,"error":{"code":1,"message":"x"},"id":1},${success('pong', 2)}]`)
    const out = await pipe(f.client, three)()
    expect(out).toEqual(
      E.right([
        E.left(ClientError.invalidResponse('has both result and error', '{"jsonrpc":"2.0","result":19,"error":{"code":1,"message":"x"},"id":1}')),
        E.right(undefined),
        E.right('pong'),
      ]),
    )
  })

  it('gives every entry the error when a lone error object answers the whole batch', async () => {
    const error = E.left(ClientError.rpcError({ code: -32700, message: 'Parse error' }))
    expect(await pipe(answering(PARSE_ERROR).client, three)()).toEqual(E.right([error, error, error]))
  })

  it('gives every entry InvalidResponse when the body is not JSON-RPC', async () => {
    const out = await pipe(answering(HTML).client, three)()
    expect(E.isRight(out) && out.right.map(tagOf)).toEqual(['InvalidResponse', 'InvalidResponse', 'InvalidResponse'])
  })

  it('answers every call MissingResponse when no body comes back (nothing hangs)', async () => {
    const out = await pipe(answering(undefined).client, three)()
    expect(out).toEqual(E.right([E.left(ClientError.missingResponse(1)), E.right(undefined), E.left(ClientError.missingResponse(2))]))
  })

  it('reads a lone response object as an array of one', async () => {
    const out = await pipe(answering(success(19, 1)).client, three)()
    expect(E.isRight(out) && out.right.map(tagOf)).toEqual(['Right', 'Right', 'MissingResponse'])
  })

  it('a batch of notifications expects no answer', async () => {
    const f = answering(undefined)
    expect(await pipe(f.client, _.batch(_.notify(Log, { line: 'a' }), _.notify(Log, { line: 'b' })))()).toEqual(
      E.right([E.right(undefined), E.right(undefined)]),
    )
    expect(f.sent[0]?.expected).toEqual({ ids: [] })
  })

  it('leaves an entry that cannot be written out of the message, and answers it EncodeError', async () => {
    const Big = Method.make({ name: 'big', params: t.type({ n: t.unknown }) })
    const f = fake((body) => success('pong', JSON.parse(body)[0].id))
    const out = await pipe(f.client, _.batch(_.call(Big, { n: 1n }), _.call(Ping)))()
    expect(E.isRight(out) && out.right.map(tagOf)).toEqual(['EncodeError', 'Right'])
    expect(f.sent[0]?.body).toBe('[{"jsonrpc":"2.0","method":"ping","id":2}]')
    // nothing at all to send: no message
    const g = answering(undefined)
    const none = await pipe(g.client, _.batch(_.call(Big, { n: 1n })))()
    expect(E.isRight(none) && none.right.map(tagOf)).toEqual(['EncodeError'])
    expect(g.sent).toEqual([])
  })

  it('fails as a whole only for a transport error', async () => {
    expect(await pipe(_.make(failing), three)()).toEqual(E.left(ClientError.transportError('ECONNREFUSED')))
  })
})

describe('a transport that gives the parsed answer (sendParsed)', () => {
  it('is asked through sendParsed, with what send would get, and its value is not parsed again', async () => {
    const f = answeringParsed(success({ balance: 7 }, 1))
    const parse = vi.spyOn(JSON, 'parse')
    try {
      expect(await pipe(f.client, _.call(Withdraw, { amount: 3 }, { timeoutMs: 5 }))()).toEqual(E.right({ balance: 7 }))
      expect(parse).not.toHaveBeenCalled()
    } finally {
      parse.mockRestore()
    }
    expect(f.used).toEqual({ send: 0, sendParsed: 1 })
    expect(f.sent).toEqual([{ body: '{"jsonrpc":"2.0","method":"withdraw","params":{"amount":3},"id":1}', expected: { ids: [1], timeoutMs: 5 } }])
  })

  it('serves notify and batch too', async () => {
    const f = answeringParsed(PARSE_ERROR)
    expect(await pipe(f.client, _.notify(Log, { line: 'a' }))()).toEqual(E.left(ClientError.rpcError({ code: -32700, message: 'Parse error' })))
    const g = answeringParsed(`[${success(19, 1)}]`)
    expect(await pipe(g.client, _.batch(_.call(Subtract, { minuend: 42, subtrahend: 23 }), _.notify(Log, { line: 'a' })))()).toEqual(
      E.right([E.right(19), E.right(undefined)]),
    )
    expect([f.used, g.used]).toEqual([
      { send: 0, sendParsed: 1 },
      { send: 0, sendParsed: 1 },
    ])
  })

  it('an absent answer is an absent answer', async () => {
    expect(await pipe(answeringParsed(undefined).client, _.call(Ping))()).toEqual(E.left(ClientError.missingResponse(1, [])))
    expect(await pipe(answeringParsed(undefined).client, _.notify(Log, { line: 'a' }))()).toEqual(E.right(undefined))
  })
})

describe('call: the common case read directly answers as the general matching does', () => {
  // Replies of every kind: well-formed responses with the call's id (1), another id ("1", 2, ...)
  // or id null, malformed ones, arrays of them, other JSON, text that is not JSON, blank or no body.
  const id = fc.oneof(fc.constant(1), fc.constant('1'), fc.constant(null), fc.integer(), fc.string(), fc.double(), fc.boolean())
  const errorObject = fc.record(
    {
      code: fc.oneof(fc.constant(1001), fc.constant(-32601), fc.constant(-32700), fc.integer(), fc.double()),
      message: fc.oneof(fc.string(), fc.integer()),
      data: fc.oneof(fc.record({ balance: fc.oneof(fc.integer(), fc.string()) }), fc.jsonValue()),
    },
    { requiredKeys: ['code', 'message'] },
  )
  const result = fc.oneof(fc.record({ balance: fc.integer() }), fc.record({ balance: fc.string() }), fc.jsonValue())
  const wellFormed = fc.oneof(fc.record({ jsonrpc: fc.constant('2.0'), result, id }), fc.record({ jsonrpc: fc.constant('2.0'), error: errorObject, id }))
  const responseLike = fc.oneof(
    wellFormed,
    fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0', 2), result, error: fc.oneof(errorObject, fc.jsonValue()), id }, { requiredKeys: [] }),
  )
  const json = fc.oneof(
    { weight: 4, arbitrary: wellFormed },
    { weight: 2, arbitrary: responseLike },
    { weight: 2, arbitrary: fc.array(responseLike, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.jsonValue() },
  )
  const jsonText = fc.tuple(json, fc.constantFrom('', ' ', '\n')).map(([u, pad]) => `${pad}${JSON.stringify(u)}${pad}`)
  const reply: fc.Arbitrary<string | undefined> = fc.oneof(
    { weight: 8, arbitrary: jsonText },
    { weight: 1, arbitrary: fc.oneof(fc.string(), fc.constantFrom(HTML, '{"jsonrpc":"2.0",', '', ' \n', '[1,]')) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  )
  const general = (text: string | undefined) => {
    const answer = _.matchResponses([1])(text).responses[0] as E.Either<ClientError.ClientError<unknown, never>, RpcResponse.RpcResponse>
    return pipe(answer, E.chainW(_.call(Withdraw, { amount: 1 }).read))
  }
  const isJson = (text: string | undefined): text is string => {
    try {
      return text !== undefined && (JSON.parse(text), true)
    } catch {
      return false
    }
  }

  it('over send: the same Either as matchResponses and read (property)', async () => {
    await fc.assert(
      fc.asyncProperty(reply, async (text) => {
        expect(await pipe(answering(text).client, _.call(Withdraw, { amount: 1 }))()).toStrictEqual(general(text))
      }),
      { numRuns: 500 },
    )
  })

  it('over sendParsed: the same Either as over send, for call, notify and batch (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        reply.filter((text) => text === undefined || isJson(text)),
        async (text) => {
          const call = _.call(Withdraw, { amount: 1 })
          expect(await pipe(answeringParsed(text).client, call)()).toStrictEqual(await pipe(answering(text).client, call)())
          const notify = _.notify(Log, { line: 'a' })
          expect(await pipe(answeringParsed(text).client, notify)()).toStrictEqual(await pipe(answering(text).client, notify)())
          const batch = _.batch(call, notify, _.call(Ping))
          expect(await pipe(answeringParsed(text).client, batch)()).toStrictEqual(await pipe(answering(text).client, batch)())
        },
      ),
      { numRuns: 300 },
    )
  })

  it('examples of each kind answer as before', async () => {
    const call = (text: string | undefined) => pipe(answering(text).client, _.call(Withdraw, { amount: 1 }))()
    expect(await call(success({ balance: 7 }, 1))).toEqual(E.right({ balance: 7 }))
    expect(await call(success({ balance: 7 }, '1'))).toEqual(E.left(ClientError.missingResponse(1, [{ jsonrpc: '2.0', result: { balance: 7 }, id: '1' }])))
    expect(await call(success({ balance: 7 }, null))).toEqual(E.left(ClientError.missingResponse(1, [{ jsonrpc: '2.0', result: { balance: 7 }, id: null }])))
    expect(await call(failure(1001, 'Insufficient funds', null, { balance: 2 }))).toEqual(
      E.left(ClientError.applicationError({ code: 1001, message: 'Insufficient funds', data: { balance: 2 } })),
    )
    expect(await call(`[${success({ balance: 7 }, 1)}]`)).toEqual(E.right({ balance: 7 }))
    expect(await call(`[${success({ balance: 7 }, 1)},${success({ balance: 8 }, 1)}]`)).toEqual(
      E.left(
        ClientError.duplicateResponse(1, [
          { jsonrpc: '2.0', result: { balance: 7 }, id: 1 },
          { jsonrpc: '2.0', result: { balance: 8 }, id: 1 },
        ]),
      ),
    )
    expect(await call('{"jsonrpc":"2.0","id":1}')).toEqual(E.left(ClientError.invalidResponse('has neither result nor error', '{"jsonrpc":"2.0","id":1}')))
    expect(await call(' ')).toEqual(E.left(ClientError.missingResponse(1, [])))
  })
})

describe('the Call value', () => {
  it('is a function with _tag, method, idempotent, write and read of its own, which work detached', () => {
    const call = _.call(Withdraw, { amount: 3 })
    expect(typeof call).toBe('function')
    expect(Object.keys(call).sort()).toEqual(['_tag', 'idempotent', 'method', 'read', 'write'])
    expect([call._tag, call.method]).toEqual(['Call', 'withdraw'])
    const { write, read } = call
    expect(write(7)).toEqual(E.right('{"jsonrpc":"2.0","method":"withdraw","params":{"amount":3},"id":7}'))
    expect(read({ jsonrpc: '2.0', result: { balance: 1 }, id: 7 })).toEqual(E.right({ balance: 1 }))
    expect(read({ jsonrpc: '2.0', error: { code: 1001, message: 'x', data: { balance: 0 } }, id: 7 })).toEqual(
      E.left(ClientError.applicationError({ code: 1001, message: 'x', data: { balance: 0 } })),
    )
  })
})

describe('parseResponse', () => {
  it('reads a success and a failure', () => {
    expect(_.parseResponse('{"jsonrpc":"2.0","result":19,"id":1}')).toEqual(E.right({ jsonrpc: '2.0', result: 19, id: 1 }))
    expect(_.parseResponse(PARSE_ERROR)).toEqual(E.right({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null }))
  })

  it('refuses an array, even of valid responses', () => {
    expect(_.parseResponse(`[${success(1, 1)}]`)).toEqual(
      E.left(ClientError.invalidResponse('expected one response object, got an array', `[${success(1, 1)}]`)),
    )
  })

  it('refuses each kind of malformed response with its own reason', () => {
    const reasons = [
      HTML,
      '{"jsonrpc":"2.0","result":1,"error":{"code":1,"message":"x"},"id":1}',
      '{"jsonrpc":"2.0","id":1}',
      '{"jsonrpc":"2.0","error":{"code":1},"id":1}',
      '{"jsonrpc":"2.1","result":1,"id":1}',
      '{"jsonrpc":"2.0","result":1}',
      '{"jsonrpc":"2.0","result":1,"id":true}',
      '42',
    ].map((body) =>
      pipe(
        _.parseResponse(body),
        E.match(
          (e) => e.reason,
          () => 'valid',
        ),
      ),
    )
    expect(reasons).toEqual([
      'the body is not JSON',
      'has both result and error',
      'has neither result nor error',
      'the error must be an object with an integer code and a string message',
      'jsonrpc must be "2.0"',
      'has no id',
      'the id must be a string, a safe-integer-range number or null',
      'expected a response object, got number',
    ])
  })
  it('accepts exactly what RpcResponse.isRpcResponse accepts (property)', () => {
    const member = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue(),
      fc.record({ code: fc.oneof(fc.integer(), fc.double(), fc.string()), message: fc.oneof(fc.string(), fc.integer()) }),
    )
    const responseLike = fc.record(
      {
        jsonrpc: fc.constantFrom('2.0', '1.0', 2),
        result: member,
        error: member,
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double(), fc.boolean()),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(fc.oneof(responseLike, fc.jsonValue()), (u) => {
        const body = JSON.stringify(u) ?? 'undefined'
        const wire: unknown = body === 'undefined' ? undefined : JSON.parse(body)
        const expected = !Array.isArray(wire) && RpcResponse.isRpcResponse(wire)
        expect(E.isRight(_.parseResponse(body))).toBe(expected)
      }),
    )
  })
})

describe('matchResponses', () => {
  it('matches responses to the ids sent, in any order', () => {
    const m = _.matchResponses([1, 2, 3])(`[${success('c', 3)},${success('a', 1)},${failure(-32601, 'Method not found', 2)}]`)
    expect(
      m.responses.map((r) =>
        pipe(
          r,
          E.map((x) => x.id),
        ),
      ),
    ).toEqual([E.right(1), E.right(2), E.right(3)])
    expect([m.missing, m.duplicate, m.unknown, m.unmatched]).toEqual([[], [], [], []])
  })

  it('reports missing, duplicate and unknown ids', () => {
    const m = _.matchResponses([1, 2, 3])(
      `[${success('a', 1)},${success('b', 2)},${success('b2', 2)},${success('x', 7)},${failure(-32600, 'Invalid Request', null)}]`,
    )
    expect(m.missing).toEqual([3])
    expect(m.duplicate).toEqual([2])
    expect(m.unknown).toEqual([7, null])
    expect(m.responses.map(tagOf)).toEqual(['Right', 'DuplicateResponse', 'MissingResponse'])
    expect(m.unmatched).toHaveLength(2)
  })

  it('keeps an element without a readable id as unmatched, not as an unknown id', () => {
    const m = _.matchResponses([1])(`[${success('a', 1)},{"oops":true}]`)
    expect(m.responses.map(tagOf)).toEqual(['Right'])
    expect(m.unknown).toEqual([])
    expect(m.unmatched).toEqual([{ oops: true }])
  })

  it('treats an empty array like no body: every id missing', () => {
    expect(_.matchResponses([1, 2])('[]').missing).toEqual([1, 2])
    expect(_.matchResponses([1, 2])(undefined).missing).toEqual([1, 2])
  })

  it('is total: every sent id gets an entry, whatever came back', () => {
    for (const body of [undefined, '', HTML, 'null', '[]', '[null]', '{}', PARSE_ERROR, success(1, 1), `[${success(1, 1)},${success(1, 1)}]`]) {
      expect(_.matchResponses([1, 'b', 3])(body).responses).toHaveLength(3)
    }
  })
})

describe('ClientError', () => {
  it('match folds every case', () => {
    const name = ClientError.match<unknown, unknown, string>({
      TransportError: () => 'transport',
      EncodeError: () => 'encode',
      InvalidResponse: () => 'invalid',
      MissingResponse: () => 'missing',
      DuplicateResponse: () => 'duplicate',
      RpcError: (e) => `rpc ${e.error.code}`,
      ApplicationError: () => 'application',
      ResultDecodeError: () => 'result',
    })
    expect(
      [
        ClientError.transportError('x'),
        ClientError.encodeError('m', new Error('x')),
        ClientError.invalidResponse('r', 'b'),
        ClientError.missingResponse(1),
        ClientError.duplicateResponse(1, [{}, {}]),
        ClientError.rpcError(RpcError.methodNotFound()),
        ClientError.applicationError({}),
        ClientError.resultDecodeError(1, []),
      ].map(name),
    ).toEqual(['transport', 'encode', 'invalid', 'missing', 'duplicate', 'rpc -32601', 'application', 'result'])
  })

  it('format gives one line per case', () => {
    expect(ClientError.format(ClientError.transportError(new Error('ECONNRESET')))).toBe('transport error: ECONNRESET')
    expect(ClientError.format(ClientError.rpcError(RpcError.methodNotFound()))).toBe('error -32601 Method not found')
    expect(ClientError.format(ClientError.applicationError({ code: 1001, message: 'Insufficient funds', data: {} }))).toBe(
      'application error 1001 Insufficient funds',
    )
    expect(ClientError.format(ClientError.invalidResponse('the body is not JSON', '<html>'))).toBe('invalid response (the body is not JSON): <html>')
    expect(ClientError.format(ClientError.missingResponse('a'))).toBe('no response for id "a"')
    expect(ClientError.format(ClientError.duplicateResponse(2, [{}, {}]))).toBe('2 responses for id 2')
    expect(ClientError.format(ClientError.resultDecodeError(1, ['result: expected string, got 1']))).toBe(
      'the result does not match the contract: result: expected string, got 1',
    )
  })
})

describe('per-call options: signal and timeoutMs reach the transport', () => {
  const signal = new AbortController().signal

  it('a call hands its options to the transport with the ids, each time it runs', async () => {
    const f = fake((body) => success(19, JSON.parse(body).id))
    const run = pipe(f.client, _.call(Subtract, { minuend: 42, subtrahend: 23 }, { signal, timeoutMs: 250 }))
    expect(await run()).toEqual(E.right(19))
    expect(await run()).toEqual(E.right(19))
    expect(f.sent.map((s) => s.expected)).toEqual([
      { ids: [1], signal, timeoutMs: 250 },
      { ids: [2], signal, timeoutMs: 250 },
    ])
    expect(f.sent[0]?.expected.signal).toBe(signal)
  })

  it('a call without params takes options after an undefined params argument', async () => {
    const f = answering(success('pong', 1))
    expect(await pipe(f.client, _.call(Ping, undefined, { timeoutMs: 5 }))()).toEqual(E.right('pong'))
    expect(f.sent).toEqual([{ body: '{"jsonrpc":"2.0","method":"ping","id":1}', expected: { ids: [1], timeoutMs: 5 } }])
  })

  it('a notification hands its options to the transport, with no ids', async () => {
    const f = answering(undefined)
    expect(await pipe(f.client, _.notify(Log, { line: 'a' }, { signal }))()).toEqual(E.right(undefined))
    expect(f.sent.map((s) => s.expected)).toEqual([{ ids: [], signal }])
  })

  it('a batch takes options after its entries; the options of its entries are not used', async () => {
    const f = answering(`[${success(19, 1)}]`)
    const out = await pipe(
      f.client,
      _.batch(_.call(Subtract, { minuend: 42, subtrahend: 23 }, { timeoutMs: 1 }), _.notify(Log, { line: 'a' }), { timeoutMs: 9 }),
    )()
    expect(out).toEqual(E.right([E.right(19), E.right(undefined)]))
    expect(f.sent).toHaveLength(1)
    expect(f.sent[0]?.expected).toEqual({ ids: [1], timeoutMs: 9 })
    expect(JSON.parse(f.sent[0]?.body ?? '')).toHaveLength(2)
  })

  it('without options, the transport gets the ids alone', async () => {
    const f = answering(`[${success(19, 1)}]`)
    await pipe(f.client, _.batch(_.call(Subtract, { minuend: 42, subtrahend: 23 })))()
    expect(f.sent[0]?.expected).toEqual({ ids: [1] })
  })

  it('a transport failure under options is still the TransportError', async () => {
    expect(await pipe(_.make(failing), _.call(Ping, undefined, { signal }))()).toEqual(E.left(ClientError.transportError('ECONNREFUSED')))
  })

  it('types: options do not change what a call, a notification or a batch answers', () => {
    expectTypeOf(pipe(client(), _.call(Withdraw, { amount: 1 }, { timeoutMs: 1 }))).toEqualTypeOf<
      TE.TaskEither<ClientError.ClientError<{ code: 1001; message: string; data: { balance: number } }, never>, { balance: number }>
    >()
    expectTypeOf(pipe(_.make(failing), _.batch(_.call(Ping), _.notify(Log, { line: 'a' }), { signal }))).toEqualTypeOf<
      TE.TaskEither<
        ClientError.TransportError<string>,
        readonly [E.Either<ClientError.ClientError<never, string>, 'pong'>, E.Either<ClientError.ClientError<never, string>, void>]
      >
    >()
    // @ts-expect-error timeoutMs is a number
    _.call(Ping, undefined, { timeoutMs: '1' })
    // @ts-expect-error a batch needs an entry before its options
    _.batch({ timeoutMs: 1 })
  })

  const client = () => answering(undefined).client
})

describe('types', () => {
  const client = answering(undefined).client

  it('types the result and the declared error of a call', () => {
    expectTypeOf(pipe(client, _.call(Withdraw, { amount: 1 }))).toEqualTypeOf<
      TE.TaskEither<ClientError.ClientError<{ code: 1001; message: string; data: { balance: number } }, never>, { balance: number }>
    >()
    expectTypeOf(pipe(_.make(failing), _.notify(Log, { line: 'a' }))).toEqualTypeOf<TE.TaskEither<ClientError.ClientError<never, string>, void>>()
  })

  it('types a batch as a tuple of per-entry Eithers', () => {
    const out = pipe(_.make(failing), _.batch(_.call(Subtract, { minuend: 1, subtrahend: 2 }), _.notify(Log, { line: 'a' }), _.call(Ping)))
    expectTypeOf(out).toEqualTypeOf<
      TE.TaskEither<
        ClientError.TransportError<string>,
        readonly [
          E.Either<ClientError.ClientError<never, string>, number>,
          E.Either<ClientError.ClientError<never, string>, void>,
          E.Either<ClientError.ClientError<never, string>, 'pong'>,
        ]
      >
    >()
  })

  it('refuses wrong params at compile time', () => {
    // @ts-expect-error subtrahend must be a number
    _.call(Subtract, { minuend: 1, subtrahend: '2' })
    // @ts-expect-error subtrahend is missing
    _.call(Subtract, { minuend: 1 })
    // @ts-expect-error params are required when some param is
    _.call(Subtract)
    // @ts-expect-error a tuple of numbers, not strings
    _.call(Sum, ['1'])
    // @ts-expect-error notifications check their params too
    _.notify(Log, { line: 1 })
    // @ts-expect-error a batch takes at least one entry
    _.batch()
    // params optional when every param is
    _.call(Ping)
    _.call(Greet, { name: 'Ada' })
  })
})

describe('the request text', () => {
  it('is the text JSON.stringify gives for the request object, for any name, params and id', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
        fc.oneof(fc.integer(), fc.string({ unit: 'binary' })),
        (name, params, id) => {
          const M = Method.make({ name, params: t.UnknownRecord, result: t.unknown })
          const call = _.call(M, params)
          expect(call.write(id)).toEqual(E.right(JSON.stringify({ jsonrpc: '2.0', method: name, ...(params === undefined ? {} : { params }), id })))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('by position, and with params whose toJSON is told its key, as JSON.stringify has it', () => {
    const Sub = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number, sendParamsBy: 'position' })
    expect(_.call(Sub, { minuend: 42, subtrahend: 23 }).write(1)).toEqual(E.right('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}'))
    const Keyed = Method.make({ name: 'keyed', params: t.unknown, result: t.unknown })
    const params = { toJSON: (key: string) => ({ key }) }
    expect(_.call(Keyed, params).write('a')).toEqual(E.right('{"jsonrpc":"2.0","method":"keyed","params":{"key":"params"},"id":"a"}'))
  })
})

describe('a hostile server: a "__proto__" member in an answer never becomes a prototype', () => {
  // io-ts copies an object it changes while decoding (here `nick`, optional, is absent) by
  // assignment; assigning a `__proto__` member would set the copy's prototype.
  const Who = Method.make({
    name: 'who',
    params: t.type({ name: t.string }),
    result: t.type({ name: t.string, nick: t.union([t.string, t.undefined]) }),
    error: RpcError.typed(7, t.type({ who: t.type({ name: t.string, nick: t.union([t.string, t.undefined]) }) }), 'Who'),
  })

  it('a result holding one, at any depth, is a ResultDecodeError; the same result without it decodes', async () => {
    for (const result of ['{"__proto__":{"isAdmin":true},"name":"x"}', '{"name":"x","extra":[{"__proto__":{}}]}']) {
      const { client } = answering(`{"jsonrpc":"2.0","result":${result},"id":1}`)
      expect(await pipe(client, _.call(Who, { name: 'x' }))()).toEqual(
        E.left(ClientError.resultDecodeError(JSON.parse(result), ['result: a member named "__proto__" is not accepted'])),
      )
    }
    const { client } = answering('{"jsonrpc":"2.0","result":{"name":"x"},"id":1}')
    const plain = await pipe(client, _.call(Who, { name: 'x' }))()
    expect(plain).toEqual(E.right({ name: 'x', nick: undefined }))
    expect(E.isRight(plain) && Object.getPrototypeOf(plain.right) === Object.prototype).toBe(true)
  })

  it('also through sendParsed, and in a batch', async () => {
    const text = '{"jsonrpc":"2.0","result":{"__proto__":{"isAdmin":true},"name":"x"},"id":1}'
    const { client } = answeringParsed(text)
    const answer = await pipe(client, _.call(Who, { name: 'x' }))()
    expect(E.isLeft(answer) && answer.left._tag).toBe('ResultDecodeError')
    const batchOf = answering(`[${text}]`)
    const [one] = E.getOrElseW(() => [])(await pipe(batchOf.client, _.batch(_.call(Who, { name: 'x' })))())
    expect(one !== undefined && E.isLeft(one) && (one.left as { readonly _tag: string })._tag).toBe('ResultDecodeError')
  })

  it('a declared error whose data holds one is read as a plain RpcError, not decoded; without it, as the declared error', async () => {
    const withProto = answering('{"jsonrpc":"2.0","error":{"code":7,"message":"who","data":{"who":{"__proto__":{"isAdmin":true},"name":"x"}}},"id":1}')
    const refused = await pipe(withProto.client, _.call(Who, { name: 'x' }))()
    expect(E.isLeft(refused) && refused.left._tag).toBe('RpcError')
    const plain = answering('{"jsonrpc":"2.0","error":{"code":7,"message":"who","data":{"who":{"name":"x"}}},"id":1}')
    const declared = await pipe(plain.client, _.call(Who, { name: 'x' }))()
    expect(E.isLeft(declared) && declared.left._tag).toBe('ApplicationError')
  })
})
