/**
 * The attributes of OpenTelemetry's semantic conventions for JSON-RPC that the server middleware and
 * the client wrapper set, as of semantic conventions v1.37.0 (the JSON-RPC page's `rpc.system`,
 * `rpc.method`, `rpc.jsonrpc.*` attributes; the RPC spans page's span name and kind). Later versions
 * renamed them (`rpc.system.name`, `jsonrpc.request.id`, `rpc.response.status_code`), still in
 * development; the RPC conventions ask instrumentations to keep emitting what they first emitted
 * until the new names are stable.
 *
 * @since 0.2.0
 */
import type { Attributes } from '@opentelemetry/api'

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The attribute names set, by their role.
 *
 * @category constants
 * @since 0.2.0
 */
export const Attribute = {
  /** Always `"jsonrpc"`. */
  System: 'rpc.system',
  /** The method's name; the span is named after it too. */
  Method: 'rpc.method',
  /** The request's `jsonrpc` member (`"2.0"`); left out for a message without one (JSON-RPC 1.0). */
  Version: 'rpc.jsonrpc.version',
  /** The request's id as a string (`""` for `null`); left out for a notification. */
  RequestId: 'rpc.jsonrpc.request_id',
  /** The error response's `error.code`, an integer. */
  ErrorCode: 'rpc.jsonrpc.error_code',
  /** The error response's `error.message`. */
  ErrorMessage: 'rpc.jsonrpc.error_message',
  /** What a failure that is not a JSON-RPC error was (the general `error.type`): a transport error's `_tag`. */
  ErrorType: 'error.type',
} as const

/**
 * The name of the tracer the middleware and the wrapper use by default.
 *
 * @category constants
 * @since 0.2.0
 */
export const tracerName = 'fp-jsonrpc'

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The attributes of a span for one message, known before it is answered: `rpc.system`,
 * `rpc.method`, `rpc.jsonrpc.version` when the message has a `jsonrpc` member, and
 * `rpc.jsonrpc.request_id` unless it is a notification.
 *
 * @example
 * import * as assert from 'node:assert'
 * import { Conventions } from 'fp-jsonrpc/otel'
 *
 * assert.deepStrictEqual(Conventions.requestAttributes({ jsonrpc: '2.0', method: 'sum', id: 7 }), {
 *   'rpc.system': 'jsonrpc',
 *   'rpc.method': 'sum',
 *   'rpc.jsonrpc.version': '2.0',
 *   'rpc.jsonrpc.request_id': '7',
 * })
 *
 * @category utils
 * @since 0.2.0
 */
export const requestAttributes = (message: { readonly method: string; readonly jsonrpc?: unknown; readonly id?: unknown }): Attributes => {
  const attributes: Record<string, string> = { [Attribute.System]: 'jsonrpc', [Attribute.Method]: message.method }
  if (typeof message.jsonrpc === 'string') attributes[Attribute.Version] = message.jsonrpc
  if ('id' in message) attributes[Attribute.RequestId] = idText(message.id)
  return attributes
}

/**
 * The attributes of an error response: its code and its message.
 *
 * @category utils
 * @since 0.2.0
 */
export const errorAttributes = (error: { readonly code: number; readonly message: string }): Attributes => ({
  [Attribute.ErrorCode]: error.code,
  [Attribute.ErrorMessage]: error.message,
})

// An id as the conventions want it: a string, `""` for null (and for what is no id at all).
const idText = (id: unknown): string => (typeof id === 'string' ? id : typeof id === 'number' ? String(id) : '')
