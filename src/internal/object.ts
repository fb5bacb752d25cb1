/**
 * Plain-object checks shared by the modules that read untrusted JSON.
 *
 * @internal
 */

/**
 * Whether `key` is an own property of `u` (never its prototype's: `__proto__` in JSON stays data).
 *
 * This is a call into the runtime on every use. Where a member is often missing (the `id` of a
 * notification), the dispatcher tests `key in u` first, with the key written out: that test is
 * answered by the site's own inline cache, without a call, and only a member that is there (own or
 * inherited) is then asked about with this (`npm run bench`, medians of 10 runs: a notification 1.39 ->
 * 1.30 the floor, an invalid request 1.21 -> 1.12).
 */
export const hasOwn = (u: object, key: PropertyKey): boolean => Object.hasOwn(u, key)

/** A JSON object: not null, not an array. */
export const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u)

/**
 * Whether a JSON value holds an object member named `__proto__`, at any depth. JSON.parse keeps one
 * as data, but io-ts copies an object it changes while decoding by assignment, which makes that
 * member the copy's prototype; so a decoder must not meet one. A value too deep to walk (or not a
 * JSON value: a cycle) counts as holding one.
 */
export const hasProtoMember = (u: unknown): boolean => {
  if (typeof u !== 'object' || u === null) return false
  try {
    return protoWithin(u)
  } catch {
    return true
  }
}

const protoWithin = (u: object): boolean => {
  if (Array.isArray(u)) {
    for (let i = 0; i < u.length; i++) {
      const v: unknown = u[i]
      if (typeof v === 'object' && v !== null && protoWithin(v)) return true
    }
    return false
  }
  for (const k in u) {
    if (k === '__proto__') return true
    const v: unknown = (u as Record<string, unknown>)[k]
    if (typeof v === 'object' && v !== null && protoWithin(v)) return true
  }
  return false
}
