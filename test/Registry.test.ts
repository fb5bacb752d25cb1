import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as O from 'fp-ts/lib/Option.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Dispatch, Handler, Method, Registry, RpcError } from '../src/index.js'

const A = Method.make({ name: 'a', result: t.string })
const B = Method.make({ name: 'b', result: t.string })
const C = Method.make({ name: 'c', result: t.string })

const req = (method: string, params: unknown, id: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id })
const invalidParams = (id: string, ...lines: ReadonlyArray<string>): string =>
  `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":${JSON.stringify(lines)}},"id":${id}}`
const METHOD_NOT_FOUND_1 = '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}'

describe('add returns a new registry and leaves the old one unchanged', () => {
  it('keeps the original without the added method', () => {
    const one = pipe(
      Registry.empty,
      Registry.add(A, () => E.right('a')),
    )
    const two = pipe(
      one,
      Registry.add(B, () => E.right('b')),
    )
    expect(Registry.names(Registry.empty)).toEqual([])
    expect(Registry.names(one)).toEqual(['a'])
    expect(Registry.names(two)).toEqual(['a', 'b'])
    expect(two).not.toBe(one)
    expect(two.entries).not.toBe(one.entries)
    expect(Dispatch.make(one).dispatch(req('b', [], 1))).toBe(METHOD_NOT_FOUND_1)
    expect(Dispatch.make(two).dispatch(req('b', [], 1))).toBe('{"jsonrpc":"2.0","result":"b","id":1}')
  })

  it('lets two registries grow apart from one base', () => {
    const base = pipe(
      Registry.empty,
      Registry.add(A, () => E.right('a')),
    )
    const left = pipe(
      base,
      Registry.add(B, () => E.right('left')),
    )
    const right = pipe(
      base,
      Registry.add(B, () => E.right('right')),
    )
    expect(Dispatch.make(left).dispatch(req('b', [], 1))).toBe('{"jsonrpc":"2.0","result":"left","id":1}')
    expect(Dispatch.make(right).dispatch(req('b', [], 1))).toBe('{"jsonrpc":"2.0","result":"right","id":1}')
  })
})

describe('a name registered twice is refused where the registry is built', () => {
  it('throws a TypeError naming the method', () => {
    const one = pipe(
      Registry.empty,
      Registry.add(A, () => E.right('a')),
    )
    expect(() =>
      pipe(
        one,
        Registry.add(A, () => E.right('again')),
      ),
    ).toThrow(new TypeError('method a is registered already'))
    expect(() =>
      pipe(
        one,
        Registry.method(() => 1, { name: 'a' }),
      ),
    ).toThrow(TypeError)
    expect(() =>
      Registry.makeBuilder()
        .registerFunction(() => 1, 'x')
        .registerFunction(() => 2, 'x'),
    ).toThrow(TypeError)
  })
})

describe('method names that begin with "rpc." are reserved for rpc-internal methods', () => {
  it.each(['rpc.discover', 'rpc.', 'rpc.x.y'])('refuses %j', (name) => {
    expect(() =>
      pipe(
        Registry.empty,
        Registry.add(Method.make({ name }), () => E.right(1)),
      ),
    ).toThrow(TypeError)
    expect(() =>
      pipe(
        Registry.empty,
        Registry.method(() => 1, { name }),
      ),
    ).toThrow(TypeError)
  })

  it.each(['rpc', 'rpcx', 'RPC.discover', 'my.rpc.thing'])('accepts %j', (name) => {
    const registry = pipe(
      Registry.empty,
      Registry.add(Method.make({ name }), () => E.right(1)),
    )
    expect(Registry.names(registry)).toEqual([name])
  })

  it('refuses an empty name', () => {
    expect(() =>
      pipe(
        Registry.empty,
        Registry.add(Method.make({ name: '' }), () => E.right(1)),
      ),
    ).toThrow(TypeError)
  })
})

describe('lookup is by own name only', () => {
  const registry = pipe(
    Registry.empty,
    Registry.add(B, () => E.right('b')),
    Registry.add(A, () => E.right('a')),
  )

  it('finds a registered name', () => {
    const found = pipe(registry, Registry.lookup('a'))
    expect(O.isSome(found) && found.value.method).toBe(A)
  })

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'A', 'a ', ''])('finds nothing for %j', (name) => {
    expect(pipe(registry, Registry.lookup(name))).toEqual(O.none)
  })

  it('lists the names sorted', () => {
    expect(Registry.names(registry)).toEqual(['a', 'b'])
  })
})

