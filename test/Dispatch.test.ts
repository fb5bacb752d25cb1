/**
 * The dispatcher, edge by edge. Expected answers are written out as the exact wire text where that
 * is practical; where a test needs structure it compares parsed JSON.
 */
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry, RpcError, RpcRequest, RpcResponse } from '../src/index.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const PARSE_ERROR = '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
const INVALID_REQUEST_NULL = '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}'
const invalidRequest = (id: string): string => `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":${id}}`
const methodNotFound = (id: string): string => `{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":${id}}`
const internalError = (id: string): string => `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":${id}}`
const invalidParams = (id: string, ...lines: ReadonlyArray<string>): string =>
  `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":${JSON.stringify(lines)}},"id":${id}}`

const req = (method: string, params: unknown, id: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id })
const note = (method: string, params?: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params })

type HandlerCase = readonly [name: string, handler: () => unknown]

interface Deferred<A> {
  readonly promise: Promise<A>
  readonly resolve: (a: A) => void
}

const deferred = <A>(): Deferred<A> => {
  let resolve!: (a: A) => void
  const promise = new Promise<A>((r) => (resolve = r))
  return { promise, resolve }
}

// Lets every pending Promise callback run.
const flush = (): Promise<void> => new Promise((r) => setImmediate(r))

// Fails with a clear message instead of hanging the suite when a dispatch never settles.
const within = <A>(ms: number, a: A | Promise<A>): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`dispatch did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([Promise.resolve(a), deadline]).finally(() => clearTimeout(timer))
}

const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
})
const Echo = Method.make({ name: 'echo', params: t.UnknownRecord, result: t.unknown })
const Nothing = Method.make({ name: 'nothing' })

const basic = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Echo, (p) => E.right(p)),
  Registry.add(Nothing, () => E.right(undefined)),
)
const server = Dispatch.make(basic)

/** A registry whose one method `m` runs `handler`, and a log of what the defect hook saw. */
const single = (handler: (p: unknown, c: unknown, r: RpcRequest.RpcRequest) => unknown, options: Dispatch.Options = {}) => {
  const defects: Array<{ cause: unknown; request: RpcRequest.RpcRequest | undefined }> = []
  const M = Method.make({ name: 'm', params: t.unknown })
  const registry = pipe(Registry.empty, Registry.add(M, handler as never))
  const d = Dispatch.make(registry, { ...options, onDefect: (cause, request) => defects.push({ cause, request }) })
  return { d, defects }
}

// -------------------------------------------------------------------------------------
// parsing and the top level
// -------------------------------------------------------------------------------------

describe('Parse error: invalid JSON was received by the server', () => {
  it.each(['', '{', '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]', "{'jsonrpc':'2.0'}", 'NaN', '[1,]', 'undefined', '{"a":1}}'])(
    'answers %j with Parse error and id null',
    (input) => {
      expect(server.dispatch(input)).toBe(PARSE_ERROR)
    },
  )
})

describe('Invalid Request: the top level is neither an object nor an array', () => {
  it.each(['1', '-3.5', '"foo"', 'null', 'true', 'false'])('answers %s with Invalid Request and id null', (input) => {
    expect(server.dispatch(input)).toBe(INVALID_REQUEST_NULL)
  })
})

// -------------------------------------------------------------------------------------
// batches
// -------------------------------------------------------------------------------------

describe('batch: an empty Array is a single Invalid Request, not an array', () => {
  it('answers [] with one response object', () => {
    expect(server.dispatch('[]')).toBe(INVALID_REQUEST_NULL)
    expect(server.dispatch(' [ ] ')).toBe(INVALID_REQUEST_NULL)
  })
})

describe('batch: each invalid element gets its own error, and the valid ones still run', () => {
  it('answers every element in order', () => {
    const input = `[${req('subtract', [42, 23], 1)},1,{"foo":"boo"},${req('nope', [], 'x')},${req('subtract', [1, 'a'], 2)},${req('subtract', { minuend: 5, subtrahend: 3 }, 3)}]`
    expect(server.dispatch(input)).toBe(
      '[' +
        [
          '{"jsonrpc":"2.0","result":19,"id":1}',
          INVALID_REQUEST_NULL,
          INVALID_REQUEST_NULL,
          methodNotFound('"x"'),
          invalidParams('2', 'params.1: expected number, got "a"'),
          '{"jsonrpc":"2.0","result":2,"id":3}',
        ].join(',') +
        ']',
    )
  })

  it('answers a nested array element as Invalid Request', () => {
    expect(server.dispatch(`[[${req('subtract', [1, 1], 1)}]]`)).toBe(`[${INVALID_REQUEST_NULL}]`)
  })

  it('answers an invalid element with its own id when that id is valid', () => {
    expect(server.dispatch('[{"jsonrpc":"2.0","method":1,"id":7}]')).toBe(`[${invalidRequest('7')}]`)
  })
})

describe('batch: if there are no Response objects to return, the server returns nothing at all', () => {
  it('returns undefined for a batch of notifications, and runs them', () => {
    const seen: Array<unknown> = []
    const { d } = single((p) => (seen.push(p), undefined))
    expect(d.dispatch(`[${note('m', [1])},${note('m', [2])}]`)).toBeUndefined()
    expect(seen).toEqual([[1], [2]])
  })

  it('returns undefined even when every notification fails', () => {
    const { d } = single(() => {
      throw new Error('boom')
    })
    expect(d.dispatch(`[${note('m')},${note('unknown')},${note('subtract', [1])}]`)).toBeUndefined()
    expect(server.dispatch(`[${note('unknown')},${note('subtract', [1])}]`)).toBeUndefined()
  })
})

describe('batch: one surviving response is still answered as an array', () => {
  it('wraps a single response in an array when the input was a batch', () => {
    expect(server.dispatch(`[${req('subtract', [3, 1], 1)},${note('nothing')}]`)).toBe('[{"jsonrpc":"2.0","result":2,"id":1}]')
  })
})

// -------------------------------------------------------------------------------------
// the request object's members
// -------------------------------------------------------------------------------------

describe('id: a String, Number or Null, answered back as sent', () => {
  it.each([
    ['"abc"', '"abc"'],
    ['""', '""'],
    ['0', '0'],
    ['-7', '-7'],
    ['1.5', '1.5'],
    ['9007199254740991', '9007199254740991'],
    ['-9007199254740991', '-9007199254740991'],
    ['null', 'null'],
  ])('answers id %s with id %s', (sent, answered) => {
    expect(server.dispatch(`{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":${sent}}`)).toBe(`{"jsonrpc":"2.0","result":1,"id":${answered}}`)
  })
})

