/**
 * The batch runner: runs the elements of a batch in order; synchronous ones finish at once,
 * asynchronous ones take one of `concurrency` places. The answers keep the elements' order, and
 * come synchronously when every element answered synchronously.
 *
 * Each element is isolated: `run` must never throw, and its Promise must never reject (the
 * dispatcher's `runOne` holds to both).
 *
 * @internal
 */

/** A value now, or a Promise of it. */
type Awaitable<A> = A | Promise<A>

/**
 * Runs `run` on each of `items` (with `x` and `y`, the same for every item: passed through rather
 * than closed over, so a batch costs no closure), at most `concurrency` asynchronous ones at once.
 */
export const run = <A, X, Y, R>(items: ReadonlyArray<A>, concurrency: number, run: (item: A, x: X, y: Y) => Awaitable<R>, x: X, y: Y): Awaitable<Array<R>> => {
  const n = items.length
  const out = new Array<R>(n)
  let next = 0
  let inFlight = 0
  let done = 0
  let finish: ((items: Array<R>) => void) | undefined
  const pump = (): void => {
    while (next < n && inFlight < concurrency) {
      const i = next++
      const r = run(items[i], x, y)
      if (r instanceof Promise) {
        inFlight++
        // Fire-and-forget: the callback settles the batch; `run` answers failures as items, it does not reject.
        void r.then((item) => {
          out[i] = item
          inFlight--
          if (++done === n) finish?.(out)
          else pump()
        })
      } else {
        out[i] = r
        done++
      }
    }
    // A completion may leave only synchronous elements, which the loop above just finished.
    if (done === n) finish?.(out)
  }
  pump()
  return done === n ? out : new Promise<Array<R>>((resolve) => (finish = resolve))
}
