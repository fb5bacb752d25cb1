import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Method, ParamReporter, Params } from '../src/index.js'
import type { Params as RequestParams } from '../src/RpcRequest.js'

const any = (m: { readonly params: unknown }): Method.AnyMethod => m as Method.AnyMethod

describe('Params.decoder: by-name contracts', () => {
  const decode = Params.decoder(any(Method.make({ name: 'm', params: t.type({ a: t.number, b: t.string }) })))

  it('takes an object as it is', () => {
    expect(decode({ a: 1, b: 'x' })).toEqual(E.right({ a: 1, b: 'x' }))
  })

  it('reads an array in paramOrder', () => {
    expect(decode([1, 'x'])).toEqual(E.right({ a: 1, b: 'x' }))
  })

  it('reads absent params as {}', () => {
    expect(decode(undefined)).toEqual(
      E.left([
        { path: ['params', 'a'], expected: 'number', actual: undefined },
        { path: ['params', 'b'], expected: 'string', actual: undefined },
      ]),
    )
  })

  it('gives positional failures their index', () => {
    expect(decode([1, 2])).toEqual(E.left([{ path: ['params', 1], expected: 'string', actual: 2 }]))
  })

  it('refuses more elements than names with one issue at params', () => {
    expect(decode([1, 'x', true])).toEqual(
      E.left([{ path: ['params'], expected: 'at most 2 parameters', actual: 3, message: 'expected at most 2 parameters, got 3' }]),
    )
  })
})

describe('Params.decoder: other contracts', () => {
  const decode = Params.decoder(any(Method.make({ name: 'm', params: t.tuple([t.number, t.string]) })))

  it('applies the codec to the params as sent', () => {
    expect(decode([1, 'x'])).toEqual(E.right([1, 'x']))
    expect(decode({ 0: 1, 1: 'x' })).toEqual(E.left([{ path: ['params'], expected: '[number, string]', actual: { 0: 1, 1: 'x' } }]))
  })

  it('reads absent params as []', () => {
    expect(Params.decoder(any(Method.make({ name: 'm', params: t.array(t.number) })))(undefined)).toEqual(E.right([]))
  })
})

describe('Params.issuesOf: paths name places in the params', () => {
  it('leaves the member index of a union or intersection out of the path', () => {
    const decode = Params.decoder(any(Method.make({ name: 'm', params: t.type({ v: t.union([t.number, t.type({ x: t.string })]) }) })))
    const out = decode({ v: { x: 1 } })
    expect(E.isLeft(out) && out.left.map((i) => i.path)).toEqual([
      ['params', 'v'],
      ['params', 'v', 'x'],
    ])
  })

  it('gives array indices as numbers and object keys as strings', () => {
    const decode = Params.decoder(any(Method.make({ name: 'm', params: t.type({ xs: t.array(t.type({ '0': t.number })) }) })))
    const out = decode({ xs: [{ '0': 1 }, { '0': 'a' }] })
    expect(E.isLeft(out) && out.left.map((i) => i.path)).toEqual([['params', 'xs', 1, '0']])
  })

  it('reports a failure a union finds in several members once', () => {
    const decode = Params.decoder(any(Method.make({ name: 'm', params: t.union([t.type({ a: t.number }), t.type({ a: t.number, b: t.string })]) })))
    const out = decode({})
    expect(E.isLeft(out) && ParamReporter.report(out.left)).toEqual(['params.a: expected number, got nothing', 'params.b: expected string, got nothing'])
  })
})