describe('concat adds every method of another registry', () => {
  const ab = pipe(
    Registry.empty,
    Registry.add(A, () => E.right('a')),
    Registry.add(B, () => E.right('b')),
  )
  const c = pipe(
    Registry.empty,
    Registry.add(C, () => E.right('c')),
  )

  it('answers the methods of both and leaves both unchanged', () => {
    const all = pipe(ab, Registry.concat(c))
    expect(Registry.names(all)).toEqual(['a', 'b', 'c'])
    expect(Registry.names(ab)).toEqual(['a', 'b'])
    expect(Registry.names(c)).toEqual(['c'])
    const d = Dispatch.make(all)
    expect(d.dispatch(`[${req('a', [], 1)},${req('c', [], 2)}]`)).toBe('[{"jsonrpc":"2.0","result":"a","id":1},{"jsonrpc":"2.0","result":"c","id":2}]')
  })

  it('refuses a name both have', () => {
    expect(() =>
      pipe(
        ab,
        Registry.concat(
          pipe(
            Registry.empty,
            Registry.add(B, () => E.right('other')),
          ),
        ),
      ),
    ).toThrow(TypeError)
  })

  it('keeps introspection on when either side has it', () => {
    expect(pipe(ab, Registry.concat(Registry.withIntrospection(c))).introspection).toBe(true)
    expect(pipe(Registry.withIntrospection(ab), Registry.concat(c)).introspection).toBe(true)
    expect(pipe(ab, Registry.concat(c)).introspection).toBe(false)
  })

  it('is the identity with the empty registry', () => {
    expect(Registry.names(pipe(ab, Registry.concat(Registry.empty)))).toEqual(['a', 'b'])
    expect(Registry.names(pipe(Registry.empty, Registry.concat(ab)))).toEqual(['a', 'b'])
  })
})

describe('use wraps every handler of the registry with a middleware', () => {
  // A middleware that records each call and upper-cases string results.
  const shout =
    (calls: Array<string>) =>
    <P, A, E, Ctx>(handler: Handler.Handler<P, A, E, Ctx>): Handler.Handler<P, A, E, Ctx> =>
    (params, context, request, control) => {
      calls.push(request.method)
      const out = handler(params, context, request, control)
      return (E.isRight(out as E.Either<E, A>) ? E.right(String((out as E.Right<A>).right).toUpperCase()) : out) as never
    }

  it('wraps the methods present when it is applied, and not those added after', () => {
    const calls: Array<string> = []
    const registry = pipe(
      Registry.empty,
      Registry.add(A, () => E.right('a')),
      Registry.add(B, () => E.right('b')),
      Registry.use(shout(calls)),
      Registry.add(C, () => E.right('c')),
    )
    const d = Dispatch.make(registry)
    expect(d.dispatch(`[${req('a', [], 1)},${req('b', [], 2)},${req('c', [], 3)}]`)).toBe(
      '[{"jsonrpc":"2.0","result":"A","id":1},{"jsonrpc":"2.0","result":"B","id":2},{"jsonrpc":"2.0","result":"c","id":3}]',
    )
    expect(calls).toEqual(['a', 'b'])
  })

  it('leaves the registry it was applied to unchanged', () => {
    const calls: Array<string> = []
    const plain = pipe(
      Registry.empty,
      Registry.add(A, () => E.right('a')),
    )
    pipe(plain, Registry.use(shout(calls)))
    expect(Dispatch.make(plain).dispatch(req('a', [], 1))).toBe('{"jsonrpc":"2.0","result":"a","id":1}')
    expect(calls).toEqual([])
  })
})

// -------------------------------------------------------------------------------------
// seed parity
// -------------------------------------------------------------------------------------

