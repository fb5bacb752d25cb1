/**
 * OpenRPC 1.3.2 service descriptions: the document model, a codec that reads one, and
 * {@link document}, which builds the document of a registry from its contracts (what `rpc.discover`
 * answers when `Registry.withDiscovery` turns it on).
 *
 * Version 1.3.2 because it is the newest one that today's OpenRPC tools (the generator, the mock
 * server, test-coverage) accept; they refuse 1.4.
 *
 * **From a contract to a method object.** A contract whose params are by name (see `Method`) takes
 * both forms, so its `paramStructure` is `"either"` and each parameter is a content descriptor, in the
 * declared order, `required` unless its codec accepts an absent value. A tuple's elements are
 * positional descriptors named `arg0`, `arg1`, ... (`"by-position"`). Any other params codec (an array
 * of any length, a union) has no list of descriptors: its params are `[]` and the schema of the whole
 * params value is under the extension `x-params`. The result is the result codec's schema (with
 * `null` allowed when the codec accepts `undefined`, which the server writes as `null`). Each member
 * of the error codec with a literal `code` is an error object; its message is the literal `message`
 * when there is one, else the codec's name; the schemas of their `data` are under the method's
 * extension `x-error-data`, by code, as 1.3.2's error object takes no extension member. Schemas of
 * recursive codecs, and of named codecs used more than once, are in `components.schemas` (see
 * `JsonSchema`).
 *
 * @since 0.2.0
 */
import * as t from 'io-ts'
import * as Introspection from './Introspection.js'
import * as JsonSchema from './JsonSchema.js'
import * as Method from './Method.js'
import type { Registry } from './Registry.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * An OpenRPC document: the service's description.
 *
 * @category model
 * @since 0.2.0
 */
export interface Document {
  readonly openrpc: string
  readonly info: Info
  readonly servers?: ReadonlyArray<Server>
  readonly methods: ReadonlyArray<MethodObject | Reference>
  readonly components?: Components
}

/**
 * What the service is: its title and version (both required), and a description.
 *
 * @category model
 * @since 0.2.0
 */
export interface Info {
  readonly title: string
  readonly version: string
  readonly description?: string
  readonly termsOfService?: string
}

/**
 * Where the service answers.
 *
 * @category model
 * @since 0.2.0
 */
export interface Server {
  readonly url: string
  readonly name?: string
  readonly summary?: string
  readonly description?: string
}

/**
 * A `$ref` to a component.
 *
 * @category model
 * @since 0.2.0
 */
export interface Reference {
  readonly $ref: string
}

/**
 * One method: its name, params, result, errors and what else describes it. The two `x-` members are
 * this library's extensions (see the module comment).
 *
 * @category model
 * @since 0.2.0
 */
export interface MethodObject {
  readonly name: string
  readonly params: ReadonlyArray<ContentDescriptor | Reference>
  readonly result?: ContentDescriptor | Reference
  readonly paramStructure?: ParamStructure
  readonly summary?: string
  readonly description?: string
  readonly deprecated?: boolean
  readonly tags?: ReadonlyArray<Tag | Reference>
  readonly errors?: ReadonlyArray<ErrorObject | Reference>
  readonly examples?: ReadonlyArray<ExamplePairing | Reference>
  /** The schema of the whole params value, when the params have no list of descriptors. */
  readonly 'x-params'?: JsonSchema.Schema
  /** The schema of each declared error's `data`, by its code. */
  readonly 'x-error-data'?: Readonly<Record<string, JsonSchema.Schema>>
}

/**
 * How a method takes its params: `"by-position"` (an array), `"by-name"` (an object) or `"either"`.
 *
 * @category model
 * @since 0.2.0
 */
export type ParamStructure = 'by-position' | 'by-name' | 'either'

/**
 * A named value with its schema: a parameter, or the result.
 *
 * @category model
 * @since 0.2.0
 */
export interface ContentDescriptor {
  readonly name: string
  readonly schema: JsonSchema.Schema
  readonly required?: boolean
  readonly summary?: string
  readonly description?: string
  readonly deprecated?: boolean
}

/**
 * An error a method may answer with.
 *
 * @category model
 * @since 0.2.0
 */
export interface ErrorObject {
  readonly code: number
  readonly message: string
  readonly data?: unknown
}

