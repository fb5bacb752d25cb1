/**
 * JsonSchema: the schema of each io-ts codec kind, checked against what the codec itself does. For
 * codecs whose schema is exact, Ajv's verdict on any JSON value equals the codec's decode verdict;
 * for the others the schema is never stricter than the decoder; and every value a codec encodes
 * validates against its schema.
 */
import { Ajv } from 'ajv'
import * as fc from 'fast-check'
import * as t from 'io-ts'
import { BigIntFromString } from 'io-ts-types/lib/BigIntFromString.js'
import { BooleanFromNumber } from 'io-ts-types/lib/BooleanFromNumber.js'
import { BooleanFromString } from 'io-ts-types/lib/BooleanFromString.js'
import { DateFromISOString } from 'io-ts-types/lib/DateFromISOString.js'
import { DateFromNumber } from 'io-ts-types/lib/DateFromNumber.js'
import { DateFromUnixTime } from 'io-ts-types/lib/DateFromUnixTime.js'
import { IntFromString } from 'io-ts-types/lib/IntFromString.js'
import { JsonFromString } from 'io-ts-types/lib/JsonFromString.js'
import { NonEmptyString } from 'io-ts-types/lib/NonEmptyString.js'
import { NumberFromString } from 'io-ts-types/lib/NumberFromString.js'
import { UUID } from 'io-ts-types/lib/UUID.js'
import { nonEmptyArray } from 'io-ts-types/lib/nonEmptyArray.js'
import { option } from 'io-ts-types/lib/option.js'
import { describe, expect, it } from 'vitest'
import { JsonSchema } from '../src/index.js'
import { hasProtoMember } from '../src/internal/object.js'
import { sent, toJson } from './fixtures/shaped.js'

// Formats are descriptions here (a date-time string): Ajv is not asked to check them.
const ajv = new Ajv({ strict: false, validateFormats: false })
const validator = (codec: t.Any) => ajv.compile(JsonSchema.toSchema(codec))

// -------------------------------------------------------------------------------------
// the codecs under test
// -------------------------------------------------------------------------------------

interface Tree {
  readonly value: number
  readonly children: ReadonlyArray<Tree>
}
const Tree: t.Type<Tree> = t.recursion('Tree', () => t.type({ value: t.number, children: t.readonlyArray(Tree) }))

type Expr = { readonly op: 'num'; readonly n: number } | { readonly op: 'add'; readonly left: Expr; readonly right: Expr }
const Expr: t.Type<Expr> = t.recursion('Expr', () =>
  t.union([t.strict({ op: t.literal('num'), n: t.number }), t.type({ op: t.literal('add'), left: Expr, right: Expr })]),
)

const Point = t.type({ x: t.number, y: t.number }, 'Point')
const Positive = t.brand(t.number, (n): n is t.Branded<number, { readonly Positive: unique symbol }> => n > 0, 'Positive')

