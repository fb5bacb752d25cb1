/**
 * Deadlines that all have the same length, so that they fall due in the order they were set: one
 * queue and one armed timer for its head, instead of a timer per deadline (a `setTimeout` and its
 * `clearTimeout` cost more than the rest of a fast call). The dispatcher times its asynchronous
 * handlers with it, and a peer its own calls.
 *
 * Entries that are done before their time leave their place behind; the queue drops them from the
 * head as they go and compacts when they make up most of it, so it stays about as long as the number
 * of deadlines running. The timer is `unref`'d: a pending deadline never keeps a process alive.
 *
 * @internal
 */

/** One deadline: its time, and its value while it runs (`undefined` once done or expired). */
export interface Entry<A> {
  readonly at: number
  value: A | undefined
}

export interface Deadlines<A> {
  /** Starts a deadline `ms` from now for `value`; when it passes first, `expire(value)` runs. */
  readonly add: (value: A) => Entry<A>
  /** Ends a deadline before its time: `expire` will not run for it. Idempotent. */
  readonly done: (entry: Entry<A>) => void
}

/**
 * A queue of deadlines of `ms` milliseconds each (`ms` at most 2^31 - 1, which `setTimeout` takes).
 * `expire` runs once per deadline that passes, with the entry already done.
 */
export const make = <A>(ms: number, expire: (value: A) => void): Deadlines<A> => {
  let entries: Array<Entry<A>> = []
  let head = 0
  let finished = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const fire = (): void => {
    timer = undefined
    const now = Date.now()
    while (head < entries.length) {
      const entry = entries[head] as Entry<A>
      const value = entry.value
      if (value !== undefined) {
        if (entry.at > now) break
        entry.value = undefined
        expire(value)
      } else finished--
      head++
    }
    trim()
  }

  const trim = (): void => {
    while (head < entries.length && (entries[head] as Entry<A>).value === undefined) {
      head++
      finished--
    }
    if (head === entries.length) {
      entries = []
      head = 0
      finished = 0
    } else if (finished > 1024 && finished * 2 > entries.length - head) {
      entries = entries.slice(head).filter((e) => e.value !== undefined)
      head = 0
      finished = 0
    }
    if (timer === undefined && head < entries.length) {
      timer = setTimeout(fire, Math.max(0, (entries[head] as Entry<A>).at - Date.now()))
      ;(timer as { unref?: () => void }).unref?.()
    }
  }

  return {
    add: (value) => {
      const entry: Entry<A> = { at: Date.now() + ms, value }
      entries.push(entry)
      if (timer === undefined) trim()
      return entry
    },
    done: (entry) => {
      if (entry.value === undefined) return
      entry.value = undefined
      finished++
      if (entries[head] === entry) trim()
    },
  }
}
