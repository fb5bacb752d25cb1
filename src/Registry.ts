/**
 * An immutable set of implemented methods: each contract paired with its handler, looked up by
 * name. Built by composition with `pipe`; every "change" returns a new registry.
 *
 * Lookup is by own name only (a `Map`), so `toString`, `constructor` or `__proto__` resolve to nothing
 * unless registered. Names starting with `rpc.` are reserved by the specification and refused, and
 * a name registered twice is refused: both are programming mistakes, so they throw a `TypeError`
 * where the registry is built, at start-up, rather than surface as wire errors later.
 *
 * The type parameter `C` is the context the handlers need; adding a handler that needs more widens
 * it (`Registry<A>` + a handler of `B` = `Registry<A & B>`), and the dispatcher asks for it.
 *
 * @since 0.1.0
 */
import * as O from 'fp-ts/lib/Option.js'
import * as t from 'io-ts'
import type * as Handler from './Handler.js'
import * as Method from './Method.js'
import type { Middleware } from './Middleware.js'
import type * as OpenRpc from './OpenRpc.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One method of a registry: its contract and its handler.
 *
 * @category model
 * @since 0.1.0
 */
export interface Entry<C> {
  readonly method: Method.AnyMethod
  readonly handler: Handler.AnyHandler<C>
}

/**
 * The methods a dispatcher answers, by name, with the middleware that guards them.
 *
 * @category model
 * @since 0.1.0
 */
export interface Registry<C> {
  readonly _tag: 'Registry'
  readonly entries: ReadonlyMap<string, Entry<C>>
  /** Whether the dispatcher answers `system.listMethods`, `system.methodHelp` and `system.methodSignature`. */
  readonly introspection: boolean
  /**
   * When set, the dispatcher answers `rpc.discover` with the registry's OpenRPC document, described
   * with these options (see {@link withDiscovery}).
   */
  readonly discovery?: OpenRpc.Options
  /**
   * The middleware given to {@link use}, first applied first: what guards the methods the dispatcher
   * builds itself (introspection, and any later built-in method), through {@link guard}. The methods
   * present at each `use` are wrapped then. After {@link concat} of two registries that both have
   * middleware, this holds one middleware that runs both chains (see {@link concat}).
   */
  // Each element's context types differ; they compose in order, which a tuple type cannot follow here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  readonly middleware: ReadonlyArray<Middleware<any, any>>
}

// Middleware whose context types differ from one element to the next: they compose in order, which
// a tuple type cannot follow here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type AnyMiddleware = Middleware<any, any>

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The registry with no methods; its handlers need no context.
 *
 * @category constructors
 * @since 0.1.0
 */
export const empty: Registry<unknown> = { _tag: 'Registry', entries: new Map(), introspection: false, middleware: [] }

const checkName = (name: string, entries: ReadonlyMap<string, unknown>): void => {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('a method needs a non-empty name')
  if (name.startsWith('rpc.')) throw new TypeError(`method names starting with "rpc." are reserved by JSON-RPC 2.0: ${name}`)
  if (entries.has(name)) throw new TypeError(`method ${name} is registered already`)
}

const withEntry = <C>(self: Registry<C>, entry: Entry<C>): Registry<C> => {
  checkName(entry.method.name, self.entries)
  const entries = new Map(self.entries)
  entries.set(entry.method.name, entry)
  return { ...self, entries }
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Adds a contract and its handler.
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Method, Registry } from 'fp-jsonrpc'
 *
 * const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
 * const registry = pipe(Registry.empty, Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)))
 *
 * @category combinators
 * @since 0.1.0
 */
export const add =
  <Name extends string, P, A, E, PO, AO, EO, C2>(method: Method.Method<Name, P, A, E, PO, AO, EO>, handler: Handler.Handler<P, A, E, C2>) =>
  <C>(self: Registry<C>): Registry<C & C2> =>
    withEntry<C & C2>(self, { method: method, handler })

/**
 * Adds every method of `that`. Refuses a name both have. The result answers introspection when either
 * does, and `rpc.discover` when either does (with `self`'s options when both do).
 *
 * @category combinators
 * @since 0.1.0
 */
