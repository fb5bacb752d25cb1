/**
 * Bounded concurrency in arrival order: at most `max` jobs run at once, the others wait in the order
 * they came, and none is dropped. A job that finishes synchronously (returns `undefined`) gives its
 * place back at once; one that returns a Promise holds its place until the Promise settles.
 *
 * Used by the NATS server for the messages of one subscription: the subscription's callback offers
 * each message, and a graceful stop waits for {@link Gate.idle}.
 *
 * @internal
 */

/** A job: runs now, or returns the Promise of its end. It must not reject (the gate does not look). */
export type Job = () => Promise<void> | undefined

/** The gate's state and operations. */
export interface Gate {
  /** Runs `job` now if a place is free, or queues it behind the others. */
  readonly offer: (job: Job) => void
  /** How many jobs hold a place now. */
  readonly active: () => number
  /** How many jobs wait for a place. */
  readonly waiting: () => number
  /** Resolves once no job runs and none waits (at once if that is so now). */
  readonly idle: () => Promise<void>
}

/** A gate of `max` places (at least 1). */
export const make = (max: number): Gate => {
  let active = 0
  // A queue read from `head`: taking a job is an index step, not an `Array.shift` (O(n) each).
  let queue: Array<Job> = []
  let head = 0
  let idlers: Array<() => void> = []

  const isIdle = (): boolean => active === 0 && head === queue.length

  const settleIdle = (): void => {
    if (!isIdle() || idlers.length === 0) return
    const waiting = idlers
    idlers = []
    for (const resolve of waiting) resolve()
  }

  const done = (): void => {
    active--
    pump()
    settleIdle()
  }

  // A loop, not a recursion: a long queue of synchronous jobs runs without growing the stack.
  const pump = (): void => {
    while (active < max && head < queue.length) {
      const job = queue[head]
      // The slot is cleared so that the job it held can be collected; it is never read again.
      queue[head++] = undefined as unknown as Job
      if (head === queue.length) {
        queue = []
        head = 0
      }
      run(job)
    }
  }

  const run = (job: Job): void => {
    active++
    const running = job()
    if (running === undefined) active--
    else void running.then(done, done)
  }

  return {
    offer: (job) => {
      if (active < max && head === queue.length) {
        run(job)
        settleIdle()
        return
      }
      queue.push(job)
      pump()
    },
    active: () => active,
    waiting: () => queue.length - head,
    idle: () => (isIdle() ? Promise.resolve() : new Promise<void>((resolve) => idlers.push(resolve))),
  }
}
