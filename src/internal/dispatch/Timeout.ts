/**
 * The deadline of asynchronous calls. Every call has the same timeout, so deadlines come in the
 * order calls start: one queue and one timer (see internal/Deadlines). A call past its time is
 * answered with the timeout error, its signal aborts, and whatever its handler answers later is
 * dropped: one answer per id, never a second.
 *
 * @internal
 */
import * as RpcResponse from '../../RpcResponse.js'
import * as Deadlines from '../Deadlines.js'
import { MAX_TIMER_MS } from '../timers.js'
import type { Call, Item } from './Call.js'
import type { Limits } from './Limits.js'

/**
 * An asynchronous call while its deadline runs, as the deadline queue holds it: the call, and how it
 * is answered (by its handler, or by the deadline). Kept apart from the call, so that a call that
 * answers synchronously (most) carries none of it: a deadline is a number V8 stores boxed, and a
 * field for it on every call would cost every call an allocation.
 */
class Pending<C> implements Deadlines.Timed {
  declare readonly call: Call<C>
  declare readonly settle: (item: Item) => void
  declare deadline: number
  declare timed: boolean
  constructor(call: Call<C>, settle: (item: Item) => void) {
    this.call = call
    this.settle = settle
    this.deadline = 0
    this.timed = false
  }
}

const unbounded = <C>(work: Promise<Item>, _call: Call<C>): Promise<Item> => work

/**
 * Makes the deadline step for `limits.timeoutMs` (a timeout beyond what a timer can hold is none):
 * the answer of `work`, or the timeout error once the call is past its time.
 */
export const make = <C>(limits: Pick<Limits, 'timeoutMs' | 'timeoutError'>): ((work: Promise<Item>, call: Call<C>) => Promise<Item>) => {
  if (limits.timeoutMs > MAX_TIMER_MS) return unbounded
  const { timeoutError } = limits
  const deadlines = Deadlines.make<Pending<C>>(limits.timeoutMs, ({ call, settle }) => {
    call.controller?.abort(new Error('the call timed out'))
    settle(call.id === undefined ? undefined : RpcResponse.failure(timeoutError, call.id))
  })
  return (work, call) =>
    new Promise<Item>((resolve) => {
      const pending = new Pending(call, resolve)
      deadlines.add(pending)
      // Fire-and-forget: the callback settles the call, unless the deadline came first.
      void work.then((item) => {
        if (!pending.timed) return // timed out: this late answer is dropped
        deadlines.done(pending)
        resolve(item)
      })
    })
}