export const concat =
  <C2>(that: Registry<C2>) =>
  <C>(self: Registry<C>): Registry<C & C2> => {
    let out = self as Registry<C & C2>
    for (const entry of that.entries.values()) out = withEntry(out, entry)
    // Each registry's methods keep the middleware their registry wrapped them in. The built-in
    // methods answer about both registries' methods, so both chains guard them (see `both`).
    const discovery = self.discovery ?? that.discovery
    return {
      ...out,
      introspection: self.introspection || that.introspection,
      ...(discovery === undefined ? {} : { discovery }),
      middleware: both(self.middleware, that.middleware),
    }
  }

// A chain of middleware as one function from handler to handler, first applied first.
const applyAll = <C>(middleware: ReadonlyArray<AnyMiddleware>, handler: Handler.AnyHandler<unknown>): Handler.AnyHandler<C> =>
  middleware.reduce((h: Handler.AnyHandler<unknown>, m) => m(h) as Handler.AnyHandler<unknown>, handler)

// The middleware of two registries joined, for the methods that belong to neither: the first chain,
// then the second, each given the context the dispatcher passes (a context-refining middleware of
// one chain never sees what the other refined), so a call must pass both.
const both = (first: ReadonlyArray<AnyMiddleware>, second: ReadonlyArray<AnyMiddleware>): ReadonlyArray<AnyMiddleware> => {
  if (second.length === 0) return first
  if (first.length === 0) return second
  const joined = (handler: Handler.AnyHandler<unknown>): Handler.AnyHandler<unknown> => {
    const inner = applyAll<unknown>(second, handler)
    return (params, context, request, control) => applyAll<unknown>(first, (p, _refined, r, c) => inner(p, context, r, c))(params, context, request, control)
  }
  return [joined as unknown as Middleware<unknown, unknown>]
}

/**
 * Guards a method the dispatcher builds itself (an introspection method, say) with the registry's
 * middleware: the one answer to "which middleware guards a built-in method". Registered methods
 * were guarded by {@link use} when it was applied.
 *
 * @category utils
 * @since 0.1.0
 */
export const guard =
  <C>(self: Registry<C>) =>
  (handler: Handler.AnyHandler<unknown>): Handler.AnyHandler<C> =>
    applyAll<C>(self.middleware, handler)

/**
 * Wraps every handler of the registry with `middleware`, which may change the context type.
 *
 * @category combinators
 * @since 0.1.0
 */
export const use =
  <CIn, COut>(middleware: Middleware<CIn, COut>) =>
  (self: Registry<COut>): Registry<CIn> => {
    const entries = new Map<string, Entry<CIn>>()
    for (const [name, entry] of self.entries) entries.set(name, { method: entry.method, handler: middleware(entry.handler) as Handler.AnyHandler<CIn> })
    return {
      _tag: 'Registry',
      entries,
      introspection: self.introspection,
      ...(self.discovery === undefined ? {} : { discovery: self.discovery }),
      middleware: [...self.middleware, middleware],
    }
  }

/**
 * Turns on the introspection methods, as jsonrpclib's `register_introspection_functions`:
 * `system.listMethods`, `system.methodHelp` and `system.methodSignature`, answered from the contracts
 * of the registry the dispatcher is made from (so methods added later are listed too).
 *
 * @category combinators
 * @since 0.1.0
 */
export const withIntrospection = <C>(self: Registry<C>): Registry<C> => ({ ...self, introspection: true })

/**
 * Turns on `rpc.discover`, the OpenRPC service discovery method: it answers the OpenRPC 1.3.2
 * document of the registry the dispatcher is made from (see `OpenRpc.document`), with `info` from
 * `options`, and `servers` from `options` when it names any, else the URL the call came in at when
 * its transport tells it (`control.endpoint`; see docs/discovery.md). Guarded by the registry's
 * middleware like every method.
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Dispatch, Method, Registry } from 'fp-jsonrpc'
 *
 * const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
 * const registry = pipe(
 *   Registry.empty,
 *   Registry.add(Echo, ({ text }) => E.right(text)),
 *   Registry.withDiscovery({ title: 'Echo service', version: '1.0.0' }),
 * )
 * const answer = Dispatch.make(registry).dispatch('{"jsonrpc":"2.0","method":"rpc.discover","id":1}')
 * // {"jsonrpc":"2.0","result":{"openrpc":"1.3.2","info":{"title":"Echo service", ...
 *
 * @category combinators
 * @since 0.2.0
 */
export const withDiscovery =
  (options: OpenRpc.Options) =>
  <C>(self: Registry<C>): Registry<C> => ({ ...self, discovery: options })

