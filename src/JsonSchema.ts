/**
 * JSON Schema (draft-07) from io-ts codecs: a codec in, a schema of its wire form out, the form its
 * `encode` writes and its `decode` reads from JSON.
 *
 * **What a schema means.** A schema is _exact_ for a codec when, for every JSON value `v` (what
 * `JSON.parse` can give), a draft-07 validator accepts `v` exactly when `codec.decode(v)` succeeds.
 * It is exact for every io-ts 2.2 combinator built from these: `string`, `number`, `boolean`, `null`,
 * `undefined`/`void` (a member that may be absent), `unknown`, `literal`, `keyof`, `array`,
 * `readonlyArray`, `record` (string keys, or a finite key domain: then every key is required, as the
 * decoder asks), `tuple`, `type`, `partial`, `exact`, `strict`, `intersection`, `union`, `readonly`,
 * `recursion`, and the refinements known by identity (`t.Int`, io-ts-types' `NonEmptyString` and
 * `UUID`). Where it cannot be exact it is looser, never stricter than the decoder: another refinement
 * gives its base schema, a transformation (io-ts-types' `DateFromISOString`, `NumberFromString`, ...)
 * the form its `encode` writes, and a codec with no JSON equivalent (a custom `t.Type`, `t.Function`,
 * `a.pipe(b)`, which keeps no reference to `a`) gives `{}`. Nothing here throws. An override (see {@link Options}) gives any codec the schema its
 * owner chooses.
 *
 * The wire, not the value: `t.type` and `t.strict` keep or strip unknown members, they never refuse
 * them, so no schema here sets `additionalProperties: false`; a tuple's decoder drops extra elements,
 * so its schema allows them. `t.number` accepts `NaN` and `Infinity` as JavaScript values, but JSON has
 * neither (`JSON.stringify` writes them `null`): on JSON values `{"type": "number"}` is exact.
 *
 * **Definitions.** A recursive codec (`t.recursion`) becomes a definition, referred to with `$ref`.
 * So does a codec used more than once in what is converted when it has a name of its own (an object,
 * union, intersection, tuple or record codec given a name such as `'User'`); unnamed ones are written
 * out at each use. {@link toSchema} gives one standalone schema (`#/definitions/`); {@link collect}
 * converts many codecs into one shared table, with the `$ref` prefix its caller chooses
 * (`#/components/schemas/` in an OpenRPC document).
 *
 * **io-ts-types** is not a dependency: its codecs are recognised by their name and checked by their
 * behaviour (`NumberFromString` must decode `"1.5"` to `1.5` and encode `2` as `"2"`, `UUID` must be a
 * refinement of a string that accepts a UUID and refuses `"x"`), so a copy bundled twice is recognised
 * and a different codec that merely shares a name is not (it gives `{}`).
 *
 * @since 0.2.0
 */
import type * as t from 'io-ts'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A JSON type name, as the `type` keyword takes it.
 *
 * @category model
 * @since 0.2.0
 */
export type TypeName = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object'

/**
 * A JSON Schema (draft-07) object: the keywords this module writes are typed, and any other keyword
 * is allowed (an override may use any).
 *
 * @category model
 * @since 0.2.0
 */
export interface Schema {
  readonly [keyword: string]: unknown
  readonly $schema?: string
  readonly $ref?: string
  readonly title?: string
  readonly description?: string
  readonly type?: TypeName | ReadonlyArray<TypeName>
  readonly const?: unknown
  readonly enum?: ReadonlyArray<unknown>
  readonly format?: string
  readonly pattern?: string
  readonly minLength?: number
  readonly properties?: Readonly<Record<string, Schema>>
  readonly required?: ReadonlyArray<string>
  readonly additionalProperties?: Schema | boolean
  readonly items?: Schema | ReadonlyArray<Schema>
  readonly minItems?: number
  readonly allOf?: ReadonlyArray<Schema>
  readonly anyOf?: ReadonlyArray<Schema>
  readonly not?: Schema
  readonly definitions?: Readonly<Record<string, Schema>>
}

