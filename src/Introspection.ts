/**
 * The introspection methods, as jsonrpclib's `register_introspection_functions`, answered from the
 * contracts themselves. Turned on with `Registry.withIntrospection`; the contracts are exported so
 * a typed client can call them.
 *
 * - `system.listMethods()`: the registered names, sorted.
 * - `system.methodHelp(name)`: the contract's description (`""` when it has none).
 * - `system.methodSignature(name)`: `[[result, param1, param2, ...]]`, the codecs' names (for
 *   contracts whose params are not by name: `[[result, params]]`).
 *
 * Asking for help or a signature of an unknown name answers Invalid params.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import * as Method from './Method.js'
import * as RpcError from './RpcError.js'
import type { Entry, Registry } from './Registry.js'

/**
 * The contract of `system.listMethods`: the names of the methods the server answers.
 *
 * @category constants
 * @since 0.1.0
 */
export const ListMethods = Method.make({
  name: 'system.listMethods',
  result: t.readonlyArray(t.string),
  description: 'Lists the names of the methods this server answers.',
})

/**
 * The contract of `system.methodHelp`: a method's description, by its name.
 *
 * @category constants
 * @since 0.1.0
 */
export const MethodHelp = Method.make({
  name: 'system.methodHelp',
  params: t.type({ name: t.string }),
  result: t.string,
  description: "Gives a method's description.",
})

/**
 * The contract of `system.methodSignature`: a method's signature, by its name.
 *
 * @category constants
 * @since 0.1.0
 */
export const MethodSignature = Method.make({
  name: 'system.methodSignature',
  params: t.type({ name: t.string }),
  result: t.readonlyArray(t.readonlyArray(t.string)),
  description: "Gives a method's signature: the names of its result and parameter types.",
})

/**
 * The signature of a contract: `[[result, ...params]]`.
 *
 * @category utils
 * @since 0.1.0
 */
export const signatureOf = (method: Method.AnyMethod): ReadonlyArray<ReadonlyArray<string>> => {
  const props = Method.propsOf(method.params) ?? {}
  const params = method.paramOrder === undefined ? [method.params.name] : method.paramOrder.map((name) => props[name]?.name ?? 'unknown')
  return [[method.result.name, ...params]]
}

/**
 * The three methods' entries for `registry`, whose names they list alongside their own.
 *
 * @category utils
 * @since 0.1.0
 */
export const entriesFor = <C>(registry: Registry<C>): ReadonlyArray<Entry<C>> => {
  const all = new Map<string, Method.AnyMethod>()
  for (const [name, entry] of registry.entries) all.set(name, entry.method)
  for (const m of [ListMethods, MethodHelp, MethodSignature]) all.set(m.name, m)
  const names = [...all.keys()].sort()
  const find = (name: string) => {
    const m = all.get(name)
    return m === undefined ? E.left(RpcError.invalidParams([`params.name: no method named ${JSON.stringify(name.slice(0, 100))}`])) : E.right(m)
  }
  return [
    { method: ListMethods, handler: () => names },
    { method: MethodHelp, handler: ({ name }: { name: string }) => E.map((m: Method.AnyMethod) => m.description)(find(name)) },
    { method: MethodSignature, handler: ({ name }: { name: string }) => E.map(signatureOf)(find(name)) },
  ]
}