describe('id: "id": null is a request, not a notification', () => {
  it('answers with id null and hands the handler a request that has an id member', () => {
    const seen: Array<RpcRequest.RpcRequest> = []
    const { d } = single((_p, _c, r) => (seen.push(r), 'ok'))
    expect(d.dispatch('{"jsonrpc":"2.0","method":"m","id":null}')).toBe('{"jsonrpc":"2.0","result":"ok","id":null}')
    expect(seen).toHaveLength(1)
    expect(RpcRequest.isNotification(seen[0])).toBe(false)
  })

  it('answers errors of an id-null request too', () => {
    expect(server.dispatch('{"jsonrpc":"2.0","method":"nope","id":null}')).toBe(methodNotFound('null'))
  })
})

describe('Invalid Request: an id that is not a String, Number (exactly representable) or Null', () => {
  it.each(['1e400', '-1e400', '9007199254740994', '-9007199254740994', '{}', '{"a":1}', '[]', '[1]', 'true', 'false'])(
    'answers id %s with Invalid Request and id null, without calling the handler',
    (id) => {
      let calls = 0
      const { d } = single(() => (calls++, 1))
      expect(d.dispatch(`{"jsonrpc":"2.0","method":"m","id":${id}}`)).toBe(INVALID_REQUEST_NULL)
      expect(calls).toBe(0)
    },
  )
})

describe('Invalid Request: jsonrpc MUST be exactly "2.0"', () => {
  it.each(['"1.0"', '2.0', '"2"', 'null', '"2.0 "'])('answers "jsonrpc": %s with Invalid Request, keeping the valid id', (v) => {
    expect(server.dispatch(`{"jsonrpc":${v},"method":"subtract","params":[2,1],"id":1}`)).toBe(invalidRequest('1'))
  })

  it('answers a missing jsonrpc member with Invalid Request', () => {
    expect(server.dispatch('{"method":"subtract","params":[2,1],"id":1}')).toBe(invalidRequest('1'))
  })
})

describe('Invalid Request: method MUST be a String', () => {
  it.each(['1', 'null', 'true', '[]', '{}'])('answers "method": %s with Invalid Request', (v) => {
    expect(server.dispatch(`{"jsonrpc":"2.0","method":${v},"id":"a"}`)).toBe(invalidRequest('"a"'))
  })

  it('answers a missing method with Invalid Request', () => {
    expect(server.dispatch('{"jsonrpc":"2.0","id":"a"}')).toBe(invalidRequest('"a"'))
  })

  it('answers an invalid request without an id (not a notification: it is not a request at all) with id null', () => {
    expect(server.dispatch('{"jsonrpc":"2.0","method":1,"params":"bar"}')).toBe(INVALID_REQUEST_NULL)
  })
})

describe('Invalid Request: params, when present, MUST be a Structured value', () => {
  // Documented decision (src/RpcRequest.ts): "params": null is not a structured value.
  it.each(['null', '"bar"', '1', 'true'])('answers "params": %s with Invalid Request', (v) => {
    let calls = 0
    const { d } = single(() => (calls++, 1))
    expect(d.dispatch(`{"jsonrpc":"2.0","method":"m","params":${v},"id":1}`)).toBe(invalidRequest('1'))
    expect(calls).toBe(0)
  })
})

// -------------------------------------------------------------------------------------
// method lookup
// -------------------------------------------------------------------------------------

describe('Method not found: names of Object.prototype are not methods', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', ''])(
    'answers %j with Method not found',
    (name) => {
      expect(server.dispatch(req(name, [], 1))).toBe(methodNotFound('1'))
    },
  )

  it('answers a method named like the reserved "rpc." prefix with Method not found', () => {
    expect(server.dispatch(req('rpc.discover', [], 1))).toBe(methodNotFound('1'))
  })
})

const PROTO_MEMBER = (id: string): string =>
  `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":["params: a member named \\"__proto__\\" is not accepted"]},"id":${id}}`

