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

describe('Limits.isFlat, deeperThan, paramsTooDeep', () => {
  it('isFlat: no array or object inside', () => {
    expect(_.isFlat([1, 'a', null, true])).toBe(true)
    expect(_.isFlat({ a: 1, b: null })).toBe(true)
    expect(_.isFlat([1, []])).toBe(false)
    expect(_.isFlat({ a: {} })).toBe(false)
  })

  it('deeperThan agrees with the plain depth, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 8 }), (u, max) => {
        expect(_.deeperThan(u, max)).toBe(depth(u) > max)
      }),
    )
  })

  it('paramsTooDeep agrees with the plain depth, for any params', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.array(fc.jsonValue({ maxDepth: 6 })), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 6 }))),
        fc.integer({ min: 1, max: 6 }),
        (params, maxDepth) => {
          expect(_.paramsTooDeep(params, _.read({ maxDepth }))).toBe(depth(params) > maxDepth)
        },
      ),
    )
    expect(_.paramsTooDeep(undefined, _.read({ maxDepth: 1 }))).toBe(false)
  })

  it('deeperThan refuses a value deep enough to exhaust the stack, without throwing', () => {
    let u: unknown = 1
    for (let i = 0; i < 200_000; i++) u = [u]
    expect(_.deeperThan(u, Infinity)).toBe(true)
  })
})
