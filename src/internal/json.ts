/**
 * JSON text written by hand on hot paths.
 *
 * @internal
 */
import type { Id } from '../Id.js'

/**
 * The JSON text of an id (a string, a safe-range number or null, checked where ids come in).
 *
 * `JSON.stringify` for numbers too, never `String(n)`, `'' + n` or a template: those go through
 * V8's number-to-string cache. Measured (Node 20, 100 calls in flight over TCP, fp-jsonrpc's client
 * against the bench's floor server, in a process of its own): with `String(id)` the old generation
 * grew by about 2 MB at every scavenge (objects of short-lived calls promoted, then a mark-compact
 * every few hundred ms) and the client made 195-200k calls/s; with `JSON.stringify(id)` nothing was
 * promoted and it made 310-317k (the floor's client: 360-388k in the same runs). In a process that
 * has also loaded `ws` (as bench:transports does) the promotion was seen with both.
 */
export const idText = (id: Id): string => JSON.stringify(id)

/**
 * The decimal text of a count (a `Content-Length`, say), with `JSON.stringify` for the reason given
 * at {@link idText}.
 */
export const decimalText = (n: number): string => JSON.stringify(n)

/** The answer to a message that cannot be read (not JSON, not UTF-8): `-32700 Parse error`, id null. */
export const PARSE_ERROR_TEXT = '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
