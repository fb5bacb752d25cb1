import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Call, compile, type Item } from '../../src/internal/dispatch/Call.js'
import * as _ from '../../src/internal/dispatch/Outcome.js'
import * as Method from '../../src/Method.js'
import * as RpcError from '../../src/RpcError.js'
import type * as RpcRequest from '../../src/RpcRequest.js'

const Echo = Method.make({ name: 'echo', params: t.type({ x: t.unknown }), result: t.unknown })
const AsText = Method.make({
  name: 'asText',
  params: t.type({ x: t.unknown }),
  result: new t.Type<number, string>('NumberAsText', t.number.is, t.number.validate, (n) => String(n)),
})

const callOf = (handler: (p: { x: unknown }, ctx: unknown) => unknown, given: number | 'notification' = 1, method: Method.AnyMethod = Echo) => {
  const id = given === 'notification' ? undefined : given
  const request = (id === undefined ? { jsonrpc: '2.0', method: method.name } : { jsonrpc: '2.0', method: method.name, id }) as RpcRequest.RpcRequest
  return new Call(request, id, compile<unknown>(method, handler), { x: 1 })
}

const harness = (context?: (request: RpcRequest.RpcRequest, base: string) => unknown) => {
  const defects: Array<unknown> = []
  const options: _.CallOptions<unknown, string> = {
    context,
    onDefect: (cause) => void defects.push(cause),
    withDeadline: (work) => work,
  }
  return { defects, invoke: _.invoker(options), options }
}

