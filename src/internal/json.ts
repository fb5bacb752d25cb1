/**
 * JSON text written by hand on hot paths.
 *
 * @internal
 */
import type { Id } from '../Id.js'

/**
 * The JSON text of an id: a string, a safe-range number or null (checked where ids come in), so
 * `String(id)` for numbers and null, and `JSON.stringify` for strings.
 */
export const idText = (id: Id): string => (typeof id === 'string' ? JSON.stringify(id) : String(id))

/** The answer to a message that cannot be read (not JSON, not UTF-8): `-32700 Parse error`, id null. */
export const PARSE_ERROR_TEXT = '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
