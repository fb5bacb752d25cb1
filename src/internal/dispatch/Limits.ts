/**
 * The dispatcher's options that bound its work, read and checked once (a bad value throws a
 * `RangeError` where the dispatcher is made), and the checks that apply them to a message.
 *
 * @internal
 */
import * as RpcError from '../../RpcError.js'
import { hasProtoMember } from '../object.js'
import { INVALID_REQUEST } from './Errors.js'

/** What the limits options say, defaults applied, with the errors that refusals answer. */
export interface Limits {
  /** How many asynchronous handlers of one batch run at once. */
  readonly batchConcurrency: number
  readonly maxBatchLength: number
  readonly maxDepth: number
  readonly timeoutMs: number
  readonly timeoutError: RpcError.RpcError
  /** The answer to a batch longer than {@link maxBatchLength}. */
  readonly batchTooLong: RpcError.RpcError
  /** The answer to params deeper than {@link maxDepth}. */
  readonly tooDeep: RpcError.RpcError
}

/** The options {@link read} reads. */
export interface LimitOptions {
  readonly batchConcurrency?: number
  readonly maxBatchLength?: number
  readonly maxDepth?: number
  readonly timeoutMs?: number
  readonly timeoutError?: RpcError.RpcError
}

/** Reads the options, with their defaults; throws a `RangeError` for a value out of range (NaN included). */
export const read = (options: LimitOptions): Limits => {
  const batchConcurrency = options.batchConcurrency ?? 16
  if (!(batchConcurrency >= 1)) throw new RangeError(`batchConcurrency must be at least 1, got ${batchConcurrency}`)
  const maxBatchLength = options.maxBatchLength ?? 100
  if (!(maxBatchLength >= 1)) throw new RangeError(`maxBatchLength must be at least 1, got ${maxBatchLength}`)
  const maxDepth = options.maxDepth ?? 64
  if (!(maxDepth >= 1)) throw new RangeError(`maxDepth must be at least 1, got ${maxDepth}`)
  const timeoutMs = options.timeoutMs ?? 30_000
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be 0 or more, got ${timeoutMs}`)
  return {
    batchConcurrency,
    maxBatchLength,
    maxDepth,
    timeoutMs,
    timeoutError: options.timeoutError ?? RpcError.timeout(),
    batchTooLong: RpcError.make(RpcError.ErrorCode.InvalidRequest, 'Invalid Request', `a batch holds at most ${maxBatchLength} requests`),
    tooDeep: RpcError.invalidParams([`params: nested deeper than ${maxDepth} levels`]),
  }
}

/**
 * Whether the message as a whole is refused before any of it runs: an empty batch (Invalid
 * Request), a batch longer than the limit. `undefined` when it is not.
 */
export const refusal = (u: unknown, limits: Limits): RpcError.RpcError | undefined => {
  if (Array.isArray(u)) {
    if (u.length === 0) return INVALID_REQUEST
    if (u.length > limits.maxBatchLength) return limits.batchTooLong
  }
  return undefined
}

/**
 * The answer to params that hold a member named `__proto__`, at any depth. JSON.parse keeps such a
 * member as data, but io-ts copies an object it changes while decoding (a `t.type` with a member
 * absent but optional, say) with an assignment, which turns that member into the copy's prototype:
 * the handler would get params that inherit whatever the caller wrote there (`params.isAdmin`).
 * So no codec ever sees one.
 */
export const PROTO_MEMBER: RpcError.RpcError = RpcError.invalidParams(['params: a member named "__proto__" is not accepted'])

/**
 * Whether params hold no array or object and no member named `__proto__`: the common case, checked
 * in place, without the walk's calls; one level deep, within every maxDepth (at least 1).
 */
export const isFlat = (params: object): boolean => {
  if (Array.isArray(params)) {
    for (let i = 0; i < params.length; i++) {
      const v: unknown = params[i]
      if (typeof v === 'object' && v !== null) return false
    }
    return true
  }
  for (const k in params) {
    const v: unknown = (params as Record<string, unknown>)[k]
    if ((typeof v === 'object' && v !== null) || k === '__proto__') return false
  }
  return true
}

/**
 * Whether a parsed JSON value nests arrays and objects more than `max` levels deep. The recursion
 * stops at `max` levels; should a huge `max` still exhaust the stack, the value is deep enough to
 * refuse.
 */
export const deeperThan = (u: unknown, max: number): boolean => {
  try {
    return deeper(u, max)
  } catch {
    return true
  }
}

const deeper = (u: unknown, levels: number): boolean => {
  if (typeof u !== 'object' || u === null) return false
  if (levels === 0) return true
  if (Array.isArray(u)) {
    for (let i = 0; i < u.length; i++) {
      const v: unknown = u[i]
      if (typeof v === 'object' && v !== null && deeper(v, levels - 1)) return true
    }
    return false
  }
  for (const k in u) {
    const v: unknown = (u as Record<string, unknown>)[k]
    if (typeof v === 'object' && v !== null && deeper(v, levels - 1)) return true
  }
  return false
}

/**
 * Why params are refused before their codec sees them: nested deeper than the limits allow
 * (`limits.tooDeep`), or holding a member named `__proto__` ({@link PROTO_MEMBER}); `undefined` for
 * the params to decode. The flat common case is decided in place; nested params are walked for
 * their depth first, so the second walk never meets more than `maxDepth` levels.
 */
export const paramsRefusal = (params: object | undefined, limits: Limits): RpcError.RpcError | undefined => {
  if (params === undefined || isFlat(params)) return undefined
  if (deeperThan(params, limits.maxDepth)) return limits.tooDeep
  return hasProtoMember(params) ? PROTO_MEMBER : undefined
}
