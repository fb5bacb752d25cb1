// The pieces of the NATS server, each on its own: the concurrency gate (src/internal/nats/Gate.ts)
// and what is done to an answer before it is sent (src/internal/nats/answers.ts).
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Answers from '../src/internal/nats/answers.js'
import * as Gate from '../src/internal/nats/Gate.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const bytesOf = (payload: string | Uint8Array): Uint8Array => (typeof payload === 'string' ? encoder.encode(payload) : payload)

describe('Gate: bounded concurrency in arrival order', () => {
  it('never runs more than max jobs, starts them in the order offered, drops none, and is idle at the end', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        // Each job: synchronous (null) or taking that many turns of the event loop.
        fc.array(fc.option(fc.integer({ min: 0, max: 3 })), { maxLength: 40 }),
        async (max, jobs) => {
          const gate = Gate.make(max)
          const started: Array<number> = []
          const finished: Array<number> = []
          let running = 0
          let most = 0
          jobs.forEach((turns, i) =>
            gate.offer(() => {
              started.push(i)
              if (turns === null) {
                finished.push(i)
                return undefined
              }
              running++
              most = Math.max(most, running)
              return (async () => {
                for (let k = 0; k <= turns; k++) await new Promise((resolve) => setImmediate(resolve))
                running--
                finished.push(i)
              })()
            }),
          )
          expect(gate.active()).toBeLessThanOrEqual(max)
          await gate.idle()
          expect(started).toEqual(jobs.map((_, i) => i))
          expect([...finished].sort((a, b) => a - b)).toEqual(jobs.map((_, i) => i))
          expect(most).toBeLessThanOrEqual(max)
          expect(gate.active() + gate.waiting()).toBe(0)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('runs a long queue of synchronous jobs without growing the stack', async () => {
    const gate = Gate.make(1)
    let release: () => void = () => undefined
    gate.offer(() => new Promise<void>((resolve) => (release = resolve)))
    let n = 0
    for (let i = 0; i < 200_000; i++) gate.offer(() => void n++)
    expect(gate.waiting()).toBe(200_000)
    release()
    await gate.idle()
    expect(n).toBe(200_000)
  })
})

// Responses as the dispatcher writes them: successes with results of any size, errors, ids.
const id = fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.string({ maxLength: 6 }), fc.constant(null))
const response = fc.oneof(
  fc.record({ jsonrpc: fc.constant('2.0'), result: fc.oneof(fc.string({ maxLength: 300, unit: 'grapheme' }), fc.integer()), id }),
  fc.record({ jsonrpc: fc.constant('2.0'), error: fc.record({ code: fc.integer({ min: -32768, max: 0 }), message: fc.string({ maxLength: 40 }) }), id }),
)

describe('answers: fitting the max payload', () => {
  it('gives an answer that fits as it is', () => {
    fc.assert(
      fc.property(fc.oneof(response, fc.array(response, { minLength: 1, maxLength: 10 })), (r) => {
        const text = JSON.stringify(r)
        const fitted = Answers.fit(text, encoder.encode(text).length)
        expect(fitted.replaced).toBe(false)
        expect(decoder.decode(bytesOf(fitted.payload))).toBe(text)
      }),
    )
  })

  it('makes any batch fit: same ids in the same order, the responses kept unchanged, the others the error for their id', () => {
    fc.assert(
      fc.property(fc.array(response, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1500, max: 5000 }), (batch, max) => {
        const fitted = Answers.fit(JSON.stringify(batch), max)
        const bytes = bytesOf(fitted.payload)
        expect(bytes.length).toBeLessThanOrEqual(max)
        const out = JSON.parse(decoder.decode(bytes)) as unknown
        if (!Array.isArray(out)) {
          // Only when even every response replaced does not fit.
          expect(out).toEqual({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error', data: expect.any(String) }, id: null })
          return
        }
        expect(out.map((r: { id: unknown }) => r.id)).toEqual(batch.map((r) => r.id))
        out.forEach((r: unknown, i: number) => {
          const original = batch[i]
          if (JSON.stringify(r) !== JSON.stringify(original)) {
            expect(r).toEqual({
              jsonrpc: '2.0',
              error: { code: -32603, message: 'Internal error', data: expect.stringContaining(`${max} bytes`) },
              id: original?.id,
            })
          }
        })
      }),
    )
  })

  it('replaces a single response too large by the error for its id', () => {
    const big = JSON.stringify({ jsonrpc: '2.0', result: 'é'.repeat(1000), id: 'a' })
    expect(decoder.decode(bytesOf(Answers.fit(big, 1000).payload))).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error","data":"the response is larger than the 1000 bytes a NATS message may carry here"},"id":"a"}',
    )
    // Too small even for that: the shortest error, then nothing.
    expect(decoder.decode(bytesOf(Answers.fit(big, 100).payload))).toBe('{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":null}')
    expect(bytesOf(Answers.fit(big, 10).payload).length).toBe(0)
  })
})

describe('answers: what counts as an error', () => {
  it('is an answer of errors only, with the last error as its text', () => {
    expect(Answers.errorOf('{"jsonrpc":"2.0","result":{"error":1},"id":1}')).toBeUndefined()
    expect(Answers.errorOf('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}')).toBe('-32601 Method not found')
    expect(
      Answers.errorOf(
        '[{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1},{"jsonrpc":"2.0","error":{"code":7,"message":"Mine"},"id":2}]',
      ),
    ).toBe('7 Mine')
    expect(Answers.errorOf('[{"jsonrpc":"2.0","error":{"code":7,"message":"Mine"},"id":2},{"jsonrpc":"2.0","result":null,"id":1}]')).toBeUndefined()
    // Written another way (a postProcess hook): read, not guessed.
    expect(Answers.errorOf('{"id":1,"result":2,"jsonrpc":"2.0"}')).toBeUndefined()
    expect(Answers.errorOf('{"id":1,"error":{"code":-32000,"message":"x"},"jsonrpc":"2.0"}')).toBe('-32000 x')
    expect(Answers.errorOf('not json')).toBe('the answer is not JSON')
  })
})
