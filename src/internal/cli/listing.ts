/**
 * What `fp-jsonrpc list` prints for an OpenRPC document: each method on one line, its params and
 * result written as TypeScript-like types (see `schemaType.ts`), then the shared schemas the lines
 * refer to by name.
 *
 * ```
 * subtract(minuend: number, subtrahend: number) -> number
 * sum(...params: number[]) -> number
 * find({ query: string; limit?: integer }) -> Tree[]
 * log(line: string)
 *
 * type Tree = { value: number; children: Tree[] }
 * ```
 *
 * The rules of a line:
 *
 * - Params listed by content descriptor are `name: T`, or `name?: T` when not `required` (OpenRPC's
 *   default). With `paramStructure` `"by-name"` they are one object, `name({ a: A; b?: B })`;
 *   otherwise (`"by-position"`, `"either"`, none) a list, `name(a: A, b?: B)`.
 * - A method whose params have no descriptors but a schema for the whole params value (this
 *   library's extension `x-params`) is `name(...params: T)` for an array schema, `name(T)` for an
 *   object schema, and `name(params: T)` for anything else.
 * - The result is `-> T`; a method without one (a notification, in OpenRPC 1.3) has no arrow.
 * - A deprecated method ends in `(deprecated)`.
 * - A `$ref` is resolved in `components.contentDescriptors`; one that resolves nowhere is shown as
 *   its name with the type `unknown`. A method given as a `$ref` is shown as that reference.
 *
 * After the methods, each of `components.schemas` is `type Name = T`, in the document's order.
 *
 * @internal
 */
import type * as OpenRpc from '../../OpenRpc.js'
import { isRecord } from '../object.js'
import { propertyKey, refName, typeText } from './schemaType.js'

// -------------------------------------------------------------------------------------
// destructors
// -------------------------------------------------------------------------------------

/** The lines `fp-jsonrpc list` prints for the document. */
export const lines = (document: OpenRpc.Document): ReadonlyArray<string> => {
  const out = document.methods.map((m) => ('$ref' in m ? `(a reference to ${m.$ref})` : methodLine(m, document.components)))
  const schemas = document.components?.schemas ?? {}
  const names = Object.keys(schemas)
  if (names.length > 0) out.push('', ...names.map((name) => `type ${name} = ${typeText(schemas[name])}`))
  return out
}

/** One method on one line: `name(params) -> result`. */
export const methodLine = (method: OpenRpc.MethodObject, components?: OpenRpc.Components): string => {
  const result = method.result === undefined ? '' : ` -> ${typeText(resolve(method.result, components).schema)}`
  return `${method.name}(${paramsText(method, components)})${result}${method.deprecated === true ? ' (deprecated)' : ''}`
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const resolve = (d: OpenRpc.ContentDescriptor | OpenRpc.Reference, components: OpenRpc.Components | undefined): OpenRpc.ContentDescriptor => {
  if (!('$ref' in d)) return d
  const name = refName(d.$ref)
  const found = components?.contentDescriptors?.[name]
  return found ?? { name, schema: {} }
}

const paramsText = (method: OpenRpc.MethodObject, components: OpenRpc.Components | undefined): string => {
  const whole = method['x-params']
  if (method.params.length === 0 && whole !== undefined) {
    const type = typeText(whole)
    const kind = isRecord(whole) ? whole['type'] : undefined
    return kind === 'array' ? `...params: ${type}` : kind === 'object' ? type : `params: ${type}`
  }
  const members = method.params.map((p) => {
    const d = resolve(p, components)
    return `${propertyKey(d.name)}${d.required === true ? '' : '?'}: ${typeText(d.schema)}`
  })
  if (method.paramStructure !== 'by-name') return members.join(', ')
  return members.length === 0 ? '{}' : `{ ${members.join('; ')} }`
}
