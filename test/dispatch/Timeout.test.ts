import * as t from 'io-ts'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Call, compile, type Item } from '../../src/internal/dispatch/Call.js'
import * as _ from '../../src/internal/dispatch/Timeout.js'
import * as Method from '../../src/Method.js'

const M = Method.make({ name: 'slow', result: t.unknown })
const callOf = (id: number | undefined) =>
  new Call<unknown>(
    id === undefined ? { jsonrpc: '2.0', method: 'slow' } : { jsonrpc: '2.0', method: 'slow', id },
    id,
    compile(M as Method.AnyMethod, () => 0),
    undefined,
  )
const timeoutError = { code: -32003, message: 'Request timed out' }

afterEach(() => {
  vi.useRealTimers()
})

describe('Timeout.make', () => {
  it('passes an answer that comes in time through, and its deadline no longer fires', async () => {
    vi.useFakeTimers()
    const withDeadline = _.make<unknown>({ timeoutMs: 100, timeoutError })
    const answer: Item = { jsonrpc: '2.0', result: 1, id: 1 }
    const call = callOf(1)
    const signal = call.signal
    const out = withDeadline(Promise.resolve(answer), call)
    await vi.advanceTimersByTimeAsync(0)
    expect(await out).toBe(answer)
    await vi.advanceTimersByTimeAsync(500)
    expect(signal.aborted).toBe(false)
    expect(await out).toBe(answer)
  })

  it('answers the timeout error once the call is past its time, aborts its signal, and drops the late answer', async () => {
    vi.useFakeTimers()
    const withDeadline = _.make<unknown>({ timeoutMs: 100, timeoutError })
    const call = callOf(7)
    const signal = call.signal
    let late!: (item: Item) => void
    const out = withDeadline(new Promise<Item>((resolve) => (late = resolve)), call)
    await vi.advanceTimersByTimeAsync(150)
    expect(await out).toEqual({ jsonrpc: '2.0', error: timeoutError, id: 7 })
    expect(signal.aborted).toBe(true)
    late({ jsonrpc: '2.0', result: 'late', id: 7 })
    await vi.advanceTimersByTimeAsync(0)
    expect(await out).toEqual({ jsonrpc: '2.0', error: timeoutError, id: 7 })
  })

  it('answers a notification past its time with nothing', async () => {
    vi.useFakeTimers()
    const withDeadline = _.make<unknown>({ timeoutMs: 10, timeoutError })
    const out = withDeadline(new Promise<Item>(() => undefined), callOf(undefined))
    await vi.advanceTimersByTimeAsync(20)
    expect(await out).toBeUndefined()
  })

  it('sets no deadline when the timeout is beyond what a timer holds (Infinity included)', async () => {
    for (const timeoutMs of [Infinity, 2 ** 31]) {
      const withDeadline = _.make<unknown>({ timeoutMs, timeoutError })
      const work = Promise.resolve<Item>(undefined)
      expect(withDeadline(work, callOf(1))).toBe(work)
    }
  })
})