describe('"__proto__" in a payload does not touch Object.prototype, nor the prototype of params', () => {
  const polluted = (): boolean => Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted') || 'polluted' in {}

  it('answers, and leaves Object.prototype as it was', () => {
    const inputs = [
      '{"jsonrpc":"2.0","method":"subtract","params":{"__proto__":{"polluted":true},"minuend":3,"subtrahend":1},"id":1}',
      '{"jsonrpc":"2.0","method":"echo","params":{"__proto__":{"polluted":true}},"id":2,"__proto__":{"polluted":true}}',
      '{"jsonrpc":"2.0","method":"__proto__","params":{"__proto__":{"polluted":true}},"id":3}',
      '[{"__proto__":{"polluted":true}},{"jsonrpc":"2.0","method":"constructor","params":{"prototype":{"polluted":true}},"id":4}]',
    ]
    const answers = inputs.map((i) => server.dispatch(i))
    // Params holding a `__proto__` member are refused before any codec sees them (see below).
    expect(answers).toEqual([PROTO_MEMBER('1'), PROTO_MEMBER('2'), methodNotFound('3'), `[${INVALID_REQUEST_NULL},${methodNotFound('4')}]`])
    expect(polluted()).toBe(false)
  })

  // io-ts copies an object it changes while decoding (here: `nick`, optional, is absent) by
  // assignment, and assigning a `__proto__` member sets the copy's prototype: without the refusal,
  // the handler saw `isAdmin: true` inherited from what the caller sent.
  const Who = Method.make({ name: 'who', params: t.type({ name: t.string, nick: t.union([t.string, t.undefined]) }), result: t.unknown })
  const seen: Array<unknown> = []
  const who = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Who, (p) => {
        seen.push(p)
        return E.right({ isAdmin: (p as { readonly isAdmin?: unknown }).isAdmin ?? false, plain: Object.getPrototypeOf(p) === Object.prototype })
      }),
    ),
    { version1: true },
  )

  it("params with a __proto__ member never reach a handler: the prototype of its params is never the caller's", () => {
    seen.length = 0
    expect(who.dispatch('{"jsonrpc":"2.0","method":"who","params":{"__proto__":{"isAdmin":true},"name":"x"},"id":1}')).toBe(PROTO_MEMBER('1'))
    expect(who.dispatch('{"method":"who","params":{"name":"x","__proto__":{"isAdmin":true}},"id":2}')).toBe(
      '{"result":null,"error":{"code":-32602,"message":"Invalid params","data":["params: a member named \\"__proto__\\" is not accepted"]},"id":2}',
    )
    expect(who.dispatchValue({ jsonrpc: '2.0', method: 'who', params: JSON.parse('{"name":"x","__proto__":{"isAdmin":true}}') as unknown, id: 3 })).toBe(
      PROTO_MEMBER('3'),
    )
    expect(seen).toEqual([])
    expect(who.dispatch('{"jsonrpc":"2.0","method":"who","params":{"name":"x"},"id":4}')).toBe(
      '{"jsonrpc":"2.0","result":{"isAdmin":false,"plain":true},"id":4}',
    )
  })
})

// -------------------------------------------------------------------------------------
// params
// -------------------------------------------------------------------------------------

const Point = Method.make({
  name: 'point',
  params: t.type({ point: t.type({ x: t.number, y: t.number }), tags: t.array(t.string) }),
  result: t.number,
})
const withPoint = Dispatch.make(
  pipe(
    basic,
    Registry.add(Point, ({ point }) => E.right(point.x + point.y)),
  ),
)

describe('Invalid params: each failure names the path that failed', () => {
  it('names the position of a positional parameter', () => {
    expect(server.dispatch(req('subtract', [42, 'x'], 1))).toBe(invalidParams('1', 'params.1: expected number, got "x"'))
  })

  it('names a missing named parameter', () => {
    expect(server.dispatch(req('subtract', { minuend: 42 }, 1))).toBe(invalidParams('1', 'params.subtrahend: expected number, got nothing'))
  })

  it('names a missing positional parameter by its position', () => {
    expect(server.dispatch(req('subtract', [42], 1))).toBe(invalidParams('1', 'params.1: expected number, got nothing'))
  })

  it('reports every failure, one line each, in declaration order', () => {
    expect(server.dispatch(req('subtract', {}, 1))).toBe(
      invalidParams('1', 'params.minuend: expected number, got nothing', 'params.subtrahend: expected number, got nothing'),
    )
  })

  it('refuses more positional params than the contract names', () => {
    expect(server.dispatch(req('subtract', [1, 2, 3], 1))).toBe(invalidParams('1', 'params: expected at most 2 parameters, got 3'))
  })

  it('names a nested path, by name and by position', () => {
    expect(withPoint.dispatch(req('point', { point: { x: 'a', y: 1 }, tags: [] }, 1))).toBe(invalidParams('1', 'params.point.x: expected number, got "a"'))
    expect(withPoint.dispatch(req('point', [{ x: 1, y: 2 }, ['a', 3]], 1))).toBe(invalidParams('1', 'params.1.1: expected string, got 3'))
  })

  it('shortens a long value it echoes back, so a huge payload is never reflected', () => {
    const out = server.dispatch(req('subtract', [1, 'x'.repeat(10_000)], 1)) as string
    expect(out).toBe(invalidParams('1', `params.1: expected number, got "${'x'.repeat(36)}...`))
  })

  it('answers nothing for a notification with invalid params', () => {
    expect(server.dispatch(note('subtract', [1, 'x']))).toBeUndefined()
  })

  it('uses the reportParams option to render the data', () => {
    const d = Dispatch.make(basic, { reportParams: (issues) => issues.map((i) => ({ at: i.path, expected: i.expected })) })
    expect(d.dispatch(req('subtract', [1, 'x'], 1))).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":[{"at":["params",1],"expected":"number"}]},"id":1}',
    )
  })
})

// -------------------------------------------------------------------------------------
// what a handler answers
// -------------------------------------------------------------------------------------

describe('Internal error: a thrown exception leaks nothing to the peer', () => {
  it('answers exactly code -32603 and "Internal error", and hands the real cause to onDefect', () => {
    const cause = new Error('password=hunter2 at /srv/app/db.ts:42')
    const { d, defects } = single(() => {
      throw cause
    })
    const out = d.dispatch(req('m', [], 1))
    expect(out).toBe(internalError('1'))
    expect(out).not.toMatch(/hunter2|srv|stack|at /)
    expect(defects).toHaveLength(1)
    expect(defects[0]?.cause).toBe(cause)
    expect(defects[0]?.request).toEqual({ jsonrpc: '2.0', method: 'm', params: [], id: 1 })
  })

  it('answers the same for a thrown value that is not an Error', () => {
    const { d, defects } = single(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the test is about a thrown value that is not an Error
      throw 'secret string'
    })
    expect(d.dispatch(req('m', [], 'q'))).toBe(internalError('"q"'))
    expect(defects.map((x) => x.cause)).toEqual(['secret string'])
  })

  it('still answers when the onDefect hook itself throws', () => {
    const M = Method.make({ name: 'm' })
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(M, () => {
          throw new Error('first')
        }),
      ),
      {
        onDefect: () => {
          throw new Error('the logger is down')
        },
      },
    )
    expect(d.dispatch(req('m', [], 1))).toBe(internalError('1'))
  })

  it('answers without an onDefect hook', () => {
    const M = Method.make({ name: 'm' })
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(M, () => {
          throw new Error('x')
        }),
      ),
    )
    expect(d.dispatch(req('m', [], 1))).toBe(internalError('1'))
  })
})

