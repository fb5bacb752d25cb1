/**
 * JSON-RPC 1.0 on the wire, as jsonrpclib-pelix, jayson (`version: 1`) and Bitcoin Core speak it,
 * for both ends: which messages are 1.0, how a 1.0 request reads as the 2.0 model the dispatcher
 * runs, how a response is written in 1.0's shape, and how a 1.0 response reads as the 2.0 model the
 * client matches and decodes.
 *
 * The rules (from the 1.0 specification, json-rpc.org, and what the peers send):
 * - a message is 1.0 when it is an object with an `id` member and no `jsonrpc` member (or
 *   `"jsonrpc": "1.0"`, which Bitcoin Core's examples send); `"id": null` makes it a notification;
 * - `params` is an array, or an object (jsonrpclib sends keyword arguments as one); absent or `null`
 *   is no params (jsonrpclib's server defaults it to `[]`, Bitcoin Core takes `null`);
 * - a response carries `result` and `error`, one of them `null`, and the request's `id`; jayson leaves
 *   `result` out of an error response, so a reader takes an absent member as `null`.
 *
 * @internal
 */
import * as Id from '../Id.js'
import * as RpcRequest from '../RpcRequest.js'
import type * as RpcResponse from '../RpcResponse.js'
import { isRecord } from './object.js'

/** A 1.0 response as written: both members, one of them `null`. */
export interface Response {
  readonly result: unknown
  readonly error: unknown
  readonly id: Id.Id
}

// -------------------------------------------------------------------------------------
// the server's side
// -------------------------------------------------------------------------------------

/**
 * Whether `u` is a 1.0 message (valid or not): an object with an `id` member whose `jsonrpc` member
 * is absent or `"1.0"`. Anything else is read by the 2.0 rules.
 */
export const isMessage = (u: unknown): u is Readonly<Record<string, unknown>> => {
  if (typeof u !== 'object' || u === null || Array.isArray(u) || !Object.hasOwn(u, 'id')) return false
  return !Object.hasOwn(u, 'jsonrpc') || (u as { readonly jsonrpc?: unknown }).jsonrpc === '1.0'
}

/**
 * A 1.0 message as the 2.0 model the dispatcher runs: a request with its id, or a notification (no
 * `id` member) for `"id": null`; `undefined` when the message is malformed (a method that is not a
 * string, params that are neither an array nor an object, an id that is not a string or a number).
 */
export const toRequest = (m: Readonly<Record<string, unknown>>): RpcRequest.RpcRequest | undefined => {
  const method = m['method']
  const id = m['id']
  const params = m['params']
  if (typeof method !== 'string' || !Id.isId(id)) return undefined
  if (params !== undefined && params !== null && !RpcRequest.isParams(params)) return undefined
  const given = params === null ? undefined : params
  return id === null ? RpcRequest.notification(method, given) : RpcRequest.request(method, given, id)
}

/** The id a malformed 1.0 message is answered with: its own when valid, `null` otherwise. */
export const idOf = (m: Readonly<Record<string, unknown>>): Id.Id => {
  const id = m['id']
  return Id.isId(id) ? id : null
}

/**
 * A response of the 2.0 model in 1.0's shape: `{"result": r, "error": null, "id": i}` or
 * `{"result": null, "error": e, "id": i}`, members in that order.
 */
export const fromResponse = (r: RpcResponse.RpcResponse): Response =>
  Object.hasOwn(r, 'result')
    ? { result: (r as RpcResponse.Success).result, error: null, id: r.id }
    : { result: null, error: (r as RpcResponse.Failure).error, id: r.id }

// -------------------------------------------------------------------------------------
// the client's side
// -------------------------------------------------------------------------------------

/**
 * A response as the 2.0 model, for a client that speaks 1.0: a 1.0 response (no `jsonrpc` member, an
 * `id` member) becomes the 2.0 success or failure it says (a non-null `error` is a failure; otherwise
 * `result`, absent read as `null`); both non-null is kept as both, for the validator to refuse.
 * Anything else, 2.0 responses included (a peer may answer an unreadable message in 2.0's shape), is
 * left as it is.
 */
export const toModel = (u: unknown): unknown => {
  if (!isRecord(u) || Object.hasOwn(u, 'jsonrpc') || !Object.hasOwn(u, 'id')) return u
  const error = u['error']
  const result = u['result']
  const failed = error !== null && error !== undefined
  if (failed && result !== null && result !== undefined) return { jsonrpc: '2.0', result, error, id: u['id'] }
  return failed ? { jsonrpc: '2.0', error, id: u['id'] } : { jsonrpc: '2.0', result: result ?? null, id: u['id'] }
}

/** {@link toModel} of a reply: of each element of an array, or of the one object. */
export const replyToModel = (u: unknown): unknown => (Array.isArray(u) ? u.map(toModel) : toModel(u))
