/**
 * Plain-object checks shared by the modules that read untrusted JSON.
 *
 * @internal
 */

/** Whether `key` is an own property of `u` (never its prototype's: `__proto__` in JSON stays data). */
export const hasOwn = (u: object, key: PropertyKey): boolean => Object.hasOwn(u, key)

/** A JSON object: not null, not an array. */
export const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u)