describe('RpcError.raise in a handler answers with that error', () => {
  it('answers with the raised code, message and data', () => {
    const { d, defects } = single(() => RpcError.raise(RpcError.make(-32001, 'Unauthorized', { realm: 'admin' })))
    expect(d.dispatch(req('m', [], 1))).toBe('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized","data":{"realm":"admin"}},"id":1}')
    expect(defects).toEqual([])
  })

  it('answers with the raised error from an async function too', async () => {
    const { d } = single(async () => RpcError.raise(RpcError.make(7, 'Nope')))
    expect(await d.dispatch(req('m', [], 1))).toBe('{"jsonrpc":"2.0","error":{"code":7,"message":"Nope"},"id":1}')
  })

  it('sends only code, message and data of the raised error', () => {
    const error = { code: 9, message: 'x', data: 1, internal: 'do not send' } as RpcError.RpcError
    const { d } = single(() => RpcError.raise(error))
    expect(d.dispatch(req('m', [], 1))).toBe('{"jsonrpc":"2.0","error":{"code":9,"message":"x","data":1},"id":1}')
  })
})

describe('result: a handler answering undefined is answered with "result": null', () => {
  it.each<HandlerCase>([
    ['a plain undefined', () => undefined],
    ['Right(undefined)', () => E.right(undefined)],
    ['a Promise of undefined', async () => undefined],
    ['a TaskEither of undefined', () => TE.right(undefined)],
  ])('for %s', async (_name, handler) => {
    const { d } = single(handler)
    expect(await d.dispatch(req('m', [], 1))).toBe('{"jsonrpc":"2.0","result":null,"id":1}')
  })
})

describe('result: the contract encodes the result', () => {
  const DateFromIso = new t.Type<Date, string, unknown>(
    'DateFromIso',
    (u): u is Date => u instanceof Date,
    (u, c) => (typeof u === 'string' && !Number.isNaN(Date.parse(u)) ? t.success(new Date(u)) : t.failure(u, c)),
    (d) => d.toISOString(),
  )
  const Now = Method.make({ name: 'now', result: DateFromIso })

  it('writes what result.encode gives', () => {
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Now, () => E.right(new Date(Date.UTC(2020, 0, 2)))),
      ),
    )
    expect(d.dispatch(req('now', [], 1))).toBe('{"jsonrpc":"2.0","result":"2020-01-02T00:00:00.000Z","id":1}')
  })

  it('answers Internal error when encoding throws', () => {
    const defects: Array<unknown> = []
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Now, () => E.right(new Date(Number.NaN))),
      ),
      { onDefect: (c) => defects.push(c) },
    )
    expect(d.dispatch(req('now', [], 1))).toBe(internalError('1'))
    expect(defects[0]).toBeInstanceOf(RangeError)
  })
})

describe('result: a value JSON cannot carry is an Internal error, not a crash', () => {
  const circular = (): unknown => {
    const o: Record<string, unknown> = { a: 1 }
    o['self'] = o
    return o
  }

  it.each<HandlerCase>([
    ['a BigInt', () => 10n],
    ['a circular object', circular],
    [
      'an object whose toJSON throws',
      () => ({
        toJSON: () => {
          throw new Error('no')
        },
      }),
    ],
    ['a Promise of a function', async () => () => 1],
    ['a symbol', () => Symbol('s')],
  ])('answers %s with Internal error and reports it to onDefect', async (_name, handler) => {
    const { d, defects } = single(handler)
    expect(await d.dispatch(req('m', [], 1))).toBe(internalError('1'))
    expect(defects).toHaveLength(1)
    expect(defects[0]?.cause).toBeInstanceOf(Error)
  })

  it('leaves the other elements of the batch unaffected', () => {
    const Big = Method.make({ name: 'big' })
    const Loop = Method.make({ name: 'loop' })
    const d = Dispatch.make(
      pipe(
        basic,
        Registry.add(Big, () => E.right(1n)),
        Registry.add(Loop, () => E.right(circular())),
      ),
    )
    expect(d.dispatch(`[${req('subtract', [3, 1], 1)},${req('big', [], 2)},${req('loop', [], 3)},${req('subtract', [5, 1], 4)}]`)).toBe(
      `[{"jsonrpc":"2.0","result":2,"id":1},${internalError('2')},${internalError('3')},{"jsonrpc":"2.0","result":4,"id":4}]`,
    )
  })
})

describe('Left: an application error the contract declares travels with code, message and data', () => {
  const InsufficientFunds = RpcError.typed(1001, t.type({ balance: t.number }))
  const Withdraw = Method.make({
    name: 'withdraw',
    params: t.type({ amount: t.number }),
    result: t.number,
    error: InsufficientFunds,
  })
  const d = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Withdraw, ({ amount }) =>
        amount > 3 ? E.left({ code: 1001 as const, message: 'Insufficient funds', data: { balance: 3 } }) : E.right(3 - amount),
      ),
    ),
  )

  it('answers the typed error', () => {
    expect(d.dispatch(req('withdraw', { amount: 5 }, 1))).toBe(
      '{"jsonrpc":"2.0","error":{"code":1001,"message":"Insufficient funds","data":{"balance":3}},"id":1}',
    )
    expect(d.dispatch(req('withdraw', { amount: 1 }, 2))).toBe('{"jsonrpc":"2.0","result":2,"id":2}')
  })

  it('encodes data with the declared codec', () => {
    const Cents = new t.Type<number, string, unknown>(
      'Cents',
      (u): u is number => typeof u === 'number',
      (u, c) => t.failure(u, c),
      (n) => `${n.toFixed(2)} EUR`,
    )
    const Low = RpcError.typed(1002, t.type({ balance: Cents }))
    const Pay = Method.make({ name: 'pay', error: Low })
    const p = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Pay, () => E.left({ code: 1002 as const, message: 'Low', data: { balance: 3 } })),
      ),
    )
    expect(p.dispatch(req('pay', [], 1))).toBe('{"jsonrpc":"2.0","error":{"code":1002,"message":"Low","data":{"balance":"3.00 EUR"}},"id":1}')
  })

  it('answers any well-formed error object a handler returns', () => {
    const { d: any } = single(() => E.left(RpcError.make(-32000, 'Busy')))
    expect(any.dispatch(req('m', [], 1))).toBe('{"jsonrpc":"2.0","error":{"code":-32000,"message":"Busy"},"id":1}')
  })
})

