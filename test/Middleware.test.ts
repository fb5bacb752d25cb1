import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { Dispatch, Handler, Method, Middleware, Registry, RpcError } from '../src/index.js'

const req = (method: string, params: unknown, id: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id })

const Divide = Method.make({ name: 'divide', params: t.type({ a: t.number, b: t.number }), result: t.number })
const divide: Handler.For<typeof Divide> = ({ a, b }) => (b === 0 ? E.left(RpcError.make(1, 'Division by zero')) : E.right(a / b))

// A clock that advances 5 ms on every reading.
const ticking = () => {
  let now = 0
  return () => (now += 5)
}

describe('logging: one line when a call starts and one when it settles', () => {
  it('logs success, failure and notifications, with the outcome and duration', async () => {
    const lines: Array<string> = []
    const records: Array<Middleware.CallRecord> = []
    const Slow = Method.make({ name: 'slow', result: t.string })
    const registry = pipe(
      Registry.empty,
      Registry.add(Divide, divide),
      Registry.add(Slow, () => TE.right('done')),
      Registry.use(
        Middleware.logging((line, record) => {
          lines.push(line)
          if (record !== undefined) records.push(record)
        }, ticking()),
      ),
    )
    const d = Dispatch.make(registry)
    expect(d.dispatch(req('divide', { a: 6, b: 3 }, 1))).toBe('{"jsonrpc":"2.0","result":2,"id":1}')
    expect(d.dispatch(req('divide', { a: 6, b: 0 }, 'x'))).toBe('{"jsonrpc":"2.0","error":{"code":1,"message":"Division by zero"},"id":"x"}')
    expect(d.dispatch('{"jsonrpc":"2.0","method":"divide","params":{"a":1,"b":1}}')).toBeUndefined()
    expect(await d.dispatch(req('slow', [], 2))).toBe('{"jsonrpc":"2.0","result":"done","id":2}')
    expect(lines).toEqual([
      '-> divide (id 1)',
      '<- divide (id 1) ok in 5.00 ms',
      '-> divide (id "x")',
      '<- divide (id "x") error in 5.00 ms',
      '-> divide (notification)',
      '<- divide (notification) ok in 5.00 ms',
      '-> slow (id 2)',
      '<- slow (id 2) ok in 5.00 ms',
    ])
    expect(records).toEqual([
      { method: 'divide', id: 1, ok: true, durationMs: 5 },
      { method: 'divide', id: 'x', ok: false, durationMs: 5 },
      { method: 'divide', id: undefined, ok: true, durationMs: 5 },
      { method: 'slow', id: 2, ok: true, durationMs: 5 },
    ])
  })

  it('logs a throwing handler as an error and leaves the answer to the dispatcher', () => {
    const lines: Array<string> = []
    const Boom = Method.make({ name: 'boom' })
    const handler = pipe(
      (): E.Either<never, number> => {
        throw new Error('x')
      },
      Middleware.logging((line) => lines.push(line), ticking()),
    )
    const d = Dispatch.make(pipe(Registry.empty, Registry.add(Boom, handler)))
    expect(d.dispatch(req('boom', [], 1))).toBe('{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}')
    expect(lines).toEqual(['-> boom (id 1)', '<- boom (id 1) error in 5.00 ms'])
  })
})

describe('timing: reports the duration of every call', () => {
  it('reports once per call, after an asynchronous call has settled', async () => {
    const reports: Array<readonly [string, number]> = []
    let settled = false
    const Wait = Method.make({ name: 'wait' })
    const registry = pipe(
      Registry.empty,
      Registry.add(Divide, divide),
      Registry.add(Wait, () => new Promise((r) => setTimeout(() => ((settled = true), r(1)), 5))),
      Registry.use(
        Middleware.timing((method, ms) => {
          if (method === 'wait') expect(settled).toBe(true)
          reports.push([method, ms])
        }, ticking()),
      ),
    )
    const d = Dispatch.make(registry)
    await d.dispatch(req('divide', { a: 1, b: 1 }, 1))
    await d.dispatch(req('divide', { a: 1, b: 0 }, 2))
    expect(await d.dispatch(req('wait', [], 3))).toBe('{"jsonrpc":"2.0","result":1,"id":3}')
    expect(reports).toEqual([
      ['divide', 5],
      ['divide', 5],
      ['wait', 5],
    ])
  })
})

describe('authenticate: refines the context before the handler runs, or answers instead', () => {
  interface Raw {
    readonly token?: string
  }
  interface Authenticated {
    readonly user: string
  }
  const Unauthorized = RpcError.make(-32001, 'Unauthorized')
  const requireUser = Middleware.authenticate((ctx: Raw) =>
    ctx.token === 'secret' ? E.right<RpcError.RpcError, Authenticated>({ user: 'ada' }) : E.left(Unauthorized),
  )

  const Whoami = Method.make({ name: 'whoami', result: t.string })

  it('hands the handler the refined context', () => {
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Whoami, (_p, ctx: Authenticated) => E.right(ctx.user)),
        Registry.use(requireUser),
      ),
    )
    expect(d.dispatch(req('whoami', [], 1), { token: 'secret' })).toBe('{"jsonrpc":"2.0","result":"ada","id":1}')
  })

  it('answers the error and never runs the handler when the check fails', () => {
    let ran = 0
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Whoami, (_p, ctx: Authenticated) => {
          ran++
          return E.right(ctx.user)
        }),
        Registry.use(requireUser),
      ),
    )
    expect(d.dispatch(req('whoami', [], 1), { token: 'wrong' })).toBe('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized"},"id":1}')
    expect(d.dispatch(req('whoami', [], 2), {})).toBe('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized"},"id":2}')
    expect(ran).toBe(0)
  })

  it('composes, at the type level, a handler that needs { user: string } into one that takes the raw context', () => {
    const whoami: Handler.Handler<{}, string, never, Authenticated> = (_p, ctx) => E.right(ctx.user)
    const guarded = pipe(whoami, requireUser)
    expectTypeOf(guarded).toEqualTypeOf<Handler.Handler<{}, string, never, Raw>>()
    const registry = pipe(Registry.empty, Registry.add(Whoami, whoami), Registry.use(requireUser))
    expectTypeOf(registry).toEqualTypeOf<Registry.Registry<Raw>>()
    // @ts-expect-error the unguarded handler needs a user, which the raw context does not have
    const unguarded: Handler.Handler<{}, string, never, Raw> = whoami
    expect(unguarded).toBe(whoami)
    expect(guarded({}, { token: 'secret' }, { jsonrpc: '2.0', method: 'whoami', id: 1 }, Handler.makeControl())).toEqual(E.right('ada'))
  })
})
