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
 * @internal
 */

export type Key = string | number

export class IdTable<V> {
  declare private numbers: Record<string, V>
  declare private strings: Record<string, V>
  declare private count: number
  constructor() {
    this.numbers = Object.create(null) as Record<string, V>
    this.strings = Object.create(null) as Record<string, V>
    this.count = 0
  }
  /** How many ids the table holds. */
  get size(): number {
    return this.count
  }
  private dict(id: Key): Record<string, V> {
    return typeof id === 'number' ? this.numbers : this.strings
  }
  get(id: Key): V | undefined {
    return this.dict(id)[id]
  }
  has(id: Key): boolean {
    return this.dict(id)[id] !== undefined
  }
  /** Sets `id` to `value` (never `undefined`: it stands for no entry). */
  set(id: Key, value: V): void {
    const d = this.dict(id)
    if (d[id] === undefined) this.count++
    d[id] = value
  }
  delete(id: Key): boolean {
    const d = this.dict(id)
    if (d[id] === undefined) return false
    delete d[id]
    this.count--
    return true
  }
  /** The values, numbers' first. For the rare paths (closing, counting distinct calls). */
  values(): Array<V> {
    return [...Object.values(this.numbers), ...Object.values(this.strings)]
  }
  clear(): void {
    this.numbers = Object.create(null) as Record<string, V>
    this.strings = Object.create(null) as Record<string, V>
    this.count = 0
  }
}
