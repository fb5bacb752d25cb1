import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IdTable, MAX_RING } from '../src/internal/IdTable.js'

// Ids as peers send them, tricky ones included: 1 and "1" differ, -0 is 0 (as in a Map), keys that
// are names on Object.prototype, numbers that are not array indexes.
const id = fc.oneof(
  fc.integer({ min: -3, max: 20 }),
  fc.constantFrom(-0, 1.5, 2 ** 32, 2 ** 53 - 1, -1e21),
  fc.constantFrom('1', '0', '-0', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a'),
  fc.string({ maxLength: 3 }),
  // Ids that meet in the ring's slots (64 at first, up to 4096), and around its bounds.
  fc.integer({ min: 0, max: 12 }).map((i) => i * 64),
  fc.integer({ min: 0, max: 6 }).map((i) => i * 4096 + 3),
  fc.constantFrom(2 ** 30 - 1, 2 ** 30, 2 ** 31 - 1, -1, 63, 127),
)

type Op = { op: 'set'; id: string | number; value: number } | { op: 'delete'; id: string | number } | { op: 'clear' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), id, value: fc.integer() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('delete' as const), id }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
)

describe('internal/IdTable', () => {
  it('behaves as a Map keyed by id, for any sequence of set, delete and clear', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(id, { maxLength: 10 }), (ops, probes) => {
        const table = new IdTable<{ readonly value: number }>()
        const model = new Map<string | number, { readonly value: number }>()
        for (const o of ops) {
          if (o.op === 'set') {
            const v = { value: o.value }
            table.set(o.id, v)
            model.set(o.id, v)
          } else if (o.op === 'delete') expect(table.delete(o.id)).toBe(model.delete(o.id))
          else {
            table.clear()
            model.clear()
          }
          expect(table.size).toBe(model.size)
        }
        for (const p of [...probes, ...model.keys()]) {
          expect(table.get(p)).toBe(model.get(p))
          expect(table.has(p)).toBe(model.has(p))
        }
        expect(new Set(table.values())).toEqual(new Set(model.values()))
      }),
      { numRuns: 500 },
    )
  })

  it('keeps ids that meet in a full ring apart, in the ring and beside it, whatever is deleted first', () => {
    const table = new IdTable<string>()
    // 3, 3 + 4096, 3 + 2 * 4096 share their low 12 bits: the ring grows to its most slots, then the
    // second and the third go beside it.
    const [a, b, c] = [3, 3 + MAX_RING, 3 + 2 * MAX_RING]
    table.set(a, 'a')
    table.set(b, 'b')
    table.set(c, 'c')
    expect([table.get(a), table.get(b), table.get(c), table.size]).toEqual(['a', 'b', 'c', 3])
    expect(table.delete(a)).toBe(true)
    // b is beside the ring while a's slot is free: setting it again replaces it, it is not added twice.
    table.set(b, 'b2')
    expect([table.get(a), table.get(b), table.get(c), table.size]).toEqual([undefined, 'b2', 'c', 2])
    expect(new Set(table.values())).toEqual(new Set(['b2', 'c']))
    table.set(a, 'a2')
    expect([table.delete(b), table.delete(c), table.get(a), table.size]).toEqual([true, true, 'a2', 1])
    expect([table.delete(b), table.size]).toEqual([false, 1])
  })

  it('keeps 1 and "1" apart, and nothing of Object.prototype shows through', () => {
    const table = new IdTable<string>()
    table.set(1, 'number')
    table.set('1', 'string')
    expect([table.get(1), table.get('1'), table.size]).toEqual(['number', 'string', 2])
    expect([table.has('toString'), table.get('constructor'), table.has('__proto__')]).toEqual([false, undefined, false])
    table.set('__proto__', 'own')
    expect([table.get('__proto__'), table.size]).toEqual(['own', 3])
  })
})
