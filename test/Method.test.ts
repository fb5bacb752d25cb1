import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry } from '../src/index.js'

const req = (method: string, params: unknown, id: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id })
const result = (value: unknown, id: number): string => JSON.stringify({ jsonrpc: '2.0', result: value, id })
const invalidParams = (id: string, ...lines: ReadonlyArray<string>): string =>
  `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":${JSON.stringify(lines)}},"id":${id}}`

describe('Method.make: only the name is required', () => {
  it('defaults to no params, an unknown result, no errors, no description, params sent by name', () => {
    const m = Method.make({ name: 'ping' })
    expect(m._tag).toBe('Method')
    expect(m.name).toBe('ping')
    expect(m.params.is({})).toBe(true)
    expect(m.paramOrder).toEqual([])
    expect(m.result).toBe(t.unknown)
    expect(m.error).toBeUndefined()
    expect(m.description).toBe('')
    expect(m.sendParamsBy).toBe('name')
  })

  it('keeps what the spec gives', () => {
    const error = t.type({ code: t.literal(1), message: t.string })
    const m = Method.make({ name: 'x', params: t.type({ a: t.number }), result: t.string, error, description: 'd', sendParamsBy: 'position' })
    expect(m.result).toBe(t.string)
    expect(m.error).toBe(error)
    expect(m.description).toBe('d')
    expect(m.sendParamsBy).toBe('position')
  })
})

describe('paramOrder is derived from an object codec, in declaration order', () => {
  const brand = t.brand(
    t.type({ b: t.number, a: t.number }),
    (x): x is t.Branded<{ b: number; a: number }, { readonly Ordered: unique symbol }> => x.b < x.a,
    'Ordered',
  )
  it.each<readonly [string, t.Any, ReadonlyArray<string>]>([
    ['t.type', t.type({ minuend: t.number, subtrahend: t.number }), ['minuend', 'subtrahend']],
    ['t.partial', t.partial({ z: t.number, a: t.string }), ['z', 'a']],
    ['t.intersection', t.intersection([t.type({ name: t.string }), t.partial({ polite: t.boolean })]), ['name', 'polite']],
    ['t.intersection naming a key twice', t.intersection([t.type({ a: t.number, b: t.number }), t.partial({ b: t.number, c: t.number })]), ['a', 'b', 'c']],
    ['t.exact', t.exact(t.type({ y: t.number, x: t.number })), ['y', 'x']],
    ['t.strict', t.strict({ y: t.number, x: t.number }), ['y', 'x']],
    ['t.readonly', t.readonly(t.type({ k: t.string })), ['k']],
    ['a branded t.type', brand, ['b', 'a']],
    ['no params', t.type({}), []],
  ])('reads the names of %s', (_name, params, order) => {
    expect(Method.make({ name: 'm', params }).paramOrder).toEqual(order)
  })
})

describe('paramOrder is undefined for other codecs: their params are taken as sent', () => {
  it.each<readonly [string, t.Any]>([
    ['t.tuple', t.tuple([t.number, t.string])],
    ['t.array', t.array(t.number)],
    ['t.union', t.union([t.type({ a: t.number }), t.type({ b: t.number })])],
    ['t.UnknownRecord', t.UnknownRecord],
    ['t.intersection with a non-object member', t.intersection([t.type({ a: t.number }), t.UnknownRecord])],
  ])('%s', (_name, params) => {
    expect(Method.make({ name: 'm', params }).paramOrder).toBeUndefined()
  })
})

describe('an explicit paramOrder sets the positional order', () => {
  const Subtract = Method.make({
    name: 'subtract',
    params: t.type({ minuend: t.number, subtrahend: t.number }),
    result: t.number,
    paramOrder: ['subtrahend', 'minuend'],
  })
  const d = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
    ),
  )

  it('reads positional params in the given order, and named ones by name', () => {
    expect(Subtract.paramOrder).toEqual(['subtrahend', 'minuend'])
    expect(d.dispatch(req('subtract', [23, 42], 1))).toBe(result(19, 1))
    expect(d.dispatch(req('subtract', { minuend: 42, subtrahend: 23 }, 2))).toBe(result(19, 2))
  })

  it('names positions in the given order when a param fails', () => {
    expect(d.dispatch(req('subtract', [23, 'x'], 1))).toBe(invalidParams('1', 'params.1: expected number, got "x"'))
    expect(d.dispatch(req('subtract', ['x'], 1))).toBe(invalidParams('1', 'params.1: expected number, got nothing', 'params.0: expected number, got "x"'))
  })

  it('refuses a name given twice', () => {
    expect(() => Method.make({ name: 'm', params: t.type({ a: t.number }), paramOrder: ['a', 'a'] })).toThrow(TypeError)
  })
})

