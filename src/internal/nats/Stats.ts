/**
 * The statistics of one endpoint, as the NATS micro-service protocol reports them: requests, errors,
 * the last error, and processing time in nanoseconds (total and average). A mutable record owned by
 * one server, written once per message.
 *
 * @internal
 */

/** One endpoint's counters. */
export interface Stats {
  num_requests: number
  num_errors: number
  last_error: string
  /** Nanoseconds, summed over every message. */
  processing_time: number
}

/** Fresh counters. */
export const make = (): Stats => ({ num_requests: 0, num_errors: 0, last_error: '', processing_time: 0 })

/** A clock in milliseconds with sub-millisecond precision, never going back. */
export const now = (): number => performance.now()

/**
 * Counts one message, handled from `startMs` (a {@link now} reading) to now; `error` is the text of
 * its error when it counts as one.
 */
export const record = (stats: Stats, startMs: number, error: string | undefined): void => {
  stats.num_requests++
  stats.processing_time += Math.round((performance.now() - startMs) * 1e6)
  if (error !== undefined) {
    stats.num_errors++
    stats.last_error = error
  }
}

/** The average processing time in whole nanoseconds (0 before the first message). */
export const average = (stats: Stats): number => (stats.num_requests === 0 ? 0 : Math.round(stats.processing_time / stats.num_requests))
