/**
 * The response writer, at the two levels the entry points answer with: text (`dispatch`) and JSON
 * values (`dispatchToSerializable`). Both pass every response through the `postProcess` hook, and
 * both keep the promise of one answer per call: a response that JSON cannot carry (a BigInt, a
 * cycle, a throwing `toJSON`) becomes Internal error, reported through `onDefect`.
 *
 * @internal
 */
import * as RpcError from '../../RpcError.js'
import * as RpcResponse from '../../RpcResponse.js'
import { hasOwn } from '../object.js'
import { idText } from '../json.js'
import type { Item } from './Call.js'
import * as Version1 from '../version1.js'
import { Answer, type Mixed } from './Version1.js'
import type { OnDefect } from './Outcome.js'
import { INTERNAL_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR } from './Errors.js'

/**
 * How the answers are given: as text, or as JSON values; `I` is what the dispatcher's runner answers
 * one message with (an {@link Item}, or, when it takes JSON-RPC 1.0 as well, a {@link Mixed}).
 */
export interface Level<R, I = Item> {
  /** A message refused whole (not JSON, an empty or too long batch), answered with id null. */
  readonly refused: (error: RpcError.RpcError) => R
  readonly one: (item: I) => R | undefined
  readonly batch: (items: ReadonlyArray<I>) => R | undefined
}

/** What the writer needs: the `postProcess` option, and where defects are reported. */
export interface WriterOptions {
  readonly postProcess: ((response: RpcResponse.RpcResponse) => RpcResponse.RpcResponse) | undefined
  readonly onDefect: OnDefect
}

// The specification's own errors are shared constants (see Errors), known by identity: the text of
// a response that carries one is written once up to its id, and whole for id null (how a message
// refused whole, or an invalid request without a valid id, is answered).
interface ConstantText {
  readonly head: string
  readonly nullId: string
}
const textOf = (e: RpcError.RpcError): ConstantText => {
  const head = '{"jsonrpc":"2.0","error":' + JSON.stringify(e) + ',"id":'
  return { head, nullId: head + 'null}' }
}
const PARSE_ERROR_TEXT = textOf(PARSE_ERROR)
const INVALID_REQUEST_TEXT = textOf(INVALID_REQUEST)
const METHOD_NOT_FOUND_TEXT = textOf(METHOD_NOT_FOUND)
const INTERNAL_ERROR_TEXT = textOf(INTERNAL_ERROR)

// Four comparisons cost less than a Map lookup by object (measured: the invalid-request path).
const constantText = (e: unknown): ConstantText | undefined =>
  e === INVALID_REQUEST
    ? INVALID_REQUEST_TEXT
    : e === METHOD_NOT_FOUND
      ? METHOD_NOT_FOUND_TEXT
      : e === PARSE_ERROR
        ? PARSE_ERROR_TEXT
        : e === INTERNAL_ERROR
          ? INTERNAL_ERROR_TEXT
          : undefined

/**
 * The JSON text of a result. A number, a boolean or null is written with string conversion, which
 * gives the text JSON.stringify gives (both write a number with Number::toString; a non-finite one
 * is null) for a fifth of its cost per call; anything else goes through JSON.stringify.
 */
export const resultText = (u: unknown): string | undefined => {
  if (typeof u === 'number') return Number.isFinite(u) ? '' + u : 'null'
  if (typeof u === 'boolean') return u ? 'true' : 'false'
  return u === null ? 'null' : JSON.stringify(u)
}

/**
 * The text of a response as JSON.stringify would give it. The envelope is the same for every
 * response, so only the result (or error) and the id are stringified and the rest is written around
 * them, at about half the cost. `undefined` when the response serializes to nothing; throws what
 * JSON.stringify throws.
 */
export const responseText = (response: RpcResponse.RpcResponse): string | undefined => {
  if ('result' in response && hasOwn(response, 'result')) {
    const result = resultText(response.result)
    return result === undefined ? undefined : '{"jsonrpc":"2.0","result":' + result + ',"id":' + idText(response.id) + '}'
  }
  const e = (response as RpcResponse.Failure).error
  const constant = constantText(e)
  if (constant !== undefined) return response.id === null ? constant.nullId : constant.head + idText(response.id) + '}'
  const error = JSON.stringify(e)
  return error === undefined ? undefined : '{"jsonrpc":"2.0","error":' + error + ',"id":' + idText(response.id) + '}'
}