describe('by-name contracts take params by name and by position, and the handler always gets the object', () => {
  const seen: Array<unknown> = []
  const record = <P>(p: P): E.Either<never, string> => (seen.push(p), E.right('ok'))
  const registry = pipe(
    Registry.empty,
    Registry.add(Method.make({ name: 'type', params: t.type({ a: t.number, b: t.string }) }), record),
    Registry.add(Method.make({ name: 'partial', params: t.partial({ a: t.number, b: t.string }) }), record),
    Registry.add(Method.make({ name: 'exact', params: t.exact(t.type({ a: t.number })) }), record),
  )
  const d = Dispatch.make(registry)

  it('gives the handler an object for positional params', () => {
    seen.length = 0
    // Only what the handler was given is under test, not the answers.
    void d.dispatch(req('type', [1, 'x'], 1))
    void d.dispatch(req('type', { b: 'x', a: 1 }, 2))
    expect(seen).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'x' },
    ])
  })

  it('reads absent params as {}', () => {
    seen.length = 0
    expect(d.dispatch(req('partial', undefined, 1))).toBe(result('ok', 1))
    expect(d.dispatch(req('partial', [], 2))).toBe(result('ok', 2))
    expect(seen).toEqual([{}, {}])
    expect(d.dispatch(req('type', undefined, 3))).toBe(invalidParams('3', 'params.a: expected number, got nothing', 'params.b: expected string, got nothing'))
  })

  it('takes fewer positional params than names when the rest are optional', () => {
    seen.length = 0
    expect(d.dispatch(req('partial', [5], 1))).toBe(result('ok', 1))
    expect(seen).toEqual([{ a: 5 }])
  })

  it('strips members a t.exact codec does not name', () => {
    seen.length = 0
    expect(d.dispatch(req('exact', { a: 1, extra: 'dropped' }, 1))).toBe(result('ok', 1))
    expect(seen).toEqual([{ a: 1 }])
  })
})

describe('other contracts get params as sent, with absent params read as []', () => {
  const seen: Array<unknown> = []
  const registry = pipe(
    Registry.empty,
    Registry.add(Method.make({ name: 'pair', params: t.tuple([t.number, t.string]) }), (p) => (seen.push(p), E.right(p[1].repeat(p[0])))),
    Registry.add(Method.make({ name: 'list', params: t.array(t.number) }), (xs) => (seen.push(xs), E.right(xs.length))),
    Registry.add(Method.make({ name: 'record', params: t.UnknownRecord }), (r) => (seen.push(r), E.right(Object.keys(r)))),
  )
  const d = Dispatch.make(registry)

  it('hands a tuple codec the array', () => {
    expect(d.dispatch(req('pair', [2, 'ab'], 1))).toBe(result('abab', 1))
  })

  it('reads absent params as []', () => {
    seen.length = 0
    expect(d.dispatch(req('list', undefined, 1))).toBe(result(0, 1))
    expect(seen).toEqual([[]])
    expect(d.dispatch(req('pair', undefined, 2))).toBe(invalidParams('2', 'params.0: expected number, got nothing', 'params.1: expected string, got nothing'))
  })

  it('refuses params of the wrong structure, naming the codec', () => {
    expect(d.dispatch(req('pair', { a: 1 }, 1))).toBe(invalidParams('1', 'params: expected [number, string], got {"a":1}'))
    expect(d.dispatch(req('record', [1], 2))).toBe(invalidParams('2', 'params: expected UnknownRecord, got [1]'))
  })
})

describe('a parameter named __proto__', () => {
  it('is refused when the contract is made, since positional params are copied into an object by name', () => {
    expect(() => Method.make({ name: 'm', params: t.type({ ['__proto__']: t.number }) })).toThrow(TypeError)
  })
})