describe('seed parity: Registry.method registers plain functions, as jsonrpcserver', () => {
  function ping() {
    return 'pong'
  }
  const registry = pipe(
    Registry.empty,
    Registry.method(ping),
    Registry.method((a: number, b: number) => a + b, { name: 'add' }),
    Registry.method((o: { readonly a: number; readonly b: number }) => o.a * o.b, { name: 'multiply' }),
    Registry.method((a: number, b = 10) => a + b, { name: 'addDefault' }),
    Registry.method((...xs: ReadonlyArray<number>) => xs.reduce((x, y) => x + y, 0), { name: 'sum' }),
    Registry.method(() => RpcError.raise(RpcError.make(-32001, 'Unauthorized')), { name: 'locked' }),
    Registry.method(
      () => {
        throw new Error('secret')
      },
      { name: 'broken' },
    ),
  )
  const d = Dispatch.make(registry)

  it('registers a named function under its own name', () => {
    expect(d.dispatch(req('ping', undefined, 1))).toBe('{"jsonrpc":"2.0","result":"pong","id":1}')
  })

  it('spreads positional params as arguments', () => {
    expect(d.dispatch(req('add', [2, 3], 1))).toBe('{"jsonrpc":"2.0","result":5,"id":1}')
    expect(d.dispatch(req('sum', [1, 2, 3, 4], 1))).toBe('{"jsonrpc":"2.0","result":10,"id":1}')
    expect(d.dispatch(req('sum', [], 1))).toBe('{"jsonrpc":"2.0","result":0,"id":1}')
    expect(d.dispatch(req('addDefault', [1], 1))).toBe('{"jsonrpc":"2.0","result":11,"id":1}')
  })

  it('passes named params as one object argument', () => {
    expect(d.dispatch(req('multiply', { a: 6, b: 7 }, 1))).toBe('{"jsonrpc":"2.0","result":42,"id":1}')
  })

  it('answers Invalid params when fewer positional params than required arrive', () => {
    expect(d.dispatch(req('add', [2], 1))).toBe(invalidParams('1', 'params: expected at least 2 parameters, got 1'))
    expect(d.dispatch(req('add', undefined, 1))).toBe(invalidParams('1', 'params: expected at least 2 parameters, got 0'))
  })

  it('answers a raised error with that error and a throw with Internal error', () => {
    expect(d.dispatch(req('locked', [], 1))).toBe('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized"},"id":1}')
    expect(d.dispatch(req('broken', [], 1))).toBe('{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}')
  })

  it('refuses an anonymous function without a name', () => {
    expect(() => pipe(Registry.empty, Registry.method([(a: number) => a][0]))).toThrow(new TypeError('an anonymous function needs a name'))
  })
})

describe('seed parity: Registry.makeBuilder registers functions one statement at a time, as jsonrpclib', () => {
  const add = (a: number, b: number) => a + b
  const slowEcho = async (x: unknown) => x

  const built = () => {
    const builder = Registry.makeBuilder()
    builder.registerFunction(add, 'add')
    builder.registerFunction(slowEcho)
    builder.registerFunction(function ping() {
      return 'pong'
    })
    return builder.build()
  }
  const composed = pipe(
    Registry.empty,
    Registry.method(add, { name: 'add' }),
    Registry.method(slowEcho),
    Registry.method(function ping() {
      return 'pong'
    }),
  )

  it('dispatches the same as the registry Registry.method builds', async () => {
    const fromBuilder = Dispatch.make(built())
    const fromMethod = Dispatch.make(composed)
    const inputs = [
      req('add', [1, 2], 1),
      req('add', [1], 2),
      req('slowEcho', ['hi'], 3),
      req('slowEcho', { x: 1 }, 4),
      req('ping', [], 5),
      req('nope', [], 6),
      `[${req('add', [1, 2], 7)},${req('slowEcho', [null], 8)},{"jsonrpc":"2.0","method":"ping"}]`,
    ]
    for (const input of inputs) expect(await fromBuilder.dispatch(input)).toBe(await fromMethod.dispatch(input))
    expect(Registry.names(built())).toEqual(Registry.names(composed))
  })

  it('answers synchronous and asynchronous functions', async () => {
    const d = Dispatch.make(built())
    expect(d.dispatch(req('add', [1, 2], 1))).toBe('{"jsonrpc":"2.0","result":3,"id":1}')
    expect(await d.dispatch(req('slowEcho', ['hi'], 2))).toBe('{"jsonrpc":"2.0","result":"hi","id":2}')
  })

  it('builds an immutable registry: later registrations do not change it', () => {
    const builder = Registry.makeBuilder().registerFunction(add, 'add')
    const first = builder.build()
    builder.registerFunction(slowEcho)
    expect(Registry.names(first)).toEqual(['add'])
    expect(Registry.names(builder.build())).toEqual(['add', 'slowEcho'])
  })

  it('turns introspection on with registerIntrospectionFunctions', () => {
    const registry = Registry.makeBuilder().registerFunction(add, 'add').registerIntrospectionFunctions().build()
    expect(Dispatch.make(registry).dispatch(req('system.listMethods', [], 1))).toBe(
      '{"jsonrpc":"2.0","result":["add","system.listMethods","system.methodHelp","system.methodSignature"],"id":1}',
    )
  })
})