describe('Left: a value that is not an error object is an Internal error', () => {
  it.each<readonly [string, unknown]>([
    ['a string', 'boom'],
    ['an object without code', { message: 'x' }],
    ['a fractional code', { code: 1.5, message: 'x' }],
    ['a non-string message', { code: 1, message: 2 }],
    ['null', null],
    ['an Error', new Error('secret')],
  ])('answers Left(%s) with Internal error', (_name, value) => {
    const { d, defects } = single(() => E.left(value))
    expect(d.dispatch(req('m', [], 1))).toBe(internalError('1'))
    expect(defects).toHaveLength(1)
  })
})

describe('asynchronous handlers', () => {
  it('answers a Promise with its value', async () => {
    const { d } = single(async () => 42)
    expect(await d.dispatch(req('m', [], 1))).toBe('{"jsonrpc":"2.0","result":42,"id":1}')
  })

  it('answers a TaskEither Right with its value and a Left with its error', async () => {
    const ok = single(() => TE.right('yes'))
    const ko = single(() => TE.left(RpcError.make(5, 'no')))
    expect(await ok.d.dispatch(req('m', [], 1))).toBe('{"jsonrpc":"2.0","result":"yes","id":1}')
    expect(await ko.d.dispatch(req('m', [], 1))).toBe('{"jsonrpc":"2.0","error":{"code":5,"message":"no"},"id":1}')
  })

  it('answers a rejected Promise with Internal error and hands the reason to onDefect', async () => {
    const reason = new Error('rejected secretly')
    const { d, defects } = single(() => Promise.reject(reason))
    expect(await d.dispatch(req('m', [], 1))).toBe(internalError('1'))
    expect(defects.map((x) => x.cause)).toEqual([reason])
  })

  it('answers a TaskEither that throws when run with Internal error', async () => {
    const reason = new Error('thrown by the task')
    const { d, defects } = single(() => () => {
      throw reason
    })
    expect(await d.dispatch(req('m', [], 1))).toBe(internalError('1'))
    expect(defects.map((x) => x.cause)).toEqual([reason])
  })

  it('answers a TaskEither whose Promise rejects with Internal error', async () => {
    const { d, defects } = single(() => () => Promise.reject(new Error('x')))
    expect(await d.dispatch(req('m', [], 1))).toBe(internalError('1'))
    expect(defects).toHaveLength(1)
  })

  it('answers a TaskEither that resolves to something other than an Either with Internal error', async () => {
    const { d, defects } = single(() => () => Promise.resolve(42))
    expect(await d.dispatch(req('m', [], 1))).toBe(internalError('1'))
    expect(defects[0]?.cause).toBeInstanceOf(TypeError)
  })

  it('answers synchronously, without a Promise, when the handler is synchronous', () => {
    expect(server.dispatch(req('subtract', [2, 1], 1))).toBe('{"jsonrpc":"2.0","result":1,"id":1}')
    expect(server.dispatch(`[${req('subtract', [2, 1], 1)}]`)).toBe('[{"jsonrpc":"2.0","result":1,"id":1}]')
  })

  it('answers a batch mixing synchronous and asynchronous handlers in request order', async () => {
    const Slow = Method.make({ name: 'slow', params: t.tuple([t.number]) })
    const d = Dispatch.make(
      pipe(
        basic,
        Registry.add(Slow, ([ms]) => new Promise((r) => setTimeout(() => r(ms), ms))),
      ),
    )
    const out = d.dispatch(`[${req('slow', [20], 'a')},${req('subtract', [2, 1], 'b')},${req('slow', [1], 'c')}]`)
    expect(out).toBeInstanceOf(Promise)
    expect(await out).toBe('[{"jsonrpc":"2.0","result":20,"id":"a"},{"jsonrpc":"2.0","result":1,"id":"b"},{"jsonrpc":"2.0","result":1,"id":"c"}]')
  })
})

describe('notifications: the server MUST NOT reply, even on errors', () => {
  it.each([
    ['an unknown method', note('unknown')],
    ['invalid params', note('subtract', [1, 'x'])],
    ['too many params', note('subtract', [1, 2, 3])],
  ])('answers nothing for %s', (_name, input) => {
    expect(server.dispatch(input)).toBeUndefined()
  })

  it.each<HandlerCase>([
    [
      'a throwing handler',
      () => {
        throw new Error('x')
      },
    ],
    ['a Left', () => E.left(RpcError.make(1, 'x'))],
    ['a Left that is not an error object', () => E.left('x')],
    ['a rejected Promise', () => Promise.reject(new Error('x'))],
    ['a raised error', () => RpcError.raise(RpcError.make(1, 'x'))],
    ['a BigInt result', () => 1n],
    ['a successful result', () => 1],
  ])('answers nothing for %s', async (_name, handler) => {
    const { d } = single(handler)
    expect(await d.dispatch(note('m', []))).toBeUndefined()
  })

  it("still reports a notification's defect to onDefect", () => {
    const cause = new Error('x')
    const { d, defects } = single(() => {
      throw cause
    })
    expect(d.dispatch(note('m'))).toBeUndefined()
    expect(defects).toEqual([{ cause, request: { jsonrpc: '2.0', method: 'm' } }])
  })
})

