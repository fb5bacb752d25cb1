/**
 * The idle timeout and the frame deadline of a stream connection (internal/stream/Timers), alone,
 * on fake clocks. test/two-way-drip.test.ts and test/stream-tcp.test.ts see them through `attach`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Timers from '../src/internal/stream/Timers.js'

const rig = (options: Partial<Timers.TimersOptions> = {}) => {
  const seen: Array<string> = []
  let held = 0
  let busy = false
  const timers = Timers.start({
    idleMs: Infinity,
    frameMs: Infinity,
    buffered: () => held,
    busy: () => busy,
    onIdle: () => void seen.push('idle'),
    onStalled: (ms, received) => void seen.push(`stalled ${ms} ${received}`),
    ...options,
  })
  return {
    timers,
    seen,
    hold: (n: number) => void (held = n),
    setBusy: (b: boolean) => void (busy = b),
  }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('internal/stream/Timers: idle', () => {
  it('fires once after idleMs of no activity', () => {
    const { seen } = rig({ idleMs: 100 })
    vi.advanceTimersByTime(99)
    expect(seen).toEqual([])
    vi.advanceTimersByTime(1)
    expect(seen).toEqual(['idle'])
    vi.advanceTimersByTime(1000)
    expect(seen).toEqual(['idle'])
  })

  it('activity puts it off by the time since; no timer is set per activity', () => {
    const { timers, seen } = rig({ idleMs: 100 })
    vi.advanceTimersByTime(60)
    Timers.active(timers)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(60)
    expect(seen).toEqual([])
    vi.advanceTimersByTime(40)
    expect(seen).toEqual(['idle'])
  })

  it('a busy connection is never idle', () => {
    const { seen, setBusy } = rig({ idleMs: 100 })
    setBusy(true)
    vi.advanceTimersByTime(1000)
    expect(seen).toEqual([])
    setBusy(false)
    vi.advanceTimersByTime(100)
    expect(seen).toEqual(['idle'])
  })

  it('no timer for Infinity, 0, or beyond 2^31 - 1 ms', () => {
    for (const idleMs of [Infinity, 0, 2 ** 31]) {
      rig({ idleMs })
      expect(vi.getTimerCount()).toBe(0)
    }
  })

  it('stop ends it for good', () => {
    const { timers, seen } = rig({ idleMs: 100 })
    Timers.stop(timers)
    Timers.stop(timers)
    vi.advanceTimersByTime(1000)
    expect(seen).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('internal/stream/Timers: frame deadline', () => {
  it('a frame begun must complete within frameMs: Stalled with the bytes held', () => {
    const { timers, seen, hold } = rig({ frameMs: 100 })
    hold(3)
    Timers.watchFrame(timers, false)
    vi.advanceTimersByTime(50)
    hold(5)
    Timers.watchFrame(timers, false) // the same frame, still incomplete: it keeps its start
    vi.advanceTimersByTime(50)
    expect(seen).toEqual(['stalled 100 5'])
  })

  it('a frame that completes clears the deadline; a new one after a message starts its own', () => {
    const { timers, seen, hold } = rig({ frameMs: 100 })
    hold(3)
    Timers.watchFrame(timers, false)
    vi.advanceTimersByTime(80)
    hold(0)
    Timers.watchFrame(timers, true)
    vi.advanceTimersByTime(80)
    expect(seen).toEqual([])
    hold(2)
    Timers.watchFrame(timers, false)
    vi.advanceTimersByTime(60)
    hold(4)
    Timers.watchFrame(timers, true) // a message completed, and another began in the same chunk
    vi.advanceTimersByTime(60)
    expect(seen).toEqual([])
    vi.advanceTimersByTime(40)
    expect(seen).toEqual(['stalled 100 4'])
  })

  it('no deadline without a decoder that tells what it holds, nor with frameMs Infinity', () => {
    const a = rig({ frameMs: 100, buffered: undefined })
    Timers.watchFrame(a.timers, false)
    const b = rig({ frameMs: Infinity })
    b.hold(1)
    Timers.watchFrame(b.timers, false)
    vi.advanceTimersByTime(1000)
    expect([...a.seen, ...b.seen]).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('stopped, it watches nothing more', () => {
    const { timers, seen, hold } = rig({ frameMs: 100 })
    hold(1)
    Timers.watchFrame(timers, false)
    Timers.stop(timers)
    Timers.watchFrame(timers, true)
    vi.advanceTimersByTime(1000)
    expect(seen).toEqual([])
  })
})