/** Codecs whose schema is exact on JSON values. */
const exact: ReadonlyArray<readonly [string, t.Any]> = [
  ['string', t.string],
  ['number', t.number],
  ['boolean', t.boolean],
  ['null', t.null],
  ['undefined', t.undefined],
  ['void', t.void],
  ['unknown', t.unknown],
  ['never', t.never as unknown as t.Any],
  ['UnknownRecord', t.UnknownRecord],
  ['UnknownArray', t.UnknownArray],
  ['object', t.object],
  ['literal string', t.literal('on')],
  ['literal number', t.literal(3)],
  ['literal boolean', t.literal(false)],
  ['keyof', t.keyof({ red: null, green: null, blue: null })],
  ['array', t.array(t.number)],
  ['readonlyArray', t.readonlyArray(t.string)],
  ['record string', t.record(t.string, t.number)],
  ['record finite keys', t.record(t.keyof({ a: null, b: null }), t.boolean)],
  ['record literal union keys', t.record(t.union([t.literal('x'), t.literal('y')]), t.union([t.number, t.undefined]))],
  ['record of any', t.record(t.string, t.any)],
  ['tuple', t.tuple([t.string, t.number])],
  ['tuple with optional tail', t.tuple([t.string, t.union([t.number, t.undefined])])],
  ['type', t.type({ name: t.string, age: t.number })],
  ['type with optional members', t.type({ name: t.string, nick: t.union([t.string, t.undefined]), gone: t.undefined, v: t.void })],
  ['partial', t.partial({ name: t.string, age: t.number })],
  ['exact', t.exact(t.type({ id: t.number }))],
  ['strict', t.strict({ id: t.number, tags: t.array(t.string) })],
  ['intersection of objects', t.intersection([t.type({ a: t.string }), t.partial({ b: t.number })])],
  ['intersection with a shared member', t.intersection([t.type({ a: t.string }), t.type({ a: t.literal('x'), b: t.null })])],
  ['intersection of non-objects', t.intersection([t.array(t.number), t.readonlyArray(t.unknown)])],
  ['union', t.union([t.string, t.number, t.null])],
  ['union of literals', t.union([t.literal('a'), t.literal('b'), t.literal(1)])],
  ['union with undefined', t.union([t.string, t.undefined])],
  ['readonly', t.readonly(t.type({ a: t.number }))],
  ['Int', t.Int],
  ['array of Int', t.array(t.Int)],
  ['NonEmptyString', NonEmptyString],
  ['UUID', UUID],
  ['recursion', Tree],
  ['recursion through a union', Expr],
  ['shared named codec', t.type({ from: Point, to: Point, path: t.array(Point) })],
  ['option (io-ts-types)', t.type({ a: option(t.string), b: option(t.number) })],
  ['nested', t.type({ user: t.type({ id: t.Int, tags: t.readonlyArray(t.keyof({ admin: null, guest: null })) }), pos: t.tuple([t.number, t.number]) })],
]

/** Codecs whose schema is looser than the decoder (never stricter). */
const looser: ReadonlyArray<readonly [string, t.Any]> = [
  ['unknown refinement', Positive],
  ['refined object', t.refinement(t.type({ lo: t.number, hi: t.number }), (r) => r.lo <= r.hi, 'Range')],
  ['record of a refined domain', t.record(NonEmptyString, t.number)],
  ['DateFromISOString', DateFromISOString],
  ['NumberFromString', NumberFromString],
  ['IntFromString', IntFromString],
  ['BigIntFromString', BigIntFromString],
  ['BooleanFromString', BooleanFromString],
  ['BooleanFromNumber', BooleanFromNumber],
  ['DateFromNumber', DateFromNumber],
  ['DateFromUnixTime', DateFromUnixTime],
  ['JsonFromString, piped from t.string', t.string.pipe(JsonFromString, 'JsonText')],
  ['pipe', t.string.pipe(NumberFromString)],
  ['nonEmptyArray', nonEmptyArray(t.number)],
  ['function', t.Function],
  [
    'custom type',
    new t.Type<string, string, unknown>(
      'Even',
      (u): u is string => typeof u === 'string',
      (u, c) => (typeof u === 'string' && u.length % 2 === 0 ? t.success(u) : t.failure(u, c)),
      t.identity,
    ),
  ],
]

// -------------------------------------------------------------------------------------
// properties
// -------------------------------------------------------------------------------------

const decodes = (codec: t.Any, u: unknown): boolean => codec.decode(u)._tag === 'Right'

// The JSON values a codec meets: the dispatcher (params) and the client (results, errors) refuse a
// value holding a member named `__proto__` before any codec sees it, because io-ts copies an object it
// changes by assignment, which turns that member into the copy's prototype (see the last test here).
const met = (codec: t.Any): fc.Arbitrary<unknown> => fc.oneof(fc.jsonValue(), sent(codec)).filter((u) => !hasProtoMember(u))