// The decoder takes a value `is` accepts without running `decode` when the codec's encode is
// io-ts's identity (t.intersection's is not, so it always takes the long way). This checks that
// shortcut against the long way round for many inputs.
describe('Params.decoder: the identity fast path answers as codec.decode does', () => {
  const codecs: ReadonlyArray<readonly [string, t.Any]> = [
    ['t.type', t.type({ a: t.number, b: t.string })],
    ['t.partial', t.partial({ a: t.number, b: t.union([t.string, t.null]) })],
    ['t.readonly', t.readonly(t.type({ a: t.number, b: t.partial({ c: t.string }) }))],
    ['nested t.type', t.type({ a: t.type({ b: t.array(t.number) }) })],
    ['t.tuple', t.tuple([t.number, t.string])],
    ['t.array', t.array(t.union([t.number, t.string]))],
    ['t.union', t.union([t.type({ a: t.number }), t.tuple([t.string])])],
    ['t.UnknownRecord', t.UnknownRecord],
    ['t.Int refinement', t.type({ a: t.Int })],
  ]

  // What the decoder must give: codec.decode on the params as the decoder reads them.
  const slow = (codec: t.Any, order: ReadonlyArray<string> | undefined, u: unknown): E.Either<ReadonlyArray<Params.ParamIssue>, unknown> => {
    let input: unknown = u
    let positional = false
    if (order === undefined) input = u === undefined ? [] : u
    else if (u === undefined) input = {}
    else if (Array.isArray(u)) {
      positional = true
      input = Object.fromEntries(u.map((v, i) => [order[i], v]))
    }
    const v = codec.decode(input)
    return v._tag === 'Right' ? E.right(v.right) : E.left(Params.issuesOf(v.left, order, positional))
  }

  const value = fc.oneof(
    fc.integer({ min: -3, max: 3 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 3 }),
    fc.boolean(),
    fc.constant(null),
  )
  const params = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constant(undefined),
    fc.record({ a: fc.oneof(value, fc.record({ b: fc.array(value, { maxLength: 3 }) })), b: value }, { requiredKeys: [] }),
    fc.tuple(value, value),
    fc.array(value, { maxLength: 2 }),
  )

  it.each(codecs)('%s', (_name, codec) => {
    expect(codec.encode).toBe(t.identity)
    const method = any(Method.make({ name: 'm', params: codec }))
    const decode = Params.decoder(method)
    fc.assert(
      fc.property(params, (u) => {
        if (method.paramOrder !== undefined && Array.isArray(u) && u.length > method.paramOrder.length) return
        expect(decode(u as RequestParams | undefined)).toEqual(slow(codec, method.paramOrder, u))
      }),
      { numRuns: 300 },
    )
  })
})

describe('Params.namer: positional params under their names', () => {
  // Names a parser of code would trip on: quotes, a backslash, line breaks JS and JSON disagree on,
  // a lone surrogate, an index-like name, and text that would be code if it were not quoted.
  const awkward = ['a', '"', "'", '\\', 'x\ny', '\u2028', '\ud800', '0', '1e3', '}); throw 1; ({', '${x}', 'constructor', 'toString']

  it('gives every name its value, in order, as own members', () => {
    const name = Params.namer(awkward)
    const values = awkward.map((_, i) => ({ i }))
    const made = name(values)
    expect(Object.keys(made).sort()).toEqual([...awkward].sort())
    awkward.forEach((k, i) => {
      expect(Object.prototype.hasOwnProperty.call(made, k)).toBe(true)
      expect(made[k]).toBe(values[i])
    })
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype)
  })

  it('matches names added one by one, for any names', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.string({ unit: 'binary', maxLength: 6 }).filter((k) => k !== '__proto__'),
          { minLength: 1, maxLength: 6 },
        ),
        (order) => {
          const values = order.map((_, i) => i * 10)
          const slow: Record<string, unknown> = {}
          order.forEach((k, i) => (slow[k] = values[i]))
          const made = Params.namer(order)(values)
          expect(made).toStrictEqual(slow)
          expect(Object.keys(made)).toEqual(Object.keys(slow))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('adds names one by one where code cannot be compiled, with the same result', () => {
    const original = globalThis.Function
    // What a Content-Security-Policy without unsafe-eval does to `new Function`.
    let tried = 0
    globalThis.Function = function () {
      tried++
      throw new EvalError('code generation from strings disallowed for this context')
    } as unknown as FunctionConstructor
    let name: ReturnType<typeof Params.namer>
    try {
      name = Params.namer(['minuend', 'subtrahend'])
    } finally {
      globalThis.Function = original
    }
    expect(tried).toBe(1)
    expect(name([42, 23])).toStrictEqual({ minuend: 42, subtrahend: 23 })
    expect(name([42])).toStrictEqual({ minuend: 42 })
  })

  it('decodes a full set of positional params through the compiled literal and a short one without it', () => {
    const decode = Params.decoder(any(Method.make({ name: 'm', params: t.type({ 'a"b': t.number, c: t.string }) })))
    expect(decode([1, 'x'])).toEqual(E.right({ 'a"b': 1, c: 'x' }))
    expect(decode([1])).toEqual(E.left([{ path: ['params', 1], expected: 'string', actual: undefined }]))
    const partial = Params.decoder(any(Method.make({ name: 'm', params: t.partial({ a: t.number, b: t.string }) })))
    expect(partial([1])).toEqual(E.right({ a: 1 }))
    expect(Object.keys((partial([1]) as E.Right<object>).right)).toEqual(['a'])
  })
})

