import { describe, expect, it } from 'vitest'
import { safely } from '../src/internal/hooks.js'
import { hasOwn, isRecord } from '../src/internal/object.js'
import { isTimerMs, MAX_TIMER_MS } from '../src/internal/timers.js'

describe('internal/object', () => {
  it('hasOwn sees own keys only, __proto__ parsed from JSON included', () => {
    const parsed = JSON.parse('{"__proto__":1,"a":2}') as object
    expect(hasOwn(parsed, '__proto__')).toBe(true)
    expect(hasOwn(parsed, 'a')).toBe(true)
    expect(hasOwn({}, 'toString')).toBe(false)
    expect(hasOwn(Object.create({ inherited: 1 }) as object, 'inherited')).toBe(false)
  })
  it('isRecord takes objects, refuses null and arrays', () => {
    expect([{}, { a: 1 }].map(isRecord)).toEqual([true, true])
    expect([null, [], 'x', 1, undefined].map(isRecord)).toEqual([false, false, false, false, false])
  })
})

describe('internal/timers', () => {
  it('isTimerMs: above 0 and at most 2^31 - 1', () => {
    expect([1, 1000, MAX_TIMER_MS].map(isTimerMs)).toEqual([true, true, true])
    expect([0, -1, NaN, MAX_TIMER_MS + 1, Infinity, undefined].map(isTimerMs)).toEqual([false, false, false, false, false, false])
  })
})

describe('internal/hooks', () => {
  it('safely calls the hook with its arguments and swallows what it throws', () => {
    const seen: Array<unknown> = []
    safely((a: number, b: string) => void seen.push(a, b), 1, 'x')
    expect(seen).toEqual([1, 'x'])
    expect(() =>
      safely(() => {
        throw new Error('boom')
      }),
    ).not.toThrow()
    expect(() => safely(undefined)).not.toThrow()
  })
})
