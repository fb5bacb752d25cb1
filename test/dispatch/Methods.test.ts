import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import * as _ from '../../src/internal/dispatch/Methods.js'
import * as Dispatch from '../../src/Dispatch.js'
import * as Method from '../../src/Method.js'
import * as Middleware from '../../src/Middleware.js'
import * as Registry from '../../src/Registry.js'
import * as RpcError from '../../src/RpcError.js'

const Ping = Method.make({ name: 'ping', result: t.string })
const Pong = Method.make({ name: 'pong', result: t.string })
const unauthorized = RpcError.make(-32001, 'Unauthorized')
const requireToken = (token: string) =>
  Middleware.authenticate((ctx: { readonly tokens?: ReadonlyArray<string> }) => (ctx.tokens?.includes(token) ? E.right(ctx) : E.left(unauthorized)))

const listMethods = '{"jsonrpc":"2.0","method":"system.listMethods","id":1}'
const refused = '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized"},"id":1}'

describe('Methods.compileAll', () => {
  it('compiles the registered methods and, with introspection on, the built-in ones', () => {
    const plain = pipe(
      Registry.empty,
      Registry.add(Ping, () => E.right('pong')),
    )
    expect([..._.compileAll(plain).keys()]).toEqual(['ping'])
    expect([..._.compileAll(Registry.withIntrospection(plain)).keys()]).toEqual(['ping', 'system.listMethods', 'system.methodHelp', 'system.methodSignature'])
    expect(_.builtIns(plain)).toEqual([])
  })

  it('guards the built-in methods with every middleware of the registry, first applied first', () => {
    const order: Array<string> = []
    const mark =
      (name: string): Middleware.Transparent =>
      (handler) =>
      (params, context, request, control) => {
        order.push(name)
        return handler(params, context, request, control)
      }
    const registry = pipe(Registry.empty, Registry.withIntrospection, Registry.use(mark('first')), Registry.use(mark('second')))
    const listed = _.compileAll(registry).get('system.listMethods')
    listed?.handler(undefined, undefined, { jsonrpc: '2.0', method: 'system.listMethods', id: 1 }, { signal: new AbortController().signal })
    expect(order).toEqual(['second', 'first'])
  })
})

describe('concat of two registries that both have middleware', () => {
  const a = pipe(
    Registry.empty,
    Registry.add(Ping, () => E.right('pong')),
    Registry.use(requireToken('a')),
  )
  const b = pipe(
    Registry.empty,
    Registry.add(Pong, () => E.right('ping')),
    Registry.use(requireToken('b')),
  )
  const d = Dispatch.make(pipe(a, Registry.concat(b), Registry.withIntrospection))

  it("each registry's methods keep their own middleware", () => {
    expect(d.dispatch('{"jsonrpc":"2.0","method":"ping","id":1}', { tokens: ['a'] })).toBe('{"jsonrpc":"2.0","result":"pong","id":1}')
    expect(d.dispatch('{"jsonrpc":"2.0","method":"ping","id":1}', { tokens: ['b'] })).toBe(refused)
    expect(d.dispatch('{"jsonrpc":"2.0","method":"pong","id":1}', { tokens: ['b'] })).toBe('{"jsonrpc":"2.0","result":"ping","id":1}')
    expect(d.dispatch('{"jsonrpc":"2.0","method":"pong","id":1}', { tokens: ['a'] })).toBe(refused)
  })

  it('the built-in methods, which tell of both, are guarded by both', () => {
    expect(d.dispatch(listMethods, { tokens: [] })).toBe(refused)
    expect(d.dispatch(listMethods, { tokens: ['a'] })).toBe(refused)
    expect(d.dispatch(listMethods, { tokens: ['b'] })).toBe(refused)
    expect(d.dispatch(listMethods, { tokens: ['a', 'b'] })).toBe(
      '{"jsonrpc":"2.0","result":["ping","pong","system.listMethods","system.methodHelp","system.methodSignature"],"id":1}',
    )
  })

  it('each chain sees the context the dispatcher passes, not what the other refined', () => {
    const seen: Array<unknown> = []
    const refine = (tag: string) =>
      Middleware.authenticate((ctx: { readonly raw: string }) => {
        seen.push([tag, ctx])
        return E.right({ refined: tag })
      })
    const x = pipe(
      Registry.empty,
      Registry.add(Ping, () => E.right('pong')),
      Registry.use(refine('x')),
    )
    const y = pipe(
      Registry.empty,
      Registry.add(Pong, () => E.right('ping')),
      Registry.use(refine('y')),
    )
    const both = Dispatch.make(pipe(x, Registry.concat(y), Registry.withIntrospection))
    expect(both.dispatch(listMethods, { raw: 'r' })).toMatch(/"result"/)
    expect(seen).toEqual([
      ['x', { raw: 'r' }],
      ['y', { raw: 'r' }],
    ])
  })

  it('with middleware on one side only, the built-in methods take that side', () => {
    const plain = pipe(
      Registry.empty,
      Registry.add(Pong, () => E.right('ping')),
    )
    const left = Dispatch.make(pipe(a, Registry.concat(plain), Registry.withIntrospection))
    const right = Dispatch.make(pipe(plain, Registry.concat(a), Registry.withIntrospection))
    for (const d2 of [left, right]) {
      expect(d2.dispatch(listMethods, { tokens: [] })).toBe(refused)
      expect(d2.dispatch(listMethods, { tokens: ['a'] })).toMatch(/"result"/)
    }
  })
})
