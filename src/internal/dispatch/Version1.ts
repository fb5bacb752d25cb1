/**
 * JSON-RPC 1.0 in the dispatcher (the `version1` option): the runner that reads a 1.0 message as
 * the 2.0 request it stands for, runs it through the one pipeline, and marks its answer, so that
 * the writer writes it in 1.0's shape (see Writer.makeMixed). A dispatcher without the option never
 * meets this module: `make` chooses the runner once.
 *
 * What a 1.0 message gets:
 * - a valid one is run as the 2.0 request (or notification, for `"id": null`) it stands for: the same
 *   validator, method table, params codecs, limits and handlers; its answer, if any, in 1.0's shape;
 * - a malformed one (see version1.toRequest) is answered `-32600 Invalid Request` in 1.0's shape,
 *   with its id when valid (`null` otherwise), as jsonrpclib's server does; its ServerProxy raises
 *   it as `ProtocolError((-32600, 'Invalid Request'))`.
 *
 * @internal
 */
import type { Given } from '../../Dispatch.js'
import * as RpcResponse from '../../RpcResponse.js'
import * as Version1 from '../version1.js'
import type { Item } from './Call.js'
import { INVALID_REQUEST } from './Errors.js'

/** A value now, or a Promise of it. */
type Awaitable<A> = A | Promise<A>

/**
 * The answer to a 1.0 message (or batch element): the response of the 2.0 model, to be written in
 * 1.0's shape, or `undefined` for a notification.
 */
export class Answer {
  declare readonly response: Item
  constructor(response: Item) {
    this.response = response
  }
}

/** What one message or batch element is answered with, when 1.0 is taken as well. */
export type Mixed = Item | Answer

const mark = (item: Item): Answer => new Answer(item)

/**
 * The runner of a dispatcher that takes 1.0 as well: 2.0 messages (and whatever is not 1.0) go to
 * `runOne` as they are; 1.0 ones as their 2.0 request, and their answer is marked.
 */
export const runner =
  <B>(runOne: (u: unknown, base: B, given: Given | undefined) => Awaitable<Item>) =>
  (u: unknown, base: B, given: Given | undefined): Awaitable<Mixed> => {
    if (!Version1.isMessage(u)) return runOne(u, base, given)
    const request = Version1.toRequest(u)
    if (request === undefined) return new Answer(RpcResponse.failure(INVALID_REQUEST, Version1.idOf(u)))
    const item = runOne(request, base, given)
    return item instanceof Promise ? item.then(mark) : mark(item)
  }
