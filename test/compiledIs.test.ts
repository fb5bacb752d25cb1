import * as fc from 'fast-check'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { compiledIs, compiledNamer } from '../src/internal/compiledIs.js'
import { namer } from '../src/Params.js'

// The member codecs the compiler knows, and some it does not.
const known: ReadonlyArray<t.Mixed> = [t.number, t.string, t.boolean, t.null, t.unknown, t.literal('a'), t.literal(1), t.literal(true), t.literal('')]
const unknownShapes: ReadonlyArray<t.Mixed> = [t.undefined, t.array(t.number), t.Int, t.union([t.string, t.number]), t.type({ x: t.number })]

// Member names, tricky ones included: names on Object.prototype, numbers, the empty name, quotes.
const name = fc.constantFrom('a', 'b', 'minuend', 'constructor', 'toString', 'hasOwnProperty', '0', '', 'x"y', "it's", 'a\\b', 'valueOf')

const members = fc.uniqueArray(fc.tuple(name, fc.constantFrom(...known)), { selector: ([n]) => n, maxLength: 5 })

// Values as requests carry them, and values shaped to hit the members: each member present, absent,
// present and undefined, of each kind; inherited members; arrays and non-records.
const member = fc.oneof(fc.constantFrom(undefined, null, 0, 1, -0, NaN, 'a', '', true, false, [], {}), fc.jsonValue())
const valueFor = (names: ReadonlyArray<string>): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(null, undefined, [], 0, 'x', [1, 2]),
    // Every member present: each of them undefined now and then.
    fc.tuple(...names.map((n) => member.map((v) => [n, v] as const))).map((entries) => Object.fromEntries(entries)),
    fc.tuple(fc.array(fc.tuple(fc.constantFrom(...names, 'extra'), member)), fc.boolean(), fc.boolean()).map(([entries, inherited, asArray]) => {
      const own = Object.fromEntries(entries)
      if (asArray) return Object.assign([], own)
      return inherited ? Object.assign(Object.create(own) as object, { z: 1 }) : own
    }),
  )

describe('internal/compiledIs', () => {
  it("gives io-ts's verdict for every t.type of the known member codecs, on any value", () => {
    fc.assert(
      fc.property(
        members.chain((ms) => fc.tuple(fc.constant(ms), valueFor(ms.map(([n]) => n)))),
        ([ms, value]) => {
          const codec = t.type(Object.fromEntries(ms))
          const is = compiledIs(codec)
          expect(is).toBeDefined()
          expect((is as (u: unknown) => boolean)(value)).toBe(codec.is(value))
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('names and checks positional params as the namer and io-ts do, in any declared order', () => {
    fc.assert(
      fc.property(
        members
          .filter((ms) => ms.length > 0)
          .chain((ms) =>
            fc.tuple(
              fc.constant(ms),
              fc.shuffledSubarray(
                ms.map(([n]) => n),
                { minLength: ms.length },
              ),
            ),
          ),
        fc.array(member, { minLength: 0, maxLength: 5 }),
        ([ms, order], elements) => {
          const codec = t.type(Object.fromEntries(ms))
          const params = order.map((_, i) => elements[i])
          const named = namer(order)(params)
          const checked = compiledNamer(codec, order)
          expect(checked).toBeDefined()
          const made = (checked as (p: ReadonlyArray<unknown>) => Record<string, unknown> | undefined)(params)
          if (codec.is(named)) {
            expect(made).toEqual(named)
            expect(Object.keys(made as object)).toEqual(Object.keys(named))
          } else expect(made).toBeUndefined()
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('takes a t.unknown member that is present and undefined, or inherited, and refuses one that is absent', () => {
    const is = compiledIs(t.type({ a: t.unknown })) as (u: unknown) => boolean
    expect([is({ a: undefined }), is(Object.create({ a: 1 })), is({}), is(Object.create({ a: undefined }))]).toEqual([true, true, false, false])
  })

  it('leaves every other codec to io-ts', () => {
    for (const m of unknownShapes) expect(compiledIs(t.type({ a: t.number, b: m }))).toBeUndefined()
    expect(compiledIs(t.partial({ a: t.number }))).toBeUndefined()
    expect(compiledIs(t.strict({ a: t.number }))).toBeUndefined()
    expect(compiledIs(t.number)).toBeUndefined()
    expect(compiledIs(t.type({ ['__proto__']: t.number }))).toBeUndefined()
    // A literal JSON cannot carry, and a hand-made InterfaceType whose `is` is its own.
    expect(compiledIs(t.type({ a: t.literal(Infinity as unknown as 1) }))).toBeUndefined()
    const own = new t.InterfaceType('Own', (u): u is { a: number } => u === 42, t.type({ a: t.number }).validate, t.identity, { a: t.number })
    expect(compiledIs(own)).toBeUndefined()
  })

  it('makes no namer when the order does not name exactly the members', () => {
    const codec = t.type({ a: t.number, b: t.string })
    expect(compiledNamer(codec, ['a'])).toBeUndefined()
    expect(compiledNamer(codec, ['a', 'c'])).toBeUndefined()
    expect(compiledNamer(codec, ['a', 'b', 'c'])).toBeUndefined()
    expect(compiledNamer(codec, ['b', 'a'])?.([1, 'x'])).toBeUndefined()
    expect(compiledNamer(codec, ['b', 'a'])?.(['x', 1])).toEqual({ b: 'x', a: 1 })
  })

  it('puts no part of a name into the code unquoted', () => {
    const codec = t.type({ '"+process.exit(1)+"': t.number, '}); throw 1; ({': t.string })
    const is = compiledIs(codec)
    expect(is?.({ '"+process.exit(1)+"': 1, '}); throw 1; ({': 'x' })).toBe(true)
    expect(is?.({})).toBe(false)
  })
})