// What both writers share: the postProcess hook, made total, and a response to its text or to a
// JSON value, each keeping the promise of one answer per call.
const serializers = (options: WriterOptions) => {
  const { postProcess, onDefect } = options

  const post = (item: RpcResponse.RpcResponse): RpcResponse.RpcResponse => {
    if (postProcess === undefined) return item
    try {
      return postProcess(item)
    } catch (e) {
      onDefect(e, undefined)
      return RpcResponse.failure(INTERNAL_ERROR, item.id)
    }
  }

  // A postProcess hook may return anything, so its output goes through JSON.stringify whole.
  const serialize = (item: RpcResponse.RpcResponse): string => {
    const response = post(item)
    try {
      const text = postProcess === undefined ? responseText(response) : JSON.stringify(response)
      if (text !== undefined) return text
      throw new TypeError('the response serialized to nothing')
    } catch (e) {
      // BigInt, a cycle, a throwing toJSON: the call still gets its one answer.
      onDefect(e, undefined)
      return JSON.stringify(RpcResponse.failure(INTERNAL_ERROR, RpcResponse.isRpcResponse(response) ? response.id : item.id))
    }
  }

  // The serializable level promises JSON values, so each response is checked the way `dispatch`
  // writes it, and one that JSON cannot carry becomes Internal error.
  const serializable = (item: RpcResponse.RpcResponse): RpcResponse.RpcResponse => {
    const response = post(item)
    try {
      if (typeof JSON.stringify(response) === 'string') return response
      throw new TypeError('the response serialized to nothing')
    } catch (e) {
      onDefect(e, undefined)
      return RpcResponse.failure(INTERNAL_ERROR, item.id)
    }
  }

  // The same as `serialize`, in JSON-RPC 1.0's shape: postProcess sees the 2.0 model, as for any message.
  const serialize1 = (item: RpcResponse.RpcResponse): string => {
    const response = post(item)
    try {
      const text = JSON.stringify(Version1.fromResponse(response)) as string | undefined
      if (text !== undefined) return text
      throw new TypeError('the response serialized to nothing')
    } catch (e) {
      onDefect(e, undefined)
      return JSON.stringify(Version1.fromResponse(RpcResponse.failure(INTERNAL_ERROR, RpcResponse.isRpcResponse(response) ? response.id : item.id)))
    }
  }

  return { serialize, serializable, serialize1 }
}

/** The two levels, for one dispatcher's options. */
export const make = (
  options: WriterOptions,
): { readonly asText: Level<string>; readonly asValues: Level<RpcResponse.RpcResponse | ReadonlyArray<RpcResponse.RpcResponse>> } => {
  const { serialize, serializable } = serializers(options)

  const asText: Level<string> = {
    refused: (error) => serialize(RpcResponse.failure(error, null)),
    one: (item) => (item === undefined ? undefined : serialize(item)),
    batch: (items) => {
      let text = ''
      for (const item of items) if (item !== undefined) text += (text === '' ? '[' : ',') + serialize(item)
      return text === '' ? undefined : text + ']'
    },
  }

  const asValues: Level<RpcResponse.RpcResponse | ReadonlyArray<RpcResponse.RpcResponse>> = {
    refused: (error) => serializable(RpcResponse.failure(error, null)),
    one: (item) => (item === undefined ? undefined : serializable(item)),
    batch: (items) => {
      const out: Array<RpcResponse.RpcResponse> = []
      for (const item of items) if (item !== undefined) out.push(serializable(item))
      return out.length === 0 ? undefined : out
    },
  }

  return { asText, asValues }
}

/**
 * The levels of a dispatcher that takes JSON-RPC 1.0 as well, whose answers are of either version
 * (see Version1): a 1.0 answer is written in 1.0's shape, a 2.0 one as {@link make} writes it.
 * The values level gives the 2.0 model for both. `asMarked` is `asText`, except that a message (or
 * batch) of 1.0 that has nothing to answer is `''`, for transports that tell it apart (HTTP).
 */
export const makeMixed = (
  options: WriterOptions,
): {
  readonly asText: Level<string, Mixed>
  readonly asMarked: Level<string, Mixed>
  readonly asValues: Level<RpcResponse.RpcResponse | ReadonlyArray<RpcResponse.RpcResponse>, Mixed>
} => {
  const { serialize, serializable, serialize1 } = serializers(options)
  const text = (item: Mixed): string | undefined =>
    item instanceof Answer ? (item.response === undefined ? undefined : serialize1(item.response)) : item === undefined ? undefined : serialize(item)
  const texts = (items: ReadonlyArray<Mixed>): string | undefined => {
    let out = ''
    for (const item of items) {
      const one = text(item)
      if (one !== undefined) out += (out === '' ? '[' : ',') + one
    }
    return out === '' ? undefined : out + ']'
  }
  const refused = (error: RpcError.RpcError): string => serialize(RpcResponse.failure(error, null))

  const asText: Level<string, Mixed> = { refused, one: text, batch: texts }

  const asMarked: Level<string, Mixed> = {
    refused,
    one: (item) => text(item) ?? (item instanceof Answer ? '' : undefined),
    batch: (items) => texts(items) ?? (items.some((item) => item instanceof Answer) ? '' : undefined),
  }

  const modelOf = (item: Mixed): Item => (item instanceof Answer ? item.response : item)
  const asValues: Level<RpcResponse.RpcResponse | ReadonlyArray<RpcResponse.RpcResponse>, Mixed> = {
    refused: (error) => serializable(RpcResponse.failure(error, null)),
    one: (item) => {
      const response = modelOf(item)
      return response === undefined ? undefined : serializable(response)
    },
    batch: (items) => {
      const out: Array<RpcResponse.RpcResponse> = []
      for (const item of items) {
        const response = modelOf(item)
        if (response !== undefined) out.push(serializable(response))
      }
      return out.length === 0 ? undefined : out
    },
  }

  return { asText, asMarked, asValues }
}
