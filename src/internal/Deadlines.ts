/**
 * Deadlines that all have the same length, so that they fall due in the order they were set: one
 * queue and one armed timer for its head, instead of a timer per deadline (a `setTimeout` and its
 * `clearTimeout` cost more than the rest of a fast call). The dispatcher times its asynchronous
 * handlers with it, and a peer its own calls.
 *
 * Deadlines that are done before their time leave their place behind; the queue drops them from the
 * head as they go and compacts when they make up most of it, so it stays about as long as the number
 * of deadlines running. The timer is `unref`'d: a pending deadline never keeps a process alive.
 *
 * @internal
 */

/**
 * What a deadline is set on: its time (`deadline`, set by {@link Deadlines.add}) and whether it still
 * runs (`timed`). The caller's own object carries both, so a deadline allocates nothing of its own.
 */
export interface Timed {
  deadline: number
  timed: boolean
}

export interface Deadlines<A extends Timed> {
  /** Starts a deadline `ms` from now for `value`; when it passes first, `expire(value)` runs. */
  readonly add: (value: A) => void
  /** Ends a deadline before its time: `expire` will not run for it. Idempotent. */
  readonly done: (value: A) => void
  /** How many places the queue holds, running deadlines and those not yet dropped (for tests). */
  readonly held: () => number
}

/**
 * A queue of deadlines of `ms` milliseconds each (`ms` at most 2^31 - 1, which `setTimeout` takes).
 * `expire` runs once per deadline that passes, with the deadline already done.
 */
export const make = <A extends Timed>(ms: number, expire: (value: A) => void): Deadlines<A> => {
  let entries: Array<A> = []
  let head = 0
  let finished = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const fire = (): void => {
    timer = undefined
    const now = Date.now()
    while (head < entries.length) {
      const entry = entries[head]
      if (entry.timed) {
        if (entry.deadline > now) break
        entry.timed = false
        expire(entry)
      } else finished--
      head++
    }
    trim()
  }

  const trim = (): void => {
    while (head < entries.length && !entries[head].timed) {
      head++
      finished--
    }
    if (head === entries.length) {
      entries = []
      head = 0
      finished = 0
    } else if (finished > 1024 && finished * 2 > entries.length - head) {
      entries = entries.slice(head).filter((e) => e.timed)
      head = 0
      finished = 0
    } else if (head > 1024 && head * 2 > entries.length) {
      // Under steady load the queue is never empty, so the places behind the head are dropped
      // here; otherwise they would keep every value ever timed alive.
      entries = entries.slice(head)
      head = 0
    }
    if (timer === undefined && head < entries.length) {
      timer = setTimeout(fire, Math.max(0, entries[head].deadline - Date.now()))
      ;(timer as { unref?: () => void }).unref?.()
    }
  }

  return {
    add: (value) => {
      value.deadline = Date.now() + ms
      value.timed = true
      entries.push(value)
      if (timer === undefined) trim()
    },
    done: (value) => {
      if (!value.timed) return
      value.timed = false
      finished++
      if (entries[head] === value) trim()
    },
    held: () => entries.length,
  }
}
