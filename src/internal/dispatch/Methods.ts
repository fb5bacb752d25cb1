/**
 * Every method a dispatcher answers, compiled once: the registry's own entries, and the methods the
 * dispatcher builds itself (the introspection methods and `rpc.discover`, when the registry turns
 * them on). The built-in methods are guarded with `Registry.guard`, the registry's one rule for which
 * middleware guards them; the registered ones were guarded by `Registry.use`.
 *
 * @internal
 */
import type * as Handler from '../../Handler.js'
import * as Introspection from '../../Introspection.js'
import * as OpenRpc from '../../OpenRpc.js'
import type { Entry, Registry } from '../../Registry.js'
import * as Registry_ from '../../Registry.js'
import { type Compiled, compile } from './Call.js'

/**
 * The entry of `rpc.discover` for `registry`: its document is built on the first call and kept, the
 * registry being immutable. Its `servers` are those of `options` when it names any (`[]` included:
 * the service owner knows its public address best); otherwise the endpoint the call came in at, when
 * its transport tells it (`control.endpoint`), named by the service's title; otherwise none.
 */
export const discoveryEntry = <C>(registry: Registry<C>, options: OpenRpc.Options): Entry<unknown> => {
  let built: OpenRpc.Document | undefined
  const handler: Handler.AnyHandler<unknown> = (_params, _context, _request, control): OpenRpc.Document => {
    const document = (built ??= OpenRpc.document(options)(registry))
    const url = control.endpoint?.url
    if (options.servers !== undefined || url === undefined) return document
    const { openrpc, info, ...rest } = document
    return { openrpc, info, servers: [{ name: options.title, url }], ...rest }
  }
  return { method: OpenRpc.Discover, handler }
}

/** The built-in methods of `registry`, unguarded. */
export const builtIns = <C>(registry: Registry<C>): ReadonlyArray<Entry<unknown>> => [
  ...(registry.introspection ? (Introspection.entriesFor(registry) as ReadonlyArray<Entry<unknown>>) : []),
  ...(registry.discovery === undefined ? [] : [discoveryEntry(registry, registry.discovery)]),
]

/**
 * The methods by name, compiled; throws a `TypeError` when a built-in method's name is registered
 * already.
 */
export const compileAll = <C>(registry: Registry<C>): ReadonlyMap<string, Compiled<C>> => {
  const methods = new Map<string, Compiled<C>>()
  for (const [name, entry] of registry.entries) methods.set(name, compile(entry.method, entry.handler))
  const guard = Registry_.guard(registry)
  for (const entry of builtIns(registry)) {
    const name = entry.method.name
    if (methods.has(name)) throw new TypeError(`method ${name} is registered already`)
    methods.set(name, compile(entry.method, guard(entry.handler)))
  }
  return methods
}