describe('Outcome: what a handler gives, classified', () => {
  it('a plain value is the result, synchronously', () => {
    const { invoke } = harness()
    expect(
      invoke(
        callOf((p) => p.x),
        'base',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', result: 1, id: 1 })
  })
  it('undefined is answered null', () => {
    const { invoke } = harness()
    expect(
      invoke(
        callOf(() => undefined),
        'base',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', result: null, id: 1 })
  })
  it('Right is the result, Left the error (only the members the specification defines travel)', () => {
    const { invoke } = harness()
    expect(
      invoke(
        callOf(() => E.right(2)),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', result: 2, id: 1 })
    expect(
      invoke(
        callOf(() => E.left({ code: 5, message: 'no', data: 1, extra: 2 })),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', error: { code: 5, message: 'no', data: 1 }, id: 1 })
  })
  it('a Promise of a value or of an Either, and a TaskEither, answer asynchronously', async () => {
    const { invoke } = harness()
    const promised = invoke(
      callOf(async () => 3),
      '',
      undefined,
    )
    expect(promised).toBeInstanceOf(Promise)
    expect(await promised).toEqual({ jsonrpc: '2.0', result: 3, id: 1 })
    expect(
      await invoke(
        callOf(async () => E.left(RpcError.make(7, 'seven'))),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', error: { code: 7, message: 'seven' }, id: 1 })
    expect(
      await invoke(
        callOf(() => () => Promise.resolve(E.right(4))),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', result: 4, id: 1 })
  })
  it('a synchronous TaskEither-like thunk of an Either answers synchronously', () => {
    const { invoke } = harness()
    expect(
      invoke(
        callOf(() => () => E.right(5)),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', result: 5, id: 1 })
  })
  it('RpcError.raise, thrown or rejected, answers its error', async () => {
    const { invoke, defects } = harness()
    expect(
      invoke(
        callOf(() => RpcError.raise(RpcError.make(9, 'raised'))),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', error: { code: 9, message: 'raised' }, id: 1 })
    expect(
      await invoke(
        callOf(async () => RpcError.raise(RpcError.make(9, 'raised'))),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', error: { code: 9, message: 'raised' }, id: 1 })
    expect(defects).toEqual([])
  })
  it('defects answer Internal error and are reported: a throw, a rejection, a function, a Left that is no error, a TaskEither of no Either', async () => {
    const { invoke, defects } = harness()
    const internal = { jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: 1 }
    const boom = new Error('boom')
    expect(
      invoke(
        callOf(() => {
          throw boom
        }),
        '',
        undefined,
      ),
    ).toEqual(internal)
    expect(
      await invoke(
        callOf(() => Promise.reject(boom)),
        '',
        undefined,
      ),
    ).toEqual(internal)
    expect(
      invoke(
        callOf(() => E.right(() => 1)),
        '',
        undefined,
      ),
    ).toEqual(internal)
    expect(
      invoke(
        callOf(() => E.left('not an error')),
        '',
        undefined,
      ),
    ).toEqual(internal)
    expect(
      await invoke(
        callOf(() => () => Promise.resolve(1)),
        '',
        undefined,
      ),
    ).toEqual(internal)
    expect(defects.length).toBe(5)
    expect(defects[0]).toBe(boom)
    expect(defects[1]).toBe(boom)
  })
  it('a notification is answered with nothing, whatever the handler gives', async () => {
    const { invoke, defects } = harness()
    expect(
      invoke(
        callOf(() => 1, 'notification'),
        '',
        undefined,
      ),
    ).toBeUndefined()
    expect(
      invoke(
        callOf(() => E.left(RpcError.make(1, 'x')), 'notification'),
        '',
        undefined,
      ),
    ).toBeUndefined()
    expect(
      invoke(
        callOf(() => {
          throw new Error('x')
        }, 'notification'),
        '',
        undefined,
      ),
    ).toBeUndefined()
    expect(
      await invoke(
        callOf(async () => 1, 'notification'),
        '',
        undefined,
      ),
    ).toBeUndefined()
    expect(defects.length).toBe(1)
  })
  it('encodes the result with the method codec, and a throwing encode is a defect', () => {
    const { invoke, defects } = harness()
    expect(
      invoke(
        callOf(() => 12, 1, AsText as Method.AnyMethod),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', result: '12', id: 1 })
    const Throwing = Method.make({
      name: 't',
      result: new t.Type<number>('Throws', t.number.is, t.number.validate, () => {
        throw new Error('encode')
      }),
    })
    expect(
      invoke(
        callOf(() => 1, 1, Throwing as Method.AnyMethod),
        '',
        undefined,
      ),
    ).toMatchObject({ error: { code: -32603 } })
    expect(defects.length).toBe(1)
  })
  it('makes the context from the request and the base, and follows the transport signal', () => {
    const { invoke } = harness((request, base) => `${base}:${request.method}`)
    expect(
      invoke(
        callOf((_p, ctx) => ctx),
        'b',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', result: 'b:echo', id: 1 })
    const controller = new AbortController()
    let seen: { readonly aborted: boolean; readonly reason?: unknown } | undefined
    const call = callOf(() => 0)
    const handlerCall = new Call(
      call.request,
      1,
      compile<unknown>(
        Echo,
        (_p: unknown, _c: unknown, _r: unknown, control: { readonly signal: { readonly aborted: boolean; readonly reason?: unknown } }) => {
          seen = control.signal
          return 0
        },
      ),
      { x: 1 },
    )
    // Not awaited: the signal is checked, then aborted, while the call is under way.
    void invoke(handlerCall, 'b', { signal: controller.signal })
    expect(seen?.aborted).toBe(false)
    controller.abort('gone')
    expect(seen?.aborted).toBe(true)
    expect(seen?.reason).toBe('gone')
  })
  it('passes an asynchronous answer through withDeadline, and only an asynchronous one', async () => {
    const timed: Array<unknown> = []
    const invoke = _.invoker<unknown, string>({
      context: undefined,
      onDefect: () => undefined,
      withDeadline: (work, call) => {
        timed.push(call.request.method)
        return work.then((): Item => ({ jsonrpc: '2.0', error: { code: -32003, message: 'Request timed out' }, id: 1 }))
      },
    })
    expect(
      invoke(
        callOf(() => 1),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', result: 1, id: 1 })
    expect(
      await invoke(
        callOf(async () => 1),
        '',
        undefined,
      ),
    ).toEqual({ jsonrpc: '2.0', error: { code: -32003, message: 'Request timed out' }, id: 1 })
    expect(timed).toEqual(['echo'])
  })
})
