/**
 * A method contract: the name, the codecs of its params, result and application errors, and a
 * description. Declared once, read by the server (to validate and encode) and by the client (to
 * encode and decode), so both ends share one source of truth.
 *
 * **Params by name and by position.** When the params codec describes an object (`t.type`,
 * `t.partial`, `t.strict`, `t.exact`, or an intersection of those), the contract takes both forms, as
 * the specification's `subtract` takes `[42, 23]` and `{"minuend": 42, "subtrahend": 23}`: an array is
 * read in the declared parameter order (the codec's own key order unless `paramOrder` says
 * otherwise) and the handler always receives the object. Any other codec (`t.tuple`,
 * `t.array`, ...) is applied to the params as sent, with absent params read as `[]`.
 *
 * @since 0.1.0
 */
import * as t from 'io-ts'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A contract: the method's name, the codecs of its params, result and application errors, and how a
 * client sends its params.
 *
 * @category model
 * @since 0.1.0
 */
export interface Method<Name extends string, P, A, E = never, PO = unknown, AO = unknown, EO = unknown> {
  readonly _tag: 'Method'
  readonly name: Name
  readonly params: t.Type<P, PO, unknown>
  readonly result: t.Type<A, AO, unknown>
  /** The application errors a handler may answer with; `undefined` when the contract declares none. */
  readonly error: t.Type<E, EO, unknown> | undefined
  readonly description: string
  /**
   * The parameter names in positional order, when params are by name (see the module comment);
   * `undefined` when the params codec is applied to the params as sent.
   */
  readonly paramOrder: ReadonlyArray<string> | undefined
  /**
   * How a client sends the params of a by-name contract: `'name'` (the object, the default) or
   * `'position'` (an array in `paramOrder`, for servers that only take positional params). Params of
   * other contracts are sent as they are.
   */
  readonly sendParamsBy: 'name' | 'position'
  /** A short summary, for a service description (see `OpenRpc`). */
  readonly summary?: string
  /** Whether the method is deprecated, for a service description. */
  readonly deprecated?: boolean
  /** Tags that group the method, for a service description. */
  readonly tags?: ReadonlyArray<string>
  /** Examples of params and result, checked against the codecs by {@link make}. */
  readonly examples?: ReadonlyArray<Example<P, A>>
  /**
   * Whether a call may run more than once with the same effect as once (a read, a `PUT`-like
   * write), so that a client may send it again after a transport failure (see `Retry`). Absent
   * means not idempotent: such a call is never sent twice.
   */
  readonly idempotent?: boolean
}

/**
 * An example of a contract: params (and the result they give), as the handler sees them; they are
 * encoded with the contract's codecs where a service description shows them.
 *
 * @category model
 * @since 0.2.0
 */
export interface Example<P, A> {
  readonly name: string
  readonly summary?: string
  readonly description?: string
  readonly params: P
  /** The result; absent for a notification. */
  readonly result?: A
}

/**
 * Any contract. io-ts's own `t.Any` is used for the codecs because a codec is contravariant in what
 * it encodes, so `t.Type<number>` is not a `t.Type<unknown>`.
 *
 * @category model
 * @since 0.1.0
 */
export interface AnyMethod {
  readonly _tag: 'Method'
  readonly name: string
  readonly params: t.Any
  readonly result: t.Any
  /** `t.Type<never, ...>` too: a contract that declares no errors has `E = never`, and no `t.Any` encodes into `never`. */
  readonly error: t.Any | t.Type<never, unknown, unknown> | undefined
  readonly description: string
  readonly paramOrder: ReadonlyArray<string> | undefined
  readonly sendParamsBy: 'name' | 'position'
  readonly summary?: string
  readonly deprecated?: boolean
  readonly tags?: ReadonlyArray<string>
  readonly examples?: ReadonlyArray<Example<unknown, unknown>>
  readonly idempotent?: boolean
}

