/**
 * A table keyed by JSON-RPC id (a number or a string; `1` and `"1"` are different ids), for the
 * calls and requests in flight on a connection.
 *
 * Not a `Map`, on purpose. A `Map` with many insertions and deletions keeps rebuilding its hash table,
 * and each old table points to the next one. Once an old table has been promoted to the old
 * generation (it lived through two scavenges as the current one), it keeps every later table alive,
 * and the values those tables held when they were current, until the next full collection. For a
 * table of calls in flight those values are the calls' promises, answers and parsed messages: under
 * load most of what a call allocates was promoted. Two null-prototype objects (one per kind of id)
 * have no such chain. Measured with bench:transports' TCP group (the ndjson floor and fp-jsonrpc,
 * 10 rounds, twice each, in alternation): both ends 0.76-0.78x the floor with a `Map`, 0.81-0.84x
 * with this; the client alone 0.85x and 0.93-0.95x.
 *
 * Most ids are small non-negative integers that follow each other (a client's own counter), and
 * then a ring of slots indexed by the id's low bits holds them: a read or a write is an array access,
 * where the object's number keys cost a dictionary lookup (7% of the TCP client's time in a CPU
 * profile, where the ring takes a fraction of it). The ring's arrays are reused, so it makes no
 * garbage. An id whose slot is taken by another (more calls in flight than the ring has slots) goes
 * to the object, and the ring doubles, up to {@link MAX_RING} slots.
 *
 * @internal
 */

export type Key = string | number

const FIRST_RING = 64
/** The most slots the ring grows to; ids beyond what it holds go to the object. */
export const MAX_RING = 4096
const EMPTY = -1

// Whether `id` can have a slot: an integer from 0 to 2^30 - 1 (a small integer to V8 everywhere).
const ringable = (id: number): boolean => id >= 0 && id <= 0x3fffffff && (id | 0) === id

export class IdTable<V> {
  declare private numbers: Record<string, V>
  declare private strings: Record<string, V>
  declare private count: number
  /** The ring: the id in each slot (EMPTY for none) and its value. */
  declare private keys: Array<number>
  declare private values_: Array<V | undefined>
  declare private mask: number
  constructor() {
    this.numbers = Object.create(null) as Record<string, V>
    this.strings = Object.create(null) as Record<string, V>
    this.count = 0
    this.keys = new Array<number>(FIRST_RING).fill(EMPTY)
    this.values_ = new Array<V | undefined>(FIRST_RING).fill(undefined)
    this.mask = FIRST_RING - 1
  }
  /** How many ids the table holds. */
  get size(): number {
    return this.count
  }
  private dict(id: Key): Record<string, V> {
    return typeof id === 'number' ? this.numbers : this.strings
  }
  get(id: Key): V | undefined {
    if (typeof id === 'number' && ringable(id)) {
      const slot = id & this.mask
      if (this.keys[slot] === (id | 0)) return this.values_[slot]
    }
    return this.dict(id)[id]
  }
  has(id: Key): boolean {
    return this.get(id) !== undefined
  }
  /** Sets `id` to `value` (never `undefined`: it stands for no entry). */
  set(id: Key, value: V): void {
    if (typeof id === 'number' && ringable(id)) {
      const k = id | 0
      const slot = k & this.mask
      const there = this.keys[slot]
      if (there === k) {
        this.values_[slot] = value
        return
      }
      if (this.numbers[k] === undefined) {
        if (there === EMPTY) {
          this.keys[slot] = k
          this.values_[slot] = value
          this.count++
          return
        }
        if (this.keys.length < MAX_RING) {
          this.grow()
          this.set(k, value)
          return
        }
      }
    }
    const d = this.dict(id)
    if (d[id] === undefined) this.count++
    d[id] = value
  }
  delete(id: Key): boolean {
    if (typeof id === 'number' && ringable(id)) {
      const slot = id & this.mask
      if (this.keys[slot] === (id | 0)) {
        this.keys[slot] = EMPTY
        this.values_[slot] = undefined
        this.count--
        return true
      }
    }
    const d = this.dict(id)
    if (d[id] === undefined) return false
    delete d[id]
    this.count--
    return true
  }
  /** The values, numbers' first. For the rare paths (closing, counting distinct calls). */
  values(): Array<V> {
    const out: Array<V> = []
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== EMPTY) out.push(this.values_[i] as V)
    return [...out, ...Object.values(this.numbers), ...Object.values(this.strings)]
  }
  clear(): void {
    this.numbers = Object.create(null) as Record<string, V>
    this.strings = Object.create(null) as Record<string, V>
    this.count = 0
    this.keys.fill(EMPTY)
    this.values_.fill(undefined)
  }
  // Twice the slots; the ring's ids move to their new slots. Ids in different slots of a ring differ
  // in their low bits, so they differ in the new ring's too: no two meet.
  private grow(): void {
    const keys = this.keys
    const values = this.values_
    const size = keys.length * 2
    this.keys = new Array<number>(size).fill(EMPTY)
    this.values_ = new Array<V | undefined>(size).fill(undefined)
    this.mask = size - 1
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      if (k === EMPTY) continue
      this.keys[k & this.mask] = k
      this.values_[k & this.mask] = values[i]
    }
  }
}
