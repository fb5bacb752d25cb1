/**
 * A faster `is` for the commonest params codec: a `t.type` whose members are `t.number`,
 * `t.string`, `t.boolean`, `t.null`, `t.unknown` or a `t.literal` of one of those. io-ts's own `is`
 * reads the members by a key it holds in a variable, in code shared by every `t.type` of the
 * process, so once a program has a few contracts those reads stop being specialised to any of them.
 * Here each contract gets its own function, compiled once from its member names, which reads each
 * member by name (measured: a quarter to a third of what the params step costs).
 *
 * The verdict is io-ts's, value for value (a property test holds the two equal): a record (not null,
 * an object, not an array), then each member as its codec's `is` takes it, a missing member failing
 * every codec but `t.unknown`, which takes a member that is present and holds `undefined`.
 *
 * Only the codec's own names go into the code, each quoted with `JSON.stringify` (a string literal,
 * never code), and literal values likewise; no part of a request ever does. A codec of any other
 * shape, a member named `__proto__`, or a runtime that does not allow compiling code (a
 * Content-Security-Policy without `unsafe-eval`) gets `undefined`, and the caller keeps io-ts's `is`.
 *
 * @internal
 */
import * as t from 'io-ts'
import { hasOwn } from './object.js'

/**
 * What a check of one member compiles to, given the expression that reads it and the expression
 * that tells whether it is an own member (`undefined` where it is known to be one).
 */
type Check = (read: string, own: string | undefined) => string

// io-ts's own `is` of a `t.type`, as text: a `t.type` whose `is` is another (a hand-made
// InterfaceType) keeps it.
const TYPE_IS_SOURCE = t.type({}).is.toString()
const LITERAL_IS_SOURCE = t.literal('').is.toString()

const checkOf = (codec: t.Any): Check | undefined => {
  if (codec === t.number) return (read) => `typeof ${read} === "number"`
  if (codec === t.string) return (read) => `typeof ${read} === "string"`
  if (codec === t.boolean) return (read) => `typeof ${read} === "boolean"`
  if (codec === t.null) return (read) => `${read} === null`
  if (codec === t.unknown) return (read, own) => (own === undefined ? 'true' : `(${read} !== undefined || ${own})`)
  if (codec instanceof t.LiteralType && codec.is.toString() === LITERAL_IS_SOURCE) {
    const value: unknown = codec.value
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
      const text = JSON.stringify(value)
      return (read) => `${read} === ${text}`
    }
  }
  return undefined
}

/** The member names and checks of a `t.type` of the shapes above; `undefined` for any other codec. */
const membersOf = (codec: t.Any): ReadonlyArray<readonly [string, Check]> | undefined => {
  if (!(codec instanceof t.InterfaceType) || codec.is.toString() !== TYPE_IS_SOURCE) return undefined
  const props = (codec as t.InterfaceType<t.Props>).props
  const members: Array<readonly [string, Check]> = []
  for (const name of Object.keys(props)) {
    const check = checkOf(props[name])
    if (check === undefined || name === '__proto__') return undefined
    members.push([name, check])
  }
  return members
}

const compile = <F>(body: string, probe: (f: F) => boolean): F | undefined => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- deliberate, documented above: only the contract's own names, quoted, go into the code
    const make = new Function('hasOwn', `return ${body}`) as (has: typeof hasOwn) => F
    const f = make(hasOwn)
    return probe(f) ? f : undefined
  } catch {
    return undefined
  }
}

/**
 * The `is` of `codec`, compiled, when it is a `t.type` of the shapes above; `undefined` otherwise.
 */
export const compiledIs = (codec: t.Any): ((u: unknown) => boolean) | undefined => {
  const members = membersOf(codec)
  if (members === undefined) return undefined
  const checks = members.map(([name, check]) => check(`u[${JSON.stringify(name)}]`, `hasOwn(u, ${JSON.stringify(name)})`))
  const body = `function (u) { return u !== null && typeof u === "object" && !Array.isArray(u)${checks.map((c) => ` && ${c}`).join('')} }`
  // Checked once on a value the codec refuses, so that a runtime whose `new Function` misbehaves keeps io-ts's `is`.
  return compile<(u: unknown) => boolean>(body, (f) => f(null) === false && f([]) === false)
}

/**
 * For positional params: the object of `order`'s names (as `Params.namer` makes it) when `codec.is`
 * holds for it, `undefined` when it does not; both in one compiled function that reads each element
 * once. Made only when `order` names exactly the codec's members, and the codec is of the shapes
 * above; `undefined` otherwise.
 */
export const compiledNamer = (
  codec: t.Any,
  order: ReadonlyArray<string>,
): ((params: ReadonlyArray<unknown>) => Record<string, unknown> | undefined) | undefined => {
  const members = membersOf(codec)
  if (members === undefined || members.length !== order.length || new Set(order).size !== order.length) return undefined
  const index = new Map(order.map((name, i) => [name, i]))
  const checks: Array<string> = []
  for (const [name, check] of members) {
    const i = index.get(name)
    if (i === undefined) return undefined
    // Every name is an own member of the object made below, so `t.unknown` takes any element.
    checks.push(check(`v${i}`, undefined))
  }
  const reads = order.map((_, i) => `const v${i} = p[${i}]`).join('; ')
  const object = `{${order.map((name, i) => `${JSON.stringify(name)}: v${i}`).join(', ')}}`
  const body = `function (p) { ${reads}; return ${checks.length === 0 ? 'true' : checks.join(' && ')} ? ${object} : undefined }`
  return compile<(params: ReadonlyArray<unknown>) => Record<string, unknown> | undefined>(body, (f) => {
    const made = f(order.map(() => undefined))
    // `undefined` for every element passes only where each member is `t.unknown`.
    return made === undefined || (Object.keys(made).length === order.length && order.every((name) => made[name] === undefined))
  })
}
