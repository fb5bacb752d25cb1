/**
 * The API explorer's params check against Ajv, on the schemas fp-jsonrpc writes (`JsonSchema.toSchema`
 * of io-ts codecs of every kind the explorer meets): on arbitrary JSON values, and values shaped like
 * the codecs', its verdict is Ajv's. Where a schema uses a keyword the explorer passes over
 * (`format`), it is never stricter than Ajv: it never refuses params the schema allows.
 */
import { pathToFileURL } from 'node:url'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import * as fc from 'fast-check'
import * as t from 'io-ts'
import { DateFromISOString } from 'io-ts-types/lib/DateFromISOString.js'
import { NonEmptyString } from 'io-ts-types/lib/NonEmptyString.js'
import { UUID } from 'io-ts-types/lib/UUID.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { JsonSchema } from '../src/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
type Validate = (schema: unknown, value: unknown, root?: unknown) => ReadonlyArray<unknown>
let validate: Validate

beforeAll(async () => {
  const explorer = (await import(pathToFileURL(join(root, 'src', 'internal', 'http', 'explorer', 'explorer.js')).href)) as { validate: Validate }
  validate = explorer.validate
})

const ajv = new Ajv({ strict: false, validateFormats: false })

interface Tree {
  readonly value: number
  readonly children: ReadonlyArray<Tree>
}
const Tree: t.Type<Tree> = t.recursion('Tree', () => t.type({ value: t.number, children: t.readonlyArray(Tree) }))

// Codecs whose schemas use only keywords the explorer checks.
const exact: ReadonlyArray<readonly [string, t.Decoder<unknown, unknown>]> = [
  ['number', t.number],
  ['Int', t.Int],
  ['string', t.string],
  ['NonEmptyString', NonEmptyString],
  ['boolean', t.boolean],
  ['null', t.null],
  ['literal', t.literal('a')],
  ['keyof', t.keyof({ a: null, b: null })],
  ['array', t.array(t.number)],
  ['tuple', t.tuple([t.number, t.string])],
  ['type', t.type({ a: t.number, b: t.union([t.string, t.null]) })],
  ['partial', t.partial({ a: t.string, b: t.Int })],
  ['record', t.record(t.string, t.number)],
  ['finite record', t.record(t.keyof({ x: null, y: null }), t.boolean)],
  ['intersection', t.intersection([t.type({ a: t.number }), t.partial({ b: t.string })])],
  ['union', t.union([t.number, t.type({ x: t.string })])],
  ['strict', t.strict({ a: t.number })],
  ['recursion', Tree],
  ['nested', t.type({ list: t.array(t.type({ id: t.Int, tags: t.array(t.keyof({ x: null, y: null })) })) })],
]

// Codecs whose schemas carry a keyword the explorer passes over.
const loose: ReadonlyArray<readonly [string, t.Decoder<unknown, unknown>]> = [
  ['UUID', UUID],
  ['DateFromISOString', DateFromISOString],
]

const key = fc.constantFrom('a', 'b', 'x', 'y', 'id', 'list', 'tags', 'value', 'children', 'other')
// JSON values, and values shaped like the codecs' (objects of their member names, nested a little).
const shaped: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('a', 'b', 'x', 'y', '', 1, 1.5, -0, true, null),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
})).value
const json = (u: unknown): unknown => JSON.parse(JSON.stringify(u) ?? 'null') as unknown

type Schema = { readonly [k: string]: unknown }
// Values a schema allows (most of them): generated from the schema itself, the keywords that
// JsonSchema writes for the codecs above, recursion cut at a small depth.
const allowedBy = (schema: Schema, top: Schema, depth = 0): fc.Arbitrary<unknown> => {
  const of = (s: unknown) => allowedBy(s as Schema, top, depth + 1)
  if (typeof schema.$ref === 'string') return of((top.definitions as Record<string, Schema>)[schema.$ref.replace('#/definitions/', '')])
  if ('const' in schema) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as Array<unknown>))
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as Array<unknown>).map(of))
  if (Array.isArray(schema.allOf))
    return fc.tuple(...(schema.allOf as Array<unknown>).map(of)).map((parts) => (parts.length === 1 ? parts[0] : Object.assign({}, ...parts)))
  switch (schema.type) {
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'integer':
      return fc.integer()
    case 'string':
      return fc.string({ minLength: typeof schema.minLength === 'number' ? schema.minLength : 0, maxLength: 5 })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return Array.isArray(schema.items)
        ? fc.tuple(...(schema.items as Array<unknown>).map(of))
        : depth > 3
          ? fc.constant([])
          : fc.array(of(schema.items ?? {}), { maxLength: 3 })
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      const named = fc.record(Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, of(v)])), {
        requiredKeys: (schema.required ?? []) as Array<string>,
      })
      const extra = typeof schema.additionalProperties === 'object' ? fc.dictionary(key, of(schema.additionalProperties)) : fc.constant({})
      return fc.tuple(extra, named).map(([e, n]) => ({ ...e, ...n }))
    }
    default:
      return fc.jsonValue({ maxDepth: 1 })
  }
}
// A value the schema allows with one member (or the whole) replaced: near misses.
const nearly = (schema: Schema): fc.Arbitrary<unknown> =>
  fc
    .tuple(allowedBy(schema, schema), key, shaped)
    .map(([value, k, other]) =>
      value !== null && typeof value === 'object' ? (Array.isArray(value) ? [...(value as Array<unknown>), other] : { ...value, [k]: other }) : other,
    )

describe("the explorer's params check agrees with Ajv", () => {
  it.each(exact)('on the schema of %s', (_name, codec) => {
    const schema = JsonSchema.toSchema(codec) as Schema
    const ajvValidate = ajv.compile(schema)
    const verdicts = { accepted: 0, refused: 0 }
    fc.assert(
      fc.property(fc.oneof(shaped, allowedBy(schema, schema), nearly(schema)).map(json), (value) => {
        const accepted = ajvValidate(value)
        verdicts[accepted ? 'accepted' : 'refused']++
        expect(validate(schema, value).length === 0).toBe(accepted)
      }),
      { numRuns: 500, seed: 10 },
    )
    // Both verdicts were met: the agreement is not on refusals only.
    expect(verdicts.accepted).toBeGreaterThan(0)
    expect(verdicts.refused).toBeGreaterThan(0)
  })

  it.each(loose)('never refuses what Ajv allows, on the schema of %s', (_name, codec) => {
    const schema = JsonSchema.toSchema(codec)
    const ajvValidate = ajv.compile(schema)
    fc.assert(
      fc.property(
        fc.oneof(
          shaped.map(json),
          fc.uuid(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        (value) => {
          if (ajvValidate(value)) expect(validate(schema, value)).toEqual([])
        },
      ),
      { numRuns: 300 },
    )
  })
})
