import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Dispatch, Introspection, Method, Middleware, Registry, RpcError } from '../src/index.js'

const req = (method: string, params: unknown, id: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id })
const result = (value: unknown, id: number): string => JSON.stringify({ jsonrpc: '2.0', result: value, id })

const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  description: 'minuend - subtrahend',
})
const Sum = Method.make({ name: 'sum', params: t.array(t.number), result: t.number })
const Greet = Method.make({
  name: 'greet',
  params: t.intersection([t.type({ name: t.string }), t.partial({ polite: t.boolean })]),
  result: t.string,
})

const base = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Sum, (xs) => E.right(xs.reduce((a, b) => a + b, 0))),
  Registry.add(Greet, ({ name, polite }) => E.right(polite === true ? `Good day, ${name}` : `hi ${name}`)),
)
const d = Dispatch.make(Registry.withIntrospection(base))

describe('introspection is opt-in', () => {
  it.each(['system.listMethods', 'system.methodHelp', 'system.methodSignature'])('answers %s with Method not found without withIntrospection', (name) => {
    expect(Dispatch.make(base).dispatch(req(name, ['subtract'], 1))).toBe('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}')
  })

  it('does not add the system methods to the registry itself', () => {
    expect(Registry.names(Registry.withIntrospection(base))).toEqual(['greet', 'subtract', 'sum'])
  })
})

describe('system.listMethods lists the names the server answers, sorted', () => {
  it('lists the registered methods and the system methods', () => {
    expect(d.dispatch(req('system.listMethods', undefined, 1))).toBe(
      result(['greet', 'subtract', 'sum', 'system.listMethods', 'system.methodHelp', 'system.methodSignature'], 1),
    )
  })

  it('lists methods added after introspection was turned on', () => {
    const Late = Method.make({ name: 'late' })
    const registry = pipe(
      base,
      Registry.withIntrospection,
      Registry.add(Late, () => E.right(1)),
    )
    expect(Dispatch.make(registry).dispatch(req('system.listMethods', [], 1))).toBe(
      result(['greet', 'late', 'subtract', 'sum', 'system.listMethods', 'system.methodHelp', 'system.methodSignature'], 1),
    )
  })
})

describe("system.methodHelp gives a method's description", () => {
  it('answers the description, by name and by position', () => {
    expect(d.dispatch(req('system.methodHelp', { name: 'subtract' }, 1))).toBe(result('minuend - subtrahend', 1))
    expect(d.dispatch(req('system.methodHelp', ['subtract'], 2))).toBe(result('minuend - subtrahend', 2))
  })

  it('answers "" for a method without a description', () => {
    expect(d.dispatch(req('system.methodHelp', ['sum'], 1))).toBe(result('', 1))
  })

  it('describes the system methods themselves', () => {
    expect(d.dispatch(req('system.methodHelp', ['system.listMethods'], 1))).toBe(result(Introspection.ListMethods.description, 1))
  })
})

describe('system.methodSignature gives [[result, ...params]], the names of the codecs', () => {
  it('lists by-name params in their positional order', () => {
    expect(d.dispatch(req('system.methodSignature', ['subtract'], 1))).toBe(result([['number', 'number', 'number']], 1))
    expect(d.dispatch(req('system.methodSignature', ['greet'], 1))).toBe(result([['string', 'string', 'boolean']], 1))
  })

  it('names the params codec as a whole when params are not by name', () => {
    expect(d.dispatch(req('system.methodSignature', ['sum'], 1))).toBe(result([['number', 'Array<number>']], 1))
  })

  it('agrees with Introspection.signatureOf', () => {
    // The cast: a contract without an error codec (`t.Type<never, never>`) is not an AnyMethod to
    // TypeScript (encode is contravariant), as Registry.add's own cast shows.
    expect(Introspection.signatureOf(Subtract as Method.AnyMethod)).toEqual([['number', 'number', 'number']])
    expect(Introspection.signatureOf(Introspection.ListMethods as Method.AnyMethod)).toEqual([['ReadonlyArray<string>']])
  })
})

describe('introspection of an unknown name answers Invalid params', () => {
  it.each(['system.methodHelp', 'system.methodSignature'])('%s', (method) => {
    expect(d.dispatch(req(method, ['nope'], 1))).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":["params.name: no method named \\"nope\\""]},"id":1}',
    )
    expect(d.dispatch(req(method, ['toString'], 1))).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":["params.name: no method named \\"toString\\""]},"id":1}',
    )
  })

  it('answers Invalid params when the name is missing or not a string', () => {
    expect(d.dispatch(req('system.methodHelp', {}, 1))).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":["params.name: expected string, got nothing"]},"id":1}',
    )
    expect(d.dispatch(req('system.methodHelp', [3], 1))).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":["params.0: expected string, got 3"]},"id":1}',
    )
  })
})

describe('introspection answers through the registry middleware', () => {
  const Secret = Method.make({ name: 'secret', result: t.string })
  const guarded = pipe(
    Registry.empty,
    Registry.add(Secret, (_: {}, ctx: { user: string }) => E.right(ctx.user)),
    Registry.withIntrospection,
    Registry.use(
      Middleware.authenticate((ctx: { token?: string }) =>
        ctx.token === 'letmein' ? E.right({ user: 'ada' }) : E.left(RpcError.make(-32001, 'Unauthorized')),
      ),
    ),
  )
  const d = Dispatch.make(guarded)

  it('refuses the method list to an unauthenticated caller', () => {
    expect(d.dispatch('{"jsonrpc":"2.0","method":"system.listMethods","id":1}', {})).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized"},"id":1}',
    )
  })

  it('gives it to an authenticated one', () => {
    expect(d.dispatch('{"jsonrpc":"2.0","method":"system.listMethods","id":1}', { token: 'letmein' })).toBe(
      '{"jsonrpc":"2.0","result":["secret","system.listMethods","system.methodHelp","system.methodSignature"],"id":1}',
    )
  })
})
