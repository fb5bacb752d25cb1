/**
 * Type-level tests. What they check is checked by `npx tsc -p tsconfig.json --noEmit` (which
 * includes test/): each `@ts-expect-error` fails the type check if its line stops being an error, and
 * each `expectTypeOf` fails it if the types differ. The runtime assertions beside them check that
 * the well-typed code also does what its types say.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { Dispatch, Handler, Method, Registry, RpcError } from '../src/index.js'

const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
})
const InsufficientFunds = RpcError.typed(1001, t.type({ balance: t.number }))
const Withdraw = Method.make({ name: 'withdraw', params: t.type({ amount: t.number }), result: t.number, error: InsufficientFunds })

type SubtractParams = { minuend: number; subtrahend: number }

describe('types: a contract declares the types its handler works with', () => {
  it('gives the type lambdas the contract types', () => {
    expectTypeOf<Method.ParamsOf<typeof Subtract>>().toEqualTypeOf<SubtractParams>()
    expectTypeOf<Method.ResultOf<typeof Subtract>>().toEqualTypeOf<number>()
    expectTypeOf<Method.ErrorOf<typeof Subtract>>().toEqualTypeOf<never>()
    expectTypeOf<Method.NameOf<typeof Subtract>>().toEqualTypeOf<'subtract'>()
    expectTypeOf<Method.ErrorOf<typeof Withdraw>>().toEqualTypeOf<{ code: 1001; message: string; data: { balance: number } }>()
    expectTypeOf<Handler.For<typeof Subtract>>().toEqualTypeOf<Handler.Handler<SubtractParams, number, never, unknown>>()
    const subtract: Handler.For<typeof Subtract> = ({ minuend, subtrahend }) => E.right(minuend - subtrahend)
    expect(subtract({ minuend: 3, subtrahend: 1 }, undefined, { jsonrpc: '2.0', method: 'subtract', id: 1 }, Handler.makeControl())).toEqual(E.right(2))
  })

  it('flows the params type into the handler', () => {
    const registry = pipe(
      Registry.empty,
      Registry.add(Subtract, (p) => {
        expectTypeOf(p).toEqualTypeOf<SubtractParams>()
        return E.right(p.minuend - p.subtrahend)
      }),
    )
    expect(Dispatch.make(registry).dispatch('{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1}')).toBe('{"jsonrpc":"2.0","result":2,"id":1}')
  })

  it('refuses a handler with a wrong param type', () => {
    // @ts-expect-error minuend is a number in the contract
    const wrongParams = Registry.add(Subtract, (p: { minuend: string; subtrahend: number }) => E.right(p.subtrahend))
    // @ts-expect-error the contract has no member `x`
    const unknownParam = Registry.add(Subtract, (p) => E.right(p.x))
    expect([typeof wrongParams, typeof unknownParam]).toEqual(['function', 'function'])
  })

  it('refuses a handler with a wrong result type, in every shape a handler may answer', () => {
    // @ts-expect-error the result is a number
    const inEither = Registry.add(Subtract, () => E.right('nineteen'))
    // @ts-expect-error the result is a number
    const plain = Registry.add(Subtract, () => 'nineteen')
    // @ts-expect-error the result is a number
    const inPromise = Registry.add(Subtract, async () => 'nineteen')
    // @ts-expect-error the result is a number
    const inTask = Registry.add(Subtract, () => TE.right('nineteen'))
    expect([inEither, plain, inPromise, inTask].every((f) => typeof f === 'function')).toBe(true)
  })

  it('takes as errors what the contract declares or an RpcError, and nothing else', () => {
    const declared = Registry.add(Withdraw, () => E.left({ code: 1001 as const, message: 'Insufficient funds', data: { balance: 3 } }))
    const generic = Registry.add(Withdraw, () => E.left(RpcError.make(-32000, 'Busy')))
    // @ts-expect-error a string is not an error object
    const notAnError = Registry.add(Withdraw, () => E.left('boom'))
    expect([declared, generic, notAnError].every((f) => typeof f === 'function')).toBe(true)
  })
})

describe('types: the registry context widens with handlers that need context', () => {
  interface User {
    readonly user: string
  }
  interface Db {
    readonly db: string
  }
  const Whoami = Method.make({ name: 'whoami', result: t.string })
  const Where = Method.make({ name: 'where', result: t.string })

  it('needs nothing for handlers that need nothing', () => {
    expectTypeOf(
      pipe(
        Registry.empty,
        Registry.add(Subtract, (p) => E.right(p.minuend)),
      ),
    ).toEqualTypeOf<Registry.Registry<unknown>>()
  })

  it('needs the intersection of what its handlers need', () => {
    const registry = pipe(
      Registry.empty,
      Registry.add(Whoami, (_p, ctx: User) => E.right(ctx.user)),
      Registry.add(Where, (_p, ctx: Db) => E.right(ctx.db)),
    )
    expectTypeOf(registry).toEqualTypeOf<Registry.Registry<User & Db>>()
    const d = Dispatch.make(registry)
    expect(d.dispatch('{"jsonrpc":"2.0","method":"where","id":1}', { user: 'ada', db: 'main' })).toBe('{"jsonrpc":"2.0","result":"main","id":1}')
  })
})

describe('types: Dispatcher.dispatch asks for a context exactly when the registry needs one', () => {
  interface User {
    readonly user: string
  }
  const Whoami = Method.make({ name: 'whoami', result: t.string })
  const needs = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Whoami, (_p, ctx: User) => E.right(ctx.user)),
    ),
  )
  const input = '{"jsonrpc":"2.0","method":"whoami","id":1}'

  it('requires the context when a handler needs one', () => {
    // @ts-expect-error the registry needs a User
    const missing = () => needs.dispatch(input)
    // @ts-expect-error user is a string
    const wrong = () => needs.dispatch(input, { user: 1 })
    // @ts-expect-error the registry needs a User
    const missingTask = () => needs.dispatchTask(input)
    expect([typeof missing, typeof wrong, typeof missingTask]).toEqual(['function', 'function', 'function'])
    expect(needs.dispatch(input, { user: 'ada' })).toBe('{"jsonrpc":"2.0","result":"ada","id":1}')
  })

  it('makes the context optional when no handler needs one', () => {
    const free = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Whoami, () => E.right('anyone')),
      ),
    )
    expect(free.dispatch(input)).toBe('{"jsonrpc":"2.0","result":"anyone","id":1}')
  })

  it('asks for the base value of the context option instead', () => {
    interface Headers {
      readonly authorization: string
    }
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Whoami, (_p, ctx: User) => E.right(ctx.user)),
      ),
      {
        context: (_request, base: Headers) => ({ user: base.authorization.slice('User '.length) }),
      },
    )
    expectTypeOf(d).toEqualTypeOf<Dispatch.Dispatcher<Headers>>()
    // @ts-expect-error the dispatcher takes Headers, not the handlers' User
    const notTheBase = () => d.dispatch(input, { user: 'ada' })
    expect(typeof notTheBase).toBe('function')
    expect(d.dispatch(input, { authorization: 'User bob' })).toBe('{"jsonrpc":"2.0","result":"bob","id":1}')
  })
})
