import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as _ from '../src/internal/Deadlines.js'

const timed = (name: string) => ({ name, deadline: 0, timed: false })

describe('internal/Deadlines: deadlines of one length, one timer', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('expires each deadline once, in the order they were set, and not those done before their time', () => {
    const expired: Array<string> = []
    const deadlines = _.make<ReturnType<typeof timed>>(100, (v) => void expired.push(v.name))
    const a = timed('a')
    const b = timed('b')
    const c = timed('c')
    deadlines.add(a)
    vi.advanceTimersByTime(40)
    deadlines.add(b)
    deadlines.add(c)
    deadlines.done(b)
    deadlines.done(b) // idempotent
    vi.advanceTimersByTime(59)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(expired).toEqual(['a'])
    expect(a.timed).toBe(false)
    vi.advanceTimersByTime(40)
    expect(expired).toEqual(['a', 'c'])
    deadlines.done(c) // after it expired: nothing
    expect(vi.getTimerCount()).toBe(0)
  })

  it('keeps one timer however many deadlines run, compacts when most are done, and leaves no timer once all are over', () => {
    const deadlines = _.make<ReturnType<typeof timed>>(1000, () => undefined)
    const all = Array.from({ length: 5000 }, (_v, i) => timed(String(i)))
    for (const v of all) deadlines.add(v)
    expect(vi.getTimerCount()).toBe(1)
    // Done out of order, most of them: the queue compacts, and the rest still expire.
    for (const v of all.slice(1, 4990)) deadlines.done(v)
    const expired: Array<string> = []
    const later = _.make<ReturnType<typeof timed>>(1000, (v) => void expired.push(v.name))
    const rest = Array.from({ length: 3000 }, (_v, i) => timed(`r${i}`))
    for (const v of rest) later.add(v)
    for (const v of rest.slice(0, 2999)) later.done(v)
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual(['r2999'])
    for (const v of all) deadlines.done(v)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('under steady load (never empty, done in order), holds about as many places as run, not all ever set', () => {
    const deadlines = _.make<ReturnType<typeof timed>>(1000, () => undefined)
    const running: Array<ReturnType<typeof timed>> = []
    for (let i = 0; i < 100; i++) {
      const v = timed(String(i))
      deadlines.add(v)
      running.push(v)
    }
    for (let i = 100; i < 100_000; i++) {
      deadlines.done(running.shift() as ReturnType<typeof timed>)
      const v = timed(String(i))
      deadlines.add(v)
      running.push(v)
    }
    expect(deadlines.held()).toBeLessThan(3000)
  })
})
