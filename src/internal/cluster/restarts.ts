/**
 * The primary's restart policy, as pure functions of the restarts already made: how long to wait
 * before a worker that exited is forked again (a backoff per slot), and when to give up (a bound on
 * the restarts of the whole cluster within a window, so that a worker that cannot start is not
 * forked forever).
 *
 * The laws: within any `windowMs`, at most `maxRestarts` restarts are granted; a slot's delay doubles
 * with each of its restarts still in the window, from `delayMs` up to `maxDelayMs`, and falls back to
 * `delayMs` once its restarts have left the window.
 *
 * @internal
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The policy's settings, in milliseconds and counts. */
export interface Policy {
  readonly delayMs: number
  readonly maxDelayMs: number
  readonly maxRestarts: number
  readonly windowMs: number
}

/** The restarts granted so far that may still count: which slot, and when. Oldest first. */
export type History = ReadonlyArray<{ readonly slot: number; readonly at: number }>

/** What to do with a worker that exited when it should not have. */
export type Decision =
  | { readonly _tag: 'Restart'; readonly delayMs: number; readonly restarts: number; readonly history: History }
  | { readonly _tag: 'GiveUp'; readonly restarts: number }

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** No restarts yet. */
export const empty: History = []

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Decides for the worker of `slot` that exited at `now`. `restarts` is the number of restarts in the
 * window, this one included when it is granted; on `GiveUp`, those that were granted.
 */
export const decide =
  (policy: Policy) =>
  (history: History, slot: number, now: number): Decision => {
    const recent = history.filter((r) => r.at > now - policy.windowMs)
    if (recent.length >= policy.maxRestarts) return { _tag: 'GiveUp', restarts: recent.length }
    let ofSlot = 0
    for (const r of recent) if (r.slot === slot) ofSlot++
    // 2 ** ofSlot grows past any maxDelayMs long before it overflows: ofSlot < maxRestarts.
    const delayMs = Math.min(policy.maxDelayMs, policy.delayMs * 2 ** Math.min(ofSlot, 52))
    return { _tag: 'Restart', delayMs, restarts: recent.length + 1, history: [...recent, { slot, at: now }] }
  }
