/**
 * What a peer reads off a parsed message before deciding whose it is: the ids of requests and of
 * `$/cancelRequest`, and the text of the cancellation it sends. Pure functions of the message.
 *
 * @internal
 */
import { hasOwn, isRecord } from '../object.js'
import { idText } from '../json.js'

/** The method of the cancellation notification, as vscode-jsonrpc and the Language Server Protocol name it. */
export const CANCEL_METHOD = '$/cancelRequest'

/** What a peer holds in place of the parsed value of a message that is not JSON. */
export const NOT_JSON: unique symbol = Symbol('not JSON')

/** An id a call can be matched or cancelled by (`null` matches nothing). */
export const isId = (u: unknown): u is string | number => typeof u === 'string' || typeof u === 'number'

/** The id of a single request that may be cancelled; `undefined` for anything else. */
export const requestId = (u: unknown): string | number | undefined => {
  if (!isRecord(u) || typeof u['method'] !== 'string') return undefined
  const id = u['id']
  return isId(id) ? id : undefined
}

/** The id a `$/cancelRequest` notification names, or `undefined` when the message is not one. */
export const cancelledId = (u: unknown): string | number | undefined => {
  if (!isRecord(u) || u['method'] !== CANCEL_METHOD || hasOwn(u, 'id')) return undefined
  const params = u['params']
  return isRecord(params) && isId(params['id']) ? params['id'] : undefined
}

/** The notification that tells the other side this side gave up call `id`. */
export const cancelText = (id: string | number): string => `{"jsonrpc":"2.0","method":"${CANCEL_METHOD}","params":{"id":${idText(id)}}}`
