/**
 * Timer bounds.
 *
 * @internal
 */

/** The longest delay `setTimeout` takes: beyond it, Node fires at once (with a warning). */
export const MAX_TIMER_MS = 2_147_483_647

/** Whether a delay of `ms` sets a timer: more than 0 and at most {@link MAX_TIMER_MS} (longer is none). */
export const isTimerMs = (ms: number | undefined): ms is number => ms !== undefined && ms > 0 && ms <= MAX_TIMER_MS