// -------------------------------------------------------------------------------------
// context
// -------------------------------------------------------------------------------------

describe('context: what dispatch is given reaches the handler', () => {
  it('passes the context as the second argument and the request as the third', () => {
    const Whoami = Method.make({ name: 'whoami', result: t.string })
    const seen: Array<RpcRequest.RpcRequest> = []
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Whoami, (_p, ctx: { readonly user: string }, request) => {
          seen.push(request)
          return E.right(ctx.user)
        }),
      ),
    )
    expect(d.dispatch(req('whoami', [], 1), { user: 'ada' })).toBe('{"jsonrpc":"2.0","result":"ada","id":1}')
    expect(d.dispatch(req('whoami', [], 2), { user: 'bob' })).toBe('{"jsonrpc":"2.0","result":"bob","id":2}')
    expect(seen).toEqual([
      { jsonrpc: '2.0', method: 'whoami', params: [], id: 1 },
      { jsonrpc: '2.0', method: 'whoami', params: [], id: 2 },
    ])
  })
})

describe("context option: each call's context is made from the request and a base value", () => {
  it('calls the context function per call, with the request and the base value', async () => {
    const Whoami = Method.make({ name: 'whoami', result: t.string })
    const made: Array<{ method: string; base: unknown }> = []
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Whoami, (_p, ctx: { readonly user: string; readonly method: string }) => E.right(`${ctx.user}:${ctx.method}`)),
      ),
      {
        context: (request, base: { readonly headers: Readonly<Record<string, string>> }) => {
          made.push({ method: request.method, base })
          return { user: base.headers['x-user'] ?? 'anonymous', method: request.method }
        },
      },
    )
    const headers = { 'x-user': 'ada' }
    expect(await d.dispatch(`[${req('whoami', [], 1)},${req('whoami', [], 2)}]`, { headers })).toBe(
      '[{"jsonrpc":"2.0","result":"ada:whoami","id":1},{"jsonrpc":"2.0","result":"ada:whoami","id":2}]',
    )
    expect(made).toEqual([
      { method: 'whoami', base: { headers } },
      { method: 'whoami', base: { headers } },
    ])
  })

  it('answers Internal error when the context function throws', () => {
    const defects: Array<unknown> = []
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Nothing, () => E.right(1)),
      ),
      {
        context: (): unknown => {
          throw new Error('no session')
        },
        onDefect: (c) => defects.push(c),
      },
    )
    expect(d.dispatch(req('nothing', [], 1), undefined)).toBe(internalError('1'))
    expect(defects).toHaveLength(1)
  })
})

// -------------------------------------------------------------------------------------
// options
// -------------------------------------------------------------------------------------

describe('deserialize option: a custom deserializer replaces JSON.parse', () => {
  it('dispatches what the deserializer gives', () => {
    // A toy "method arg arg" line format.
    const d = Dispatch.make(basic, {
      deserialize: (line) => {
        const [method, ...args] = line.trim().split(/\s+/)
        if (method === undefined || method === '') throw new SyntaxError('empty line')
        return { jsonrpc: '2.0', method, params: args.map(Number), id: 0 }
      },
    })
    expect(d.dispatch('subtract 42 23')).toBe('{"jsonrpc":"2.0","result":19,"id":0}')
    expect(d.dispatch('   ')).toBe(PARSE_ERROR)
  })

  it('treats a params member holding undefined as absent', () => {
    const d = Dispatch.make(basic, { deserialize: () => ({ jsonrpc: '2.0', method: 'nothing', params: undefined, id: 1 }) })
    expect(d.dispatch('ignored')).toBe('{"jsonrpc":"2.0","result":null,"id":1}')
  })
})

describe('validateRequest option: an io-ts decoder replaces the request validator', () => {
  const allowed = new Set(['jsonrpc', 'method', 'params', 'id'])
  const StrictEnvelope = new t.Type<RpcRequest.RpcRequest, RpcRequest.RpcRequest, unknown>(
    'StrictEnvelope',
    (u): u is RpcRequest.RpcRequest => RpcRequest.isRpcRequest(u) && Object.keys(u).every((k) => allowed.has(k)),
    (u, c) => (RpcRequest.isRpcRequest(u) && Object.keys(u).every((k) => allowed.has(k)) ? t.success(u) : t.failure(u, c)),
    t.identity,
  )
  const strict = Dispatch.make(basic, { validateRequest: StrictEnvelope })

  it('answers what its Left refuses with Invalid Request', () => {
    expect(strict.dispatch('{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":1,"extra":true}')).toBe(invalidRequest('1'))
    expect(server.dispatch('{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":1,"extra":true}')).toBe('{"jsonrpc":"2.0","result":1,"id":1}')
  })

  it('dispatches what its Right accepts', () => {
    expect(strict.dispatch(req('subtract', [2, 1], 1))).toBe('{"jsonrpc":"2.0","result":1,"id":1}')
  })
})