// -------------------------------------------------------------------------------------
// seed parity: plain functions, as ported from Python
// -------------------------------------------------------------------------------------

/**
 * A plain function as a method, for code ported from jsonrpcserver or jsonrpclib. Positional params
 * are spread as arguments (`f(...params)`); named params arrive as one object argument (`f(params)`).
 * Fewer positional params than `f.length` (its parameters before the first default or rest one)
 * answer Invalid params. The function may return a value or a Promise, or throw
 * {@link RpcError.raise}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromFunction = (f: (...args: ReadonlyArray<never>) => unknown, name: string = f.name): Entry<unknown> => {
  if (typeof f !== 'function') throw new TypeError('fromFunction takes a function')
  if (!name) throw new TypeError('an anonymous function needs a name')
  const required = f.length
  const params = new t.Type<ReadonlyArray<unknown> | Readonly<Record<string, unknown>>>(
    required === 0 ? 'Params' : `Params(at least ${required})`,
    (u): u is ReadonlyArray<unknown> | Readonly<Record<string, unknown>> => (Array.isArray(u) ? u.length >= required : typeof u === 'object' && u !== null),
    (u, c) =>
      Array.isArray(u)
        ? u.length >= required
          ? t.success(u)
          : t.failure(u, c, `expected at least ${required} parameters, got ${u.length}`)
        : typeof u === 'object' && u !== null
          ? t.success(u as Readonly<Record<string, unknown>>)
          : t.failure(u, c),
    t.identity,
  )
  const call = f as (...args: ReadonlyArray<unknown>) => unknown
  const isList = (p: ReadonlyArray<unknown> | Readonly<Record<string, unknown>>): p is ReadonlyArray<unknown> => Array.isArray(p)
  return {
    method: Method.make({ name, params, description: '' }) as Method.AnyMethod,
    handler: (p: ReadonlyArray<unknown> | Readonly<Record<string, unknown>>) => (isList(p) ? call(...p) : call(p)),
  }
}

/**
 * jsonrpcserver's `method(f, name=...)`: registers a plain function under its own name or `name`.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { Registry } from 'fp-jsonrpc'
 *
 * const registry = pipe(
 *   Registry.empty,
 *   Registry.method(function ping() { return 'pong' }),
 *   Registry.method((a: number, b: number) => a + b, { name: 'add' }),
 * )
 *
 * @category combinators
 * @since 0.1.0
 */
export const method =
  (f: (...args: ReadonlyArray<never>) => unknown, options: { readonly name?: string } = {}) =>
  <C>(self: Registry<C>): Registry<C> =>
    withEntry(self, fromFunction(f, options.name ?? f.name) as Entry<C>)

/**
 * A mutable builder in jsonrpclib's style, for code that registers functions one statement at a
 * time. `build()` gives the same immutable {@link Registry} as {@link method}.
 *
 * @category model
 * @since 0.1.0
 */
export interface Builder {
  /** Registers `f` under `name` (its own name by default); returns the builder for chaining. */
  readonly registerFunction: (f: (...args: ReadonlyArray<never>) => unknown, name?: string) => Builder
  readonly registerIntrospectionFunctions: () => Builder
  readonly build: () => Registry<unknown>
}

/**
 * A new, empty {@link Builder}.
 *
 * @example
 * import { Registry } from 'fp-jsonrpc'
 *
 * const builder = Registry.makeBuilder()
 * builder.registerFunction((a: number, b: number) => a + b, 'add')
 * builder.registerFunction(async function slowEcho(x: unknown) { return x })
 * const registry = builder.build()
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeBuilder = (): Builder => {
  let current: Registry<unknown> = empty
  const builder: Builder = {
    registerFunction: (f, name) => {
      current = withEntry(current, fromFunction(f, name ?? f.name))
      return builder
    },
    registerIntrospectionFunctions: () => {
      current = withIntrospection(current)
      return builder
    },
    build: () => current,
  }
  return builder
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The entry registered under exactly `name`.
 *
 * @category utils
 * @since 0.1.0
 */
export const lookup =
  (name: string) =>
  <C>(self: Registry<C>): O.Option<Entry<C>> =>
    O.fromNullable(self.entries.get(name))

/**
 * The registered names, sorted.
 *
 * @category utils
 * @since 0.1.0
 */
export const names = <C>(self: Registry<C>): ReadonlyArray<string> => [...self.entries.keys()].sort()