/**
 * A tag that groups methods.
 *
 * @category model
 * @since 0.2.0
 */
export interface Tag {
  readonly name: string
  readonly description?: string
}

/**
 * One example of a method: params (by parameter name) and the result.
 *
 * @category model
 * @since 0.2.0
 */
export interface ExamplePairing {
  readonly name: string
  readonly summary?: string
  readonly description?: string
  readonly params: ReadonlyArray<Example | Reference>
  readonly result?: Example | Reference
}

/**
 * One example value.
 *
 * @category model
 * @since 0.2.0
 */
export interface Example {
  readonly name: string
  readonly value: unknown
  readonly summary?: string
  readonly description?: string
}

/**
 * Reusable parts of a document; this library writes `schemas` only.
 *
 * @category model
 * @since 0.2.0
 */
export interface Components {
  readonly schemas?: Readonly<Record<string, JsonSchema.Schema>>
  readonly contentDescriptors?: Readonly<Record<string, ContentDescriptor>>
  readonly errors?: Readonly<Record<string, ErrorObject>>
  readonly tags?: Readonly<Record<string, Tag>>
  readonly examples?: Readonly<Record<string, Example>>
  readonly examplePairings?: Readonly<Record<string, ExamplePairing>>
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The OpenRPC version of the documents this module writes.
 *
 * @category constants
 * @since 0.2.0
 */
export const version = '1.3.2'

/**
 * The `$ref` prefix of a document's shared schemas.
 *
 * @category constants
 * @since 0.2.0
 */
export const schemasPrefix = '#/components/schemas/'

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

// Each codec checks the members this model types and keeps every other member as it is (`t.type`
// and `t.partial` do not strip), so a document with extensions or newer members still reads.
const withOptional = <R extends t.Props, O extends t.Props>(required: R, optional: O, name: string) =>
  t.intersection([t.type(required), t.partial(optional)], name)

const SchemaCodec: t.Type<JsonSchema.Schema, JsonSchema.Schema, unknown> = new t.Type<JsonSchema.Schema, JsonSchema.Schema, unknown>(
  'Schema',
  (u): u is JsonSchema.Schema => typeof u === 'object' && u !== null && !Array.isArray(u),
  (u, c) =>
    typeof u === 'object' && u !== null && !Array.isArray(u)
      ? t.success(u as JsonSchema.Schema)
      : typeof u === 'boolean'
        ? t.success(u ? {} : JsonSchema.nothing)
        : t.failure(u, c),
  t.identity,
)

/**
 * Codec of a `$ref`.
 *
 * @category codecs
 * @since 0.2.0
 */
export const ReferenceCodec: t.Type<Reference, Reference, unknown> = t.type({ $ref: t.string }, 'Reference')

/**
 * Codec of {@link Info}.
 *
 * @category codecs
 * @since 0.2.0
 */
export const InfoCodec: t.Type<Info, Info, unknown> = withOptional(
  { title: t.string, version: t.string },
  { description: t.string, termsOfService: t.string },
  'Info',
)

/**
 * Codec of {@link Server}.
 *
 * @category codecs
 * @since 0.2.0
 */
export const ServerCodec: t.Type<Server, Server, unknown> = withOptional(
  { url: t.string },
  { name: t.string, summary: t.string, description: t.string },
  'Server',
)

/**
 * Codec of {@link ContentDescriptor}.
 *
 * @category codecs
 * @since 0.2.0
 */
export const ContentDescriptorCodec: t.Type<ContentDescriptor, ContentDescriptor, unknown> = withOptional(
  { name: t.string, schema: SchemaCodec },
  { required: t.boolean, summary: t.string, description: t.string, deprecated: t.boolean },
  'ContentDescriptor',
)

/**
 * Codec of {@link ErrorObject}.
 *
 * @category codecs
 * @since 0.2.0
 */
export const ErrorObjectCodec: t.Type<ErrorObject, ErrorObject, unknown> = withOptional(
  { code: t.number, message: t.string },
  { data: t.unknown },
  'ErrorObject',
)

/**
 * Codec of {@link Tag}.
 *
 * @category codecs
 * @since 0.2.0
 */
export const TagCodec: t.Type<Tag, Tag, unknown> = withOptional({ name: t.string }, { description: t.string }, 'Tag')

/**
 * Codec of {@link Example}.
 *
 * @category codecs
 * @since 0.2.0
 */
export const ExampleCodec: t.Type<Example, Example, unknown> = withOptional(
  { name: t.string, value: t.unknown },
  { summary: t.string, description: t.string },
  'Example',
)

const orReference = <A>(codec: t.Type<A, A, unknown>): t.Type<A | Reference, A | Reference, unknown> => t.union([ReferenceCodec, codec])

/**
 * Codec of {@link ExamplePairing}.
 *
 * @category codecs
 * @since 0.2.0
 */
export const ExamplePairingCodec: t.Type<ExamplePairing, ExamplePairing, unknown> = withOptional(
  { name: t.string, params: t.readonlyArray(orReference(ExampleCodec)) },
  { summary: t.string, description: t.string, result: orReference(ExampleCodec) },
  'ExamplePairing',
)

/**
 * Codec of {@link MethodObject}.
 *
 * @category codecs
 * @since 0.2.0
 */
export const MethodObjectCodec: t.Type<MethodObject, MethodObject, unknown> = withOptional(
  { name: t.string, params: t.readonlyArray(orReference(ContentDescriptorCodec)) },
  {
    result: orReference(ContentDescriptorCodec),
    paramStructure: t.keyof({ 'by-position': null, 'by-name': null, either: null }),
    summary: t.string,
    description: t.string,
    deprecated: t.boolean,
    tags: t.readonlyArray(orReference(TagCodec)),
    errors: t.readonlyArray(orReference(ErrorObjectCodec)),
    examples: t.readonlyArray(orReference(ExamplePairingCodec)),
    'x-params': SchemaCodec,
    'x-error-data': t.record(t.string, SchemaCodec),
  },
  'MethodObject',
)

/**
 * Codec of {@link Components}.
 *
 * @category codecs
 * @since 0.2.0
 */
export const ComponentsCodec: t.Type<Components, Components, unknown> = t.partial(
  {
    schemas: t.record(t.string, SchemaCodec),
    contentDescriptors: t.record(t.string, ContentDescriptorCodec),
    errors: t.record(t.string, ErrorObjectCodec),
    tags: t.record(t.string, TagCodec),
    examples: t.record(t.string, ExampleCodec),
    examplePairings: t.record(t.string, ExamplePairingCodec),
  },
  'Components',
)

/**
 * Codec of an OpenRPC {@link Document}: what `Client.discover` decodes the answer of `rpc.discover`
 * with. Lenient: members it does not type are kept, unchecked, and any `openrpc` version string is
 * read.
 *
 * @category codecs
 * @since 0.2.0
 */
export const Document: t.Type<Document, Document, unknown> = withOptional(
  { openrpc: t.string, info: InfoCodec, methods: t.readonlyArray(orReference(MethodObjectCodec)) },
  { servers: t.readonlyArray(ServerCodec), components: ComponentsCodec },
  'OpenRpcDocument',
)

// -------------------------------------------------------------------------------------
// contracts
// -------------------------------------------------------------------------------------

/**
 * The contract of `rpc.discover`: no params, the service's OpenRPC document as its result.
 *
 * @category constants
 * @since 0.2.0
 */
export const Discover = Method.make({
  name: 'rpc.discover',
  result: Document,
  description: "Gives this service's OpenRPC document.",
})

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * What a service says of itself in its document: `info` (title and version required, a
 * description) and where it answers (`servers`); `overrides` are handed to `JsonSchema` (a schema for
 * a codec it cannot describe).
 *
 * @category model
 * @since 0.2.0
 */
export interface Options {
  readonly title: string
  readonly version: string
  readonly description?: string
  readonly servers?: ReadonlyArray<Server>
  readonly overrides?: JsonSchema.Options['overrides']
}

/**
 * The OpenRPC document of a registry: its methods in the order they were added, then the
 * introspection methods when it answers them (`rpc.discover` itself is the specification's and is
 * not listed). See the module comment for how a contract becomes a method object.
 *
 * @example
 * import * as assert from 'node:assert'
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Method, OpenRpc, Registry } from 'fp-jsonrpc'
 *
 * const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
 * const registry = pipe(Registry.empty, Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)))
 * const doc = pipe(registry, OpenRpc.document({ title: 'Calculator', version: '1.0.0' }))
 * assert.deepStrictEqual(doc.methods[0], {
 *   name: 'subtract',
 *   paramStructure: 'either',
 *   params: [
 *     { name: 'minuend', required: true, schema: { type: 'number' } },
 *     { name: 'subtrahend', required: true, schema: { type: 'number' } },
 *   ],
 *   result: { name: 'result', schema: { type: 'number' } },
 * })
 *
 * @category constructors
 * @since 0.2.0
 */
export const document =
  (options: Options) =>
  <C>(registry: Registry<C>): Document => {
    const methods: Array<Method.AnyMethod> = [...registry.entries.values()].map((entry) => entry.method)
    if (registry.introspection) methods.push(Introspection.ListMethods, Introspection.MethodHelp, Introspection.MethodSignature)
    return fromMethods(methods, options)
  }

/**
 * The OpenRPC document of a list of contracts, in that order (what {@link document} gives for a
 * registry).
 *
 * @category constructors
 * @since 0.2.0
 */
export const fromMethods = (methods: ReadonlyArray<Method.AnyMethod>, options: Options): Document => {
  // Every codec is converted in one pass, so that schemas shared across methods become components.
  const codecs: Array<t.Any> = []
  const slot = (codec: t.Any): number => codecs.push(codec) - 1
  const plans = methods.map((method) => plan(method, slot))
  const { schemas, definitions } = JsonSchema.collect(codecs, {
    refPrefix: schemasPrefix,
    ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
  })
  const info: Info = {
    title: options.title,
    version: options.version,
    ...(options.description === undefined ? {} : { description: options.description }),
  }
  return {
    openrpc: version,
    info,
    ...(options.servers === undefined ? {} : { servers: options.servers }),
    methods: plans.map((p) => p(schemas)),
    ...(Object.keys(definitions).length === 0 ? {} : { components: { schemas: definitions } }),
  }
}

// -------------------------------------------------------------------------------------
// internal: from a contract to a method object
// -------------------------------------------------------------------------------------

interface Tagged {
  readonly _tag?: string
  readonly name: string
  readonly type?: t.Any
  readonly types?: ReadonlyArray<t.Any>
  readonly props?: Readonly<Record<string, t.Any>>
  readonly value?: unknown
}

// The names an object codec requires, looking through what `Method.propsOf` looks through.
const requiredOf = (codec: t.Any): ReadonlySet<string> => {
  const c = codec as Tagged
  switch (c._tag) {
    case 'InterfaceType':
    case 'StrictType':
      return new Set(Object.entries(c.props ?? {}).flatMap(([name, member]) => (JsonSchema.isOptional(member) ? [] : [name])))
    case 'ExactType':
    case 'RefinementType':
    case 'ReadonlyType':
      return c.type === undefined ? new Set() : requiredOf(c.type)
    case 'IntersectionType':
      return new Set((c.types ?? []).flatMap((member) => [...requiredOf(member)]))
    default:
      return new Set()
  }
}

// A tuple codec's elements, through `t.readonly` and refinements; `undefined` for any other codec.
const tupleOf = (codec: t.Any): ReadonlyArray<t.Any> | undefined => {
  const c = codec as Tagged
  if (c._tag === 'TupleType') return c.types
  if ((c._tag === 'ReadonlyType' || c._tag === 'RefinementType') && c.type !== undefined) return tupleOf(c.type)
  return undefined
}

// The members of an error codec that declare one error: a literal numeric `code`.
const errorsOf = (codec: t.Any): ReadonlyArray<{ readonly code: number; readonly message: string; readonly data: t.Any | undefined }> => {
  const c = codec as Tagged
  if (c._tag === 'UnionType') return (c.types ?? []).flatMap(errorsOf)
  const props = Method.propsOf(codec)
  const code = props?.['code'] as Tagged | undefined
  if (props === undefined || code?._tag !== 'LiteralType' || typeof code.value !== 'number') return []
  const message = props['message'] as Tagged | undefined
  return [{ code: code.value, message: message?._tag === 'LiteralType' && typeof message.value === 'string' ? message.value : codec.name, data: props['data'] }]
}

const orNull = (schema: JsonSchema.Schema): JsonSchema.Schema => (Object.keys(schema).length === 0 ? schema : { anyOf: [schema, { type: 'null' }] })

const encoded = (codec: t.Any, value: unknown): unknown => {
  const out = codec.encode(value) as unknown
  return out === undefined ? null : out
}

type Plan = (schemas: ReadonlyArray<JsonSchema.Schema>) => MethodObject

const plan = (method: Method.AnyMethod, slot: (codec: t.Any) => number): Plan => {
  const order = method.paramOrder
  const props = Method.propsOf(method.params) ?? {}
  const elements = order === undefined ? tupleOf(method.params) : undefined
  const paramSlots =
    order !== undefined
      ? order.map((name) => ({ name, at: slot(props[name] ?? unknownCodec), required: requiredOf(method.params).has(name) }))
      : elements !== undefined
        ? elements.map((element, i) => ({ name: `arg${i}`, at: slot(element), required: !JsonSchema.isOptional(element) }))
        : undefined
  const wholeParams = paramSlots === undefined ? slot(method.params) : undefined
  const paramStructure: ParamStructure = order !== undefined ? 'either' : 'by-position'
  const resultSlot = slot(method.result)
  const resultOptional = JsonSchema.isOptional(method.result)
  const errors = method.error === undefined ? [] : errorsOf(method.error as t.Any)
  const dataSlots = errors.map((error) => (error.data === undefined ? undefined : slot(error.data)))
  return (schemas) => {
    const params: Array<ContentDescriptor> = (paramSlots ?? []).map((p) => ({ name: p.name, required: p.required, schema: schemas[p.at] }))
    const errorData: Record<string, JsonSchema.Schema> = {}
    dataSlots.forEach((at, i) => {
      if (at !== undefined) errorData[String(errors[i].code)] = schemas[at]
    })
    const examples = (method.examples ?? []).map((example) => examplePairing(method, example, order, elements !== undefined))
    return {
      name: method.name,
      ...(method.summary === undefined ? {} : { summary: method.summary }),
      ...(method.description === '' ? {} : { description: method.description }),
      ...(method.tags === undefined ? {} : { tags: method.tags.map((name) => ({ name })) }),
      paramStructure,
      params,
      ...(wholeParams === undefined ? {} : { 'x-params': schemas[wholeParams] }),
      result: { name: 'result', schema: resultOptional ? orNull(schemas[resultSlot]) : schemas[resultSlot] },
      ...(errors.length === 0 ? {} : { errors: errors.map(({ code, message }) => ({ code, message })) }),
      ...(Object.keys(errorData).length === 0 ? {} : { 'x-error-data': errorData }),
      ...(examples.length === 0 ? {} : { examples }),
      ...(method.deprecated === undefined ? {} : { deprecated: method.deprecated }),
    }
  }
}

const unknownCodec: t.Any = t.unknown

// Trailing absent elements are left out, as a client sends them; one before a present element can
// only be `null` in JSON.
const trimmed = (values: ReadonlyArray<unknown>): ReadonlyArray<unknown> => {
  let n = values.length
  while (n > 0 && values[n - 1] === undefined) n--
  return values.slice(0, n)
}

// An example's params by parameter name (by-name contracts), as `arg0`, `arg1`, ... (tuples), or
// as one value named `params` (any other params codec); values as the codecs encode them.
const examplePairing = (
  method: Method.AnyMethod,
  example: Method.Example<unknown, unknown>,
  order: ReadonlyArray<string> | undefined,
  positional: boolean,
): ExamplePairing => {
  const params = encoded(method.params, example.params)
  const values: ReadonlyArray<Example> =
    order !== undefined && typeof params === 'object' && params !== null
      ? order.flatMap((name) => {
          // An absent param (or one holding `undefined`, which JSON leaves out) is not in the example.
          const value = Object.hasOwn(params, name) ? (params as Record<string, unknown>)[name] : undefined
          return value === undefined ? [] : [{ name, value }]
        })
      : positional && Array.isArray(params)
        ? trimmed(params).map((value, i) => ({ name: `arg${i}`, value: value ?? null }))
        : [{ name: 'params', value: params }]
  return {
    name: example.name,
    ...(example.summary === undefined ? {} : { summary: example.summary }),
    ...(example.description === undefined ? {} : { description: example.description }),
    params: values,
    ...('result' in example ? { result: { name: 'result', value: encoded(method.result, example.result) } } : {}),
  }
}