// -------------------------------------------------------------------------------------
// ParamReporter
// -------------------------------------------------------------------------------------

describe('ParamReporter.formatPath joins the path with dots', () => {
  it('formats names and positions', () => {
    expect(ParamReporter.formatPath(['params'])).toBe('params')
    expect(ParamReporter.formatPath(['params', 1])).toBe('params.1')
    expect(ParamReporter.formatPath(['params', 'point', 'x'])).toBe('params.point.x')
  })
})

describe('ParamReporter.formatIssue: one line per issue', () => {
  it('says what was expected and what was found', () => {
    expect(ParamReporter.formatIssue({ path: ['params', 1], expected: 'number', actual: 'x' })).toBe('params.1: expected number, got "x"')
    expect(ParamReporter.formatIssue({ path: ['params', 'o'], expected: 'string', actual: { a: [1, null] } })).toBe(
      'params.o: expected string, got {"a":[1,null]}',
    )
  })

  it('says "nothing" for a missing member', () => {
    expect(ParamReporter.formatIssue({ path: ['params', 'subtrahend'], expected: 'number', actual: undefined })).toBe(
      'params.subtrahend: expected number, got nothing',
    )
  })

  it("prefers the codec's own message, unless it is empty", () => {
    expect(ParamReporter.formatIssue({ path: ['params'], expected: 'X', actual: 1, message: 'too small' })).toBe('params: too small')
    expect(ParamReporter.formatIssue({ path: ['params'], expected: 'X', actual: 1, message: '' })).toBe('params: expected X, got 1')
  })

  it(`shortens the value found to at most ${ParamReporter.maxActualLength} characters`, () => {
    const line = ParamReporter.formatIssue({ path: ['params', 0], expected: 'number', actual: 'y'.repeat(1000) })
    const got = line.slice('params.0: expected number, got '.length)
    expect(got).toBe(`"${'y'.repeat(ParamReporter.maxActualLength - 4)}...`)
    expect(got).toHaveLength(ParamReporter.maxActualLength)
  })

  it('describes a value JSON cannot write by its type', () => {
    expect(ParamReporter.formatIssue({ path: ['params'], expected: 'number', actual: 10n })).toBe('params: expected number, got bigint')
  })
})

describe('ParamReporter.report: one line per issue, in order', () => {
  it('maps every issue', () => {
    expect(
      ParamReporter.report([
        { path: ['params', 'a'], expected: 'number', actual: undefined },
        { path: ['params', 'b'], expected: 'string', actual: 3 },
      ]),
    ).toEqual(['params.a: expected number, got nothing', 'params.b: expected string, got 3'])
    expect(ParamReporter.report([])).toEqual([])
  })
})