/**
 * Named schemas, referred to with `$ref` (a prefix, then the name).
 *
 * @category model
 * @since 0.2.0
 */
export type Definitions = Readonly<Record<string, Schema>>

/**
 * How codecs are converted.
 *
 * @category model
 * @since 0.2.0
 */
export interface Options {
  /** What precedes a definition's name in a `$ref`: `'#/definitions/'` unless given. */
  readonly refPrefix?: string
  /**
   * Schemas chosen by the codec's owner, by the codec's identity: used as they are, in place of what
   * this module would write (for a custom `t.Type`, say, which otherwise gives `{}`).
   */
  readonly overrides?: ReadonlyMap<t.Decoder<unknown, unknown>, Schema>
}

/**
 * What {@link collect} gives: one schema per codec, in order, and the definitions they refer to.
 *
 * @category model
 * @since 0.2.0
 */
export interface Collected {
  readonly schemas: ReadonlyArray<Schema>
  readonly definitions: Definitions
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The `$schema` of draft-07.
 *
 * @category constants
 * @since 0.2.0
 */
export const draft07 = 'http://json-schema.org/draft-07/schema#'

/**
 * The schema no value validates against (`{"not": {}}`): what `t.undefined` or `t.never` accept of
 * JSON.
 *
 * @category constants
 * @since 0.2.0
 */
export const nothing: Schema = { not: {} }

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The standalone schema of `codec`: `$schema` draft-07, with the definitions it refers to under
 * `definitions` (and `$ref`s into `#/definitions/`, unless {@link Options} says otherwise).
 *
 * @example
 * import * as assert from 'node:assert'
 * import * as t from 'io-ts'
 * import { JsonSchema } from 'fp-jsonrpc'
 *
 * const schema = JsonSchema.toSchema(t.type({ name: t.string, age: t.union([t.Int, t.undefined]) }))
 * assert.deepStrictEqual(schema, {
 *   $schema: 'http://json-schema.org/draft-07/schema#',
 *   type: 'object',
 *   properties: { name: { type: 'string' }, age: { type: 'integer' } },
 *   required: ['name'],
 * })
 *
 * @category constructors
 * @since 0.2.0
 */
export const toSchema = (codec: t.Decoder<unknown, unknown>, options: Options = {}): Schema => {
  const { schemas, definitions } = collect([codec], options)
  const schema = schemas[0] ?? {}
  const withDefinitions = Object.keys(definitions).length === 0 ? {} : { definitions }
  // Draft-07 ignores the siblings of a `$ref`, so a root that is one reference is wrapped.
  return schema.$ref === undefined ? { $schema: draft07, ...schema, ...withDefinitions } : { $schema: draft07, allOf: [schema], ...withDefinitions }
}

/**
 * The schemas of many codecs, in order, sharing one table of definitions (recursive codecs, and named
 * ones used more than once across all of them), with `$ref`s made of `refPrefix` and the name.
 *
 * @example
 * import * as assert from 'node:assert'
 * import * as t from 'io-ts'
 * import { JsonSchema } from 'fp-jsonrpc'
 *
 * const User = t.type({ name: t.string }, 'User')
 * const { schemas, definitions } = JsonSchema.collect([User, t.array(User)], { refPrefix: '#/components/schemas/' })
 * assert.deepStrictEqual(schemas, [{ $ref: '#/components/schemas/User' }, { type: 'array', items: { $ref: '#/components/schemas/User' } }])
 * assert.deepStrictEqual(definitions, { User: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } })
 *
 * @category constructors
 * @since 0.2.0
 */
export const collect = (codecs: ReadonlyArray<t.Decoder<unknown, unknown>>, options: Options = {}): Collected => {
  const uses = new Map<unknown, number>()
  for (const codec of codecs) count(codec, uses)
  const state: State = {
    prefix: options.refPrefix ?? '#/definitions/',
    overrides: options.overrides ?? new Map(),
    uses,
    names: new Map(),
    taken: new Set(),
    definitions: {},
  }
  const schemas = codecs.map((codec) => schemaOf(codec as Codec, state))
  return { schemas, definitions: state.definitions }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Whether `codec` accepts an absent value (`decode(undefined)` succeeds): then an object member or a
 * tuple element of that codec is optional. `false` when the codec throws.
 *
 * @category utils
 * @since 0.2.0
 */
export const isOptional = (codec: t.Decoder<unknown, unknown>): boolean => {
  try {
    return codec.decode(undefined)._tag === 'Right'
  } catch {
    return false
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

// A codec as this module reads it: told apart by `_tag` rather than `instanceof`, so that a codec
// from a second copy of io-ts (an ESM and a CommonJS build in one bundle) reads the same.
interface Codec extends t.Decoder<unknown, unknown> {
  readonly _tag?: string
  readonly encode?: (a: unknown) => unknown
  readonly is?: (u: unknown) => boolean
  readonly type?: Codec
  readonly types?: ReadonlyArray<Codec>
  readonly props?: Readonly<Record<string, Codec>>
  readonly value?: unknown
  readonly keys?: Readonly<Record<string, unknown>>
  readonly domain?: Codec
  readonly codomain?: Codec
  readonly predicate?: (u: unknown) => boolean
}

interface State {
  readonly prefix: string
  readonly overrides: ReadonlyMap<unknown, Schema>
  readonly uses: ReadonlyMap<unknown, number>
  readonly names: Map<unknown, string>
  readonly taken: Set<string>
  readonly definitions: Record<string, Schema>
}

const children = (c: Codec): ReadonlyArray<Codec> => {
  switch (c._tag) {
    case 'InterfaceType':
    case 'PartialType':
    case 'StrictType':
      return Object.values(c.props ?? {})
    case 'UnionType':
    case 'IntersectionType':
    case 'TupleType':
      return c.types ?? []
    case 'DictionaryType':
      return [c.domain, c.codomain].filter((x): x is Codec => x !== undefined)
    case 'ArrayType':
    case 'ReadonlyArrayType':
    case 'ReadonlyType':
    case 'ExactType':
    case 'RefinementType':
    case 'RecursiveType':
      return c.type === undefined ? [] : [c.type]
    default:
      return []
  }
}

// How many times each codec is met, each codec's inside walked once (which also ends recursion).
const count = (c: Codec, uses: Map<unknown, number>): void => {
  const seen = uses.get(c) ?? 0
  uses.set(c, seen + 1)
  if (seen > 0) return
  for (const child of safely(() => children(c), [])) count(child, uses)
}

const safely = <A>(f: () => A, otherwise: A): A => {
  try {
    return f()
  } catch {
    return otherwise
  }
}

const shareable = new Set(['InterfaceType', 'PartialType', 'StrictType', 'ExactType', 'IntersectionType', 'UnionType', 'TupleType', 'DictionaryType'])
const givenName = /^[A-Za-z_][A-Za-z0-9_.-]*$/

const definitionName = (c: Codec, state: State): string => {
  const known = state.names.get(c)
  if (known !== undefined) return known
  const base = typeof c.name === 'string' && c.name.length > 0 ? c.name.replace(/[^A-Za-z0-9_.-]/g, '_') : 'Schema'
  let name = base
  for (let n = 2; state.taken.has(name); n++) name = `${base}_${n}`
  state.taken.add(name)
  state.names.set(c, name)
  return name
}

const schemaOf = (c: Codec, state: State): Schema => {
  const override = state.overrides.get(c)
  if (override !== undefined) return override
  const recursive = c._tag === 'RecursiveType'
  const shared = !recursive && shareable.has(c._tag ?? '') && (state.uses.get(c) ?? 0) > 1 && givenName.test(c.name)
  if (!recursive && !shared) return safely(() => bodyOf(c, state), {})
  const known = state.names.has(c)
  const name = definitionName(c, state)
  if (!known) {
    // Placed first, so that a reference met while the body is written (recursion) finds the name.
    state.definitions[name] = {}
    state.definitions[name] = safely(() => (recursive ? schemaOf(c.type as Codec, state) : bodyOf(c, state)), {})
  }
  return { $ref: state.prefix + name }
}

const bodyOf = (c: Codec, state: State): Schema => {
  switch (c._tag) {
    case 'StringType':
      return { type: 'string' }
    case 'NumberType':
      return { type: 'number' }
    case 'BooleanType':
      return { type: 'boolean' }
    case 'NullType':
      return { type: 'null' }
    case 'UndefinedType':
    case 'VoidType':
    case 'NeverType':
      return nothing
    case 'UnknownType':
    case 'AnyType':
      return {}
    case 'AnyDictionaryType':
      return { type: 'object' }
    case 'AnyArrayType':
      return { type: 'array' }
    case 'ObjectType':
      return { type: ['object', 'array'] }
    case 'LiteralType':
      return literal(c.value)
    case 'KeyofType':
      return { type: 'string', enum: Object.keys(c.keys ?? {}) }
    case 'ArrayType':
    case 'ReadonlyArrayType':
      return { type: 'array', items: schemaOf(c.type as Codec, state) }
    case 'TupleType':
      return tuple(c.types ?? [], state)
    case 'InterfaceType':
    case 'StrictType':
      return object(c.props ?? {}, false, state)
    case 'PartialType':
      return object(c.props ?? {}, true, state)
    case 'ExactType':
    case 'ReadonlyType':
    case 'RecursiveType':
      return schemaOf(c.type as Codec, state)
    case 'DictionaryType':
      return record(c, state)
    case 'UnionType':
      return union((c.types ?? []).map((member) => schemaOf(member, state)))
    case 'IntersectionType':
      return intersection((c.types ?? []).map((member) => schemaOf(member, state)))
    case 'RefinementType':
      return knownRefinement(c) ?? schemaOf(c.type as Codec, state)
    default:
      return knownTransformation(c) ?? {}
  }
}

const literal = (value: unknown): Schema => {
  const type: TypeName | undefined =
    typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : undefined
  return type === undefined ? { const: value } : { type, const: value }
}

const object = (props: Readonly<Record<string, Codec>>, partial: boolean, state: State): Schema => {
  const properties: Record<string, Schema> = {}
  const required: Array<string> = []
  for (const [name, codec] of Object.entries(props)) {
    // A member named `__proto__` is written as an own member, not as the object's prototype.
    Object.defineProperty(properties, name, { value: schemaOf(codec, state), enumerable: true, writable: true, configurable: true })
    if (!partial && !isOptional(codec)) required.push(name)
  }
  if (Object.keys(properties).length === 0) return { type: 'object' }
  return required.length === 0 ? { type: 'object', properties } : { type: 'object', properties, required }
}

// The decoder reads each element by index (an absent one as `undefined`) and drops the extra ones,
// so elements up to the last required one must be there and more are allowed.
const tuple = (types: ReadonlyArray<Codec>, state: State): Schema => {
  if (types.length === 0) return { type: 'array' }
  const items = types.map((type) => schemaOf(type, state))
  let minItems = 0
  types.forEach((type, i) => {
    if (!isOptional(type)) minItems = i + 1
  })
  return minItems === 0 ? { type: 'array', items } : { type: 'array', items, minItems }
}

// The keys of a finite domain, as io-ts's `record` finds them (a string literal, a keyof, a union of
// those); `undefined` for any other domain.
const domainKeys = (domain: Codec): ReadonlyArray<string> | undefined => {
  switch (domain._tag) {
    case 'LiteralType':
      return typeof domain.value === 'string' ? [domain.value] : undefined
    case 'KeyofType':
      return Object.keys(domain.keys ?? {})
    case 'UnionType': {
      const keys: Array<string> = []
      for (const member of domain.types ?? []) {
        const own = domainKeys(member)
        if (own === undefined) return undefined
        for (const key of own) if (!keys.includes(key)) keys.push(key)
      }
      return keys
    }
    default:
      return undefined
  }
}

const record = (c: Codec, state: State): Schema => {
  const domain = c.domain as Codec
  const codomain = c.codomain as Codec
  const keys = domainKeys(domain)
  if (keys !== undefined) {
    // A finite domain is read as `t.strict` of one member per key: every key required (unless the
    // codomain accepts an absent value), other keys stripped.
    const props: Record<string, Codec> = {}
    for (const key of keys) Object.defineProperty(props, key, { value: codomain, enumerable: true, writable: true, configurable: true })
    return object(props, false, state)
  }
  // io-ts's record of `t.any` values accepts an array as well.
  if (codomain._tag === 'AnyType') return { type: ['object', 'array'] }
  // Keys the domain refuses are dropped, not refused: only a domain that takes every string says what
  // each member must be.
  if (domain._tag === 'StringType') return { type: 'object', additionalProperties: schemaOf(codomain, state) }
  return { type: 'object' }
}

const isNothing = (s: Schema): boolean => Object.keys(s).length === 1 && typeof s.not === 'object' && s.not !== null && Object.keys(s.not).length === 0

const union = (members: ReadonlyArray<Schema>): Schema => {
  const flat: Array<Schema> = []
  for (const member of members) {
    if (isNothing(member)) continue
    if (Object.keys(member).length === 1 && member.anyOf !== undefined) flat.push(...member.anyOf)
    else flat.push(member)
  }
  if (flat.length === 0) return nothing
  if (flat.some((member) => Object.keys(member).length === 0)) return {}
  if (flat.length === 1) return flat[0]
  if (flat.every((member) => 'const' in member && Object.keys(member).every((k) => k === 'const' || k === 'type'))) {
    const values = flat.map((member) => member.const)
    const types = [...new Set(flat.map((member) => member.type))]
    return types.length === 1 && typeof types[0] === 'string' ? { type: types[0], enum: values } : { enum: values }
  }
  return { anyOf: flat }
}

const isPlainObject = (s: Schema): boolean => s.type === 'object' && Object.keys(s).every((k) => k === 'type' || k === 'properties' || k === 'required')

// Plain object members are merged into one object (what a reader expects of `A & B`); anything else
// is `allOf`, which a validator reads as the decoder does: every member must accept the whole value.
const intersection = (members: ReadonlyArray<Schema>): Schema => {
  if (members.length === 1) return members[0]
  if (!members.every(isPlainObject)) return { allOf: members }
  const properties: Record<string, Schema> = {}
  const required: Array<string> = []
  for (const member of members) {
    for (const [name, schema] of Object.entries(member.properties ?? {})) {
      const before = Object.hasOwn(properties, name) ? properties[name] : undefined
      const merged = before === undefined || JSON.stringify(before) === JSON.stringify(schema) ? schema : { allOf: [before, schema] }
      Object.defineProperty(properties, name, { value: merged, enumerable: true, writable: true, configurable: true })
    }
    for (const name of member.required ?? []) if (!required.includes(name)) required.push(name)
  }
  if (Object.keys(properties).length === 0) return { type: 'object' }
  return required.length === 0 ? { type: 'object', properties } : { type: 'object', properties, required }
}

// -------------------------------------------------------------------------------------
// internal: codecs known by name and behaviour
// -------------------------------------------------------------------------------------

const decodes = (c: Codec, u: unknown, check: (a: unknown) => boolean): boolean =>
  safely(() => {
    const v = c.decode(u)
    return v._tag === 'Right' && check(v.right)
  }, false)
const refuses = (c: Codec, u: unknown): boolean => safely(() => c.decode(u)._tag === 'Left', false)
const encodes = (c: Codec, a: unknown, expected: unknown): boolean => safely(() => c.encode?.(a) === expected, false)
const accepts = (c: Codec, u: unknown): boolean => safely(() => c.predicate?.(u) === true, false)

const uuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

// Refinements: io-ts's own `Int` (and the deprecated `Integer`), io-ts-types' `NonEmptyString` and
// `UUID`, each checked on its base and on a value it must accept and one it must refuse.
const knownRefinement = (c: Codec): Schema | undefined => {
  const base = c.type?._tag
  switch (c.name) {
    case 'Int':
    case 'Integer':
      return base === 'NumberType' && accepts(c, 3) && !accepts(c, 1.5) ? { type: 'integer' } : undefined
    case 'NonEmptyString':
      return base === 'StringType' && accepts(c, 'a') && !accepts(c, '') ? { type: 'string', minLength: 1 } : undefined
    case 'UUID':
      return base === 'StringType' &&
        accepts(c, '0123abcd-ABCD-0000-0000-000000000000') &&
        !accepts(c, 'x') &&
        !accepts(c, '0123abcd-ABCD-0000-0000-00000000000')
        ? { type: 'string', format: 'uuid', pattern: uuidPattern }
        : undefined
    default:
      return undefined
  }
}

const epoch = '1970-01-01T00:00:00.000Z'
const isDate = (u: unknown): u is Date => u instanceof Date

// Transformations of io-ts-types: the schema of what their `encode` writes.
const knownTransformation = (c: Codec): Schema | undefined => {
  if (c._tag !== undefined) return undefined
  switch (c.name) {
    case 'DateFromISOString':
      return decodes(c, epoch, (d) => isDate(d) && d.getTime() === 0) && encodes(c, new Date(0), epoch) ? { type: 'string', format: 'date-time' } : undefined
    case 'NumberFromString':
      return decodes(c, '1.5', (n) => n === 1.5) && encodes(c, 2, '2') && refuses(c, 2) ? { type: 'string' } : undefined
    case 'IntFromString':
      return decodes(c, '3', (n) => n === 3) && refuses(c, '1.5') && encodes(c, 2, '2') ? { type: 'string' } : undefined
    case 'BigIntFromString':
      return decodes(c, '12', (n) => typeof n === 'bigint' && n === BigInt(12)) && refuses(c, 12) ? { type: 'string' } : undefined
    case 'BooleanFromString':
      return decodes(c, 'true', (b) => b === true) && decodes(c, 'false', (b) => b === false) && refuses(c, 'x') && encodes(c, true, 'true')
        ? { type: 'string', enum: ['true', 'false'] }
        : undefined
    case 'BooleanFromNumber':
      return decodes(c, 0, (b) => b === false) && decodes(c, 2, (b) => b === true) && encodes(c, true, 1) ? { type: 'number' } : undefined
    case 'DateFromNumber':
      return decodes(c, 0, (d) => isDate(d) && d.getTime() === 0) && encodes(c, new Date(5), 5) ? { type: 'number' } : undefined
    case 'DateFromUnixTime':
      return decodes(c, 1, (d) => isDate(d) && d.getTime() === 1000) && refuses(c, 1.5) && encodes(c, new Date(2000), 2) ? { type: 'integer' } : undefined
    case 'JsonFromString':
      return decodes(c, '[1]', (a) => Array.isArray(a) && a[0] === 1) && refuses(c, '[') ? { type: 'string' } : undefined
    default:
      // nonEmptyArray(item) keeps no reference to its item codec: only "a non-empty array" is known.
      return typeof c.name === 'string' && c.name.startsWith('NonEmptyArray<') && refuses(c, []) && refuses(c, {}) ? { type: 'array', minItems: 1 } : undefined
  }
}