// Every parameter is inferred: a codec is contravariant in what it encodes, so matching against
// `Method<string, infer P, unknown, unknown>` fails for any real contract and gives `never`.
/**
 * The params type of a contract (`P` of `Method`).
 *
 * @category type lambdas
 * @since 0.1.0
 */
export type ParamsOf<M> = M extends Method<string, infer P, infer _A, infer _E, infer _PO, infer _AO, infer _EO> ? P : never
/**
 * The result type of a contract (`A` of `Method`).
 *
 * @category type lambdas
 * @since 0.1.0
 */
export type ResultOf<M> = M extends Method<string, infer _P, infer A, infer _E, infer _PO, infer _AO, infer _EO> ? A : never
/**
 * The application error type of a contract (`Err` of `Method`).
 *
 * @category type lambdas
 * @since 0.1.0
 */
export type ErrorOf<M> = M extends Method<string, infer _P, infer _A, infer E, infer _PO, infer _AO, infer _EO> ? E : never
/**
 * The method name of a contract, as a string literal type.
 *
 * @category type lambdas
 * @since 0.1.0
 */
export type NameOf<M> = M extends Method<infer N, infer _P, infer _A, infer _E, infer _PO, infer _AO, infer _EO> ? N : never

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * What {@link make} takes. Only `name` is required: params default to none (`t.type({})`), the result
 * to `t.unknown`, errors to none.
 *
 * @category constructors
 * @since 0.1.0
 */
export interface Spec<Name extends string, P, A, E, PO, AO, EO> {
  readonly name: Name
  readonly params?: t.Type<P, PO, unknown>
  readonly result?: t.Type<A, AO, unknown>
  readonly error?: t.Type<E, EO, unknown>
  readonly description?: string
  readonly paramOrder?: ReadonlyArray<keyof P & string>
  readonly sendParamsBy?: 'name' | 'position'
  readonly summary?: string
  readonly deprecated?: boolean
  readonly tags?: ReadonlyArray<string>
  /** Checked when the contract is made: params must satisfy the params codec (`is`), a result the result codec. */
  readonly examples?: ReadonlyArray<Example<P, A>>
  /**
   * Marks the method idempotent: running a call twice has the effect of running it once, so a client
   * may retry it after a transport failure (see `Retry`). Not idempotent by default.
   */
  readonly idempotent?: boolean
}

const noParams = t.type({}, 'NoParams')

/**
 * Declares a contract. Throws a `TypeError` for a programming mistake: a parameter named twice in
 * `paramOrder` or named `__proto__`, or an example whose params or result its codec refuses.
 *
 * @example
 * import * as t from 'io-ts'
 * import { Method } from 'fp-jsonrpc'
 *
 * const Subtract = Method.make({
 *   name: 'subtract',
 *   params: t.type({ minuend: t.number, subtrahend: t.number }),
 *   result: t.number,
 *   description: 'minuend - subtrahend',
 * })
 *
 * @category constructors
 * @since 0.1.0
 */
export function make<Name extends string, P = {}, A = unknown, E = never, PO = {}, AO = unknown, EO = never>(
  spec: Spec<Name, P, A, E, PO, AO, EO>,
): Method<Name, P, A, E, PO, AO, EO> {
  const params = (spec.params ?? noParams) as t.Type<P, PO, unknown>
  const paramOrder = spec.paramOrder ?? namesOf(params)
  if (spec.paramOrder !== undefined && new Set(spec.paramOrder).size !== spec.paramOrder.length) {
    throw new TypeError(`method ${spec.name}: paramOrder names a parameter twice`)
  }
  // Positional params are copied into an object under these names; `__proto__` would set its prototype.
  if (paramOrder?.includes('__proto__')) throw new TypeError(`method ${spec.name}: a parameter cannot be named __proto__`)
  const sendParamsBy = spec.sendParamsBy ?? 'name'
  const result = (spec.result ?? t.unknown) as t.Type<A, AO, unknown>
  spec.examples?.forEach((example, i) => checkExample(spec.name, i, example, params, result))
  return {
    _tag: 'Method',
    name: spec.name,
    params,
    result,
    error: spec.error,
    description: spec.description ?? '',
    paramOrder,
    sendParamsBy,
    ...(spec.summary === undefined ? {} : { summary: spec.summary }),
    ...(spec.deprecated === undefined ? {} : { deprecated: spec.deprecated }),
    ...(spec.tags === undefined ? {} : { tags: spec.tags }),
    ...(spec.examples === undefined ? {} : { examples: spec.examples }),
    ...(spec.idempotent === undefined ? {} : { idempotent: spec.idempotent }),
  }
}

