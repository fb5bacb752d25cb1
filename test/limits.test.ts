/**
 * The dispatcher's own limits (issue #4): batch length, nesting depth, and the handler timeout.
 * Each is on by default, refused with the specification's error, and leaves the server serving.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry } from '../src/index.js'

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const Wait = Method.make({ name: 'wait', params: t.type({ ms: t.number }), result: t.string })
const Echo = Method.make({ name: 'echo', params: t.array(t.unknown), result: t.unknown })

const runs: Array<string> = []
const aborted: Array<unknown> = []
const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, (p) => {
    runs.push('subtract')
    return E.right(p.minuend - p.subtrahend)
  }),
  Registry.add(
    Wait,
    ({ ms }, _ctx, _request, control) =>
      new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('done'), ms)
        control.signal.addEventListener('abort', () => {
          clearTimeout(timer)
          aborted.push(control.signal.reason)
          resolve('too late')
        })
      }),
  ),
  Registry.add(Echo, (xs) => xs),
)

const call = (id: number) => `{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":${id}}`
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)

describe('batch length (maxBatchLength, 100 by default)', () => {
  const server = Dispatch.make(registry)

  it('runs a batch of 100', () => {
    const out = JSON.parse(server.dispatch(`[${Array.from({ length: 100 }, (_, i) => call(i)).join(',')}]`) as string) as Array<unknown>
    expect(out).toHaveLength(100)
  })

  it('refuses a batch of 101 with one Invalid Request object, and runs none of it', () => {
    runs.length = 0
    expect(server.dispatch(`[${Array.from({ length: 101 }, (_, i) => call(i)).join(',')}]`)).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"a batch holds at most 100 requests"},"id":null}',
    )
    expect(runs).toEqual([])
    expect(server.dispatch(call(1))).toBe('{"jsonrpc":"2.0","result":2,"id":1}')
  })

  it('takes another limit, or none', () => {
    expect(Dispatch.make(registry, { maxBatchLength: 2 }).dispatch(`[${call(1)},${call(2)},${call(3)}]`)).toContain('at most 2 requests')
    const unlimited = Dispatch.make(registry, { maxBatchLength: Infinity })
    expect(JSON.parse(unlimited.dispatch(`[${Array.from({ length: 1000 }, (_, i) => call(i)).join(',')}]`) as string)).toHaveLength(1000)
    expect(() => Dispatch.make(registry, { maxBatchLength: 0 })).toThrow(RangeError)
  })
})

describe('nesting depth of params (maxDepth, 64 by default)', () => {
  const server = Dispatch.make(registry)
  const echo = (params: string, id = 7) => `{"jsonrpc":"2.0","method":"echo","params":${params},"id":${id}}`
  const tooDeep = (id: number) =>
    `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":["params: nested deeper than 64 levels"]},"id":${id}}`

  it('takes params 64 levels deep (the params array is level 1)', () => {
    expect(server.dispatch(echo(nested(64)))).toBe(`{"jsonrpc":"2.0","result":${nested(64)},"id":7}`)
  })

  it('answers params 65 levels deep with Invalid params, before the codec or the handler sees them', () => {
    expect(server.dispatch(echo(nested(65)))).toBe(tooDeep(7))
  })

  it('refuses a million levels without a RangeError, and keeps serving', () => {
    expect(server.dispatch(echo(nested(1_000_000)))).toBe(tooDeep(7))
    expect(server.dispatch(call(2))).toBe('{"jsonrpc":"2.0","result":2,"id":2}')
  })

  it('answers a deeply nested message that is no request as Invalid Request, without looking into it', () => {
    expect(server.dispatch(`[${nested(1_000_000)}]`)).toBe('[{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}]')
  })

  it('does not count brackets inside strings', () => {
    expect(server.dispatch(echo(JSON.stringify(['['.repeat(500)])))).toBe(`{"jsonrpc":"2.0","result":${JSON.stringify(['['.repeat(500)])},"id":7}`)
  })

  it('applies to each request of a batch on its own, and to every entry point', async () => {
    expect(JSON.parse(server.dispatch(`[${echo(nested(65), 1)},${call(2)}]`) as string)).toEqual([JSON.parse(tooDeep(1)), { jsonrpc: '2.0', result: 2, id: 2 }])
    expect(await server.dispatchValue(JSON.parse(echo(nested(100))))).toBe(tooDeep(7))
    expect(await server.dispatchToSerializable(echo(nested(100)))).toEqual(JSON.parse(tooDeep(7)))
  })

  it('takes another limit, or none', () => {
    expect(Dispatch.make(registry, { maxDepth: 2 }).dispatch(echo('[[1]]'))).toBe('{"jsonrpc":"2.0","result":[[1]],"id":7}')
    expect(Dispatch.make(registry, { maxDepth: 2 }).dispatch(echo('[[[1]]]'))).toContain('nested deeper than 2 levels')
    expect(Dispatch.make(registry, { maxDepth: Infinity }).dispatch(echo(nested(200)))).toContain('"result"')
    expect(() => Dispatch.make(registry, { maxDepth: 0 })).toThrow(RangeError)
  })
})

describe('handler timeout (timeoutMs, 30 s by default)', () => {
  const server = Dispatch.make(registry, { timeoutMs: 30 })

  it('answers -32003 Request timed out once the time is up, and aborts the handler', async () => {
    aborted.length = 0
    const started = Date.now()
    expect(await server.dispatch('{"jsonrpc":"2.0","method":"wait","params":{"ms":5000},"id":1}')).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32003,"message":"Request timed out"},"id":1}',
    )
    expect(Date.now() - started).toBeLessThan(2000)
    expect(aborted).toHaveLength(1)
  })

  it('answers a handler that finishes in time as usual', async () => {
    expect(await server.dispatch('{"jsonrpc":"2.0","method":"wait","params":{"ms":1},"id":2}')).toBe('{"jsonrpc":"2.0","result":"done","id":2}')
  })

  it('gives each id of a batch exactly one answer: the slow ones time out, the quick ones do not', async () => {
    const out = await server.dispatch(
      '[{"jsonrpc":"2.0","method":"wait","params":{"ms":5000},"id":1},{"jsonrpc":"2.0","method":"wait","params":{"ms":1},"id":2},' +
        '{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":3}]',
    )
    expect(JSON.parse(out as string)).toEqual([
      { jsonrpc: '2.0', error: { code: -32003, message: 'Request timed out' }, id: 1 },
      { jsonrpc: '2.0', result: 'done', id: 2 },
      { jsonrpc: '2.0', result: 2, id: 3 },
    ])
  })

  it('answers nothing for a notification that times out', async () => {
    expect(await server.dispatch('{"jsonrpc":"2.0","method":"wait","params":{"ms":5000}}')).toBeUndefined()
  })

  it('keeps its queue of deadlines short under many quick calls', async () => {
    const quick = Dispatch.make(registry, { timeoutMs: 60_000 })
    const answers = await Promise.all(
      Array.from({ length: 3000 }, (_, i) => Promise.resolve(quick.dispatch(`{"jsonrpc":"2.0","method":"wait","params":{"ms":0},"id":${i}}`))),
    )
    expect(answers.every((a) => a?.includes('"result":"done"'))).toBe(true)
  })

  it('has no timeout with Infinity, and refuses a negative one', () => {
    expect(() => Dispatch.make(registry, { timeoutMs: Infinity })).not.toThrow()
    expect(() => Dispatch.make(registry, { timeoutMs: -1 })).toThrow(RangeError)
  })
})

describe('a handler answering a thenable whose then throws', () => {
  const Odd = Method.make({ name: 'odd', result: t.number })
  const server = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(
        Odd,
        () =>
          ({
            then: () => {
              throw new Error('broken thenable')
            },
          }) as unknown as Promise<number>,
      ),
    ),
  )

  it('is answered Internal error, and the dispatcher does not reject', async () => {
    await expect(Promise.resolve(server.dispatch('{"jsonrpc":"2.0","method":"odd","id":1}'))).resolves.toBe(
      '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}',
    )
  })
})
