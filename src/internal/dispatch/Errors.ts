/**
 * The specification's own errors, as the dispatcher's shared constants: one value each, so that the
 * writer knows them by identity and writes their text once (see Writer).
 *
 * @internal
 */
import * as RpcError from '../../RpcError.js'

export const PARSE_ERROR = RpcError.parseError()
export const INVALID_REQUEST = RpcError.invalidRequest()
export const METHOD_NOT_FOUND = RpcError.methodNotFound()
export const INTERNAL_ERROR = RpcError.internalError()