// An example is checked with the codecs' `is` (it is given as the handler sees values) and must
// encode: a bad one is a programming mistake, found where the contract is declared.
const checkExample = (method: string, i: number, example: Example<unknown, unknown>, params: t.Any, result: t.Any): void => {
  const which = `method ${method}: example ${typeof example?.name === 'string' ? JSON.stringify(example.name) : i + 1}`
  if (typeof example !== 'object' || example === null || typeof example.name !== 'string') throw new TypeError(`${which} needs a name`)
  if (!isAndEncodes(params, example.params)) throw new TypeError(`${which}: its params do not match the params codec ${params.name}`)
  if ('result' in example && !isAndEncodes(result, example.result)) throw new TypeError(`${which}: its result does not match the result codec ${result.name}`)
}

const isAndEncodes = (codec: t.Any, value: unknown): boolean => {
  try {
    if (!codec.is(value)) return false
    codec.encode(value)
    return true
  } catch {
    return false
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The props of an object codec, in declaration order: its parameters' codecs by name; `undefined`
 * for any other codec. Looks through `t.exact`/`t.strict`, `t.type`/`t.partial`, intersections
 * (in order, each name once, the first member's codec kept) and refinements/brands/`t.readonly`.
 *
 * @category utils
 * @since 0.1.0
 */
export const propsOf = (codec: t.Any): Readonly<Record<string, t.Any>> | undefined => {
  // Told apart by `_tag` rather than `instanceof`, so a codec from a second copy of io-ts (a bundle
  // that mixes its ESM and CommonJS builds) is read the same.
  const c = codec as { readonly _tag?: string; readonly props?: Record<string, t.Any>; readonly type?: t.Any; readonly types?: ReadonlyArray<t.Any> }
  switch (c._tag) {
    case 'InterfaceType':
    case 'PartialType':
    case 'StrictType':
      return c.props
    case 'ExactType':
    case 'RefinementType':
    case 'ReadonlyType':
      return propsOf(c.type as t.Any)
    case 'IntersectionType': {
      const props: Record<string, t.Any> = {}
      for (const member of c.types as ReadonlyArray<t.Any>) {
        const own = propsOf(member)
        if (own === undefined) return undefined
        for (const [name, type] of Object.entries(own)) if (!(name in props)) props[name] = type
      }
      return props
    }
    default:
      return undefined
  }
}

/**
 * The parameter names of an object codec, in declaration order (see {@link propsOf}); `undefined`
 * for any other codec.
 *
 * @category utils
 * @since 0.1.0
 */
export const namesOf = (codec: t.Any): ReadonlyArray<string> | undefined => {
  const props = propsOf(codec)
  return props === undefined ? undefined : Object.keys(props)
}

/**
 * Whether a contract is marked idempotent (see {@link Spec.idempotent}): `false` unless it says so.
 *
 * @example
 * import { Method } from 'fp-jsonrpc'
 *
 * Method.isIdempotent(Method.make({ name: 'get', idempotent: true })) // true
 * Method.isIdempotent(Method.make({ name: 'charge' })) // false
 *
 * @category utils
 * @since 0.2.0
 */
export const isIdempotent = (method: AnyMethod): boolean => method.idempotent === true
