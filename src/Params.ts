/**
 * Params validation: from a contract's codec to a decoder of the params a request carries, and the
 * failures as data ({@link ParamIssue}), each with the path that failed.
 *
 * Turning issues into text is a separate step (see `ParamReporter`), as io-ts keeps its errors
 * apart from its `PathReporter`.
 *
 * @since 0.1.0
 */
import type { Either } from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { compiledIs, compiledNamer } from './internal/compiledIs.js'
import type * as Method from './Method.js'
import type { Params } from './RpcRequest.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One thing wrong with the params: where (`["params", 1]` or `["params", "subtrahend", "x"]`), what
 * the codec expected there, and what was found (`undefined` when the member is missing).
 *
 * @category model
 * @since 0.1.0
 */
export interface ParamIssue {
  readonly path: ReadonlyArray<string | number>
  readonly expected: string
  readonly actual: unknown
  /** The codec's own message, when it gave one. */
  readonly message?: string
}

/**
 * A method's params decoder: reads the request's params (by position or by name) as the contract's
 * params, or gives the issues found.
 *
 * @category model
 * @since 0.1.0
 */
export type Decoder = (params: Params | undefined) => Either<ReadonlyArray<ParamIssue>, unknown>

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The params decoder of a contract, built once per method.
 *
 * By-name contracts take an object as it is and an array in `paramOrder` (more elements than names
 * is an issue); absent params are `{}`. Other contracts get the params as sent, absent ones as `[]`.
 *
 * Speed: when the codec's `encode` is io-ts's `identity`, a value for which `is` holds is taken
 * without running `decode`. The io-ts law `decode(encode(a)) = right(a)` makes that exact: with an
 * identity `encode` it says `decode(a) = right(a)` for every `a` that `is` accepts. Values that fail
 * `is` still go through `decode`, which finds the issues (or, for a lax codec, succeeds).
 *
 * @category constructors
 * @since 0.1.0
 */
export const decoder = (method: Method.AnyMethod): Decoder => {
  const codec: t.Any = method.params
  const order = method.paramOrder
  const identity = codec.encode === t.identity
  const is = (identity ? compiledIs(codec) : undefined) ?? ((u: unknown) => codec.is(u))
  const validate = identity
    ? (u: unknown, positional: boolean): Either<ReadonlyArray<ParamIssue>, unknown> =>
        is(u) ? { _tag: 'Right', right: u } : fromValidation(codec.decode(u), order, positional)
    : (u: unknown, positional: boolean): Either<ReadonlyArray<ParamIssue>, unknown> => fromValidation(codec.decode(u), order, positional)
  if (order === undefined) return (params) => validate(params === undefined ? [] : params, false)
  const byName = namer(order)
  // A full set of positional params is named and checked in one step where the codec allows it.
  const checkedNamer = identity ? compiledNamer(codec, order) : undefined
  return (params) => {
    if (params === undefined) return validate({}, false)
    if (!Array.isArray(params)) return validate(params, false)
    if (params.length > order.length) return tooMany(order, params)
    if (params.length < order.length) return validate(nameSome(order, params), true)
    const named = checkedNamer?.(params)
    // Refused (or no compiled namer): the codec's `is`, then its `decode`, which finds the issues.
    return named !== undefined ? { _tag: 'Right', right: named } : validate(byName(params), true)
  }
}

// More positional params than the contract has names.
const tooMany = (order: ReadonlyArray<string>, params: ReadonlyArray<unknown>): Either<ReadonlyArray<ParamIssue>, never> => ({
  _tag: 'Left',
  left: [
    {
      path: ['params'],
      expected: `at most ${order.length} parameters`,
      actual: params.length,
      message: `expected at most ${order.length} parameters, got ${params.length}`,
    },
  ],
})

// -------------------------------------------------------------------------------------
// internal: positional params under their names
// -------------------------------------------------------------------------------------

type Namer = (params: ReadonlyArray<unknown>) => Record<string, unknown>