describe('the schema is exact: Ajv accepts a JSON value exactly when the codec decodes it', () => {
  for (const [name, codec] of exact) {
    it(name, () => {
      const validate = validator(codec)
      fc.assert(
        fc.property(met(codec), (u) => {
          expect({ value: u, ajv: validate(u) }).toEqual({ value: u, ajv: decodes(codec, u) })
        }),
        { numRuns: 300 },
      )
    })
  }
})

describe('the schema is never stricter than the decoder', () => {
  for (const [name, codec] of looser) {
    it(name, () => {
      const validate = validator(codec)
      fc.assert(
        fc.property(met(codec), (u) => {
          if (decodes(codec, u)) expect({ value: u, ajv: validate(u) }).toEqual({ value: u, ajv: true })
        }),
        { numRuns: 300 },
      )
    })
  }
})

describe('every value the codec encodes validates against its schema', () => {
  for (const [name, codec] of [...exact, ...looser]) {
    it(name, () => {
      const validate = validator(codec)
      fc.assert(
        fc.property(met(codec), (u) => {
          const decoded = codec.decode(u)
          if (decoded._tag === 'Left') return
          const wire = codec.encode(decoded.right) as unknown
          // What JSON can carry: `undefined` alone is not a JSON value (a member holding it is absent).
          if (wire === undefined) return
          const json = toJson(wire)
          expect({ value: json, ajv: validate(json) }).toEqual({ value: json, ajv: true })
        }),
        { numRuns: 200 },
      )
    })
  }
  it('for values made on the decoded side too (io-ts-types transformations)', () => {
    const codec = t.type({ at: DateFromISOString, n: NumberFromString, big: BigIntFromString, unix: DateFromUnixTime, flag: BooleanFromString })
    const validate = validator(codec)
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.bigInt(), fc.boolean(), (at, n, big, flag) => {
        const json = toJson(codec.encode({ at, n, big, unix: at, flag }))
        expect(validate(json)).toBe(true)
      }),
    )
  })
})

describe('every schema is a valid draft-07 schema', () => {
  it.each([...exact, ...looser])('%s', (_name, codec) => {
    expect(ajv.validateSchema(JsonSchema.toSchema(codec))).toBe(true)
  })
})

// -------------------------------------------------------------------------------------
// unit tests per kind
// -------------------------------------------------------------------------------------

const bare = (codec: t.Any, options?: JsonSchema.Options): unknown => {
  const { $schema, ...rest } = JsonSchema.toSchema(codec, options)
  expect($schema).toBe('http://json-schema.org/draft-07/schema#')
  return rest
}