describe('postProcess option: sees, and may replace, every response', () => {
  it('rewrites each response of a batch, errors included', () => {
    const seen: Array<RpcResponse.RpcResponse> = []
    const d = Dispatch.make(basic, {
      postProcess: (r) => {
        seen.push(r)
        return RpcResponse.isSuccess(r) ? RpcResponse.success({ wrapped: r.result }, r.id) : r
      },
    })
    expect(d.dispatch(`[${req('subtract', [2, 1], 1)},${req('nope', [], 2)},${note('nothing')}]`)).toBe(
      `[{"jsonrpc":"2.0","result":{"wrapped":1},"id":1},${methodNotFound('2')}]`,
    )
    expect(seen).toHaveLength(2)
  })

  it('answers Internal error when postProcess throws', () => {
    const defects: Array<unknown> = []
    const d = Dispatch.make(basic, {
      postProcess: () => {
        throw new Error('x')
      },
      onDefect: (c) => defects.push(c),
    })
    expect(d.dispatch(req('subtract', [2, 1], 1))).toBe(internalError('1'))
    expect(defects).toHaveLength(1)
  })

  it('sees the Parse error and the empty-batch Invalid Request too', () => {
    const seen: Array<RpcResponse.RpcResponse> = []
    const d = Dispatch.make(basic, { postProcess: (r) => (seen.push(r), r) })
    expect(d.dispatch('{')).toBe(PARSE_ERROR)
    expect(d.dispatch('[]')).toBe(INVALID_REQUEST_NULL)
    expect(d.dispatch('1')).toBe(INVALID_REQUEST_NULL)
    expect(seen.map((r) => (RpcResponse.isFailure(r) ? r.error.code : 0))).toEqual([-32700, -32600, -32600])
  })
})

describe('batchConcurrency option: bounds how many asynchronous handlers of a batch run at once', () => {
  const gate = () => {
    let inFlight = 0
    let max = 0
    const waiting: Array<Deferred<void>> = []
    const Wait = Method.make({ name: 'wait', params: t.tuple([t.number]), result: t.number })
    const registry = pipe(
      basic,
      Registry.add(Wait, async ([n]) => {
        inFlight++
        max = Math.max(max, inFlight)
        const d = deferred<void>()
        waiting.push(d)
        await d.promise
        inFlight--
        return n
      }),
    )
    // Releases the waiting handlers one at a time until `out` settles, checking the bound throughout.
    const drain = async (out: unknown, bound: number): Promise<void> => {
      let settled = false
      void Promise.resolve(out).then(() => (settled = true))
      for (let round = 0; !settled && round < 1000; round++) {
        await flush()
        expect(inFlight).toBeLessThanOrEqual(bound)
        waiting.shift()?.resolve()
      }
    }
    return { registry, drain, max: () => max }
  }

  it('runs at most batchConcurrency handlers at once, and uses all of them', async () => {
    const g = gate()
    const d = Dispatch.make(g.registry, { batchConcurrency: 3 })
    const out = d.dispatch(`[${Array.from({ length: 10 }, (_, i) => req('wait', [i], i)).join(',')}]`)
    await g.drain(out, 3)
    expect(g.max()).toBe(3)
    expect(JSON.parse((await within(1000, out)) as string)).toEqual(Array.from({ length: 10 }, (_, i) => ({ jsonrpc: '2.0', result: i, id: i })))
  })

  it('runs at most 16 at once by default', async () => {
    const g = gate()
    const d = Dispatch.make(g.registry)
    const out = d.dispatch(`[${Array.from({ length: 40 }, (_, i) => req('wait', [i], i)).join(',')}]`)
    await g.drain(out, 16)
    expect(g.max()).toBe(16)
    expect(JSON.parse((await within(1000, out)) as string)).toHaveLength(40)
  })

  it('runs one at a time with batchConcurrency 1', async () => {
    const g = gate()
    const d = Dispatch.make(g.registry, { batchConcurrency: 1 })
    const out = d.dispatch(`[${[1, 2, 3].map((i) => req('wait', [i], i)).join(',')}]`)
    await g.drain(out, 1)
    expect(g.max()).toBe(1)
    expect(await within(1000, out)).toBe('[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","result":2,"id":2},{"jsonrpc":"2.0","result":3,"id":3}]')
  })

  it('refuses a bound below 1 (0, negative, NaN) when the dispatcher is made', () => {
    for (const batchConcurrency of [0, -1, Number.NaN]) {
      expect(() => Dispatch.make(basic, { batchConcurrency })).toThrow(RangeError)
    }
  })

  // With one place, the last asynchronous element to settle runs the synchronous ones after it.
  it('answers a batch whose synchronous elements follow an asynchronous one, with batchConcurrency 1', async () => {
    const g = gate()
    const d = Dispatch.make(g.registry, { batchConcurrency: 1 })
    const out = d.dispatch(`[${req('wait', [1], 1)},${req('subtract', [2, 1], 2)},{"foo":"boo"}]`)
    await g.drain(out, 1)
    expect(await within(1000, out)).toBe(`[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","result":1,"id":2},${INVALID_REQUEST_NULL}]`)
  })

  it('answers a batch of 16 asynchronous calls followed by an invalid element, at the default bound', async () => {
    const g = gate()
    const d = Dispatch.make(g.registry)
    const out = d.dispatch(`[${Array.from({ length: 16 }, (_, i) => req('wait', [i], i)).join(',')},{"foo":"boo"}]`)
    await g.drain(out, 16)
    const answers = JSON.parse((await within(1000, out)) as string) as ReadonlyArray<unknown>
    expect(answers).toHaveLength(17)
    expect(answers[16]).toEqual(JSON.parse(INVALID_REQUEST_NULL))
  })

  it('isolates the elements: one failing asynchronous call does not affect the others', async () => {
    const Fails = Method.make({ name: 'fails' })
    const Waits = Method.make({ name: 'waits', result: t.number })
    const d = Dispatch.make(
      pipe(
        basic,
        Registry.add(Fails, () => Promise.reject(new Error('x'))),
        Registry.add(Waits, () => new Promise<number>((r) => setTimeout(() => r(5), 5))),
      ),
      { batchConcurrency: 2 },
    )
    expect(await within(1000, d.dispatch(`[${req('fails', [], 1)},${req('waits', [], 2)},${req('fails', [], 3)},${req('waits', [], 4)}]`))).toBe(
      `[${internalError('1')},{"jsonrpc":"2.0","result":5,"id":2},${internalError('3')},{"jsonrpc":"2.0","result":5,"id":4}]`,
    )
  })
})

// -------------------------------------------------------------------------------------
// the entry points
// -------------------------------------------------------------------------------------

