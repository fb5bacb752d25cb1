import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as _ from '../../src/internal/dispatch/Batch.js'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('Batch.run', () => {
  it('answers synchronously, in order, when every element does', () => {
    const out = _.run([1, 2, 3], 2, (n, k: number) => n * k, 10, undefined)
    expect(out).toEqual([10, 20, 30])
  })

  it('answers with a Promise once an element is asynchronous, keeping the order', async () => {
    const out = _.run([1, 2, 3], 2, (n) => (n === 2 ? new Promise<number>((r) => setTimeout(() => r(20), 5)) : n * 10), undefined, undefined)
    expect(out).toBeInstanceOf(Promise)
    expect(await out).toEqual([10, 20, 30])
  })

  it('runs at most `concurrency` asynchronous elements at once, starting them in order', async () => {
    const started: Array<number> = []
    const resolvers: Array<() => void> = []
    const out = _.run(
      [0, 1, 2, 3, 4],
      2,
      (i) => {
        started.push(i)
        return new Promise<number>((resolve) => resolvers.push(() => resolve(i)))
      },
      undefined,
      undefined,
    )
    expect(started).toEqual([0, 1])
    resolvers[1]?.()
    await tick()
    expect(started).toEqual([0, 1, 2])
    resolvers[0]?.()
    resolvers[2]?.()
    await tick()
    expect(started).toEqual([0, 1, 2, 3, 4])
    resolvers[3]?.()
    resolvers[4]?.()
    expect(await out).toEqual([0, 1, 2, 3, 4])
  })

  it('gives the same answers as a plain map, for any mix of synchronous and asynchronous elements', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer(), fc.boolean())), fc.integer({ min: 1, max: 5 }), async (items, concurrency) => {
        const out = await _.run(items, concurrency, ([n, async]) => (async ? Promise.resolve(n) : n), undefined, undefined)
        expect(out).toEqual(items.map(([n]) => n))
      }),
    )
  })

  it('passes x and y to every item', () => {
    expect(_.run(['a', 'b'], 1, (s, x: string, y: number) => `${s}${x}${y}`, '-', 1)).toEqual(['a-1', 'b-1'])
  })

  it('answers an empty list synchronously', () => {
    expect(_.run([], 1, () => 1, undefined, undefined)).toEqual([])
  })
})
