/**
 * A JSON Schema (draft-07, as OpenRPC documents carry them) written as a TypeScript-like type on one
 * line, for `fp-jsonrpc list`: `{ minuend: number; subtrahend: number }`, `Tree[]`,
 * `"asc" | "desc"`. It is a reading aid, not a translation: what TypeScript cannot say (formats,
 * patterns, bounds) is left out, and a schema it does not understand reads `unknown`.
 *
 * The rules, keyword by keyword:
 *
 * - `true` and `{}` are `unknown`; `false` and `{ "not": {} }` are `never`; anything that is not a
 *   schema is `unknown`.
 * - `$ref` is the name it points at (its last segment: `#/components/schemas/Tree` is `Tree`); its
 *   siblings are ignored, as draft-07 says. A recursive type therefore reads by its name.
 * - `const` is the value as JSON (`"add"`, `1`, `null`); `enum` is the union of its values.
 * - `type` `string`, `number`, `boolean`, `null` are themselves; `integer` stays `integer` (it says
 *   more than `number`); a list of types is their union (`string | null`).
 * - An array is `T[]` for `items: T` (`unknown[]` without `items`), and `[A, B]` for `items: [A, B]`
 *   (a tuple), where an element at or past `minItems` is optional (`[A, B?]`).
 * - An object is `{ a: A; b?: B }`: a property not in `required` is optional. `additionalProperties`
 *   with a schema adds `[key: string]: T`; without properties that is `Record<string, T>`. An object
 *   schema with neither is `Record<string, unknown>` (`{}` when `additionalProperties` is `false`).
 *   A property name that is not an identifier is quoted.
 * - `anyOf` and `oneOf` are unions (`A | B`), `allOf` an intersection (`A & B`); alongside `type`
 *   they are intersected with it. Parentheses are added where the precedence needs them
 *   (`(A | B)[]`, `(A | B) & C`); the same member twice is written once.
 * - `format`, `pattern`, bounds, any other `not`, `if`/`then`/`else`, titles and descriptions are left out.
 * - Past a nesting depth of 16 a schema reads `...`, so a hostile document cannot exhaust the stack.
 *
 * @internal
 */
import { hasOwn, isRecord } from '../object.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** How tightly a written type binds: a union needs parentheses inside an intersection or an array. */
type Precedence = 0 | 1 | 2
const Union = 0
const Intersection = 1
const Atom = 2

interface Written {
  readonly text: string
  readonly precedence: Precedence
}

/** How deep a schema is written before the rest reads `...`. */
export const MAX_DEPTH = 16

// -------------------------------------------------------------------------------------
// destructors
// -------------------------------------------------------------------------------------

/** The schema as a TypeScript-like type on one line. Total: never throws. */
export const typeText = (schema: unknown): string => write(schema, 0).text

/** The name a `$ref` points at: the last segment of its JSON pointer, unescaped. */
export const refName = (ref: string): string => {
  const segment = ref.slice(ref.lastIndexOf('/') + 1)
  const name = segment.replace(/~1/g, '/').replace(/~0/g, '~')
  try {
    return decodeURIComponent(name)
  } catch {
    return name
  }
}

/** A property name as TypeScript writes it: bare when an identifier, else quoted. */
export const propertyKey = (name: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name))

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const atom = (text: string): Written => ({ text, precedence: Atom })

const UNKNOWN = atom('unknown')

const literal = (value: unknown): string => JSON.stringify(value) ?? 'unknown'

const wrapped = (w: Written, least: Precedence): string => (w.precedence < least ? `(${w.text})` : w.text)

const join = (members: ReadonlyArray<Written>, precedence: typeof Union | typeof Intersection): Written => {
  const unique: Array<Written> = []
  for (const m of members) if (!unique.some((u) => u.text === m.text)) unique.push(m)
  if (unique.length === 0) return UNKNOWN
  if (unique.length === 1) return unique[0]
  return { text: unique.map((m) => wrapped(m, precedence)).join(precedence === Union ? ' | ' : ' & '), precedence }
}

const list = (u: unknown): ReadonlyArray<unknown> | undefined => (Array.isArray(u) ? u : undefined)

const write = (schema: unknown, depth: number): Written => {
  if (schema === true) return UNKNOWN
  if (schema === false) return atom('never')
  if (!isRecord(schema)) return UNKNOWN
  if (depth >= MAX_DEPTH) return atom('...')
  const next = depth + 1
  if (typeof schema['$ref'] === 'string') return atom(refName(schema['$ref']))
  if (schema['not'] === true || (isRecord(schema['not']) && Object.keys(schema['not']).length === 0)) return atom('never')
  if (hasOwn(schema, 'const')) return atom(literal(schema['const']))
  const values = list(schema['enum'])
  if (values !== undefined)
    return join(
      values.map((v) => atom(literal(v))),
      Union,
    )

  const parts: Array<Written> = []
  const types = typeof schema['type'] === 'string' ? [schema['type']] : list(schema['type'])?.filter((t): t is string => typeof t === 'string')
  if (types !== undefined && types.length > 0)
    parts.push(
      join(
        types.map((t) => ofType(schema, t, next)),
        Union,
      ),
    )
  else if (isRecord(schema['properties']) || hasOwn(schema, 'additionalProperties')) parts.push(ofType(schema, 'object', next))
  else if (hasOwn(schema, 'items')) parts.push(ofType(schema, 'array', next))
  for (const key of ['anyOf', 'oneOf'] as const) {
    const members = list(schema[key])
    if (members !== undefined && members.length > 0)
      parts.push(
        join(
          members.map((m) => write(m, next)),
          Union,
        ),
      )
  }
  const all = list(schema['allOf'])
  if (all !== undefined) for (const m of all) parts.push(write(m, next))
  return join(parts, Intersection)
}

const ofType = (schema: Readonly<Record<string, unknown>>, type: string, depth: number): Written => {
  switch (type) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return atom(type)
    case 'array':
      return array(schema, depth)
    case 'object':
      return object(schema, depth)
    default:
      return UNKNOWN
  }
}

const array = (schema: Readonly<Record<string, unknown>>, depth: number): Written => {
  const items = schema['items']
  const tuple = list(items)
  if (tuple === undefined) return atom(`${items === undefined ? 'unknown' : wrapped(write(items, depth), Atom)}[]`)
  const min = typeof schema['minItems'] === 'number' ? schema['minItems'] : tuple.length
  return atom(`[${tuple.map((item, i) => `${write(item, depth).text}${i >= min ? '?' : ''}`).join(', ')}]`)
}

const object = (schema: Readonly<Record<string, unknown>>, depth: number): Written => {
  const properties = isRecord(schema['properties']) ? schema['properties'] : {}
  const required = list(schema['required']) ?? []
  const members = Object.keys(properties).map((name) => `${propertyKey(name)}${required.includes(name) ? '' : '?'}: ${write(properties[name], depth).text}`)
  const additional = schema['additionalProperties']
  const rest = additional === undefined || additional === true ? undefined : additional === false ? false : write(additional, depth).text
  if (members.length === 0) return atom(rest === false ? '{}' : `Record<string, ${rest ?? 'unknown'}>`)
  if (typeof rest === 'string') members.push(`[key: string]: ${rest}`)
  return atom(`{ ${members.join('; ')} }`)
}
