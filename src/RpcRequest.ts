/**
 * Request and notification objects: the model, constructors for clients, and the codecs a server
 * validates incoming messages with.
 *
 * A notification is a request object *without* an `id` member: membership, not value, decides.
 * `"id": null` is a request (whose answer carries `"id": null`), not a notification.
 *
 * `params` is an array, an object, or absent. `"params": null` is an Invalid Request: the
 * specification says that when present it MUST be a structured value, and `null` is not one.
 *
 * @since 0.1.0
 */
import * as t from 'io-ts'
import * as Id from './Id.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Structured parameters: by position (an array) or by name (an object).
 *
 * @category model
 * @since 0.1.0
 */
export type Params = ReadonlyArray<unknown> | { readonly [name: string]: unknown }

/**
 * A call that expects an answer.
 *
 * @category model
 * @since 0.1.0
 */
export interface Request {
  readonly jsonrpc: '2.0'
  readonly method: string
  readonly params?: Params
  readonly id: Id.Id
}

/**
 * A call without an `id` member: the server answers nothing, not even errors.
 *
 * @category model
 * @since 0.1.0
 */
export interface Notification {
  readonly jsonrpc: '2.0'
  readonly method: string
  readonly params?: Params
}

/**
 * A request or a notification, told apart by the presence of an `id` member.
 *
 * @category model
 * @since 0.1.0
 */
export type RpcRequest = Request | Notification

/**
 * A batch: a non-empty array of requests and notifications.
 *
 * @category model
 * @since 0.1.0
 */
export type Batch = readonly [RpcRequest, ...Array<RpcRequest>]

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A request; `params` left out when `undefined`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const request = (method: string, params: Params | undefined, id: Id.Id): Request =>
  params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id }

/**
 * A notification; `params` left out when `undefined`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const notification = (method: string, params?: Params): Notification =>
  params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }

// -------------------------------------------------------------------------------------
// refinements
// -------------------------------------------------------------------------------------

/**
 * Whether the request has no `id` member.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isNotification = (r: RpcRequest): r is Notification => !('id' in r && Object.hasOwn(r, 'id'))

/**
 * Whether `u` is a valid params value: an array or a non-null object.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isParams = (u: unknown): u is Params => typeof u === 'object' && u !== null

/**
 * Whether `u` is a valid request or notification object. Written as a plain guard: it is the first
 * thing every incoming message meets, and costs a few nanoseconds where a composed codec costs
 * about a microsecond. {@link codec} is built on it.
 *
 * @category refinements
 * @since 0.1.0
 */
export const isRpcRequest = (u: unknown): u is RpcRequest => {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return false
  const r = u as { jsonrpc?: unknown; method?: unknown; params?: unknown; id?: unknown }
  if (r.jsonrpc !== '2.0' || typeof r.method !== 'string') return false
  const params = r.params
  if (params !== undefined && (typeof params !== 'object' || params === null)) return false
  // `r.params === undefined` also covers a present member holding `undefined`, which JSON cannot
  // express; a custom deserializer that produces one gets the member treated as absent.
  // `in` first: a missing id (a notification) is answered by the inline cache, without a call.
  return 'id' in r && Object.hasOwn(r, 'id') ? Id.isId(r.id) : true
}

/**
 * The id to answer an invalid request with: its own id when that member is present and valid,
 * `null` otherwise, as the specification asks when the id cannot be detected.
 *
 * @category utils
 * @since 0.1.0
 */
export const detectId = (u: unknown): Id.Id => {
  if (typeof u !== 'object' || u === null || Array.isArray(u) || !('id' in u && Object.hasOwn(u, 'id'))) return null
  const id = (u as { id?: unknown }).id
  return Id.isId(id) ? id : null
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * Codec of a request or notification. Decoding checks the whole envelope; it returns the input
 * itself (members other than the spec's are kept and ignored).
 *
 * @category codecs
 * @since 0.1.0
 */
export const codec: t.Type<RpcRequest, RpcRequest, unknown> = new t.Type<RpcRequest, RpcRequest, unknown>(
  'RpcRequest',
  isRpcRequest,
  (u, c) => (isRpcRequest(u) ? t.success(u) : t.failure(u, c, 'expected a JSON-RPC 2.0 request object')),
  t.identity,
)

/**
 * Codec of a request that has an `id` member.
 *
 * @category codecs
 * @since 0.1.0
 */
export const requestCodec: t.Type<Request, Request, unknown> = new t.Type<Request, Request, unknown>(
  'Request',
  (u): u is Request => isRpcRequest(u) && !isNotification(u),
  (u, c) => (isRpcRequest(u) && !isNotification(u) ? t.success(u) : t.failure(u, c, 'expected a request with an id')),
  t.identity,
)

/**
 * Codec of a notification (no `id` member).
 *
 * @category codecs
 * @since 0.1.0
 */
export const notificationCodec: t.Type<Notification, Notification, unknown> = new t.Type<Notification, Notification, unknown>(
  'Notification',
  (u): u is Notification => isRpcRequest(u) && isNotification(u),
  (u, c) => (isRpcRequest(u) && isNotification(u) ? t.success(u) : t.failure(u, c, 'expected a notification (no id member)')),
  t.identity,
)

/**
 * Codec of a batch: a non-empty array whose every element is a request or notification.
 * (A server checks elements one by one instead, so that valid ones still run.)
 *
 * @category codecs
 * @since 0.1.0
 */
export const batchCodec: t.Type<Batch, Batch, unknown> = new t.Type<Batch, Batch, unknown>(
  'Batch',
  (u): u is Batch => Array.isArray(u) && u.length > 0 && u.every(isRpcRequest),
  (u, c) =>
    Array.isArray(u) && u.length > 0 && u.every(isRpcRequest)
      ? t.success(u as unknown as Batch)
      : t.failure(u, c, 'expected a non-empty array of request objects'),
  t.identity,
)
