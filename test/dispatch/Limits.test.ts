import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as _ from '../../src/internal/dispatch/Limits.js'

describe('Limits.read', () => {
  it('applies the defaults', () => {
    const limits = _.read({})
    expect([limits.batchConcurrency, limits.maxBatchLength, limits.maxDepth, limits.timeoutMs]).toEqual([16, 100, 64, 30_000])
    expect(limits.timeoutError).toEqual({ code: -32003, message: 'Request timed out' })
    expect(limits.batchTooLong).toEqual({ code: -32600, message: 'Invalid Request', data: 'a batch holds at most 100 requests' })
    expect(limits.tooDeep).toEqual({ code: -32602, message: 'Invalid params', data: ['params: nested deeper than 64 levels'] })
  })

  it('takes Infinity for no limit', () => {
    const limits = _.read({ maxBatchLength: Infinity, maxDepth: Infinity, timeoutMs: Infinity, batchConcurrency: Infinity })
    expect([limits.batchConcurrency, limits.maxBatchLength, limits.maxDepth, limits.timeoutMs]).toEqual([Infinity, Infinity, Infinity, Infinity])
  })

  it('refuses values out of range, NaN included, with a RangeError', () => {
    for (const bad of [0, -1, NaN]) {
      expect(() => _.read({ batchConcurrency: bad })).toThrow(RangeError)
      expect(() => _.read({ maxBatchLength: bad })).toThrow(RangeError)
      expect(() => _.read({ maxDepth: bad })).toThrow(RangeError)
    }
    expect(() => _.read({ timeoutMs: -1 })).toThrow(RangeError)
    expect(() => _.read({ timeoutMs: NaN })).toThrow(RangeError)
    expect(_.read({ timeoutMs: 0 }).timeoutMs).toBe(0)
  })
})

describe('Limits.refusal', () => {
  const limits = _.read({ maxBatchLength: 2 })
  it('refuses an empty batch as Invalid Request', () => {
    expect(_.refusal([], limits)).toEqual({ code: -32600, message: 'Invalid Request' })
  })
  it('refuses a batch longer than the limit, and takes one at the limit', () => {
    expect(_.refusal([1, 2, 3], limits)).toBe(limits.batchTooLong)
    expect(_.refusal([1, 2], limits)).toBeUndefined()
  })
  it('lets anything that is not an array through', () => {
    for (const u of [{}, null, 1, 'x', undefined]) expect(_.refusal(u, limits)).toBeUndefined()
  })
})

// The plain walk the fast checks must agree with.
const depth = (u: unknown): number => (typeof u !== 'object' || u === null ? 0 : 1 + Math.max(0, ...(Array.isArray(u) ? u : Object.values(u)).map(depth)))

// Whether a JSON value has an own member named `__proto__` at any depth (the plain walk).
const hasProtoMember = (u: unknown): boolean =>
  typeof u === 'object' && u !== null && (Object.hasOwn(u, '__proto__') || (Array.isArray(u) ? u : Object.values(u)).some(hasProtoMember))

describe('Limits.isFlat, deeperThan, paramsRefusal', () => {
  it('isFlat: no array or object inside', () => {
    expect(_.isFlat([1, 'a', null, true])).toBe(true)
    expect(_.isFlat({ a: 1, b: null })).toBe(true)
    expect(_.isFlat([1, []])).toBe(false)
    expect(_.isFlat({ a: {} })).toBe(false)
    expect(_.isFlat(JSON.parse('{"__proto__":1}') as object)).toBe(false)
  })

  it('deeperThan agrees with the plain depth, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 8 }), (u, max) => {
        expect(_.deeperThan(u, max)).toBe(depth(u) > max)
      }),
    )
  })

  it('paramsRefusal: too deep exactly when the plain depth says so, for any params without a __proto__ member', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.array(fc.jsonValue({ maxDepth: 6 })), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 6 }))),
        fc.integer({ min: 1, max: 6 }),
        (params, maxDepth) => {
          const limits = _.read({ maxDepth })
          const refused = _.paramsRefusal(params, limits)
          if (hasProtoMember(params)) expect(refused).not.toBeUndefined()
          else expect(refused).toBe(depth(params) > maxDepth ? limits.tooDeep : undefined)
        },
      ),
    )
    expect(_.paramsRefusal(undefined, _.read({ maxDepth: 1 }))).toBeUndefined()
  })

  it('paramsRefusal: a member named __proto__ anywhere, as JSON.parse gives it, is refused; a string "__proto__" is not', () => {
    const limits = _.read({})
    for (const text of [
      '{"__proto__":{"isAdmin":true},"name":"x"}',
      '{"__proto__":1}',
      '{"a":{"b":[{"__proto__":null}]}}',
      '[1,{"__proto__":{}}]',
      '[[{"x":{"__proto__":[]}}]]',
    ])
      expect([text, _.paramsRefusal(JSON.parse(text) as object, limits)]).toEqual([text, _.PROTO_MEMBER])
    for (const text of ['{"name":"__proto__"}', '["__proto__"]', '{"proto":{"__proto":1}}', '{"a":{"constructor":{"prototype":{}}}}'])
      expect([text, _.paramsRefusal(JSON.parse(text) as object, limits)]).toEqual([text, undefined])
  })

  it('paramsRefusal: for any params, a __proto__ member is found wherever fast-check puts it', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('__proto__', 'a', 'b'), fc.jsonValue({ maxDepth: 4 }), { minKeys: 0 }), (params) => {
        const refused = _.paramsRefusal(params, _.read({ maxDepth: 64 }))
        expect(refused === _.PROTO_MEMBER).toBe(hasProtoMember(params))
      }),
    )
  })

  it('deeperThan refuses a value deep enough to exhaust the stack, without throwing', () => {
    let u: unknown = 1
    for (let i = 0; i < 200_000; i++) u = [u]
    expect(_.deeperThan(u, Infinity)).toBe(true)
  })
})