describe('per kind', () => {
  it('primitives', () => {
    expect(bare(t.string)).toEqual({ type: 'string' })
    expect(bare(t.number)).toEqual({ type: 'number' })
    expect(bare(t.boolean)).toEqual({ type: 'boolean' })
    expect(bare(t.null)).toEqual({ type: 'null' })
    expect(bare(t.unknown)).toEqual({})
    expect(bare(t.undefined)).toEqual({ not: {} })
    expect(bare(t.Int)).toEqual({ type: 'integer' })
  })

  it('literal and keyof are const and enum', () => {
    expect(bare(t.literal('on'))).toEqual({ type: 'string', const: 'on' })
    expect(bare(t.keyof({ a: null, b: null }))).toEqual({ type: 'string', enum: ['a', 'b'] })
    expect(bare(t.union([t.literal('a'), t.literal('b')]))).toEqual({ type: 'string', enum: ['a', 'b'] })
    expect(bare(t.union([t.literal('a'), t.literal(1)]))).toEqual({ enum: ['a', 1] })
  })

  it('undefined and void make a member optional; a member that accepts only undefined must be absent', () => {
    expect(bare(t.type({ a: t.string, b: t.union([t.number, t.undefined]), c: t.void }))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' }, c: { not: {} } },
      required: ['a'],
    })
  })

  it('type, strict and exact allow other members (they keep or strip them, never refuse them)', () => {
    for (const codec of [t.type({ a: t.string }), t.strict({ a: t.string }), t.exact(t.type({ a: t.string }))]) {
      expect(bare(codec)).toEqual({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] })
      expect(validator(codec)({ a: 'x', other: 1 })).toBe(true)
    }
    expect(bare(t.partial({ a: t.string }))).toEqual({ type: 'object', properties: { a: { type: 'string' } } })
  })

  it('a tuple requires its elements up to the last required one and allows more', () => {
    expect(bare(t.tuple([t.string, t.union([t.number, t.undefined])]))).toEqual({ type: 'array', items: [{ type: 'string' }, { type: 'number' }], minItems: 1 })
    expect(validator(t.tuple([t.string, t.number]))(['a', 1, 'extra'])).toBe(true)
    expect(t.tuple([t.string, t.number]).decode(['a', 1, 'extra'])._tag).toBe('Right')
  })

  it('a record of a finite key domain requires every key', () => {
    expect(bare(t.record(t.keyof({ a: null, b: null }), t.number))).toEqual({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    })
    expect(bare(t.record(t.string, t.number))).toEqual({ type: 'object', additionalProperties: { type: 'number' } })
  })

  it('an intersection of objects is one object; of anything else, allOf', () => {
    expect(bare(t.intersection([t.type({ a: t.string }), t.partial({ b: t.number })]))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' } },
      required: ['a'],
    })
    expect(bare(t.intersection([t.array(t.number), t.UnknownArray]))).toEqual({ allOf: [{ type: 'array', items: { type: 'number' } }, { type: 'array' }] })
  })

  it('a union is anyOf', () => {
    expect(bare(t.union([t.string, t.type({ a: t.number })]))).toEqual({
      anyOf: [{ type: 'string' }, { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] }],
    })
  })

  it('readonly, exact, brand and unknown refinements give their base', () => {
    expect(bare(t.readonly(t.array(t.string)))).toEqual({ type: 'array', items: { type: 'string' } })
    expect(bare(Positive)).toEqual({ type: 'number' })
  })

  it('recursion goes through a definition and $ref', () => {
    expect(bare(Tree)).toEqual({
      allOf: [{ $ref: '#/definitions/Tree' }],
      definitions: {
        Tree: {
          type: 'object',
          properties: { value: { type: 'number' }, children: { type: 'array', items: { $ref: '#/definitions/Tree' } } },
          required: ['value', 'children'],
        },
      },
    })
  })

  it('a named codec used twice is one definition; an unnamed one is written out at each use', () => {
    const s = bare(t.type({ a: Point, b: Point, c: t.type({ z: t.null }), d: t.type({ z: t.null }) })) as JsonSchema.Schema
    expect(s.properties?.['a']).toEqual({ $ref: '#/definitions/Point' })
    expect(s.definitions).toEqual({ Point: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] } })
    expect(s.properties?.['c']).toEqual({ type: 'object', properties: { z: { type: 'null' } }, required: ['z'] })
  })

  it('collect shares one table of definitions, with the prefix asked for', () => {
    const { schemas, definitions } = JsonSchema.collect([Point, t.array(Point), Tree], { refPrefix: '#/components/schemas/' })
    expect(schemas).toEqual([
      { $ref: '#/components/schemas/Point' },
      { type: 'array', items: { $ref: '#/components/schemas/Point' } },
      { $ref: '#/components/schemas/Tree' },
    ])
    expect(Object.keys(definitions)).toEqual(['Point', 'Tree'])
  })

  it('two different codecs of the same name get two definitions', () => {
    const A = t.recursion<{ a: string }>('Node', () => t.type({ a: t.string }))
    const B = t.recursion<{ b: string }>('Node', () => t.type({ b: t.string }))
    const { schemas, definitions } = JsonSchema.collect([A, B])
    expect(schemas).toEqual([{ $ref: '#/definitions/Node' }, { $ref: '#/definitions/Node_2' }])
    expect(Object.keys(definitions)).toEqual(['Node', 'Node_2'])
  })

  it('known refinements and transformations of io-ts-types', () => {
    expect(bare(NonEmptyString)).toEqual({ type: 'string', minLength: 1 })
    expect(bare(UUID)).toMatchObject({ type: 'string', format: 'uuid' })
    expect(bare(DateFromISOString)).toEqual({ type: 'string', format: 'date-time' })
    expect(bare(NumberFromString)).toEqual({ type: 'string' })
    expect(bare(BigIntFromString)).toEqual({ type: 'string' })
    expect(bare(BooleanFromString)).toEqual({ type: 'string', enum: ['true', 'false'] })
    expect(bare(DateFromUnixTime)).toEqual({ type: 'integer' })
    expect(bare(nonEmptyArray(t.string))).toEqual({ type: 'array', minItems: 1 })
    expect(bare(JsonFromString)).toEqual({ type: 'string' })
    // `pipe` keeps no reference to its input codec: nothing is known of it.
    expect(bare(t.string.pipe(JsonFromString, 'JsonText'))).toEqual({})
  })

  it('a codec that only shares a known name is not taken for it', () => {
    const fake = new t.Type<number, number, unknown>('NumberFromString', t.number.is, (u, c) => (t.number.is(u) ? t.success(u) : t.failure(u, c)), t.identity)
    expect(bare(fake)).toEqual({})
    const fakeInt = t.brand(t.number, (n): n is t.Branded<number, t.IntBrand> => n >= 0, 'Int')
    expect(bare(fakeInt)).toEqual({ type: 'number' })
  })

  it('a codec with no schema equivalent gives {} and never throws', () => {
    const hostile = new t.Type<unknown>(
      'Hostile',
      (_u): _u is unknown => {
        throw new Error('is')
      },
      () => {
        throw new Error('validate')
      },
      () => {
        throw new Error('encode')
      },
    )
    expect(bare(t.Function)).toEqual({})
    expect(bare(hostile)).toEqual({})
    expect(bare(t.type({ h: hostile }))).toEqual({ type: 'object', properties: { h: {} }, required: ['h'] })
  })

  it('an override gives the schema its owner chose', () => {
    const Even = new t.Type<number>(
      'Even',
      (u): u is number => typeof u === 'number' && u % 2 === 0,
      (u, c) => (typeof u === 'number' && u % 2 === 0 ? t.success(u) : t.failure(u, c)),
      t.identity,
    )
    const overrides = new Map<t.Mixed, JsonSchema.Schema>([[Even, { type: 'integer', multipleOf: 2 }]])
    expect(bare(t.array(Even), { overrides })).toEqual({ type: 'array', items: { type: 'integer', multipleOf: 2 } })
  })

  it('a member named __proto__ is an own property of the schema', () => {
    const withProto = t.type(Object.defineProperty({}, '__proto__', { value: t.string, enumerable: true }))
    const s = bare(withProto) as JsonSchema.Schema
    expect(Object.hasOwn(s.properties ?? {}, '__proto__')).toBe(true)
    expect(s.required).toEqual(['__proto__'])
  })
})

describe('why a value holding a "__proto__" member never reaches a codec', () => {
  it("io-ts's copy turns the member into a prototype, so the codec's verdict is no longer the schema's", () => {
    const codec = t.type({ name: t.string, nick: t.union([t.string, t.undefined]), v: t.void })
    const u = JSON.parse('{"__proto__":{"v":0},"name":""}') as unknown
    // The schema reads own members only: `v` is absent, which t.void allows.
    expect(validator(codec)(u)).toBe(true)
    // io-ts copies the object to add `nick: undefined`, the copy inherits `v: 0`, and t.void refuses it.
    expect(decodes(codec, u)).toBe(false)
    expect(hasProtoMember(u)).toBe(true)
  })
})