describe('dispatchToResponse: the responses as Either values', () => {
  it('gives Right for a success and Left for an error', () => {
    expect(server.dispatchToResponse(req('subtract', [2, 1], 1))).toEqual(E.right({ jsonrpc: '2.0', result: 1, id: 1 }))
    expect(server.dispatchToResponse(req('nope', [], 1))).toEqual(E.left({ jsonrpc: '2.0', error: RpcError.methodNotFound(), id: 1 }))
    expect(server.dispatchToResponse('{')).toEqual(E.left({ jsonrpc: '2.0', error: RpcError.parseError(), id: null }))
    expect(server.dispatchToResponse('[]')).toEqual(E.left({ jsonrpc: '2.0', error: RpcError.invalidRequest(), id: null }))
  })

  it('gives an array for a batch and undefined for notifications', async () => {
    expect(server.dispatchToResponse(`[${req('subtract', [2, 1], 1)},${note('nothing')},${req('nope', [], 2)}]`)).toEqual([
      E.right({ jsonrpc: '2.0', result: 1, id: 1 }),
      E.left({ jsonrpc: '2.0', error: RpcError.methodNotFound(), id: 2 }),
    ])
    expect(server.dispatchToResponse(note('nothing'))).toBeUndefined()
    expect(server.dispatchToResponse(`[${note('nothing')}]`)).toBeUndefined()
    const { d } = single(async () => 'later')
    expect(await d.dispatchToResponse(req('m', [], 1))).toEqual(E.right({ jsonrpc: '2.0', result: 'later', id: 1 }))
  })
})

describe('dispatchToSerializable: the responses as plain JSON values', () => {
  it('gives what dispatch writes, before it is written', async () => {
    const inputs = [
      req('subtract', [2, 1], 1),
      req('nope', [], 2),
      '{',
      '[]',
      '[1,2]',
      `[${req('subtract', [1, 'x'], 3)},${note('nothing')}]`,
      note('nothing'),
      `[${note('nothing')}]`,
    ]
    for (const input of inputs) {
      const text = await server.dispatch(input)
      expect(await server.dispatchToSerializable(input)).toEqual(text === undefined ? undefined : JSON.parse(text))
    }
  })

  it('settles asynchronous handlers', async () => {
    const { d } = single(() => TE.right([1, 2]))
    expect(await d.dispatchToSerializable(`[${req('m', [], 1)}]`)).toEqual([{ jsonrpc: '2.0', result: [1, 2], id: 1 }])
  })
})

describe('dispatchTask: dispatch as a Task', () => {
  it('does nothing until the task runs, then resolves to the response text', async () => {
    let calls = 0
    const { d } = single(() => (calls++, 'done'))
    const task = d.dispatchTask(req('m', [], 1))
    expect(calls).toBe(0)
    const out = task()
    expect(out).toBeInstanceOf(Promise)
    expect(await out).toBe('{"jsonrpc":"2.0","result":"done","id":1}')
    expect(calls).toBe(1)
    expect(await d.dispatchTask(note('m'))()).toBeUndefined()
  })
})

describe('Dispatch.make refuses a registry it cannot serve', () => {
  it('throws when an introspection name is registered by hand as well', () => {
    const Own = Method.make({ name: 'system.listMethods' })
    const registry = pipe(
      Registry.empty,
      Registry.add(Own, () => E.right([])),
      Registry.withIntrospection,
    )
    expect(() => Dispatch.make(registry)).toThrow(TypeError)
  })
})

// -------------------------------------------------------------------------------------
// laws
// -------------------------------------------------------------------------------------

describe('Dispatch.chain agrees with fp-ts Either.chain', () => {
  const either = fc.oneof(
    fc.integer().map((n) => E.right(n)),
    fc.string().map((s) => E.left(s)),
  )
  it('gives the same result for every Either and function', () => {
    fc.assert(
      fc.property(
        either,
        fc.func(
          fc.oneof(
            fc.integer().map((n) => E.right(n * 2)),
            fc.string().map((s) => E.left(s)),
          ),
        ),
        (ma, f) => {
          expect(Dispatch.chain(f)(ma)).toEqual(pipe(ma, E.chain(f)))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('returns the very Left it was given, without calling the function', () => {
    const ma: E.Either<string, number> = E.left('e')
    let calls = 0
    expect(Dispatch.chain((n: number): E.Either<string, number> => (calls++, E.right(n)))(ma)).toBe(ma)
    expect(calls).toBe(0)
  })
})

describe('a Promise of an Either is read as the Either', () => {
  const Half = Method.make({ name: 'half', params: t.type({ n: t.number }), result: t.number })
  const d = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Half, async ({ n }) => (n % 2 === 0 ? E.right(n / 2) : E.left(RpcError.make(1, 'odd')))),
    ),
  )

  it('answers the Right as the result', async () => {
    expect(await d.dispatch(req('half', [4], 1))).toBe('{"jsonrpc":"2.0","result":2,"id":1}')
  })

  it('answers the Left as the error', async () => {
    expect(await d.dispatch(req('half', [3], 2))).toBe('{"jsonrpc":"2.0","error":{"code":1,"message":"odd"},"id":2}')
  })
})

describe('dispatchToSerializable gives only values JSON can carry', () => {
  const Big = Method.make({ name: 'big' })
  const causes: Array<unknown> = []
  const d = Dispatch.make(
    pipe(
      basic,
      Registry.add(Big, () => 10n),
    ),
    { onDefect: (cause) => causes.push(cause) },
  )

  it('answers a BigInt result with Internal error, and the other elements of a batch as usual', () => {
    const out = d.dispatchToSerializable(`[${req('big', [], 1)},${req('subtract', [5, 2], 2)}]`)
    expect(out).toEqual([
      { jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: 1 },
      { jsonrpc: '2.0', result: 3, id: 2 },
    ])
    expect(JSON.stringify(out)).toBeTypeOf('string')
    expect(causes.at(-1)).toBeInstanceOf(TypeError)
  })
})