// The first `params.length` names of `order`, added one by one.
const nameSome = (order: ReadonlyArray<string>, params: ReadonlyArray<unknown>): Record<string, unknown> => {
  const named: Record<string, unknown> = {}
  for (let i = 0; i < params.length; i++) named[order[i]] = params[i]
  return named
}

/**
 * Makes the object of a full set of positional params, one value per name of `order`.
 *
 * Adding names one by one to `{}` costs 40-50 ns a call here, about a quarter of what the dispatcher
 * adds to a request (bench/), where an object literal with the same names takes 10-15 ns. So the
 * literal is compiled, once per contract, with `new Function`. Only the contract's own parameter
 * names go into the code, each quoted with `JSON.stringify`, which makes it a string literal and
 * never code; no part of a request ever does. `__proto__`, which a literal would read as the
 * prototype, is refused by `Method.make` and kept off this path besides. (Computed keys would
 * handle it, but their objects measured slower to make and to read than the plain literal's.)
 * Where compiling code is not allowed (a Content-Security-Policy without `unsafe-eval`, some edge
 * runtimes), the names are added one by one, with the same result.
 *
 * @internal
 */
export const namer = (order: ReadonlyArray<string>): Namer => {
  const slow: Namer = (params) => nameSome(order, params)
  if (order.length === 0 || order.includes('__proto__')) return slow
  const body = `return {${order.map((name, i) => `${JSON.stringify(name)}: p[${i}]`).join(', ')}}`
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- deliberate, documented above: a literal compiled from the method's own param names, with a checked fallback
    const fast = new Function('p', body) as Namer
    // Checked once, so that a runtime whose `new Function` misbehaves keeps the plain path.
    const probe = order.map((_, i) => i)
    const made = fast(probe)
    return Object.keys(made).length === order.length && order.every((name, i) => made[name] === i) ? fast : slow
  } catch {
    return slow
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const fromValidation = (v: t.Validation<unknown>, order: ReadonlyArray<string> | undefined, positional: boolean): Either<ReadonlyArray<ParamIssue>, unknown> =>
  v._tag === 'Right' ? v : { _tag: 'Left', left: issuesOf(v.left, order, positional) }

// Union and intersection members add a context entry keyed by the member's index, which is not a
// place in the params; such keys are left out of paths.
const isCombinator = (type: t.Decoder<unknown, unknown>): boolean => {
  const tag = (type as { _tag?: unknown })._tag
  return tag === 'UnionType' || tag === 'IntersectionType'
}

/**
 * Issues from io-ts validation errors. With `positional`, the first path segment (a parameter name)
 * is given as its index in `order`, so that an array sent as `[42, "x"]` is told about `params.1`.
 * Duplicates (a union reports once per member) are merged.
 *
 * @category utils
 * @since 0.1.0
 */
export const issuesOf = (errors: t.Errors, order: ReadonlyArray<string> | undefined, positional: boolean): ReadonlyArray<ParamIssue> => {
  const seen = new Set<string>()
  const out: Array<ParamIssue> = []
  for (const error of errors) {
    const path: Array<string | number> = ['params']
    let expected = error.context[0]?.type.name ?? 'params'
    for (let i = 1; i < error.context.length; i++) {
      const entry = error.context[i]
      const parent = error.context[i - 1].type
      if (isCombinator(parent)) continue
      const key = path.length === 1 && positional && order !== undefined ? order.indexOf(entry.key) : entry.key
      path.push(typeof key === 'string' && /^\d+$/.test(key) && Array.isArray(error.context[i - 1].actual) ? Number(key) : key)
      expected = entry.type.name
    }
    const dedupe = `${path.join('\u0000')}\u0001${expected}`
    if (seen.has(dedupe)) continue
    seen.add(dedupe)
    out.push(error.message === undefined ? { path, expected, actual: error.value } : { path, expected, actual: error.value, message: error.message })
  }
  return out
}
